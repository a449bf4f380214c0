"""Loading YAML keeps the line and column of every value, so diagnostics point at the text."""

from pathlib import Path

from naftiko_gen.diagnostics import Diagnostics, Severity, SourceLoc
from naftiko_gen.load import Document, load_document, parse_document

TEXT = """\
naftiko: 1.0.0
capability:
  consumes:
    - namespace: api
      resources:
        - path: /items
          created: 2026-05-19
  tags: [a,  b]
"""


def parse(text: str) -> tuple[Document | None, Diagnostics]:
    diagnostics = Diagnostics()
    return parse_document(text, Path("spec.yaml"), "specs/spec.yaml", diagnostics), diagnostics


def test_every_value_has_the_line_and_column_it_was_written_at() -> None:
    document, diagnostics = parse(TEXT)
    assert document is not None and not diagnostics.items
    assert document.loc(()) == SourceLoc("specs/spec.yaml", 1, 1)
    assert document.loc(("naftiko",)) == SourceLoc("specs/spec.yaml", 1, 10)
    assert document.loc(("capability", "consumes", 0)) == SourceLoc("specs/spec.yaml", 4, 7)
    resource = ("capability", "consumes", 0, "resources", 0, "path")
    assert document.loc(resource) == SourceLoc("specs/spec.yaml", 6, 17)
    assert document.loc(("capability", "tags", 1)) == SourceLoc("specs/spec.yaml", 8, 14)


def test_a_missing_value_points_at_its_nearest_written_ancestor() -> None:
    document, _ = parse(TEXT)
    assert document is not None
    missing = ("capability", "consumes", 0, "baseUri", "x")
    assert document.loc(missing) == SourceLoc("specs/spec.yaml", 4, 7)


def test_timestamps_stay_the_text_the_author_wrote() -> None:
    document, _ = parse(TEXT)
    assert document is not None
    assert document.data["capability"]["consumes"][0]["resources"][0]["created"] == "2026-05-19"


def test_a_duplicate_key_warns_at_the_second_key_and_the_last_value_wins() -> None:
    document, diagnostics = parse("a: 1\nb: 2\na: 3\n")
    assert document is not None and document.data == {"a": 3, "b": 2}
    [warning] = diagnostics.items
    assert (warning.severity, warning.code) == (Severity.WARNING, "NG005")
    assert warning.loc == SourceLoc("specs/spec.yaml", 3, 1)


def test_invalid_yaml_is_reported_where_the_broken_construct_starts() -> None:
    document, diagnostics = parse('a: 1\nb: "unclosed\n')
    assert document is None
    [error] = diagnostics.items
    assert error.code == "NG001"
    assert error.loc == SourceLoc("specs/spec.yaml", 2, 4)


def test_only_the_first_document_of_a_stream_is_used() -> None:
    document, diagnostics = parse("a: 1\n---\nb: 2\n")
    assert document is not None and document.data == {"a": 1}
    assert not diagnostics.items


def test_an_unreadable_file_is_reported_at_its_first_line(tmp_path: Path) -> None:
    diagnostics = Diagnostics()
    assert load_document(tmp_path / "absent.yaml", "absent.yaml", diagnostics) is None
    [error] = diagnostics.items
    assert error.code == "NG001"
    assert error.loc == SourceLoc("absent.yaml", 1, 1)
