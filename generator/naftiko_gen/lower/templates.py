"""Mustache-style templates (`{{VAR}}`, `{{env.VAR}}`, `{{ns.x}}`) turned into expressions.

A template is split into literal text and placeholders. A template that is exactly one placeholder
becomes the value itself, keeping its type (SEMANTICS.md §3: `seats: "{{seats}}"` stays a number);
anything longer becomes a `Template` of its pieces; plain text becomes a literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..expr import Escape, Escaped, Expr, Lit, Template

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# Path variables: `{{x}}` (engine) or `{x}` (catalog dialect).
PATH_VARIABLE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}|\{([^{}/]+)\}")

Resolver = Callable[[str], Expr | None]


def split(text: str) -> list[tuple[str, bool]]:
    """`"Bearer {{T}}"` → `[("Bearer ", False), ("T", True)]`."""
    parts: list[tuple[str, bool]] = []
    pos = 0
    for match in PLACEHOLDER.finditer(text):
        if match.start() > pos:
            parts.append((text[pos : match.start()], False))
        parts.append((match.group(1), True))
        pos = match.end()
    if pos < len(text):
        parts.append((text[pos:], False))
    return parts


def placeholders(text: str) -> list[str]:
    """The placeholder names in `text`, in order."""
    return [name for name, is_var in split(text) if is_var]


def template_code(text: str, resolve: Resolver, *, escape: Escape | None = None) -> Expr:
    """The expression for `text`; unresolvable placeholders render as empty text.

    `escape` says how each value inserted into a longer text is escaped (`xml` for XML, `form`
    for a form body), so a value cannot change the structure around it.
    """
    parts = split(text)
    if not parts:
        return Lit("")
    if len(parts) == 1 and parts[0][1] and escape is None:
        return resolve(parts[0][0]) or Lit("")
    if not any(is_var for _, is_var in parts):
        return Lit(text)
    pieces: list[str | Expr] = []
    for value, is_var in parts:
        if not is_var:
            pieces.append(value)
            continue
        expr = resolve(value) or Lit("")
        pieces.append(Escaped(expr, escape) if escape else expr)
    return Template(tuple(pieces))
