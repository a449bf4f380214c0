"""Schema validation with the local `$ref`s of the bundled schemas inlined (`validate._inline_refs`)
reports exactly what a validator of the schema as published reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from naftiko_gen import validate
from naftiko_gen.diagnostics import Diagnostics
from naftiko_gen.load import load_document

from tests.shared_material import SHARED

REPO = Path(__file__).resolve().parents[2]
# Documents that bend the schema in many ways (the specs and the error cases), and real ones.
DOCUMENTS = sorted(
    [
        *REPO.glob("specs/*.yaml"),
        *REPO.glob("tests/errors/*.yaml"),
        *(SHARED / "corpus").glob("api-evangelist__notion/capabilities/*.yaml"),
        *(SHARED / "ikanos").glob("tutorial/**/*.yml"),
    ]
)


def _published(version: str) -> jsonschema.Draft202012Validator:
    """The validator of the schema file as it is, `$ref`s resolved through the registry."""
    return jsonschema.Draft202012Validator(validate.schema_of(version))


def _reported(path: Path, monkeypatch: pytest.MonkeyPatch | None) -> list[str]:
    diagnostics = Diagnostics()
    document = load_document(path, path.name, diagnostics)
    if document is None:
        return [d.format() for d in diagnostics.sorted()]
    if monkeypatch is not None:
        monkeypatch.setattr(validate, "_validator", _published)
    validate.validate_schema(document, diagnostics, strict=False)
    return [d.format() for d in diagnostics.sorted()]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_inlined_references_report_what_the_published_schema_reports(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inlined = _reported(path, None)
    published = _reported(path, monkeypatch)
    assert inlined == published


@pytest.mark.parametrize("version", [*validate.SCHEMA_FILES, validate.IKANOS_LATEST])
def test_no_reference_is_left_but_those_with_constraints_beside_them(version: str) -> None:
    left: list[dict[str, Any]] = []

    def walk(node: Any, seen: set[int]) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, dict):
            if "$ref" in node:
                left.append(node)
            for value in node.values():
                walk(value, seen)
        elif isinstance(node, list):
            for value in node:
                walk(value, seen)

    walk(validate._validator(version).schema, set())
    assert all(set(node) - validate._ANNOTATIONS for node in left), left
