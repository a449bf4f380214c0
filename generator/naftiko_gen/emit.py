"""Emit a plan: write it, check it against disk, or list what would change.

Everything here consumes the same `path → bytes` plan. Writing is staged: the whole package is
written to a temporary folder first, so a failure leaves existing output untouched; an absent
package is then moved into place in one rename, an existing one file by file (each an atomic
replace). Only files listed in the package's manifest are ever removed, and nothing outside the
output folder is touched.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import __version__
from .code import json_text

MANIFEST = ".naftiko-gen/manifest.json"
DIFF_LINES = 200


@dataclass(frozen=True, slots=True)
class Change:
    """One file that differs between the plan and the disk."""

    kind: str  # "changed" | "added" | "removed"
    path: str  # relative to the output folder
    old: bytes | None  # on disk (None: absent)
    new: bytes | None  # planned (None: to be removed)
    hand_edited: bool = False

    def diff(self) -> str:
        """A unified diff from the disk to the plan (made only when shown: it is costly)."""
        return _diff(self.old, self.new, self.path)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def with_manifest(files: dict[str, bytes], spec_name: str, spec_bytes: bytes) -> dict[str, bytes]:
    """The plan plus its manifest: generator version, spec hash and every file's hash."""
    manifest = {
        "generator": "naftiko-gen",
        "version": __version__,
        "spec": spec_name,
        "spec_sha256": _sha256(spec_bytes),
        "files": {path: _sha256(data) for path, data in sorted(files.items())},
    }
    return {**files, MANIFEST: json_text(manifest).encode("utf-8")}


def _safe(root: Path, relative: str) -> Path | None:
    """`root / relative`, or None when `relative` would leave `root`."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        return None
    return root.joinpath(*pure.parts)


def _old_manifest(package_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((package_dir / MANIFEST).read_text(encoding="utf-8"))
        files = data.get("files", {})
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def _diff(old: bytes | None, new: bytes | None, path: str) -> str:
    old_lines = (old or b"").decode("utf-8", "replace").splitlines(keepends=True)
    new_lines = (new or b"").decode("utf-8", "replace").splitlines(keepends=True)
    lines = list(
        difflib.unified_diff(
            old_lines,
            new_lines,
            fromfile="/dev/null" if old is None else f"a/{path}",
            tofile="/dev/null" if new is None else f"b/{path}",
        )
    )
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"... ({len(lines) - DIFF_LINES} more diff lines)\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def compare(out: Path, name: str, files: dict[str, bytes]) -> list[Change]:
    """What writing `files` into `out/name` would change, in path order."""
    package_dir = out / name
    old = _old_manifest(package_dir)
    changes: list[Change] = []
    for path, data in sorted(files.items()):
        target = _safe(package_dir, path)
        assert target is not None, path
        shown = f"{name}/{path}"
        try:
            current: bytes | None = target.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            current = None
        if current is None:
            changes.append(Change("added", shown, None, data))
        elif current != data:
            edited = path in old and old[path] != _sha256(current)
            changes.append(Change("changed", shown, current, data, edited))
    for path in sorted(set(old) - set(files)):
        target = _safe(package_dir, path)
        if target is not None and target.is_file():
            shown = f"{name}/{path}"
            changes.append(Change("removed", shown, target.read_bytes(), None))
    return changes


def write(out: Path, name: str, files: dict[str, bytes]) -> list[Change]:
    """Bring `out/name` in line with `files`; returns what changed."""
    changes = compare(out, name, files)
    if not changes:
        return changes
    package_dir = out / name
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=out))
    try:
        for path, data in files.items():
            target = _safe(stage, path)
            assert target is not None, path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if not package_dir.exists():
            os.replace(stage, package_dir)
            return changes
        for change in changes:
            relative = change.path.removeprefix(f"{name}/")
            target = _safe(package_dir, relative)
            assert target is not None
            if change.kind == "removed":
                target.unlink()
                _prune(target.parent, package_dir)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage.joinpath(*PurePosixPath(relative).parts), target)
    finally:
        if stage.exists():
            shutil.rmtree(stage)
    return changes


def _prune(folder: Path, root: Path) -> None:
    """Remove folders left empty by a removal, up to (not including) the package root."""
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
