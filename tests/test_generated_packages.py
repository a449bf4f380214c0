"""The generated packages are products too: lint-, format- and type-clean, and their tests pass.

Covers the committed `generated/` tree and every golden tree, with the pinned tools.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .generation import REPO
from .golden_record import materialized

GOLDEN = materialized()  # the golden records, rebuilt as complete trees
PACKAGES = sorted(
    p.parent.parent
    for p in [
        *(REPO / "generated").glob("*/.naftiko-gen/manifest.json"),
        *GOLDEN.glob("*/expected/*/.naftiko-gen/manifest.json"),
    ]
)
IDS = [
    p.relative_to(REPO).as_posix()
    if p.is_relative_to(REPO)
    else f"tests/golden/{p.relative_to(GOLDEN).as_posix()}"
    for p in PACKAGES
]
BIN = Path(sys.executable).parent


def run(package: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package / "src")}
    return subprocess.run(
        command, cwd=package, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("package", PACKAGES, ids=IDS)
def test_generated_package_is_lint_format_and_type_clean(package: Path) -> None:
    for command in (
        (str(BIN / "ruff"), "check", "--isolated", "--no-cache", "."),
        (str(BIN / "ruff"), "format", "--isolated", "--no-cache", "--check", "."),
        (str(BIN / "black"), "--check", "--quiet", "."),
        (
            str(BIN / "mypy"),
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "src",
            "tests",
        ),
    ):
        done = run(package, *command)
        assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize("package", PACKAGES, ids=IDS)
def test_generated_package_tests_pass(package: Path) -> None:
    done = run(package, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert done.returncode == 0, done.stdout + done.stderr
