"""Golden trees: each case folder holds input specs, the complete expected output and stderr.

The test runs the users' CI command (`naftiko-gen specs/* -o expected --check`) inside the case,
so the golden check is the product's own check mode. Regenerate every case with:

    python -m pytest tests/test_golden.py --update-golden
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from naftiko_gen.cli import main

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p for p in GOLDEN.iterdir() if (p / "specs").is_dir())
UPDATE = "python -m pytest tests/test_golden.py --update-golden"


def run_in(case: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> tuple[int, str, str]:
    """Run the CLI on the case's specs from inside the case folder."""
    monkeypatch.chdir(case)
    specs = sorted(f"specs/{p.name}" for p in (case / "specs").glob("*.y*ml"))
    result = CliRunner().invoke(main, [*specs, "-o", "expected", "-q", *extra])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_tree_is_up_to_date(
    case: Path, monkeypatch: pytest.MonkeyPatch, update_golden: bool
) -> None:
    expected_stderr = case / "expected.stderr"
    if update_golden:
        code, _, stderr = run_in(case, monkeypatch)
        assert code == 0, stderr
        expected_stderr.write_text(stderr, encoding="utf-8")
        return
    code, diff, stderr = run_in(case, monkeypatch, "--check")
    assert code == 0, f"{diff}\n{stderr}\nThe golden tree is out of date. Run: {UPDATE}"
    assert stderr == expected_stderr.read_text(encoding="utf-8"), f"Run: {UPDATE}"
