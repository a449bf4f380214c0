"""The reference material beside the repository (`../shared`: the engine's fixtures, tutorial and
mocks, the corpus), and how a test that reads it skips when it is absent.

`NAFTIKO_GEN_SHARED` points elsewhere (a checkout without `../shared`, or a missing folder to
prove that the suite still collects).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(
    os.environ.get("NAFTIKO_GEN_SHARED") or Path(__file__).resolve().parents[2] / "shared"
)


def needs_shared(*paths: Path) -> pytest.MarkDecorator:
    """Skip the marked test (or module, as `pytestmark`) when shared material it reads is absent."""
    missing = [path for path in paths if not path.exists()]
    reason = f"shared material not found: {missing[0]}" if missing else ""
    return pytest.mark.skipif(bool(missing), reason=reason)


def skip_module_without(*paths: Path) -> None:
    """Skip the calling test module, at import, when shared material it reads is absent."""
    for path in paths:
        if not path.exists():
            pytest.skip(f"shared material not found: {path}", allow_module_level=True)
