"""Import directives: a section entry that names an entry of another file instead of defining it.

Ikanos writes one directive for its four sections (`consumes`, `exposes`, `aggregates`,
`binds`): `{from: <path>, import: <namespace>, as: <alias>}`, the path relative to the importing
file, the imported file a capability or a standalone section file (a root `consumes:` etc.).
Imported entries are lowered with their own file's context, so diagnostics point into that file;
an imported Ikanos file is also validated against its schema, once.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

from ..load import Pointer, load_document
from ..unapplied import report_unapplied
from ..validate import validate_schema
from .context import Context, as_list, mapping, text

Entry = tuple[Context, Pointer, dict[str, Any]]


def is_import(entry: dict[str, Any]) -> bool:
    """Whether an `exposes`, `aggregates` or `binds` entry is an import directive."""
    return "import" in entry and "from" in entry


def section_entries(ctx: Context, section: str, items: Any, pointer: Pointer) -> list[Entry]:
    """The mapping entries of a section, import directives replaced by what they import."""
    result: list[Entry] = []
    for index, entry in enumerate(as_list(items)):
        if not isinstance(entry, dict):
            continue
        if is_import(entry):
            imported = resolve_import(ctx, entry, (*pointer, index), section)
            if imported is not None:
                result.append(imported)
        else:
            result.append((ctx, (*pointer, index), entry))
    return result


def resolve_import(
    ctx: Context, entry: dict[str, Any], pointer: Pointer, section: str
) -> Entry | None:
    """Load the imported file and pick the `section` entry whose namespace `import` names.

    Spellings seen in the wild: `location` + `import: <namespace>` (engine), `from` instead of
    `location` (Ikanos), and `import: <path>` + `as: <namespace>` (spec 0.5). The path is
    relative to the importing file; when it is not found there, the folders above are tried
    (0.5 examples import from their repository's root) with a warning.
    """
    location = text(entry.get("location")) or text(entry.get("from"))
    wanted = text(entry.get("import"))
    if not location and wanted.endswith((".yml", ".yaml")):
        location, wanted = wanted, ""
    key = "location" if "location" in entry else "from" if "from" in entry else "import"
    relative = location.removeprefix("file://")
    source = _find_upward(ctx.document.path.parent, relative) if location else None
    if source is None:
        ctx.error(
            "NG108",
            f"cannot import {section} from '{location}': no such file",
            (*pointer, key),
            hint="the path is relative to the importing file, inside its repository",
        )
        return None
    _record_input(ctx, relative, source)
    if source.parent != (ctx.document.path.parent.resolve() / relative).parent:
        ctx.warning(
            "NG108",
            f"'{location}' is not beside this file; it was found in a parent folder",
            (*pointer, key),
        )
    display = os.path.normpath(
        Path(ctx.document.display).parent / os.path.relpath(source, ctx.document.path.parent)
    )
    document = load_document(source, display, ctx.diagnostics)
    if document is None:
        return None
    data = document.data if isinstance(document.data, dict) else {}
    if "ikanos" in data and source.resolve() not in ctx.validated:
        ctx.validated.add(source.resolve())
        validate_schema(document, ctx.diagnostics, strict=ctx.strict)
        report_unapplied(document, ctx.diagnostics)
    capability = mapping(data.get("capability"))
    in_capability = section not in data and section in capability
    entries = capability.get(section) if in_capability else data.get(section)
    for index, candidate in enumerate(as_list(entries)):
        if isinstance(candidate, dict) and (
            not wanted or text(candidate.get("namespace")) == wanted
        ):
            imported = dict(candidate)
            alias = text(entry.get("as"))
            if alias or not imported.get("namespace"):
                imported["namespace"] = alias or wanted
            where: Pointer = ("capability", section) if in_capability else (section,)
            return ctx.for_document(document), (*where, index), imported
    ctx.error(
        "NG108",
        f"'{location}' has no {section} namespace '{wanted}'",
        (*pointer, "import"),
    )
    return None


def _record_input(ctx: Context, relative: str, source: Path) -> None:
    """Note the file read, and the nearer places looked at first (a file there would win)."""
    for base in [ctx.document.path.parent.resolve(), *ctx.document.path.parent.resolve().parents]:
        candidate = base / relative
        if candidate == source:
            break
        ctx.inputs.setdefault(candidate, False)
    ctx.inputs[source] = True


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
