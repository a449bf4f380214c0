"""Generated code is clean under the host repository's tools: each generated pyproject.toml
declares the ruff and black settings the code was laid out with, so `ruff check`, `ruff format
--check` and `black --check` pass run from the host's root, whatever the host configures."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruff import find_ruff_bin

from .generation import REPO
from .golden_record import materialized

pytestmark = pytest.mark.slow

# Packages with long descriptions and hostile strings (quotes, backslashes, unicode).
GOLDEN_PACKAGES = sorted(path.parent for path in materialized().glob("*/expected/*/pyproject.toml"))
HOSTILE_HOST = """\
[tool.ruff]
line-length = 60
target-version = "py38"

[tool.ruff.lint]
select = ["ALL"]

[tool.black]
line-length = 60
target-version = ["py38"]
skip-string-normalization = true
"""


def run(cwd: Path, *command: str) -> str:
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)} in {cwd}:\n{done.stdout}{done.stderr}"
    return done.stdout


def ruff(cwd: Path, *args: str) -> str:
    return run(cwd, find_ruff_bin(), *args)


def black(cwd: Path, *args: str) -> str:
    return run(cwd, sys.executable, "-m", "black", "--check", *args)


def test_generated_code_is_clean_under_this_repository_tools() -> None:
    ruff(REPO, "check", "--no-cache", "generated/")
    ruff(REPO, "format", "--check", "--no-cache", "generated/")
    black(REPO, "generated/")


def test_generated_code_is_clean_under_a_hostile_host_config(tmp_path: Path) -> None:
    host = tmp_path / "host"
    (host / ".git").mkdir(parents=True)  # the host's root, as black and ruff find it
    (host / "pyproject.toml").write_text(HOSTILE_HOST, encoding="utf-8")
    packages = [p for p in sorted((REPO / "generated").iterdir()) if p.is_dir()]
    for package in [*packages, *GOLDEN_PACKAGES]:
        shutil.copytree(package, host / "generated" / package.name, dirs_exist_ok=True)
    assert len(list((host / "generated").iterdir())) >= len(packages) + 5

    # Ruff reads the pyproject.toml closest to each file: the package's own.
    ruff(host, "check", "--no-cache", "generated/")
    ruff(host, "format", "--check", "--no-cache", "generated/")
    # Black reads one configuration per run, the one at the root of the paths it is given:
    # given a package folder, that is the package's own.
    for package in sorted((host / "generated").iterdir()):
        black(host, f"generated/{package.name}")


def test_the_hostile_host_config_would_reject_code_without_its_own_settings(
    tmp_path: Path,
) -> None:
    """The test above proves something: the same code under the host's settings fails."""
    host = tmp_path / "host"
    (host / ".git").mkdir(parents=True)
    (host / "pyproject.toml").write_text(HOSTILE_HOST, encoding="utf-8")
    package = host / "generated" / "zoom-user"
    shutil.copytree(REPO / "generated" / "zoom-user", package)
    (package / "pyproject.toml").unlink()
    for command in (["check", "generated/"], ["format", "--check", "generated/"]):
        done = subprocess.run(
            [find_ruff_bin(), *command, "--no-cache"],
            cwd=host,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 1, done.stdout + done.stderr
