"""Expressions of the IR: what a generated value is made of, with no Python in it.

Lowering builds these small frozen nodes; `printer.py` alone turns them into Python source and
knows the names of the generated runtime. Analyses (`testdata.py`) read the nodes themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

from .jsonpath import Step

# Where generated code reaches a setting: `settings` passed in (client construction, auth checks),
# the client's own (`self.settings`), an operation's (`clients.settings`), or an attribute read
# earlier while the settings are being loaded (a templated default).
SettingReach = Literal["settings", "client", "operation", "loading"]
# How a value is escaped where a template inserts it (SEMANTICS.md §3).
Escape = Literal["path-segment", "xml", "form", "json-string", "json-fragment"]
# What a JSONPath lookup answers: the first match, every match, or the items of a list.
PathMode = Literal["first", "all", "items"]
# The runtime helpers lowering calls, by what they do.
HelperRole = Literal["lookup", "required", "coerce", "bearer", "bearer-ok", "secret-ok", "basic-ok"]


@dataclass(frozen=True, slots=True)
class Lit:
    """A JSON-like value written as it is (no expression inside)."""

    value: Any


@dataclass(frozen=True, slots=True)
class InputRef:
    """A value the caller supplies: an operation input or an upstream method's parameter."""

    py_name: str


@dataclass(frozen=True, slots=True)
class SettingRef:
    """A setting of the package, reached the way the surrounding code reaches settings."""

    attr: str
    reach: SettingReach


@dataclass(frozen=True, slots=True)
class BindFileValue:
    """A key of a bind file read at startup (`file://…`): the fallback of a bound variable."""

    var: str
    key: str


@dataclass(frozen=True, slots=True)
class Local:
    """A variable of the generated operation: `context` (step results), `body`, a loop `item`."""

    name: str


@dataclass(frozen=True, slots=True)
class StepResult:
    """The stored result of an earlier step, by the step's name (None when it did not run)."""

    name: str


@dataclass(frozen=True, slots=True)
class RequestValue:
    """A header or query parameter of the incoming request, as an exposed auth check reads it."""

    source: Literal["headers", "query"]
    key: str


@dataclass(frozen=True, slots=True)
class JsonPath:
    """A compiled JSONPath applied to a value."""

    root: Expr
    steps: tuple[Step, ...]
    mode: PathMode = "first"


@dataclass(frozen=True, slots=True)
class Escaped:
    """A value escaped for where a template inserts it (a URL path segment, XML, a form...)."""

    value: Expr
    escape: Escape


@dataclass(frozen=True, slots=True)
class Template:
    """Text joined from literal pieces and inserted values (SEMANTICS.md §3)."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True, slots=True)
class Helper:
    """A call of a runtime helper, named by its role."""

    role: HelperRole
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Obj:
    """A JSON object whose values may be expressions."""

    fields: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, slots=True)
class Arr:
    """A JSON array whose items may be expressions."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Each:
    """A list built per item of `source`: `element` (an expression over `var`) for each."""

    element: Expr
    var: str
    source: Expr


@dataclass(frozen=True, slots=True)
class Projection:
    """Consumed `outputParameters`: named JSONPaths a step's result is projected onto."""

    fields: tuple[tuple[str, tuple[Step, ...]], ...]


# Values read from somewhere: no expression inside.
Reference = Lit | InputRef | SettingRef | BindFileValue | Local | StepResult | RequestValue
REFERENCE_TYPES = (Lit, InputRef, SettingRef, BindFileValue, Local, StepResult, RequestValue)
Expr = Reference | JsonPath | Escaped | Template | Helper | Obj | Arr | Each | Projection
EXPR_TYPES = (*REFERENCE_TYPES, JsonPath, Escaped, Template, Helper, Obj, Arr, Each, Projection)


def setting_attr(value: Expr | None) -> str | None:
    """The setting a value is exactly, if it is one."""
    return value.attr if isinstance(value, SettingRef) else None


def settings_in(value: Any) -> set[str]:
    """Every setting an expression (or a tuple of parts) reads."""
    if isinstance(value, SettingRef):
        return {value.attr}
    if isinstance(value, tuple):
        return set().union(*(settings_in(item) for item in value))
    if isinstance(value, EXPR_TYPES):
        return set().union(*(settings_in(getattr(value, f.name)) for f in fields(value)))
    return set()


def structure(value: Any) -> Expr:
    """A JSON-like value (dicts, lists, scalars) whose leaves may be expressions, as one."""
    if isinstance(value, EXPR_TYPES):
        return value
    if isinstance(value, dict):
        return Obj(tuple((str(key), structure(item)) for key, item in value.items()))
    if isinstance(value, list):
        return Arr(tuple(structure(item) for item in value))
    return Lit(value)
