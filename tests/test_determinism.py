"""Byte-stable output: no timestamps, no absolute paths, independent of cwd and argument order."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from naftiko_gen.cli import main

from .generation import REPO

SPECS = sorted((REPO / "specs").glob("*.yaml"))


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_output_is_identical_across_cwd_and_argument_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    second.mkdir()
    monkeypatch.chdir(REPO)
    relative = [str(p.relative_to(REPO)) for p in SPECS]
    assert CliRunner().invoke(main, [*relative, "-o", str(first)]).exit_code == 0
    monkeypatch.chdir(second)
    absolute = [str(p) for p in reversed(SPECS)]
    assert CliRunner().invoke(main, [*absolute, "-o", "out"]).exit_code == 0
    assert tree(first) == tree(second / "out")


def test_output_holds_no_absolute_path_carriage_return_or_timestamp(tmp_path: Path) -> None:
    today = time.strftime("%Y-%m-%d")
    assert CliRunner().invoke(main, [*map(str, SPECS), "-o", str(tmp_path)]).exit_code == 0
    for name, data in tree(tmp_path).items():
        text = data.decode("utf-8")
        assert str(REPO) not in text and str(tmp_path) not in text, name
        assert "\r" not in text, name
        assert today not in text, name
