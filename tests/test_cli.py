"""The command line contract: exit codes, --check and --dry-run, partial failures, safety."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from naftiko_gen.cli import main

from .generation import REPO

SEED = REPO / "specs" / "sentry-integration-platform-external-issues.yaml"
PACKAGE = "sentry-integration-platform-external-issues"
BROKEN = REPO / "tests" / "errors" / "unknown-call.yaml"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An output folder holding the seed's package, freshly generated."""
    target = tmp_path / "generated"
    assert run(SEED, "-o", target).exit_code == 0
    return target


def test_generate_writes_one_package_per_document(out: Path) -> None:
    package = out / PACKAGE
    manifest = json.loads((package / ".naftiko-gen" / "manifest.json").read_text())
    assert (package / "pyproject.toml").is_file()
    assert set(manifest["files"]) == {
        p.relative_to(package).as_posix()
        for p in package.rglob("*")
        if p.is_file() and ".naftiko-gen" not in p.parts
    }


def test_check_passes_on_an_up_to_date_tree(out: Path) -> None:
    result = run(SEED, "-o", out, "--check")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_check_reports_a_changed_file_with_a_diff(out: Path) -> None:
    target = out / PACKAGE / "README.md"
    target.write_text(target.read_text() + "hand edit\n")
    result = run(SEED, "-o", out, "--check")
    assert result.exit_code == 1
    assert f"--- a/{PACKAGE}/README.md" in result.stdout
    assert "-hand edit" in result.stdout
    assert "run: naftiko-gen" in result.stderr
    assert target.read_text().endswith("hand edit\n"), "--check must not write"


def test_check_reports_a_missing_file(out: Path) -> None:
    (out / PACKAGE / "Dockerfile").unlink()
    result = run(SEED, "-o", out, "--check")
    assert result.exit_code == 1
    assert f"+++ b/{PACKAGE}/Dockerfile" in result.stdout
    assert not (out / PACKAGE / "Dockerfile").exists()


def test_check_reports_a_stale_file_listed_in_the_manifest(out: Path) -> None:
    package = out / PACKAGE
    stale = package / "src" / "old_module.py"
    stale.write_text("x = 1\n")
    manifest_path = package / ".naftiko-gen" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["src/old_module.py"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    result = run(SEED, "-o", out, "--check")
    assert result.exit_code == 1
    assert f"--- a/{PACKAGE}/src/old_module.py" in result.stdout
    assert stale.exists()
    assert run(SEED, "-o", out).exit_code == 0
    assert not stale.exists(), "generation removes stale files listed in the manifest"


def test_files_not_in_the_manifest_are_never_touched(out: Path) -> None:
    mine = out / PACKAGE / "notes.txt"
    mine.write_text("mine")
    (out / "other-folder").mkdir()
    assert run(SEED, "-o", out).exit_code == 0
    assert run(SEED, "-o", out, "--check").exit_code == 0
    assert mine.read_text() == "mine"
    assert (out / "other-folder").is_dir()


def test_a_manifest_cannot_make_the_generator_delete_outside_the_package(
    out: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    manifest_path = out / PACKAGE / ".naftiko-gen" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["../../victim.txt"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    assert run(SEED, "-o", out).exit_code == 0
    assert victim.read_text() == "keep"


def test_dry_run_lists_changes_and_writes_nothing(tmp_path: Path) -> None:
    result = run(SEED, "-o", tmp_path / "out", "--dry-run")
    assert result.exit_code == 0
    assert f"added    {tmp_path / 'out'}/{PACKAGE}/README.md".replace("\\", "/") in result.stdout
    assert not (tmp_path / "out").exists()


def test_a_broken_document_fails_alone(tmp_path: Path) -> None:
    result = run(BROKEN, SEED, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "error[NG101]" in result.stderr
    assert (tmp_path / "out" / PACKAGE / "pyproject.toml").is_file()
    assert not (tmp_path / "out" / "unknown-call").exists()


def test_a_broken_document_leaves_its_existing_output_untouched(tmp_path: Path) -> None:
    spec = tmp_path / "cap.yaml"
    shutil.copy(SEED, spec)
    out = tmp_path / "out"
    assert run(spec, "-o", out).exit_code == 0
    before = {p: p.read_bytes() for p in (out / "cap").rglob("*") if p.is_file()}
    spec.write_text(SEED.read_text().replace("listissueexternallinks\n", "nope\n", 1))
    assert run(spec, "-o", out).exit_code == 2
    assert {p: p.read_bytes() for p in (out / "cap").rglob("*") if p.is_file()} == before


def test_strict_turns_schema_deviations_into_errors(tmp_path: Path) -> None:
    result = run(SEED, "-o", tmp_path / "out", "--strict")
    assert result.exit_code == 2
    assert "error[NG010]" in result.stderr
    assert not (tmp_path / "out").exists()


def test_github_format_annotates_pull_requests(tmp_path: Path) -> None:
    result = run(BROKEN, "-o", tmp_path / "out", "--diagnostics-format", "github")
    assert "::error file=" in result.stderr
    assert ",title=NG101::" in result.stderr


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    assert run(SEED).exit_code == 2
    assert run(SEED, "-o", tmp_path, "--check", "--dry-run").exit_code == 2


def test_a_missing_spec_file_exits_2(tmp_path: Path) -> None:
    result = run(tmp_path / "absent.yaml", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "error[NG001]" in result.stderr
