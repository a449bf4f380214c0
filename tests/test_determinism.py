"""Byte-stable output: no timestamps, no absolute paths, independent of cwd and argument order."""

from __future__ import annotations

import os
import subprocess
import sys
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


# jsonschema checks `additionalProperties` in set order, which follows PYTHONHASHSEED: the
# repeated deviation below ("... is not of type ...", once per `with` entry) must still be
# reported at the same place, with the others in the same order, under every seed.
WITH_OBJECTS = """\
naftiko: "1.0.0-alpha3"
info:
  label: Seeds
  description: schema deviations found in set order
capability:
  exposes:
    - type: mcp
      port: 9090
      namespace: fleet
      tools:
        - name: find-ship
          description: find a ship
          call: registry.find
          with:
            alpha: {a: 1}
            bravo: {b: 2}
            charlie: {c: 3}
            delta: {d: 4}
            echo: {e: 5}
            foxtrot: {f: 6}
"""


# Loads and validates one document, printing its diagnostics (cheaper than a whole generation).
VALIDATE = """
import sys
from pathlib import Path
from naftiko_gen.diagnostics import Diagnostics
from naftiko_gen.load import load_document
from naftiko_gen.validate import validate_schema
diagnostics = Diagnostics()
document = load_document(Path(sys.argv[1]), "seeds.yaml", diagnostics)
assert document is not None
validate_schema(document, diagnostics, strict=False)
for diagnostic in diagnostics.sorted():
    print(diagnostic.loc, diagnostic.code, diagnostic.message)
"""


def test_diagnostics_are_identical_under_every_hash_seed(tmp_path: Path) -> None:
    spec = tmp_path / "seeds.yaml"
    spec.write_text(WITH_OBJECTS, encoding="utf-8")
    outputs = set()
    for seed in range(8):
        run = subprocess.run(
            [sys.executable, "-c", VALIDATE, str(spec)],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1, outputs
    # The repeated deviation is shown at its first place (`alpha`), with its count.
    (output,) = outputs
    assert output.startswith("seeds.yaml:15:20 NG010 the document is not of type"), output
    assert output.rstrip().endswith("(and 5 more places)"), output
