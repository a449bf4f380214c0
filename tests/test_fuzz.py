"""Mutated and hostile documents: never an internal error, every diagnostic one located line,
and the Python of every accepted mutant passes `ruff check` and `ruff format --check`.

`test_mutants` plans seeded mutations of real documents (see `tests/fuzz.py`); its size is
`NAFTIKO_GEN_FUZZ_COUNT` (default 150), its seed `NAFTIKO_GEN_FUZZ_SEED` (default 0), and it
stops early after `NAFTIKO_GEN_FUZZ_SECONDS` (default 60) on a slow machine. Before a release,
run at least 10,000 (about an hour on one core):

    NAFTIKO_GEN_FUZZ_COUNT=10000 NAFTIKO_GEN_FUZZ_SECONDS=inf \\
        python -m pytest tests/test_fuzz.py -k mutants

The other tests pin each class of fault a long run once found.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from naftiko_gen.diagnostics import Severity
from naftiko_gen.pipeline import DocumentResult, Options, plan_document

from . import fuzz

# One upstream operation, exposed by the adapters given (flow style keeps the cases short).
BASE = """\
naftiko: "1.0.0-alpha2"
info: {{label: Fuzz}}
capability:
  consumes:
    - {{type: http, namespace: api, baseUri: "https://api.example.com/v1", resources: [
        {{name: things, path: /things, operations: [{{name: list-things, method: GET{params}}}]}}]}}
  exposes:
{exposes}
"""
REST = """\
    - {{type: rest, port: {port}, namespace: {namespace}, resources: [{{path: /things, operations: [
        {{method: GET, name: list-things, call: api.list-things{params}}}]}}]}}
"""
MCP = """\
    - {{type: mcp, port: {port}, namespace: {namespace}, tools: [
        {{name: list-things-{port}, description: List things, call: api.list-things}}]}}
