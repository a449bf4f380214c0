"""`[tool.naftiko-gen]` in pyproject.toml, package names for specs sharing a file name, totals."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from naftiko_gen.cli import main

from .generation import REPO

SEED = REPO / "specs" / "sentry-integration-platform-external-issues.yaml"
SMS = REPO / "specs" / "sinch-sms.yaml"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A project with specs in nested folders; the working folder is its root."""
    (tmp_path / "specs" / "team-a").mkdir(parents=True)
    shutil.copy(SEED, tmp_path / "specs" / "seed.yaml")
    shutil.copy(SEED, tmp_path / "specs" / "team-a" / "seed.yaml")
    before = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(before)


def configure(project: Path, body: str) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.naftiko-gen]\n' + textwrap.dedent(body)
    )


def package_names(out: Path) -> set[str]:
    return {p.name for p in out.iterdir()}


def test_bare_command_generates_from_the_pyproject_section(project: Path) -> None:
    configure(project, 'specs = ["specs/**/*.yaml"]\noutput = "generated"\njobs = 1\n')
    assert run().exit_code == 0
    assert package_names(project / "generated") == {"seed", "team-a-seed"}
    assert run("--check").exit_code == 0
    readme = project / "generated" / "seed" / "README.md"
    readme.write_text(readme.read_text() + "edited\n")
    result = run("--check")
    assert result.exit_code == 1
    assert "-edited" in result.stdout
    assert "run: naftiko-gen\n" in result.stderr


def test_the_section_is_found_from_a_subfolder(project: Path) -> None:
    configure(project, 'specs = "specs/seed.yaml"\noutput = "out"\n')
    os.chdir(project / "specs" / "team-a")
    assert run("-q").exit_code == 0
    assert package_names(project / "out") == {"seed"}


def test_command_line_options_win_over_the_file(project: Path) -> None:
    configure(project, 'specs = ["specs/**/*.yaml"]\noutput = "generated"\nstrict = false\n')
    result = run(SMS, "-o", "elsewhere", "--strict")
    assert result.exit_code == 2, "--strict turns the schema warnings of sinch-sms into errors"
    assert not (project / "generated").exists()
    assert run(SMS, "-o", "elsewhere").exit_code == 0
    assert package_names(project / "elsewhere") == {"sinch-sms"}


def test_strict_from_the_file_applies(project: Path) -> None:
    shutil.copy(SMS, project / "specs" / "sms.yaml")
    configure(project, 'specs = "specs/sms.yaml"\noutput = "out"\nstrict = true\n')
    result = run()
    assert result.exit_code == 2
    assert "error: no output" in result.stderr


def test_an_explicit_config_file_is_read_and_named_in_the_rerun_hint(project: Path) -> None:
    (project / "ci.toml").write_text(
        '[tool.naftiko-gen]\nspecs = "specs/seed.yaml"\noutput = "ci-out"\n'
    )
    assert run("--config", "ci.toml").exit_code == 0
    (project / "specs" / "seed.yaml").write_text(SEED.read_text().replace("Sentry", "Century"))
    result = run("--config", "ci.toml", "--check")
    assert result.exit_code == 1
    assert "run: naftiko-gen --config ci.toml" in result.stderr


def test_bad_keys_and_values_are_located_diagnostics(project: Path) -> None:
    configure(
        project,
        """\
        specs = "specs/*.yaml"
        output = 3
        strikt = true
        jobs = 0
        diagnostics-format = "json"
        """,
    )
    result = run()
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "pyproject.toml:6:1: error[NG020]: 'output' must be a string, not an integer",
        "pyproject.toml:7:1: error[NG020]: unknown key 'strikt' in [tool.naftiko-gen]",
        "  hint: did you mean 'strict'?",
        "pyproject.toml:8:1: error[NG020]: 'jobs' must be at least 1",
        "pyproject.toml:9:1: error[NG020]: 'diagnostics-format' must be one of ('text', 'github')",
    ]


def test_invalid_toml_is_located(project: Path) -> None:
    configure(project, 'specs = ["specs/*.yaml"\noutput = "x"\n')
    result = run()
    assert result.exit_code == 2
    assert result.stderr.startswith("pyproject.toml:6:1: error[NG020]: invalid TOML")


def test_a_glob_matching_nothing_is_an_error(project: Path) -> None:
    configure(project, 'specs = "apis/*.yaml"\noutput = "out"\n')
    result = run()
    assert result.exit_code == 2
    assert "pyproject.toml:5:1: error[NG020]: 'apis/*.yaml' matches no file" in result.stderr


def test_without_specs_or_configuration_it_is_a_usage_error(tmp_path: Path) -> None:
    before = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = run()
    finally:
        os.chdir(before)
    assert result.exit_code == 2
    assert "no SPECS given" in result.stderr


def test_specs_sharing_a_file_name_get_folder_qualified_names_in_any_order(
    project: Path,
) -> None:
    (project / "specs" / "team-b").mkdir()
    shutil.copy(SEED, project / "specs" / "team-b" / "seed.yaml")
    a, b = "specs/team-a/seed.yaml", "specs/team-b/seed.yaml"
    assert run(b, a, "-o", "one", "-q", "-j", "1").exit_code == 0
    assert run(a, b, "-o", "two", "-q", "-j", "1").exit_code == 0
    assert (
        package_names(project / "one")
        == package_names(project / "two")
        == {
            "team-a-seed",
            "team-b-seed",
        }
    )
    manifest = json.loads(
        (project / "one" / "team-b-seed" / ".naftiko-gen" / "manifest.json").read_text()
    )
    assert "src/team_b_seed/__init__.py" in manifest["files"]


def configure_override(project: Path, spec: str, package: str) -> None:
    configure(
        project,
        f"""\
        specs = ["specs/**/*.yaml"]
        output = "generated"
        [tool.naftiko-gen.packages]
        "{spec}" = "{package}"
        """,
    )


def test_a_package_name_override_is_used(project: Path) -> None:
    configure_override(project, "specs/team-a/seed.yaml", "team-a-issues")
    assert run("-q").exit_code == 0
    assert package_names(project / "generated") == {"seed", "team-a-issues"}


def test_two_specs_left_with_one_name_both_fail(project: Path) -> None:
    configure_override(project, "specs/team-a/seed.yaml", "seed")
    result = run("-q")
    assert result.exit_code == 2
    assert result.stderr.count("error[NG021]: package 'seed' is also the package of") == 2
    assert not (project / "generated").exists()


def test_a_multi_spec_run_ends_with_a_totals_line(project: Path) -> None:
    shutil.copy(REPO / "tests" / "errors" / "unknown-call.yaml", project / "specs" / "bad.yaml")
    specs = ["specs/seed.yaml", "specs/team-a/seed.yaml", "specs/bad.yaml"]
    result = run(*specs, "-o", "out")
    assert result.exit_code == 2
    totals = result.stderr.splitlines()[-1]
    assert totals.startswith("3 documents: 2 generated, 0 unchanged, 0 skipped, 1 failed; ")
    written = sum(1 for path in (project / "out").rglob("*") if path.is_file())
    assert totals.endswith(f"1 error; {written} files written, 0 removed")
    result = run(*specs[:2], "-o", "out", "--check")
    assert result.stderr.splitlines()[-1] == (
        "2 documents: 0 out of date, 2 unchanged, 0 skipped, 0 failed; "
        "8 warnings, 0 errors; 0 files would be written, 0 would be removed"
    )
    assert "documents:" not in run(*specs[:2], "-o", "out", "-q").stderr
    assert "documents:" not in run(specs[0], "-o", "out").stderr
