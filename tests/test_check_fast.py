"""`--check` of an unchanged package renders nothing, and still finds every change that matters.

The manifest records what decides a package (spec, imported files, package name, generator
fingerprint); when all of it and every file on disk match, the document is not planned again.
Each test counts the renders (`pipeline.plan`) and checks the outcome a full run would give.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from naftiko_gen import pipeline, provenance, render
from naftiko_gen.cli import main

from .generation import REPO

SEED = REPO / "specs" / "sentry-integration-platform-external-issues.yaml"
PACKAGE = "sentry-integration-platform-external-issues"
IKANOS = REPO / "tests" / "golden" / "ikanos-beta5" / "specs"
IMPORTING = "step-10-shipyard-rest-adapter"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["-j", "1", *map(str, args)])


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The capabilities rendered from here on (one entry per `plan` call)."""
    calls: list[str] = []
    real = render.plan

    def counting(capability: Any, spec_name: str) -> dict[str, bytes]:
        calls.append(spec_name)
        return real(capability, spec_name)

    monkeypatch.setattr(pipeline, "plan", counting)
    return calls


@pytest.fixture
def out(tmp_path: Path) -> Path:
    target = tmp_path / "generated"
    assert run(SEED, "-o", target).exit_code == 0
    return target


def test_unchanged_package_is_not_rendered_and_its_warnings_are_replayed(
    tmp_path: Path, renders: list[str]
) -> None:
    out = tmp_path / "generated"
    generated = run(SEED, "-o", out, "-q")
    assert generated.exit_code == 0 and renders == [SEED.name]
    warnings = [line for line in generated.stderr.splitlines() if "warning[" in line]
    assert warnings, "the seed has schema warnings: the replay must show them"
    for check in ("--check", "--dry-run"):
        result = run(SEED, "-o", out, "-q", check)
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert [line for line in result.stderr.splitlines() if "warning[" in line] == warnings
    assert renders == [SEED.name], "an up-to-date package must not be rendered again"


def test_a_changed_spec_is_rendered_and_reported(tmp_path: Path, renders: list[str]) -> None:
    spec = tmp_path / "specs" / SEED.name
    spec.parent.mkdir()
    shutil.copy(SEED, spec)
    out = tmp_path / "generated"
    assert run(spec, "-o", out).exit_code == 0
    text = spec.read_text()
    spec.write_text(text.replace("https://sentry.io/api/0", "https://eu.sentry.io/api/0", 1))
    result = run(spec, "-o", out, "--check")
    assert result.exit_code == 1, result.output
    assert "+" in result.stdout and "https://eu.sentry.io/api/0" in result.stdout
    assert len(renders) == 2


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda p: p.write_text(p.read_text() + "hand edit\n"), id="edited"),
        pytest.param(lambda p: p.unlink(), id="deleted"),
        pytest.param(lambda p: (p.unlink(), p.symlink_to(p.parent / "pyproject.toml")), id="link"),
    ],
)
def test_a_changed_generated_file_is_found(out: Path, renders: list[str], edit: Any) -> None:
    edit(out / PACKAGE / "README.md")
    result = run(SEED, "-o", out, "--check")
    assert result.exit_code == 1
    assert f"{PACKAGE}/README.md" in result.stdout
    assert renders == [SEED.name]


def test_a_changed_manifest_is_found(out: Path, renders: list[str]) -> None:
    manifest = out / PACKAGE / ".naftiko-gen" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["warnings"] = []
    manifest.write_text(json.dumps(data, indent=2) + "\n")
    result = run(SEED, "-o", out, "--check")
    assert result.exit_code == 1
    assert f"{PACKAGE}/.naftiko-gen/manifest.json" in result.stdout
    assert renders == [SEED.name]


@pytest.fixture
def ikanos(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A copy of the Ikanos specs (one imports two shared files) and its generated package."""
    specs = tmp_path / "specs"
    shutil.copytree(IKANOS, specs)
    out = tmp_path / "generated"
    spec = specs / f"{IMPORTING}.yml"
    assert run(spec, "-o", out).exit_code == 0
    yield spec, out


def test_the_manifest_records_every_imported_file(ikanos: tuple[Path, Path]) -> None:
    spec, out = ikanos
    manifest = json.loads((out / IMPORTING / ".naftiko-gen" / "manifest.json").read_text())
    shared = spec.parent / "shared"
    assert manifest["inputs"] == {
        f"shared/{name}": hashlib.sha256((shared / name).read_bytes()).hexdigest()
        for name in ("legacy-consumes.yaml", "step7-registry-consumes.yml")
    }


def test_a_changed_import_is_rendered_and_reported(
    ikanos: tuple[Path, Path], renders: list[str]
) -> None:
    spec, out = ikanos
    assert run(spec, "-o", out, "--check").exit_code == 0 and renders == []
    imported = spec.parent / "shared" / "legacy-consumes.yaml"
    imported.write_text(imported.read_text().replace("legacy-dockyard-api", "dockyard-api-v2"))
    result = run(spec, "-o", out, "--check")
    assert result.exit_code == 1, result.output
    assert "dockyard-api-v2" in result.stdout
    assert renders == [spec.name]


def test_an_import_appearing_nearer_is_found(ikanos: tuple[Path, Path], renders: list[str]) -> None:
    """An import found in a parent folder is recorded with the nearer place it was looked for."""
    spec, out = ikanos
    nested = spec.parent / "nested"
    nested.mkdir()
    moved = nested / spec.name
    spec.rename(moved)
    assert run(moved, "-o", out, "--force").exit_code == 0
    manifest = json.loads((out / IMPORTING / ".naftiko-gen" / "manifest.json").read_text())
    assert manifest["inputs"]["shared/legacy-consumes.yaml"] is None
    assert run(moved, "-o", out, "--check").exit_code == 0 and len(renders) == 1
    (nested / "shared").mkdir()
    shutil.copy(spec.parent / "shared" / "legacy-consumes.yaml", nested / "shared")
    result = run(moved, "-o", out, "--check")
    assert result.exit_code == 1  # the package now comes from the nearer copy (no warning)
    assert len(renders) == 2


def test_a_changed_template_is_rendered_and_reported(
    out: Path, tmp_path: Path, renders: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(render.templates_dir(), templates)
    readme = templates / "package" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nA line added to the template.\n")
    monkeypatch.setattr(render, "templates_dir", lambda: templates)
    monkeypatch.setattr(provenance, "templates_dir", lambda: templates)
    for cached in (render.environment, provenance.fingerprint):
        cached.cache_clear()
    try:
        result = run(SEED, "-o", out, "--check")
    finally:
        render.environment.cache_clear()
        provenance.fingerprint.cache_clear()
    assert result.exit_code == 1, result.output
    assert "+A line added to the template." in result.stdout
    assert renders == [SEED.name]


def test_the_fingerprint_covers_the_libraries_that_shape_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = provenance.fingerprint()
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "0.0.1" if name == "ruff" else real(name))
    provenance.fingerprint.cache_clear()
    try:
        assert provenance.fingerprint() != before
    finally:
        monkeypatch.undo()
        provenance.fingerprint.cache_clear()
    assert provenance.fingerprint() == before


def test_strict_with_warnings_plans_again_and_fails(out: Path, renders: list[str]) -> None:
    result = run(SEED, "-o", out, "--check", "--strict")
    assert result.exit_code == 2
    assert "error: no output" in result.stderr
    assert len(renders) == 0, "the document fails before rendering, as in a full run"
