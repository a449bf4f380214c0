"""The corpus harness on `../shared/corpus` and on the Ikanos engine's fixtures
(`../shared/ikanos/fixtures`): every document works or is a listed rejection.

Select it with `pytest -k corpus`; it runs the same command CI and developers run
(`python -m tests.corpus ../shared/corpus`, see tests/corpus/README.md) in a subprocess, so the
harness's worker pool and its imports of generated packages stay out of the pytest process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shared_material import SHARED

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
CORPUS = SHARED / "corpus"
# The Ikanos engine's own test fixtures, with their own list of rejections (issue 9).
IKANOS_FIXTURES = SHARED / "ikanos" / "fixtures"

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("corpus", "rejections"),
    [
        (CORPUS, HERE / "corpus" / "rejections.tsv"),
        (IKANOS_FIXTURES, HERE / "corpus" / "ikanos-fixtures-rejections.tsv"),
    ],
    ids=["corpus", "ikanos-fixtures"],
)
def test_corpus_passes(tmp_path: Path, corpus: Path, rejections: Path) -> None:
    if not corpus.is_dir():
        pytest.skip(f"no corpus at {corpus}")
    report_file = tmp_path / "corpus-report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.corpus",
            str(corpus),
            "--json",
            str(report_file),
            "--rejections",
            str(rejections),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    report = json.loads(report_file.read_text(encoding="utf-8")) if report_file.exists() else {}
    lines = done.stdout.splitlines()
    failed = [line for line in lines if ": FAILED: " in line]
    summary = "\n".join(lines[lines.index("totals:") :] if "totals:" in lines else lines[-40:])
    crash = "" if lines else done.stderr[-3000:]
    passed = done.returncode == 0 and bool(report.get("passed"))
    assert passed, (
        f"corpus harness failed (exit {done.returncode}); {len(failed)} documents FAILED\n"
        + "\n".join(failed[:30])
        + f"\n\n{summary}\n{crash}"
    )
