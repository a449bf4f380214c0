"""Exposed adapters need distinct namespaces: their settings are named after them.

Two REST adapters both named `things` would both read `THINGS_PORT` (and every other
`THINGS_*` setting), so one of them could never be configured: an error (NG112). A REST and an
MCP adapter named alike share `THINGS_PORT` and `THINGS_HOST` too (setting one moves both): a
warning (NG205), as many published documents do it. The Ikanos engine refuses duplicate exposed
namespaces of any type.
"""

from __future__ import annotations

from ..diagnostics import SourceLoc
from ..naming import env_name
from .context import text
from .imports import Entry

_SERVED_TYPES = ("rest", "mcp", "skill", "control")


def check_exposed_namespaces(exposes: list[Entry]) -> None:
    """NG112 (same type) or NG205 (another type) for each adapter an earlier one's prefix has."""
    # settings prefix → the first adapter with it (type, namespace, where), of any type and by type
    first: dict[str, tuple[str, str, SourceLoc]] = {}
    first_of_type: dict[tuple[str, str], tuple[str, str, SourceLoc]] = {}
    for entry_ctx, pointer, entry in exposes:
        kind, namespace = text(entry.get("type")), text(entry.get("namespace"))
        if kind not in _SERVED_TYPES or not namespace:
            continue
        where = (*pointer, "namespace")
        prefix = env_name(namespace)
        this = (kind, namespace, entry_ctx.loc(where))
        earlier = first_of_type.setdefault((kind, prefix), this)
        if earlier is this:
            earlier = first.setdefault(prefix, this)
        if earlier is this:
            continue
        earlier_kind, earlier_namespace, loc = earlier
        message = (
            f"another {earlier_kind} adapter has namespace '{earlier_namespace}': both would "
            f"read {prefix}_PORT and the other {prefix}_* settings"
        )
        hint = f"the other one is at {loc}; give each adapter its own namespace"
        if earlier_kind == kind:
            entry_ctx.error("NG112", message, where, hint=hint)
        else:
            entry_ctx.warning("NG205", message, where, hint=hint)
