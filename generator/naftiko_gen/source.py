"""The source stage: a capability document and every file its imports name, read before lowering.

Ikanos writes one import directive for its four sections (`consumes`, `exposes`, `aggregates`,
`binds`): `{from: <path>, import: <namespace>, as: <alias>}`, the path relative to the importing
file. This stage finds each directive's file (beside the document, else in a parent folder inside
its repository), loads it with its own positions and shown path, and validates an imported
Ikanos file against its schema once. The result is a `SourceBundle`; lowering reads only it, so
it does no I/O. What an import cannot name (a missing file, a missing namespace) is reported by
lowering, at the directive.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .diagnostics import Diagnostics
from .fields import as_list, mapping, text
from .load import Document, load_document
from .unapplied import report_unapplied
from .validate import validate_schema


@dataclass(frozen=True, slots=True)
class Found:
    """Where an import's path was found."""

    path: Path
    beside: bool  # in the importing file's folder (else in a parent folder: a warning)


@dataclass(frozen=True, slots=True)
class SourceBundle:
    """The root document and what its import directives name."""

    root: Document
    # by the path as written (`file://` removed); absent: no such file
    found: Mapping[str, Found]
    # every imported document by `Found.path`; absent: unreadable (its diagnostics are recorded)
    documents: Mapping[Path, Document]
    # every file the imports read (True) or looked for first and did not find (False)
    inputs: Mapping[Path, bool]


def is_import(entry: dict[str, Any]) -> bool:
    """Whether an `exposes`, `aggregates` or `binds` entry is an import directive."""
    return "import" in entry and "from" in entry


def is_consumes_import(entry: dict[str, Any]) -> bool:
    """Whether a `consumes` entry is an import (also the engine's `location` spelling)."""
    return "import" in entry or (
        ("location" in entry or "from" in entry) and "baseUri" not in entry
    )


def import_target(entry: dict[str, Any]) -> tuple[str, str, str]:
    """The location an import directive names, the namespace it wants ("": the first entry) and
    the key the location is written under.

    Spellings seen in the wild: `location` + `import: <namespace>` (engine), `from` instead of
    `location` (Ikanos), and `import: <path>` + `as: <namespace>` (spec 0.5).
    """
    location = text(entry.get("location")) or text(entry.get("from"))
    wanted = text(entry.get("import"))
    if not location and wanted.endswith((".yml", ".yaml")):
        location, wanted = wanted, ""
    key = "location" if "location" in entry else "from" if "from" in entry else "import"
    return location, wanted, key


def _directives(data: Any) -> Iterator[dict[str, Any]]:
    """The document's import directives, in the order lowering reads them."""
    data = mapping(data)
    capability = mapping(data.get("capability"))
    binds = [*as_list(data.get("binds")), *as_list(capability.get("binds"))]
    sections = [
        (binds, is_import),
        (as_list(capability.get("consumes")), is_consumes_import),
        (as_list(capability.get("aggregates")), is_import),
        (as_list(capability.get("exposes")), is_import),
    ]
    for entries, test in sections:
        yield from (e for e in entries if isinstance(e, dict) and test(e))


def read_sources(root: Document, diagnostics: Diagnostics, *, strict: bool) -> SourceBundle:
    """Find, load and validate every file the root document's import directives name."""
    found: dict[str, Found] = {}
    loaded: dict[Path, Document | None] = {}
    inputs: dict[Path, bool] = {}
    validated: set[Path] = set()
    folder = root.path.parent
    for entry in _directives(root.data):
        relative = import_target(entry)[0].removeprefix("file://")
        source = _find_upward(folder, relative) if relative not in found else None
        if source is None:
            continue
        _record_input(inputs, folder, relative, source)
        found[relative] = Found(source, source.parent == (folder.resolve() / relative).parent)
        if source in loaded:
            continue
        display = os.path.normpath(
            Path(root.display).parent / os.path.relpath(source, root.path.parent)
        )
        document = loaded[source] = load_document(source, display, diagnostics)
        if document is None or not isinstance(document.data, dict):
            continue
        if "ikanos" in document.data and source.resolve() not in validated:
            validated.add(source.resolve())
            validate_schema(document, diagnostics, strict=strict)
            report_unapplied(document, diagnostics)
    documents = {path: document for path, document in loaded.items() if document is not None}
    return SourceBundle(root, found, documents, inputs)


def _record_input(inputs: dict[Path, bool], folder: Path, relative: str, source: Path) -> None:
    """Note the file read, and the nearer places looked at first (a file there would win)."""
    for base in [folder.resolve(), *folder.resolve().parents]:
        candidate = base / relative
        if candidate == source:
            break
        inputs.setdefault(candidate, False)
    inputs[source] = True


def _find_upward(folder: Path, relative: str, levels: int = 3) -> Path | None:
    """`folder/relative`, else the same path under up to `levels` parent folders.

    Imports stay inside the spec's repository: `relative` may not be absolute, and the file
    found (`..` and symlinks resolved) must lie under the nearest folder holding `.git`, or,
    outside any repository, under the highest folder searched.
    """
    if not relative or PurePosixPath(relative).is_absolute() or "\0" in relative:
        return None
    try:
        bases = [folder.resolve(), *list(folder.resolve().parents)[:levels]]
        root = next((b for b in bases if (b / ".git").exists()), bases[-1])
        for base in bases[: bases.index(root) + 1]:
            candidate = base / relative
            if candidate.is_file() and candidate.resolve().is_relative_to(root):
                return candidate
    except OSError:  # a name too long, a symlink loop: no such file
        return None
    return None
