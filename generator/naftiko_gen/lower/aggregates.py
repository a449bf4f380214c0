"""`capability.aggregates`: reusable functions that tools and operations reference by `ref`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..load import Pointer
from .context import Context, as_list, mapping, text
from .imports import section_entries


@dataclass(slots=True)
class Aggregates:
    """Every aggregate function by its reference `namespace.function`."""

    functions: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)


def index_aggregates(ctx: Context) -> Aggregates:
    """Index the functions; a reference defined twice warns and keeps the first."""
    result = Aggregates()
    capability = ctx.document.data.get("capability") or {}
    entries = section_entries(
        ctx, "aggregates", capability.get("aggregates"), ("capability", "aggregates")
    )
    for entry_ctx, a_pointer, aggregate in entries:
        namespace = text(aggregate.get("namespace"))
        key = "functions" if "functions" in aggregate else "flows"
        for f_index, function in enumerate(as_list(aggregate.get(key))):
            if not isinstance(function, dict):
                continue
            ref = f"{namespace}.{text(function.get('name'))}"
            if ref in result.functions:
                pointer = (*a_pointer, key, f_index)
                entry_ctx.warning("NG102", f"aggregate function '{ref}' is defined twice", pointer)
                continue
            result.functions[ref] = (function, namespace)
    return result


def resolve_ref(
    ctx: Context, aggregates: Aggregates, entry: dict[str, Any], pointer: Pointer
) -> tuple[dict[str, Any], str | None] | None:
    """The entry with its `ref` replaced by the function it names, and the function's namespace.

    The entry's own fields win (a tool may rename or re-describe the function); hints derive
    from the function's `semantics` unless the entry states them. None when the ref is unknown.
    """
    ref = text(entry.get("ref"))
    if not ref:
        return entry, None
    found = aggregates.functions.get(ref)
    if found is None:
        ctx.error(
            "NG101",
            f"'{ref}' names no aggregate function",
            (*pointer, "ref"),
            hint="a ref has the form <aggregate-namespace>.<function-name>",
        )
        return None
    function, namespace = found
    merged = {**function, **{k: v for k, v in entry.items() if k != "ref" and v not in (None, "")}}
    semantics = mapping(function.get("semantics"))
    hints: dict[str, Any] = {}
    if isinstance(semantics.get("safe"), bool):
        hints["readOnly"] = semantics["safe"]
        if semantics["safe"]:
            hints["destructive"] = False
    if isinstance(semantics.get("idempotent"), bool):
        hints["idempotent"] = semantics["idempotent"]
    if isinstance(entry.get("hints"), dict):
        hints.update(entry["hints"])
    merged["hints"] = hints
    return merged, namespace
