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
from pathlib import Path

from ruff import find_ruff_bin

# The layout of generated code; every generated pyproject.toml declares it for ruff and black.
LINE_LENGTH = 88
TARGET_VERSION = "py311"


class FormatterError(RuntimeError):
    """The generated code did not parse: a generator bug, reported as an internal error."""


def format_python(files: dict[str, bytes]) -> dict[str, bytes]:
    """`files` with every `.py` file formatted as black and ruff-format lay it out."""
    sources = {path: data for path, data in files.items() if path.endswith(".py")}
    if not sources:
        return files
    with tempfile.TemporaryDirectory(prefix="naftiko-gen-") as tmp:
        root = Path(tmp)
        for path, data in sources.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        common = ["--isolated", "--no-cache", f"--target-version={TARGET_VERSION}"]
        # Run from the package root, so that `src/<package>` counts as first-party, as it does
        # when the user runs ruff in the generated package.
        _ruff(root, "check", *common, "--fix", "--exit-zero", "--select=F401,I001", ".")
        _ruff(root, "format", *common, f"--line-length={LINE_LENGTH}", ".")
        formatted = {path: (root / path).read_bytes() for path in sources}
    return {**files, **formatted}


def _ruff(cwd: Path, *args: str) -> None:
    done = subprocess.run(
        [find_ruff_bin(), *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise FormatterError(done.stderr.strip() or done.stdout.strip())
