"""No construct of a schema-valid Ikanos beta5 document is ignored silently (issue 9).

Every property of every `$defs` entry of the beta5 schema is applied by the generator (lowering
reads it), or warned about where a document uses it (`unapplied.UNAPPLIED`), or documentation
only (`unapplied.DOCUMENTATION`), or part of a construct lowering refuses or skips as a whole with
its own diagnostic (`unapplied.REPORTED_BY_LOWERING`).
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from naftiko_gen import unapplied, validate
from naftiko_gen.pipeline import Options, plan_document

from tests.shared_material import SHARED, needs_shared

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = validate.IKANOS_SCHEMA_FILES[validate.IKANOS_LATEST]
SCHEMA = json.loads((REPO / "generator" / "naftiko_gen" / "schemas" / SCHEMA_FILE).read_text())
TUTORIAL = SHARED / "ikanos" / "tutorial"
# What lowering reads: the generator's sources minus the tables of what it does not apply.
LOWERING = "\n".join(
    path.read_text()
    for path in sorted((REPO / "generator" / "naftiko_gen").rglob("*.py"))
    if path.name != "unapplied.py"
)


def schema_properties() -> list[tuple[str, str]]:
    return [
        (name, key)
        for name, definition in SCHEMA["$defs"].items()
        for part in unapplied.definition_parts(definition)
        for key in part["properties"]
    ]


@needs_shared(SHARED / "ikanos" / "schema" / "ikanos-schema.json")
def test_the_schema_is_the_bundled_beta5_copy() -> None:
    shared = SHARED / "ikanos" / "schema" / "ikanos-schema.json"
    assert json.loads(shared.read_text()) == SCHEMA
    assert SCHEMA["properties"]["ikanos"]["const"] == "1.0.0-beta5"


def test_every_property_of_the_schema_is_applied_warned_documentation_or_refused() -> None:
    unclassified = [
        f"{name}.{key}"
        for name, key in schema_properties()
        if name not in unapplied.REPORTED_BY_LOWERING
        and key not in unapplied.UNAPPLIED.get(name, {})
        and key not in unapplied.DOCUMENTATION.get(name, ())
        and f'"{key}"' not in LOWERING
    ]

    assert len(schema_properties()) > 250
    assert unclassified == []


def test_the_tables_name_only_what_the_schema_has() -> None:
    known = set(schema_properties())
    listed = {(name, key) for name, keys in unapplied.UNAPPLIED.items() for key in keys}
    listed |= {(name, key) for name, keys in unapplied.DOCUMENTATION.items() for key in keys}

    assert listed - known == set()
    assert set(unapplied.REPORTED_BY_LOWERING) - set(SCHEMA["$defs"]) == set()


@pytest.mark.parametrize(
    ("name", "key"),
    [(name, key) for name, keys in unapplied.UNAPPLIED.items() for key in keys],
)
def test_each_unapplied_property_is_marked_in_the_checking_schema(name: str, key: str) -> None:
    checker = unapplied._validator()
    schema: Any = checker.schema
    definition = schema["$defs"][name]

    marked = [
        part["properties"][key][unapplied.MARKER]
        for part in unapplied.definition_parts(definition)
        if key in part["properties"]
    ]

    assert marked == [unapplied.UNAPPLIED[name][key]]


def generate(tmp_path: Path, text: str, *, strict: bool = False) -> list[str]:
    spec = tmp_path / "doc.yml"
    spec.write_text(textwrap.dedent(text).lstrip())
    result = plan_document(spec, "doc.yml", Options(strict=strict))
    return [d.format().splitlines()[0] for d in result.diagnostics]


DOCUMENT = """\
    ikanos: "1.0.0-beta5"
    info:
      display: Tunnelled
      description: a valid document with constructs the package does not apply
      created: "2026-01-02"
      stakeholders:
        - role: owner
          fullName: Ann
    capability:
      consumes:
        - type: http
          namespace: registry
          baseUri: "https://registry.example.com"
          tunnel:
            type: ziti
            identity: "file:///etc/ziti/identity.json"
            service: registry
          resources:
            ships:
              path: /ships
              display: Ships
              operations:
                list-ships:
                  method: GET
                  outputSchema: "table.results"
      exposes:
        - type: mcp
          namespace: tools
          port: 3001
          tools:
            list-ships:
              description: Every ship
              call: registry.list-ships
"""


def test_a_valid_document_gets_one_warning_per_unapplied_construct_and_none_else(
    tmp_path: Path,
) -> None:
    diagnostics = generate(tmp_path, DOCUMENT)

    assert [re.sub(r"^doc.yml:\d+:\d+: ", "", line) for line in diagnostics] == [
        "warning[NG201]: `tunnel` is not applied: " + unapplied.UNAPPLIED["ConsumesHttp"]["tunnel"],
        "warning[NG201]: `outputSchema` is not applied: "
        + unapplied.UNAPPLIED["ConsumedHttpOperation"]["outputSchema"],
    ]
    assert diagnostics[0].startswith("doc.yml:15:") and diagnostics[1].startswith("doc.yml:25:")


def test_the_unapplied_warnings_fail_strict(tmp_path: Path) -> None:
    clean: Any = DOCUMENT.replace('                  outputSchema: "table.results"\n', "")
    clean = re.sub(r"          tunnel:\n(            .*\n)+", "", clean)

    assert generate(tmp_path, clean, strict=True) == []
    assert len(generate(tmp_path, DOCUMENT, strict=True)) == 2


@pytest.mark.parametrize("step", sorted(TUTORIAL.glob("step-*.yml")), ids=lambda p: p.stem)
def test_the_tutorial_steps_have_no_diagnostic_but_the_pending_skill_adapter(step: Path) -> None:
    result = plan_document(step, step.name, Options(strict=True))

    others = [d.format() for d in result.diagnostics if "'skill' adapters" not in d.message]
    assert others == []
