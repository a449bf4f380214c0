"""Helpers for tests that generate a package and then import and drive it."""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from naftiko_gen import emit
from naftiko_gen.pipeline import DocumentResult, Options, plan_document

REPO = Path(__file__).resolve().parents[1]


def generate(spec: Path, out: Path, *, strict: bool = False) -> DocumentResult:
    """Run the pipeline on `spec` and write its package under `out` (when it has no errors)."""
    result = plan_document(spec, spec.name, Options(strict=strict))
    if result.files is not None and result.name is not None:
        emit.write(out, result.name, result.files)
    return result


def generate_text(tmp_path: Path, name: str, text: str) -> tuple[DocumentResult, Path]:
    """Generate from YAML text written to `tmp_path/<name>.yaml`; returns the package folder."""
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(text, encoding="utf-8")
    result = generate(spec, tmp_path / "out")
    return result, tmp_path / "out" / (result.name or name)


@contextlib.contextmanager
def imported(package_dir: Path, package: str) -> Iterator[dict[str, ModuleType]]:
    """Import a generated package from its folder; its modules are forgotten afterwards."""
    src = str(package_dir / "src")
    sys.path.insert(0, src)
    try:
        modules = {
            name: importlib.import_module(f"{package}.{name}")
            for name in ("settings", "upstream", "operations", "rest", "mcp_server", "skill")
            if (package_dir / "src" / package / f"{name}.py").exists()
        }
        yield modules
    finally:
        sys.path.remove(src)
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]
