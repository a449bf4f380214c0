"""What every lowering step shares: the document, its diagnostics and safe accessors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Diagnostics, SourceLoc
from ..fields import as_list as as_list
from ..fields import mapping as mapping
from ..fields import text as text
from ..load import Document, Pointer
from ..naming import identifier, short_attr
from ..source import SourceBundle


@dataclass(slots=True)
class Context:
    """Lowering state of one document."""

    document: Document
    diagnostics: Diagnostics
    sources: SourceBundle  # the root document and every file its imports name, already read
    strict: bool = False
    taken_settings: set[str] = field(default_factory=set)
    taken_envs: set[str] = field(default_factory=set)
    env_prefix: str = ""

    def for_document(self, document: Document) -> Context:
        """The context of an imported file: its own locations, everything else shared."""
        return Context(
            document,
            self.diagnostics,
            self.sources,
            self.strict,
            self.taken_settings,
            self.taken_envs,
            self.env_prefix,
        )

    def setting_attr(self, env: str) -> str:
        """The `Settings` attribute for an environment variable, without the package prefix."""
        return identifier(short_attr(env, self.env_prefix), self.taken_settings)

    def loc(self, pointer: Pointer) -> SourceLoc:
        """The source location of a JSON pointer in this document."""
        return self.document.loc(pointer)

    def error(self, code: str, message: str, pointer: Pointer, hint: str | None = None) -> None:
        """Record an error at `pointer`."""
        self.diagnostics.error(code, message, self.loc(pointer), hint)

    def warning(self, code: str, message: str, pointer: Pointer, hint: str | None = None) -> None:
        """Record a warning at `pointer` (an error under `--strict` for schema deviations)."""
        self.diagnostics.warning(code, message, self.loc(pointer), hint)


def label(entry: dict[str, Any]) -> str:
    """The human-readable name of an entry: `display` (Ikanos), `label` before it."""
    return text(entry.get("display")) or text(entry.get("label"))


def tags(*entries: dict[str, Any]) -> tuple[str, ...]:
    """The `tags` of the entries, in order, each once."""
    found = [text(tag) for entry in entries for tag in as_list(entry.get("tags"))]
    return tuple(dict.fromkeys(tag for tag in found if tag))
