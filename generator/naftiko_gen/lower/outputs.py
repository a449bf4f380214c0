"""Exposed `outputParameters`: reshaping the upstream JSON (SEMANTICS.md §7).

A mapping becomes one Python expression over `body` (the converted upstream JSON): dict literals
for objects, comprehensions for arrays, `first(...)`/`select(...)` for JSONPath lookups. Property
mappings inside an object are evaluated against the response root, array `items` against each
element (the engine's rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..expr import Each, Expr, Helper, JsonPath, Lit, Local, structure
from ..jsonpath import JsonPathError, Step, compile_jsonpath, is_definite
from ..load import Pointer
from .context import Context, as_list, text
from .templates import Resolver, placeholders, template_code

SCALARS = frozenset({"string", "number", "integer", "boolean"})


@dataclass(frozen=True, slots=True)
class Shaped:
    """A lowered output: the mapper expression (None: pass through) and, for MCP, its schema."""

    mapper: Expr | None
    schema: Any


class OutputLowering:
    """Lowers the `outputParameters` of one exposed operation or tool."""

    def __init__(self, ctx: Context, resolve_input: Resolver, *, text_format: bool) -> None:
        self.ctx = ctx
        self.resolve_input = resolve_input
        self.text_format = text_format
        self.depth = 0

    def shape(self, params: list[Any], pointer: Pointer) -> Shaped:
        """The mapper for a called operation's outputs."""
        entries = [(i, p) for i, p in enumerate(params) if isinstance(p, dict)]
        if not entries:
            return Shaped(None, None)
        if len(entries) > 1 and all(text(p.get("name")) for _, p in entries):
            fields = {text(p["name"]): self._expr(p, "body", (*pointer, i)) for i, p in entries}
            schema = {
                "type": "object",
                "properties": {text(p["name"]): self._schema(p) for _, p in entries},
            }
            return Shaped(structure(fields), schema)
        index, param = entries[0]
        if _is_passthrough(param):
            return Shaped(None, None)
        expr = self._expr(param, "body", (*pointer, index))
        schema = self._schema(param)
        root_schema = schema if schema.get("type") == "object" else None
        return Shaped(structure(expr), root_schema)

    def mock(self, params: list[Any], pointer: Pointer) -> Expr:
        """The static answer of a mock operation: `value`s (templates over the inputs)."""
        fields: dict[str, Any] = {}
        for index, param in enumerate(params):
            if isinstance(param, dict):
                name = text(param.get("name")) or "value"
                fields[name] = self._mock_value(param, (*pointer, index))
        return structure(fields)

    def _mock_value(self, param: dict[str, Any], pointer: Pointer) -> Any:
        kind = text(param.get("type"))
        if "value" in param:
            return self._static(param["value"], pointer)
        if "const" in param:
            return param["const"]
        if kind == "object":
            props = param.get("properties")
            return {
                str(k): self._mock_value(v, (*pointer, "properties", k))
                for k, v in (props.items() if isinstance(props, dict) else [])
                if isinstance(v, dict)
            }
        if kind == "array" and isinstance(param.get("items"), dict):
            return [self._mock_value(param["items"], (*pointer, "items"))]
        return None

    def _static(self, value: Any, pointer: Pointer) -> Any:
        if isinstance(value, str) and placeholders(value):
            return template_code(value, self.resolve_input)
        return value

    def _expr(self, param: dict[str, Any], root: str, pointer: Pointer) -> Any:
        """The value of one output parameter, evaluated against `root`."""
        kind = text(param.get("type"))
        if "const" in param:
            return param["const"]
        if "value" in param and not _is_jsonpath(param.get("value"), param):
            return self._static(param["value"], (*pointer, "value"))
        mapping = param.get("mapping", param.get("value"))
        steps = self._steps(mapping, pointer) if isinstance(mapping, str) else None
        if kind == "object" and isinstance(param.get("properties"), dict):
            props = param["properties"]
            return {
                str(k): self._expr(v, root, (*pointer, "properties", k))
                for k, v in props.items()
                if isinstance(v, dict)
            }
        if kind == "array":
            source = JsonPath(Local(root), steps or (), "items")
            items = param.get("items")
            if isinstance(items, list) and items:
                items = items[0]
            if not isinstance(items, dict) or not (
                items.get("properties") or "mapping" in items or "value" in items
            ):
                return source
            self.depth += 1
            var = "item" if self.depth == 1 else f"item_{self.depth}"
            element = self._expr(items, var, (*pointer, "items"))
            self.depth -= 1
            return Each(structure(element), var, source)
        if steps is None:
            return None
        if not is_definite(steps):
            return JsonPath(Local(root), steps, "all")
        lookup: Expr = JsonPath(Local(root), steps) if steps else Local(root)
        if self.text_format and kind in ("number", "integer", "boolean"):
            return Helper("coerce", (lookup, Lit(kind)))
        return lookup

    def _steps(self, mapping: str, pointer: Pointer) -> tuple[Step, ...] | None:
        try:
            return compile_jsonpath(mapping)
        except JsonPathError as exc:
            self.ctx.error(
                "NG104",
                str(exc),
                (*pointer, "mapping"),
                hint="use $, .name, ['name'], [n], [-n] or [*]",
            )
            return None

    def _schema(self, param: dict[str, Any]) -> dict[str, Any]:
        """What the mapper guarantees: object keys and array-ness, not the upstream's scalars."""
        kind = text(param.get("type"))
        schema: dict[str, Any] = {}
        description = text(param.get("description"))
        if kind == "object" and isinstance(param.get("properties"), dict):
            schema = {
                "type": "object",
                "properties": {
                    str(k): self._schema(v)
                    for k, v in param["properties"].items()
                    if isinstance(v, dict)
                },
            }
            schema["required"] = list(schema["properties"])
        elif kind == "array" and isinstance(param.get("items"), dict):
            schema = {"type": "array"}
        if description:
            schema["description"] = description
        return schema


def _is_jsonpath(value: Any, param: dict[str, Any]) -> bool:
    """`value: $...` on a named parameter without `mapping` is a JSONPath (engine rule)."""
    return isinstance(value, str) and value.strip().startswith("$") and "mapping" not in param


def _is_passthrough(param: dict[str, Any]) -> bool:
    """`{type: object, mapping: $.}` without properties: the upstream JSON unchanged."""
    mapping = param.get(
        "mapping", param.get("value") if _is_jsonpath(param.get("value"), param) else None
    )
    kind = text(param.get("type"))
    if kind in ("object", "") and not param.get("properties"):
        return mapping is None or (isinstance(mapping, str) and mapping.strip() in ("$", "$."))
    return False


def output_params(entry: dict[str, Any]) -> list[Any]:
    """The `outputParameters` list of an exposed operation or tool."""
    return as_list(entry.get("outputParameters"))
