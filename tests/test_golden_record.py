"""The golden harness itself: variant records rebuild the complete tree, and every kind of
change (a shared file that changed, a new, missing or renamed file, a stored file that became
identical to the full record) is found."""

from __future__ import annotations

from pathlib import Path

import pytest

from .golden_record import (
    FULL_RECORD,
    LISTING,
    RecordError,
    Tree,
    differences,
    expected_tree,
    problems,
    read_tree,
    write_record,
)

FULL: Tree = {
    "seed/README.md": b"# seed\n",
    "seed/.gitattributes": b"* -diff\n",
    "seed/src/seed/_runtime.py": b"def run() -> None:\n    pass\n",
    "seed/src/seed/rest.py": b"ROUTES = ['/a']\n",
}
VARIANT: Tree = {
    "other/README.md": b"# other\n",
    "other/.gitattributes": b"* -diff\n",
    "other/src/other_pkg/_runtime.py": b"def run() -> None:\n    pass\n",
    "other/src/other_pkg/rest.py": b"ROUTES = ['/b']\n",
    "other/src/other_pkg/mcp.py": b"TOOLS = []\n",
}


@pytest.fixture
def case(tmp_path: Path) -> Path:
    """A golden folder with the full record and one variant case recorded against it."""
    write_record(tmp_path / FULL_RECORD, FULL, FULL)
    write_record(tmp_path / "variant", VARIANT, FULL)
    return tmp_path / "variant"


def test_the_full_record_is_stored_complete(case: Path) -> None:
    assert read_tree(case.parent / FULL_RECORD / "expected") == FULL
    assert not (case.parent / FULL_RECORD / LISTING).exists()


def test_a_variant_stores_only_what_differs_and_lists_every_file(case: Path) -> None:
    assert set(read_tree(case / "expected")) == {
        "other/README.md",
        "other/src/other_pkg/rest.py",
        "other/src/other_pkg/mcp.py",
    }
    listed = [
        line for line in (case / LISTING).read_text(encoding="utf-8").splitlines() if line[0] != "#"
    ]
    assert listed == [
        "= other/.gitattributes",
        "+ other/README.md",
        "= other/src/other_pkg/_runtime.py",
        "+ other/src/other_pkg/mcp.py",
        "+ other/src/other_pkg/rest.py",
    ]
    assert expected_tree(case) == VARIANT
    assert differences(expected_tree(case), VARIANT) == []


def test_a_changed_shared_file_is_found_with_a_diff(case: Path) -> None:
    generated = {**VARIANT, "other/.gitattributes": b"* -diff\n*.json binary\n"}
    [found] = differences(expected_tree(case), generated)
    assert found.startswith("--- golden/other/.gitattributes\n+++ generated/other/.gitattributes")
    assert "\n+*.json binary\n" in found


def test_a_new_file_is_found(case: Path) -> None:
    generated = {**VARIANT, "other/src/other_pkg/extra.py": b"X = 1\n"}
    assert differences(expected_tree(case), generated) == [
        "new: other/src/other_pkg/extra.py is generated but not in the golden record"
    ]


def test_a_missing_shared_or_stored_file_is_found(case: Path) -> None:
    generated = dict(VARIANT)
    del generated["other/src/other_pkg/_runtime.py"], generated["other/src/other_pkg/mcp.py"]
    assert differences(expected_tree(case), generated) == [
        "missing: other/src/other_pkg/_runtime.py is no longer generated",
        "missing: other/src/other_pkg/mcp.py is no longer generated",
    ]


def test_a_renamed_import_package_is_found(case: Path) -> None:
    generated = {name.replace("other_pkg", "other"): data for name, data in VARIANT.items()}
    found = differences(expected_tree(case), generated)
    assert len(found) == 2 * 3  # the three files under src/: each missing, and new elsewhere
    assert "missing: other/src/other_pkg/_runtime.py is no longer generated" in found


def test_a_stored_file_that_became_identical_is_found(case: Path) -> None:
    generated = {**VARIANT, "other/src/other_pkg/rest.py": FULL["seed/src/seed/rest.py"]}
    [found] = differences(expected_tree(case), generated)
    assert "-ROUTES = ['/b']\n+ROUTES = ['/a']\n" in found
    # Once the full record changes to what a variant stores, the variant record is not minimal.
    write_record(
        case.parent / FULL_RECORD, {**FULL, "seed/src/seed/rest.py": b"ROUTES = ['/b']\n"}, FULL
    )
    with pytest.raises(RecordError, match=r"other/src/other_pkg/rest.py is stored but equals"):
        expected_tree(case)


def test_a_shared_file_the_full_record_lost_is_found(case: Path) -> None:
    full = dict(FULL)
    del full["seed/.gitattributes"]
    write_record(case.parent / FULL_RECORD, full, full)
    with pytest.raises(RecordError, match=r":\d+: other/.gitattributes is not in the full record"):
        expected_tree(case)


def test_a_stored_file_not_listed_a_listed_one_missing_or_a_bad_line_is_found(case: Path) -> None:
    (case / "expected" / "other" / "stray.txt").write_bytes(b"left over\n")
    (case / "expected" / "other" / "README.md").unlink()
    with (case / LISTING).open("a", encoding="utf-8") as listing:
        listing.write("other/rest.py\n")
    [found] = problems(case, VARIANT)
    assert found.splitlines() == [
        f"variant: {LISTING}:6: other/README.md is listed as stored but missing",
        f"{LISTING}:10: not '= path' nor '+ path': 'other/rest.py'",
        "expected/other/stray.txt is stored but not listed",
    ]


def test_update_removes_files_no_longer_needed(case: Path) -> None:
    generated = {**VARIANT, "other/src/other_pkg/rest.py": FULL["seed/src/seed/rest.py"]}
    del generated["other/src/other_pkg/mcp.py"]
    write_record(case, generated, FULL)
    assert set(read_tree(case / "expected")) == {"other/README.md"}
    assert expected_tree(case) == generated
