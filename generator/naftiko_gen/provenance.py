"""What decides a package's output, recorded in its manifest; and the `--check` fast path.

A package is a function of its spec, the files the spec imports, the package name and the
generator itself (its sources, templates and the libraries that shape output). The manifest
records each of them, plus the warnings the document gave. When `--check` (or `--dry-run`) finds
every recorded input unchanged and every generated file on disk matching its recorded hash, the
files on disk *are* what rendering would give: the document is not parsed, lowered nor rendered,
and its recorded warnings are printed again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from . import __version__
from .code import json_text, name_text
from .diagnostics import Diagnostic, Diagnostics, Severity, SourceLoc, display_path
from .emit import MANIFEST
from .emit import _read as read_regular_file
from .emit import _sha256 as sha256
from .render import templates_dir

# Libraries whose version can change the bytes written (or the warnings given).
SHAPING_DISTRIBUTIONS = ("jinja2", "jsonschema", "pyyaml", "ruff")
SOURCE_SUFFIXES = (".py", ".json")  # the generator's modules and schemas (not its README files)

Recorded = tuple[dict[str, bytes], list[Diagnostic]]


def _tree(root: Path, suffixes: tuple[str, ...]) -> list[tuple[str, Path]]:
    found = (p for p in root.rglob("*") if p.suffix in suffixes and p.is_file())
    return sorted((p.relative_to(root).as_posix(), p) for p in found)


@functools.cache
def fingerprint() -> str:
    """One hash of the generator: its sources, schemas, templates and shaping libraries.

    The same for a checkout and for the installed wheel (which holds the same files).
    """
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    parts = [
        *((f"naftiko_gen/{name}", path) for name, path in _tree(package, SOURCE_SUFFIXES)),
        *((f"templates/{name}", path) for name, path in _tree(templates_dir(), (".jinja",))),
    ]
    for name, path in parts:
        data = path.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    for distribution in SHAPING_DISTRIBUTIONS:
        try:
            version = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{distribution}=={version}\0".encode())
    return digest.hexdigest()


def record(
    spec: Path,
    display: str,
    package: str,
    inputs: Mapping[Path, bool],
    warnings: list[Diagnostic],
) -> dict[str, Any]:
    """The manifest entries besides the spec hash and the files.

    `inputs` maps every file the document's imports read (True) or looked for first and did not
    find (False) to whether it was there; paths are kept relative to the spec's folder and
    warnings relative to the spec's shown path, so the manifest is the same from any folder. (A
    name that is not UTF-8 is kept printable; it then never matches, and `--check` plans again.)
    """
    folder = spec.parent.resolve()
    return {
        "fingerprint": fingerprint(),
        "package": package,
        "inputs": {
            display_path(Path(os.path.relpath(path, folder))): (
                sha256(path.read_bytes()) if present else None
            )
            for path, present in sorted(inputs.items())
        },
        "warnings": [_stored(d, display) for d in warnings if d.severity is Severity.WARNING],
    }


def _stored(diagnostic: Diagnostic, display: str) -> dict[str, Any]:
    loc = diagnostic.loc
    at: list[Any] | None = None
    if loc is not None:
        file = None if loc.file == display else os.path.relpath(loc.file, Path(display).parent)
        at = [file, loc.line, loc.col]
    return {
        "code": diagnostic.code,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
        "at": at,
    }


def _replayed(stored: list[dict[str, Any]], display: str) -> list[Diagnostic]:
    diagnostics = Diagnostics()
    for item in stored:
        at = item["at"]
        loc = None
        if at is not None:
            file = display if at[0] is None else os.path.normpath(Path(display).parent / at[0])
            loc = SourceLoc(file, at[1], at[2])
        diagnostics.warning(item["code"], item["message"], loc, item["hint"])
    return diagnostics.sorted()


def _inputs_match(manifest: dict[str, Any], spec: Path, package: str) -> bool:
    """Whether the generator, the spec, the package name and every imported file are unchanged
    (and the manifest itself is as written)."""
    unsealed = {key: value for key, value in manifest.items() if key != "manifest_sha256"}
    if (
        manifest.get("manifest_sha256") != sha256(json_text(unsealed).encode("utf-8"))
        or manifest.get("version") != __version__
        or manifest.get("fingerprint") != fingerprint()
        or manifest.get("package") != package
        or manifest.get("spec") != name_text(spec.name)
        or manifest.get("spec_sha256") != sha256(spec.read_bytes())
    ):
        return False
    folder = spec.parent.resolve()
    for relative, digest in dict(manifest.get("inputs", {})).items():
        path = folder / relative
        if (sha256(path.read_bytes()) if path.is_file() else None) != digest:
            return False
    return True


def _files_on_disk(package_dir: Path, manifest: dict[str, Any]) -> dict[str, bytes] | None:
    """Every generated file, when each one is on disk with its recorded hash."""
    files: dict[str, bytes] = {}
    for relative, digest in dict(manifest.get("files", {})).items():
        data = read_regular_file(package_dir, str(relative))
        if data is None or sha256(data) != digest:
            return None
        files[str(relative)] = data
    return files


def recorded(spec: Path, display: str, package: str, package_dir: Path, strict: bool) -> Recorded:
    """The package on disk and its warnings when nothing that decides it changed, else ({}, []).

    Under `strict` a document with warnings is always planned again (it fails, with the
    diagnostics of a full run).
    """
    raw = read_regular_file(package_dir, MANIFEST)
    try:
        manifest = json.loads(raw) if raw is not None else None
        if not isinstance(manifest, dict) or not _inputs_match(manifest, spec, package):
            return {}, []
        files = _files_on_disk(package_dir, manifest)
        warnings = _replayed(list(manifest.get("warnings", [])), display)
    except (OSError, ValueError, TypeError, KeyError, IndexError):
        return {}, []  # unreadable or not a manifest we wrote: plan the document
    if raw is None or files is None or (strict and warnings):
        return {}, []
    return {**files, MANIFEST: raw}, warnings
