"""Emit a plan: write it, check it against disk, or list what would change.

Everything here consumes the same `path → bytes` plan. Writing is all-or-nothing per package:
the whole new package is written to a fresh sibling folder `.<name>.<id>.tmp`, the old package
is renamed aside to `.<name>.<id>.old`, the new one renamed into place, and the files of the old
one that naftiko-gen did not write (not in its manifest) are moved over before it is deleted.
A run interrupted at any point leaves the package old or new (or the old one aside as
`.<name>.<id>.old`, the recovery marker): the next run first restores or finishes that, and
deletes leftover staging folders. No symbolic link is followed for reading, writing or
deleting, and nothing outside the output folder is touched.
"""

from __future__ import annotations

import difflib
import errno
import glob
import hashlib
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from . import __version__
from .code import json_text

MANIFEST = ".naftiko-gen/manifest.json"
DIFF_LINES = 200


class EmitError(Exception):
    """The output cannot be written or read (a file system error, or a folder not ours)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


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


def with_manifest(
    files: dict[str, bytes], spec_name: str, spec_bytes: bytes, inputs: dict[str, Any]
) -> dict[str, bytes]:
    """The plan plus its manifest: generator version, spec hash, the other `inputs` that decide
    the output (see provenance.py), every file's hash, and the hash of all that."""
    manifest = {
        "generator": "naftiko-gen",
        "version": __version__,
        "spec": spec_name,
        "spec_sha256": _sha256(spec_bytes),
        **inputs,
        "files": {path: _sha256(data) for path, data in sorted(files.items())},
    }
    manifest["manifest_sha256"] = _sha256(json_text(manifest).encode("utf-8"))  # an edit shows
    return {**files, MANIFEST: json_text(manifest).encode("utf-8")}


