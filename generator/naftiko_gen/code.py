"""The one path by which document text becomes Python source.

Every string, number or JSON value from a document that lands in generated code goes through
`py_str`, `py_value` or `comment_text`; templates never print document text raw. Strings are
quoted as black and ruff-format quote them; the layout (line breaks) is left to the pinned ruff
that `formatting` runs, except for schemas, which `py_explicit` writes one item per line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

INDENT = "    "


class Code(str):
    """Python source already made safe by this module; `py_value` prints it as it is."""

    __slots__ = ()


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\x00"}


def py_str(text: str) -> str:
    """A Python string literal for `text`, quoted the way black would quote it."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = [quote]
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == quote:
            out.append("\\" + char)
        elif not char.isprintable():
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    out.append(quote)
    return "".join(out)


def py_scalar(value: Any) -> str:
    """A literal for a JSON scalar (str, int, float, bool, None)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return py_str(str(value))
        return repr(value)
    return py_str(str(value))


def py_value(value: Any, indent: int = 0) -> str:
    """A literal for a JSON-like value, on one line: ruff breaks it where it is too long.

    `indent` is the indentation level of the line the literal starts on (for multi-line `Code`).
    """
    if isinstance(value, Code):
        return reindent(value, indent)
    if isinstance(value, Mapping):
        items = (f"{py_str(str(k))}: {py_value(v, indent)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, tuple) and len(value) == 1:
        return f"({py_value(value[0], indent)},)"
    if isinstance(value, Sequence) and not isinstance(value, str):
        opening, closing = ("(", ")") if isinstance(value, tuple) else ("[", "]")
        return opening + ", ".join(py_value(v, indent) for v in value) + closing
    return py_scalar(value)


def py_explicit(value: Any, indent: int = 0) -> str:
    """A literal laid out as a person writes a JSON schema: a collection holding collections is
    exploded one item per line (magic trailing comma), one of scalars only is left to ruff.

    `indent` is the indentation level of the line the literal starts on.
    """
    if isinstance(value, Code) or not _nested(value):
        return py_value(value, indent)
    inner = INDENT * (indent + 1)
    if isinstance(value, Mapping):
        items = [f"{py_str(str(k))}: {py_explicit(v, indent + 1)}" for k, v in value.items()]
        opening, closing = "{", "}"
    else:
        items = [py_explicit(v, indent + 1) for v in value]
        opening, closing = ("(", ")") if isinstance(value, tuple) else ("[", "]")
    lines = [f"{inner}{item}," for item in items]
    return opening + "\n" + "\n".join(lines) + "\n" + INDENT * indent + closing


def _nested(value: Any) -> bool:
    """Whether `value` is a collection with a non-empty collection among its items."""
    if isinstance(value, Mapping):
        value = list(value.values())
    elif not isinstance(value, (list, tuple)):
        return False
    return any(isinstance(v, (Mapping, list, tuple)) and v for v in value)


def reindent(code: str, indent: int) -> str:
    """Indent the continuation lines of a multi-line expression to sit at level `indent`."""
    return code.replace("\n", "\n" + INDENT * indent) if indent else code


def call_code(function: str, args: Sequence[str]) -> Code:
    """`function(arg, ...)` on one line: ruff breaks it where it is too long."""
    return Code(f"{function}(" + ", ".join(args) + ")")


def comment_text(text: str, limit: int = 400) -> str:
    """Document text made safe for a `#` comment or a one-line docstring: one line, bounded.

    Newlines would end a comment early, and backslashes or quotes could end a docstring, so
    whitespace is folded, quotes are softened and the text is cut at `limit` characters.
    """
    folded = " ".join(text.split())
    folded = folded.replace("\\", "/").replace('"', "'")
    if len(folded) > limit:
        folded = folded[: limit - 3].rstrip() + "..."
    return "".join(c if c.isprintable() else " " for c in folded)


def yaml_str(value: Any) -> str:
    """A YAML double-quoted scalar for `value` (JSON string syntax, ASCII only, one line)."""
    return json.dumps(str(value))


def yaml_scalar(value: Any) -> str:
    """A YAML flow scalar for a JSON scalar (a JSON literal is one): for SKILL.md frontmatter."""
    return json.dumps(
        value if isinstance(value, (bool, int, float)) else str(value), ensure_ascii=False
    )


def name_text(text: str) -> str:
    """A file name made safe for every header and prose line of every generated format.

    On top of `comment_text` (one line, no quotes or backslashes, printable), the characters
    that end a Markdown code span or an HTML comment are replaced, so the name can sit in a
    Python comment or docstring, a TOML or Dockerfile comment, and Markdown alike.
    """
    return comment_text(text, 200).translate({ord("`"): "'", ord("<"): "(", ord(">"): ")"})


def toml_str(text: str) -> str:
    """A TOML basic string: JSON's escapes, plus DEL, which TOML forbids raw."""
    return json.dumps(text, ensure_ascii=False).replace(chr(0x7F), "\\u007f")


def json_text(value: Any) -> str:
    """Deterministic, human-readable JSON (for `openapi.json`, the manifest and schemas)."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


_MERMAID_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}
_MERMAID_ENTITIES.update({"`": "#96;", "|": "#124;", "[": "#91;", "]": "#93;", ";": "#59;"})


def mermaid_label(text: str, limit: int = 120) -> str:
    """Document text as a quoted Mermaid label (`"…"`): one line, bounded, entity-escaped.

    Inside quotes Mermaid ends a label only at `"`; `#` starts an entity, `<`/`&` would be read
    as HTML and a backtick as Markdown, so each of these becomes a `#code;` entity (a backtick
    cannot end the README's code fence either).
    """
    folded = " ".join(text.split())
    if len(folded) > limit:
        folded = folded[: limit - 3].rstrip() + "..."
    printable = (c if c.isprintable() else " " for c in folded)
    return '"' + "".join(_MERMAID_ENTITIES.get(c, c) for c in printable) + '"'
