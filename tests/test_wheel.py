"""The wheel ships the templates and schemas: generation works from the installed copy."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from .generation import REPO

SEED = REPO / "specs" / "sentry-integration-platform-external-issues.yaml"


def test_wheel_contains_templates_and_generates_from_the_installed_copy(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("naftiko_gen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "naftiko_gen/templates/package/src/__pkg__/rest.py.jinja" in names
    assert "naftiko_gen/schemas/naftiko-schema-alpha2.json" in names
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "naftiko_gen", str(SEED), "-o", str(out), "-q"],
        env={"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    probe = subprocess.run(
        [sys.executable, "-c", "import naftiko_gen.render as r; print(r.templates_dir())"],
        env={"PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip().startswith(str(installed))
    generated = out / "sentry-integration-platform-external-issues"
    expected = REPO / "generated" / "sentry-integration-platform-external-issues"
    manifest = json.loads((expected / ".naftiko-gen" / "manifest.json").read_text())
    for name in [*manifest["files"], ".naftiko-gen/manifest.json"]:  # same generator fingerprint
        assert (generated / name).read_bytes() == (expected / name).read_bytes(), name
