"""How a generated REST handler reads one input: where from, converted how, checked against what.

The handler code is `read.required(field, raw value, converter[, pattern])` (or `optional`),
with the converters of the generated `_rest.py`: strict, as the MCP adapter's JSON Schema.
"""

from __future__ import annotations

import re

from .code import Code, py_str
from .expr import JsonPath, Local
from .ir import Input
from .printer import expression

# Path, query, header and cookie values are text, converted to the input's Python type.
TEXT_CONVERTERS = {
    "string": "web.text",
    "integer": "web.integer",
    "number": "web.number",
    "boolean": "web.boolean",
}
# Body values are JSON, checked against the input's JSON type.
JSON_CONVERTERS = {
    "string": "web.json_string",
    "integer": "web.json_integer",
    "number": "web.json_number",
    "boolean": "web.json_boolean",
    "array": "web.json_array",
    "object": "web.json_object",
}


def _raw(item: Input) -> str:
    """The expression giving the input's raw value, None when the request does not carry it."""
    if item.body_path is not None:
        return expression(JsonPath(Local("fields"), item.body_path))
    if item.location == "body":
        return "payload"
    if item.location in ("body-field", "body-path"):
        return f"fields.get({py_str(item.name)})"
    return f"read.{item.location}({py_str(_wire_name(item))})"


def _wire_name(item: Input) -> str:
    """Path variables are renamed to their Python names in the route (as in openapi.json)."""
    return item.py_name if item.location == "path" else item.name


def _field(item: Input) -> str:
    """How a problem names the input: `query.limit`, `body.count`, `body`."""
    if item.location == "body":
        return "body"
    where = "body" if item.location.startswith("body") else item.location
    return f"{where}.{_wire_name(item)}"


def checkable(pattern: str) -> bool:
    """Whether Python's `re` compiles a pattern (else the handler cannot check it)."""
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _pattern(item: Input) -> str | None:
    """The input's pattern, if it applies (strings only) and can be checked."""
    if item.pattern is None or item.json_type not in (None, "string"):
        return None
    return item.pattern if checkable(item.pattern) else None


def rest_read(item: Input) -> Code:
    """`read.required("query.limit", read.query("limit"), web.integer)` for one input."""
    if item.location.startswith("body"):
        converter = JSON_CONVERTERS.get(item.json_type or "", "web.json_any")
    else:
        converter = TEXT_CONVERTERS[item.type]
    args = [py_str(_field(item)), _raw(item), converter]
    pattern = _pattern(item)
    if pattern is not None:
        args.append(py_str(pattern))
    how = "required" if item.required else "optional"
    return Code(f"read.{how}({', '.join(args)})")