"""
PARAMS = ", inputParameters: [{name: q, in: nowhere}]"


def _plan(tmp_path: Path, text: str, name: str = "doc.yaml") -> DocumentResult:
    spec = tmp_path / name
    spec.write_text(text, encoding="utf-8")
    result = plan_document(spec, spec.name, Options())
    assert fuzz.check(result) == []
    return result


def _errors(result: DocumentResult) -> list[str]:
    return [d.format() for d in result.diagnostics if d.severity is Severity.ERROR]


def test_mutants(tmp_path: Path) -> None:
    count = int(os.environ.get("NAFTIKO_GEN_FUZZ_COUNT", "150"))
    seed = int(os.environ.get("NAFTIKO_GEN_FUZZ_SEED", "0"))
    seconds = float(os.environ.get("NAFTIKO_GEN_FUZZ_SECONDS", "60"))
    failures = fuzz.run(count, seed, tmp_path, seconds=seconds)
    report = "\n\n".join(f"{problem}\n--- document:\n{text[:2000]}" for text, problem in failures)
    assert not failures, report


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    bomb = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10)
    )
    started = time.monotonic()
    result = _plan(tmp_path, bomb)
    assert time.monotonic() - started < 5
    assert _errors(result) == [
        "doc.yaml:1:40: error[NG001]: invalid YAML: aliases expand to too large a document"
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("!!bool maybe", "'maybe' is not a valid bool"),
        ("!!int ''", "'' is not a valid int"),
        ("!!binary aGk=", "tag tag:yaml.org,2002:binary does not give a JSON value"),
        ("!!python/name:os.system x", "could not determine a constructor"),
        ('"\\ud800"', "found invalid Unicode character escape code"),
        ("[" * 150 + "]" * 150, "nested deeper than 100 levels"),
    ],
)
def test_values_that_are_not_json_are_located(tmp_path: Path, value: str, expected: str) -> None:
    result = _plan(tmp_path, f"naftiko: 1.0.0-alpha2\ncapability:\n  exposes: {value}\n")
    (error,) = _errors(result)
    assert error.startswith("doc.yaml:3:"), error
    assert expected in error


def test_a_newline_in_a_document_value_stays_in_one_line(tmp_path: Path) -> None:
    forged = '    - {type: rest, namespace: "x\\n::error::forged", port: "8081\\n"}\n'
    text = BASE.format(
        params="", exposes=REST.format(port=8080, namespace="api-rest", params="") + forged
    )
    result = _plan(tmp_path, text)
    assert _errors(result) == [
        "doc.yaml:10:59: error[NG109]: port '8081\\n' is not a whole number from 1 to 65535"
    ]


@pytest.mark.parametrize("where", ["consumed", "exposed"])
def test_an_unknown_parameter_location_is_a_warning(tmp_path: Path, where: str) -> None:
    text = BASE.format(
        params=PARAMS if where == "consumed" else "",
        exposes=REST.format(port=8080, namespace="r", params=PARAMS if where == "exposed" else ""),
    )
    result = _plan(tmp_path, text)
    assert result.files is not None
    assert [d.code for d in result.diagnostics if "'nowhere'" in d.message] == ["NG201"]


def _two_of_each(first: str, second: str) -> str:
    return "".join(
        kind.format(port=port, namespace=f'"{namespace}"', params="")
        for kind, port, namespace in (
            (REST, 8080, first),
            (REST, 8081, second),
            (MCP, 9090, first),
            (MCP, 9091, second),
        )
    )


@pytest.mark.parametrize(("first", "second"), [("a b", "1 c"), ("class", "def"), ("x", "x-2")])
def test_two_adapters_of_one_type_keep_distinct_factories(
    tmp_path: Path, first: str, second: str
) -> None:
    result = _plan(tmp_path, BASE.format(params="", exposes=_two_of_each(first, second)))
    assert result.files is not None
    package = result.name.replace("-", "_") if result.name else ""
    rest = result.files[f"src/{package}/rest.py"].decode()
    mcp = result.files[f"src/{package}/mcp_server.py"].decode()
    assert rest.count("\ndef create_app_") == 2
    assert mcp.count("\ndef create_server_") == 2
    assert 'name="list-things-9090"' in mcp and 'name="list-things-9091"' in mcp


@pytest.mark.parametrize(
    ("first", "second"), [("same", "same"), ("class", "Class"), ("x-y", "x_y")]
)
def test_two_adapters_of_one_type_cannot_share_their_settings(
    tmp_path: Path, first: str, second: str
) -> None:
    result = _plan(tmp_path, BASE.format(params="", exposes=_two_of_each(first, second)))
    assert result.files is None
    assert [e.split(": ")[1:3] for e in _errors(result)] == [
        ["error[NG112]", f"another {kind} adapter has namespace '{first}'"]
        for kind in ("rest", "mcp")
    ]


def test_adapters_of_two_types_sharing_their_settings_are_a_warning(tmp_path: Path) -> None:
    exposes = REST.format(port=8080, namespace="x-y", params="") + MCP.format(
        port=9090, namespace="x_y"
    )
    result = _plan(tmp_path, BASE.format(params="", exposes=exposes))
    assert result.files is not None
    (warning,) = [d for d in result.diagnostics if d.code == "NG205"]
    assert warning.message.startswith("another rest adapter has namespace 'x-y': both would read")
    assert warning.loc is not None and warning.loc.line == 10


def test_a_long_import_location_is_unresolved_not_an_internal_error(tmp_path: Path) -> None:
    text = (
        "naftiko: 1.0.0-alpha2\ncapability:\n  consumes:\n"
        f"    - location: ./{'x' * 5000}.yaml\n      import: api\n"
        "  exposes:\n" + MCP.format(port=9090, namespace="m")
    )
    result = _plan(tmp_path, text)
    assert [e.split(": ", 1)[1][:13] for e in _errors(result)] == ["error[NG108]:"]
