"""Expressions (`expr.py`) printed as Python source: the one module that knows the names of the
generated runtime (`_values.first`, …) and of the variables the generated code reaches values
through.

Everything goes through `code.py`'s quoting (`py_str`, `py_value`, `call_code`), so the output is
already in the form black and ruff-format produce.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, assert_never

from .code import Code, call_code, py_explicit, py_str, py_value, reindent
from .expr import (
    EXPR_TYPES,
    REFERENCE_TYPES,
    Arr,
    BindFileValue,
    Each,
    Escape,
    Escaped,
    Expr,
    Helper,
    HelperRole,
    InputRef,
    JsonPath,
    Lit,
    Local,
    Obj,
    PathMode,
    Projection,
    Reference,
    RequestValue,
    SettingReach,
    SettingRef,
    StepResult,
    Template,
)
from .ir import Input, Setting, UpstreamParam, ValueType
from .jsonpath import Step, is_wildcard

_REACH: dict[SettingReach, str] = {
    "settings": "settings.",
    "client": "self.settings.",
    "operation": "clients.settings.",
    "loading": "",
}
# Where each runtime name the printer writes lives (the vendored `_*.py` modules; a generated
# module imports all of them and the formatting step drops the ones it does not use).
_RUNTIME_MODULES: dict[str, str] = {
    "_values": "join_text segment xml_text form_value json_string_content json_fragment "
    "first select items_of STAR lookup required_value coerce bearer",
    "_asgi": "bearer_ok secret_ok basic_ok",
    "_upstream": "ParamValue",
}
_RUNTIME = {name: module for module, names in _RUNTIME_MODULES.items() for name in names.split()}


def runtime(name: str) -> str:
    """A runtime name as generated code writes it: `_values.first`."""
    return f"{_RUNTIME[name]}.{name}"


_ESCAPE: dict[Escape, str] = {
    "path-segment": runtime("segment"),
    "xml": runtime("xml_text"),
    "form": runtime("form_value"),
    "json-string": runtime("json_string_content"),
    "json-fragment": runtime("json_fragment"),
}
_PATH: dict[PathMode, str] = {
    "first": runtime("first"),
    "all": runtime("select"),
    "items": runtime("items_of"),
}
_HELPER: dict[HelperRole, str] = {
    "lookup": runtime("lookup"),
    "required": runtime("required_value"),
    "coerce": runtime("coerce"),
    "bearer": runtime("bearer"),
    "bearer-ok": runtime("bearer_ok"),
    "secret-ok": runtime("secret_ok"),
    "basic-ok": runtime("basic_ok"),
}
PARAM_VALUE = runtime("ParamValue")  # the type of a text-like upstream parameter


def steps_code(steps: tuple[Step, ...]) -> str:
    """A compiled JSONPath as a tuple literal: `("data", _values.STAR, 0)`."""
    items = [
        runtime("STAR") if is_wildcard(s) else py_str(s) if isinstance(s, str) else str(s)
        for s in steps
    ]
    if len(items) == 1:
        return f"({items[0]},)"
    return "(" + ", ".join(items) + ")"


def expression(node: Expr) -> Code:
    """The Python source of an expression (continuation lines indented from column 0)."""
    if isinstance(node, REFERENCE_TYPES):
        return Code(_reference(node))
    if isinstance(node, JsonPath):
        return Code(f"{_PATH[node.mode]}({expression(node.root)}, {steps_code(node.steps)})")
    if isinstance(node, Escaped):
        return Code(f"{_ESCAPE[node.escape]}({expression(node.value)})")
    if isinstance(node, Template):
        return call_code(runtime("join_text"), [_piece(part) for part in node.parts])
    if isinstance(node, Helper):
        return _helper(node)
    if isinstance(node, (Obj, Arr)):
        return Code(py_value(leaves(node)))
    if isinstance(node, Each):
        element = py_value(leaves(node.element), 1)
        source = reindent(expression(node.source), 1)
        return Code(f"[\n    {element}\n    for {node.var} in {source}\n]")
    if isinstance(node, Projection):
        pairs = [f"({py_str(name)}, {steps_code(steps)})" for name, steps in node.fields]
        return Code("(" + ", ".join(pairs) + ",)")
    assert_never(node)


def _reference(node: Reference) -> str:
    """A value read from a variable of the generated code (or written as a literal)."""
    if isinstance(node, Lit):
        return py_value(node.value)
    if isinstance(node, InputRef):
        return node.py_name
    if isinstance(node, SettingRef):
        return _REACH[node.reach] + node.attr
    if isinstance(node, BindFileValue):
        return f"{node.var}.get({py_str(node.key)})"
    if isinstance(node, Local):
        return node.name
    if isinstance(node, StepResult):
        return f"context.get({py_str(node.name)})"
    if isinstance(node, RequestValue):
        return f"{node.source}.get({py_str(node.key)})"
    assert_never(node)


def _piece(part: str | Expr) -> str:
    return py_str(part) if isinstance(part, str) else expression(part)


def _helper(node: Helper) -> Code:
    return call_code(_HELPER[node.role], [expression(arg) for arg in node.args])


def leaves(value: Any) -> Any:
    """A JSON-like structure with its expression leaves printed (`Code`, which `py_value` keeps);
    literal leaves and structures stay values, so `py_value` lays them out as before."""
    if isinstance(value, Lit):
        return value.value
    if isinstance(value, Obj):
        return {key: leaves(item) for key, item in value.fields}
    if isinstance(value, Arr):
        return [leaves(item) for item in value.items]
    if isinstance(value, EXPR_TYPES):
        return expression(value)
    if isinstance(value, Mapping):
        return {key: leaves(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        items = [leaves(item) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    return value


def py(value: Any, indent: int = 0) -> str:
    """The `py` filter: a literal for a JSON-like value, expressions printed in place."""
    return py_value(leaves(value), indent)


def explicit(value: Any, indent: int = 0) -> str:
    """The `py_explicit` filter: `py`, laid out one item per line as a person writes a schema."""
    return py_explicit(leaves(value), indent)


def code(value: Expr | str, indent: int = 0) -> str:
    """The `code` filter: an expression (or Python text built by render) at indent `indent`."""
    return reindent(value if isinstance(value, str) else expression(value), indent)


# How each value type is spelled in a generated annotation.
PY_TYPES: Mapping[ValueType, str] = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "list[Any]",
    "object": "dict[str, Any]",
    "any": "Any",
    "items": "tuple[str, ...]",
}


def annotation(item: UpstreamParam | Input | Setting) -> str:
    """The `annotation` filter: a settings field's type, or an operation's or an upstream
    method's parameter annotation (`| None` when optional). An upstream body takes any JSON
    value, as does a value a JSON template inserts whole; other upstream values are text-like."""
    if isinstance(item, Setting):
        return PY_TYPES[item.type]
    if isinstance(item, Input):
        base = PY_TYPES[item.type]
    else:
        if item.is_body:
            return "Any"
        base = "Any" if item.any_json else PARAM_VALUE
    return base if item.required else f"{base} | None"
