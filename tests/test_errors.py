"""Documents that cannot be generated: exact diagnostics, exit code 2, and no output.

Each `tests/errors/<case>.yaml` has its expected stderr in `<case>.stderr`.
Regenerate the expectations with: python -m pytest tests/test_errors.py --update-golden
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from naftiko_gen.cli import main

ERRORS = Path(__file__).parent / "errors"
CASES = sorted(ERRORS.glob("*.yaml"))


@pytest.mark.parametrize("spec", CASES, ids=[c.stem for c in CASES])
def test_invalid_document_is_rejected_with_exact_diagnostics(
    spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, update_golden: bool
) -> None:
    monkeypatch.chdir(ERRORS)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [spec.name, "-o", str(out), "-q"])
    assert result.exit_code == 2
    assert not out.exists(), "a document with errors must not write anything"
    expected = spec.with_suffix(".stderr")
    if update_golden:
        expected.write_text(result.stderr, encoding="utf-8")
    assert result.stderr == expected.read_text(encoding="utf-8")
