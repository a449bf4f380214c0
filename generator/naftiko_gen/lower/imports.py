"""Import directives: a section entry that names an entry of another file instead of defining it.

The files were found, read and validated by the source stage (`naftiko_gen.source`); here an
import picks its entry from the bundle. Imported entries are lowered with their own file's
context, so diagnostics point into that file.
"""

from __future__ import annotations

from typing import Any

from ..load import Pointer
from ..source import import_target
from ..source import is_import as is_import
from .context import Context, as_list, mapping, text

Entry = tuple[Context, Pointer, dict[str, Any]]


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
    """Pick the `section` entry whose namespace `import` names from the imported file.

    The path is relative to the importing file; when it is not found there, the folders above
    are tried (0.5 examples import from their repository's root) with a warning.
    """
    location, wanted, key = import_target(entry)
    found = ctx.sources.found.get(location.removeprefix("file://"))
    if found is None:
        ctx.error(
            "NG108",
            f"cannot import {section} from '{location}': no such file",
            (*pointer, key),
            hint="the path is relative to the importing file, inside its repository",
        )
        return None
    if not found.beside:
        ctx.warning(
            "NG108",
            f"'{location}' is not beside this file; it was found in a parent folder",
            (*pointer, key),
        )
    document = ctx.sources.documents.get(found.path)
    if document is None:
        return None
    data = document.data if isinstance(document.data, dict) else {}
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
