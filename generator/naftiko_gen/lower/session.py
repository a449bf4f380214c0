"""The lowering session: what every adapter of one capability is lowered against."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .aggregates import Aggregates
from .binds import Binds
from .consumes import Consumes
from .context import Context


@dataclass(frozen=True, slots=True)
class Session:
    """The document's context (diagnostics, names), its binds, consumed APIs and aggregate
    functions, and the operation names already taken (shared by every adapter)."""

    ctx: Context
    binds: Binds
    consumes: Consumes
    aggregates: Aggregates
    taken_ops: set[str] = field(default_factory=set)

    def within(self, ctx: Context) -> Session:
        """The same session, reporting in the context of the document an entry is written in."""
        return replace(self, ctx=ctx)