def _safe(root: Path, relative: str) -> Path | None:
    """`root / relative`, or None when `relative` would leave `root`."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        return None
    return root.joinpath(*pure.parts)


def _read(root: Path, relative: str) -> bytes | None:
    """The bytes of the regular file `root/relative`, never through a symbolic link.

    None when it is absent, or when the package folder, a folder on the way or the file itself
    is a symbolic link or not what it should be (that reads as "not there": it is replaced).
    """
    target = _safe(root, relative)
    if target is None:
        return None
    path = root
    try:
        for part in (None, *PurePosixPath(relative).parts):
            path = path if part is None else path / part
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                return None
        if not stat.S_ISREG(mode):
            return None
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if isinstance(exc, (FileNotFoundError, NotADirectoryError)) or exc.errno in (
            errno.ENAMETOOLONG,
            errno.ELOOP,
        ):
            return None  # nothing we could have written is there
        raise EmitError("NG302", f"cannot read {target}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as file:
        return file.read()


def read_manifest(package_dir: Path) -> dict[str, Any] | None:
    """The package's manifest, or None when there is none (or it is not a manifest).

    A manifest left with merge conflict markers (two branches regenerated the same package) is
    read as its first side, with the files of both sides: regenerating then resolves the
    conflict, and removes what either branch generated and this run does not, instead of
    refusing the folder as one naftiko-gen did not write.
    """
    raw = _read(package_dir, MANIFEST)
    if raw is None:
        return None
    first, second = _sides(raw)
    try:
        data, other = json.loads(first), json.loads(second)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    files, theirs = data.get("files"), other.get("files") if isinstance(other, dict) else None
    if isinstance(files, dict) and isinstance(theirs, dict):
        data["files"] = {**theirs, **files}
    return data


def _sides(raw: bytes) -> tuple[bytes, bytes]:
    """The two sides of a text with git conflict blocks: the lines outside the blocks, with each
    block's first side (`<<<<<<<` to `|||||||` or `=======`) or its last side (`=======` to
    `>>>>>>>`). A text without conflict markers is both sides."""
    first: list[bytes] = []
    second: list[bytes] = []
    side = "outside"
    for line in raw.splitlines(keepends=True):
        bare = line.rstrip(b"\r\n")
        if bare.startswith(b"<<<<<<<"):
            side = "first"
        elif side == "first" and bare.startswith(b"|||||||"):
            side = "base"
        elif side in ("first", "base") and bare == b"=======":
            side = "second"
        elif side != "outside" and bare.startswith(b">>>>>>>"):
            side = "outside"
        else:
            if side in ("outside", "first"):
                first.append(line)
            if side in ("outside", "second"):
                second.append(line)
    return b"".join(first), b"".join(second)


def _old_manifest(package_dir: Path) -> dict[str, str]:
    files = (read_manifest(package_dir) or {}).get("files", {})
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


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


def check_owner(out: Path, name: str, files: dict[str, bytes]) -> None:
    """Refuse (EmitError NG301) a package folder naftiko-gen did not write, or another spec's.

    `files` is the plan (with its manifest), which names the spec it comes from.
    """
    package_dir = out / name
    try:
        exists = os.path.lexists(package_dir) and any(os.scandir(package_dir))
    except OSError:
        exists = True
    if not exists:
        return
    manifest = read_manifest(package_dir)
    if manifest is None:
        raise EmitError(
            "NG301",
            f"{package_dir.as_posix()} exists but was not written by naftiko-gen (no {MANIFEST}); "
            "move it away or pass --force to replace it",
        )
    owner, spec = manifest.get("spec"), json.loads(files[MANIFEST])["spec"]
    if owner != spec:
        raise EmitError(
            "NG301",
            f"{package_dir.as_posix()} was generated from {owner!r}, not {spec!r}; "
            "rename one of the specs or pass --force to replace it",
        )


def compare(out: Path, name: str, files: dict[str, bytes]) -> list[Change]:
    """What writing `files` into `out/name` would change, in path order."""
    package_dir = out / name
    old = _old_manifest(package_dir)
    changes: list[Change] = []
    for path, data in sorted(files.items()):
        shown = f"{name}/{path}"
        current = _read(package_dir, path)
        if current is None:
            changes.append(Change("added", shown, None, data))
        elif current != data:
            edited = path in old and old[path] != _sha256(current)
            changes.append(Change("changed", shown, current, data, edited))
    for path in sorted(set(old) - set(files)):
        current = _read(package_dir, path)
        if current is not None:
            changes.append(Change("removed", f"{name}/{path}", current, None))
    return changes


def write(out: Path, name: str, files: dict[str, bytes]) -> list[Change]:
    """Bring `out/name` in line with `files`, all or nothing; returns what changed.

    Raises EmitError (NG302) when the file system refuses.
    """
    try:
        recover(out, name)
        changes = compare(out, name, files)
        if not changes:
            return changes
        _swap(out, name, files)
    except OSError as exc:
        where = exc.filename if exc.filename is not None else out / name
        raise EmitError("NG302", f"cannot write {where}: {exc.strerror or exc}") from None
    return changes


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _swap(out: Path, name: str, files: dict[str, bytes]) -> None:
    """Stage the new package beside the old one and swap them (see the module docstring)."""
    package_dir = out / name
    old_files = set(_old_manifest(package_dir))
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=out))
    os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes it private; the package is not
    for path, data in files.items():
        target = _safe(stage, path)
        assert target is not None, path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if not os.path.lexists(package_dir):
        os.rename(stage, package_dir)
        return
    aside = stage.with_name(stage.name.removesuffix(".tmp") + ".old")
    os.rename(package_dir, aside)  # from here until the end, `aside` is the recovery marker
    os.rename(stage, package_dir)
    _finish(aside, package_dir, old_files | set(files))


def _finish(aside: Path, package_dir: Path, generated: set[str]) -> None:
    """Move what the user put in the old package into the new one, then delete the old one."""
    if stat.S_ISDIR(os.lstat(aside).st_mode):  # not a link, nor a file where a folder goes
        _move_foreign(aside, package_dir, PurePosixPath(), generated)
    _remove(aside)


def _move_foreign(old: Path, new: Path, relative: PurePosixPath, generated: set[str]) -> None:
    """Move every entry of `old` naftiko-gen did not generate into `new`; links not followed."""
    for entry in sorted(os.scandir(old), key=lambda e: e.name):
        path = relative / entry.name
        if path.as_posix() in generated:
            continue
        target = new / entry.name
        is_dir = entry.is_dir(follow_symlinks=False)
        holds_generated = is_dir and any(g.startswith(f"{path.as_posix()}/") for g in generated)
        if holds_generated and not os.path.lexists(target):
            os.mkdir(target)  # a folder of stale generated files: keep only the user's files
        if is_dir and os.path.lexists(target):
            if stat.S_ISDIR(os.lstat(target).st_mode):
                _move_foreign(Path(entry.path), target, path, generated)
        elif not os.path.lexists(target):
            os.rename(entry.path, target)


def _remove(path: Path) -> None:
    """Delete a folder (or file) of ours; a symbolic link is removed, never followed."""
    if stat.S_ISDIR(os.lstat(path).st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def recover(out: Path, name: str) -> None:
    """Repair what an interrupted run left: restore or finish a swap, delete staging folders."""
    package_dir = out / name
    try:
        leftovers = sorted(out.glob(f".{glob.escape(name)}.*"))
    except OSError:
        return
    for leftover in leftovers:
        if os.path.islink(leftover):
            os.unlink(leftover)  # not ours: a staging or aside folder is never a link
        elif leftover.name.endswith(".old"):
            if not os.path.lexists(package_dir):
                os.rename(leftover, package_dir)  # interrupted mid-swap: the old package is back
            else:
                generated = set(_old_manifest(leftover)) | set(_old_manifest(package_dir))
                _finish(leftover, package_dir, generated)
        elif leftover.name.endswith(".tmp"):
            _remove(leftover)
