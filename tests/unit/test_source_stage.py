"""The source stage reads every imported file before lowering; lowering reads only the bundle."""

from __future__ import annotations

import ast
import builtins
import io
import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import naftiko_gen.lower
import pytest
from naftiko_gen.diagnostics import Diagnostics
from naftiko_gen.load import Document, load_document
from naftiko_gen.lower import lower_capability
from naftiko_gen.lower.context import Context
from naftiko_gen.lower.limits import COMMON_ATTRS
from naftiko_gen.source import SourceBundle, read_sources
from naftiko_gen.validate import validate_schema

# standalone section files, one per section
SHARED = {
    "secrets.yml": """\
        ikanos: "1.0.0-beta5"
        binds: [{namespace: registry-secrets, keys: {REGISTRY_TOKEN: FLEET_REGISTRY_TOKEN}}]
        """,
    "flows.yml": """\
        ikanos: "1.0.0-beta5"
        aggregates:
          - namespace: fleet-domain
            flows: {list-ships: {description: Lists the ships, call: registry.list-ships}}
        """,
    "servers.yml": """\
        ikanos: "1.0.0-beta5"
        exposes:
          - type: mcp
            namespace: shared-tools
            port: 3001
            tools: {all-ships: {ref: fleet.list-ships}}
        """,
}
# a consumes file of the Ikanos tutorial (namespace `registry`, operation `list-ships`)
REGISTRY = (
    Path(__file__).parents[1] / "golden/ikanos-beta5/specs/shared/step7-registry-consumes.yml"
)
NAMES = ["secrets.yml", "registry.yml", "flows.yml", "servers.yml"]
ROOT = """\
    ikanos: "1.0.0-beta5"
    info:
      display: Fleet
      description: fleet
    binds:
      - from: ../shared/secrets.yml
        import: registry-secrets
    capability:
      consumes:
        - from: ../shared/registry.yml
          import: registry
      aggregates:
        - from: ../shared/flows.yml
          import: fleet-domain
          as: fleet
      exposes:
        - from: ../shared/servers.yml
          import: shared-tools
          as: fleet-tools
    """


def _root(tmp_path: Path, text: str, diagnostics: Diagnostics) -> Document:
    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "fleet.yaml"
    spec.write_text(textwrap.dedent(text), encoding="utf-8")
    document = load_document(spec, "specs/fleet.yaml", diagnostics)
    assert document is not None
    return document


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[SourceBundle, Diagnostics]:
    (tmp_path / "shared").mkdir()
    for name, text in SHARED.items():
        (tmp_path / "shared" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    shutil.copy(REGISTRY, tmp_path / "shared" / "registry.yml")
    diagnostics = Diagnostics()
    root = _root(tmp_path, ROOT, diagnostics)
    return read_sources(root, diagnostics, strict=False), diagnostics


def test_every_section_import_is_read_with_its_own_shown_path(
    bundle: tuple[SourceBundle, Diagnostics], tmp_path: Path
) -> None:
    sources, diagnostics = bundle

    # an imported file is validated against its schema, at its own locations (flows.yml has no
    # `display`)
    assert [d.format() for d in diagnostics.sorted()] == [
        "shared/flows.yml:3:5: warning[NG010]: 'display' is a required property "
        "(schema 1.0.0-beta5)"
    ]
    assert {k: v.beside for k, v in sources.found.items()} == {
        f"../shared/{name}": True for name in NAMES
    }
    shown = {path.name: document.display for path, document in sources.documents.items()}
    assert shown == {name: f"shared/{name}" for name in NAMES}
    assert {path.resolve() for path in sources.inputs} == {
        (tmp_path / "shared" / name).resolve() for name in NAMES
    }
    assert all(sources.inputs.values())


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"lowering did I/O: {args!r}")


def test_lowering_reads_only_the_bundle(
    bundle: tuple[SourceBundle, Diagnostics], monkeypatch: pytest.MonkeyPatch
) -> None:
    sources, diagnostics = bundle
    version = validate_schema(sources.root, diagnostics, strict=False)
    ctx = Context(sources.root, diagnostics, sources, False, set(COMMON_ATTRS))
    for module, name in [(builtins, "open"), (io, "open"), (os, "open")]:
        monkeypatch.setattr(module, name, _refuse)
    for name in ("stat", "lstat", "scandir", "listdir", "access"):
        monkeypatch.setattr(os, name, _refuse)
    for name in ("read_text", "read_bytes", "exists", "is_file", "resolve", "stat"):
        monkeypatch.setattr(Path, name, _refuse)

    capability = lower_capability(ctx, version)
    monkeypatch.undo()

    assert capability is not None, diagnostics.sorted()
    assert [upstream.namespace for upstream in capability.upstreams] == ["registry"]
    assert [tool.name for adapter in capability.mcp for tool in adapter.tools] == ["all-ships"]


FILE_MODULES = {"os", "io", "shutil", "glob", "tempfile", "subprocess"}
FILE_NAMES = {"open", "Path", "load_document", "read_sources"}
FILE_METHODS = {"read_text", "read_bytes", "open", "exists", "is_file", "is_dir", "stat", "iterdir"}


def _file_operations(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] in FILE_MODULES)
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in FILE_MODULES:
                yield f"from {node.module}"
            yield from (a.name for a in node.names if a.name in FILE_NAMES)
        elif isinstance(node, ast.Name) and node.id in FILE_NAMES:
            yield node.id
        elif isinstance(node, ast.Attribute) and node.attr in FILE_METHODS:
            yield f".{node.attr}"


def test_lowering_modules_name_no_file_operation() -> None:
    """The static side of the test above, for the branches one document does not reach."""
    folder = Path(naftiko_gen.lower.__file__).parent
    found = {
        path.name: sorted(set(_file_operations(ast.parse(path.read_text(encoding="utf-8")))))
        for path in sorted(folder.glob("*.py"))
    }
    assert {name: names for name, names in found.items() if names} == {}
    assert len(found) > 10  # every lowering module was read


def test_a_file_found_in_a_parent_folder_records_the_nearer_place(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "servers.yml").write_text(textwrap.dedent(SHARED["servers.yml"]))
    diagnostics = Diagnostics()
    root = _root(
        tmp_path,
        'ikanos: "1.0.0-beta5"\ncapability:\n  exposes:\n'
        "    - {from: shared/servers.yml, import: shared-tools}\n"
        "    - {from: shared/missing.yml, import: other}\n",
        diagnostics,
    )

    sources = read_sources(root, diagnostics, strict=False)

    assert [(k, v.beside) for k, v in sources.found.items()] == [("shared/servers.yml", False)]
    beside = (tmp_path / "specs" / "shared" / "servers.yml").resolve()
    assert sources.inputs == {beside: False, tmp_path.resolve() / "shared" / "servers.yml": True}
