"""Without `../shared` (a checkout of the repository alone), the suite still collects and every
test that reads the shared material skips instead of failing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .generation import REPO

pytestmark = pytest.mark.slow

READERS = [
    "tests/test_corpus.py",
    "tests/e2e/test_tutorial_conformance.py",
    "tests/e2e/test_harness.py::test_prism_serves_shipyard_examples_at_the_root_and_enforces_security",
    "tests/e2e/test_harness.py::test_prism_anonymous_access_accepts_requests_without_credentials",
    "tests/unit/test_formats_module.py",
]


def pytest_without_shared(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NAFTIKO_GEN_SHARED": str(tmp_path / "absent")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_whole_suite_collects_without_the_shared_folder(tmp_path: Path) -> None:
    done = pytest_without_shared(tmp_path, "--collect-only")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert "collected" in summary and "error" not in summary, summary


def test_tests_reading_the_shared_folder_skip_without_it(tmp_path: Path) -> None:
    done = pytest_without_shared(tmp_path, *READERS)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    skipped = "\n".join(line for line in done.stdout.splitlines() if line.startswith("SKIPPED"))
    for reader in ("corpus", "naftiko/tutorial/", "naftiko/mocks/", "naftiko/fixtures/schemas"):
        assert f"absent/{reader}" in skipped, done.stdout
    assert "passed" in done.stdout  # the format tests that need no engine sample still run
