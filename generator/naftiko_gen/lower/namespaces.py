"""Exposed adapters of one type need distinct namespaces: their settings are named after them.

Two REST adapters both named `things` would both read `THINGS_PORT` (and every other
`THINGS_*` setting), so one of them could never be configured. The Ikanos engine refuses
duplicate exposed namespaces too.
"""

from __future__ import annotations

from ..diagnostics import SourceLoc
from ..naming import env_name
from .context import text
from .imports import Entry

_SERVED_TYPES = ("rest", "mcp", "skill", "control")


def check_exposed_namespaces(exposes: list[Entry]) -> None:
    """NG112 for each adapter whose type and settings prefix an earlier adapter already has."""
    first: dict[tuple[str, str], tuple[str, SourceLoc]] = {}
    for entry_ctx, pointer, entry in exposes:
        kind, namespace = text(entry.get("type")), text(entry.get("namespace"))
        if kind not in _SERVED_TYPES or not namespace:
            continue
        where = (*pointer, "namespace")
        prefix = env_name(namespace)
        if (kind, prefix) not in first:
            first[kind, prefix] = (namespace, entry_ctx.loc(where))
            continue
        earlier, loc = first[kind, prefix]
        entry_ctx.error(
            "NG112",
            f"another {kind} adapter has namespace '{earlier}': both would read {prefix}_PORT "
            f"and the other {prefix}_* settings",
            where,
            hint=f"the other one is at {loc}; give each {kind} adapter its own namespace",
        )
