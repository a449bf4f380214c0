"""Final layout of generated Python: the pinned ruff, run on the whole package at once.

Templates already emit nearly formatted code; ruff only settles what depends on the document:
line lengths (`ruff format`) and imports a given capability does not use (`ruff check --fix
--select F401,I001`, which also re-sorts the imports left). It runs `--isolated` (no user
configuration is read) with the version naftiko-gen pins, so the output depends on nothing
installed on the user's machine.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Collection
from pathlib import Path

from ruff import find_ruff_bin

# The layout of generated code; every generated pyproject.toml declares it for ruff and black.
LINE_LENGTH = 88
TARGET_VERSION = "py311"


class FormatterError(RuntimeError):
    """The generated code did not parse: a generator bug, reported as an internal error."""


def format_python(files: dict[str, bytes], laid_out: Collection[str] = ()) -> dict[str, bytes]:
    """`files` with every `.py` file formatted as black and ruff-format lay it out, but those
    in `laid_out` (the runtime modules, formatted once per process), which are left as they are.
    """
    modules = {path: data for path, data in files.items() if path.endswith(".py")}
    sources = sorted(path for path in modules if path not in laid_out)
    if not sources:
        return files
    with tempfile.TemporaryDirectory(prefix="naftiko-gen-") as tmp:
        root = Path(tmp)
        # Every module is written, so that the import sorting sees the whole package.
        for path, data in modules.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        common = ["--isolated", "--no-cache", f"--target-version={TARGET_VERSION}"]
        # Run from the package root, so that `src/<package>` counts as first-party, as it does
        # when the user runs ruff in the generated package.
        _ruff(root, "check", *common, "--fix", "--exit-zero", "--select=F401,I001", *sources)
        _ruff(root, "format", *common, f"--line-length={LINE_LENGTH}", *sources)
        formatted = {path: (root / path).read_bytes() for path in sources}
    return {**files, **formatted}


def _ruff(cwd: Path, *args: str) -> None:
    done = subprocess.run(
        [find_ruff_bin(), *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise FormatterError(done.stderr.strip() or done.stdout.strip())
