"""Golden trees: each case folder holds input specs, its expected output and stderr.

`sentry-seed` is the full record: its complete generated tree. Every other case is a variant
record (tests/golden_record.py): the files that differ from the full record, and a listing of
every file it generates. The test generates each case's specs, as the users' command does, into a
temporary folder and compares the result file by file with the expected tree rebuilt from the
record. Rewrite every record (the only way golden files are written) with:

    python -m pytest tests/test_golden.py --update-golden
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from naftiko_gen.cli import main

from .golden_record import (
    FULL_RECORD,
    GOLDEN,
    UPDATE,
    problems,
    read_tree,
    write_record,
)

CASES = sorted(p for p in GOLDEN.iterdir() if (p / "specs").is_dir())


def generate(case: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """Run the CLI on the case's specs from inside the case folder, writing into `out`."""
    monkeypatch.chdir(case)
    specs = sorted(f"specs/{p.name}" for p in (case / "specs").glob("*.y*ml"))
    result = CliRunner().invoke(main, [*specs, "-o", str(out), "-q"])
    return result.exit_code, result.stderr


@pytest.fixture(scope="module")
def full_record(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The full record's tree as the generator writes it now (the base of updated variants)."""
    out = tmp_path_factory.mktemp("full-record")
    with pytest.MonkeyPatch.context() as monkeypatch:
        code, stderr = generate(GOLDEN / FULL_RECORD, out, monkeypatch)
    assert code == 0, stderr
    return read_tree(out)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_tree_is_up_to_date(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    code, stderr = generate(case, tmp_path, monkeypatch)
    assert code == 0, stderr
    actual = read_tree(tmp_path)
    expected_stderr = case / "expected.stderr"
    if request.getfixturevalue("update_golden"):
        write_record(case, actual, request.getfixturevalue("full_record"))
        expected_stderr.write_text(stderr, encoding="utf-8")
        return
    found = problems(case, actual)
    if found:
        pytest.fail("\n".join([*found, f"The golden tree is out of date. Run: {UPDATE}"]), False)
    assert stderr == expected_stderr.read_text(encoding="utf-8"), f"Run: {UPDATE}"
