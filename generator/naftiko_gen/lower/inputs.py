"""The caller-facing inputs of an exposed operation or tool: declared (`inputParameters`), path
variables, or derived from `with` and the consumed parameters (SEMANTICS.md §1, §4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from ..ir import Input, InputLocation, UpstreamParam, ValueType
from ..jsonpath import JsonPathError, compile_jsonpath, is_definite
from ..load import Pointer
from ..naming import RESERVED, identifier, normalized
from .consumed_operations import JSON_TYPES
from .consumes import ConsumedOperation
from .context import as_list, text
from .session import Session
from .templates import placeholders

SCALARS: frozenset[ValueType] = frozenset({"string", "integer", "number", "boolean"})


def _value_type(json_type: str | None) -> ValueType:
    """The value type of a JSON type name; any JSON value when it is none of them."""
    for value_type in JSON_TYPES:
        if value_type == json_type:
            return value_type
    return "any"


@dataclass(frozen=True, slots=True)
class Exposure:
    """Where an operation is exposed: the adapter kind, its namespace and its path variables."""

    kind: str  # "rest" or "mcp"
    namespace: str
    path_variables: tuple[str, ...] = ()
    alias: str | None = None  # an aggregate function's namespace, also a `with` prefix
    resource: str | None = None  # the exposed resource's name (picks among same-named calls)
    method: str | None = None  # the exposed REST method (likewise)
    ordinals: dict[str, int] = field(default_factory=dict)  # calls of each name so far
    max_binary: int | None = None  # the adapter's `maxBinarySize` in bytes


class InputsLowering:
    """The state of wiring one exposed operation, and how its inputs are decided."""

    def __init__(
        self, session: Session, entry: dict[str, Any], pointer: Pointer, exposure: Exposure
    ) -> None:
        self.ctx = session.ctx
        self.binds = session.binds
        self.consumes = session.consumes
        self.entry = entry
        self.pointer = pointer
        self.exposure = exposure
        self.inputs: list[Input] = []
        self.taken = set(RESERVED)
        self.prefixes = ("rest.", "tools.", "mcp.", f"{exposure.namespace}.") + (
            (f"{exposure.alias}.",) if exposure.alias else ()
        )
        self.step_names: set[str] = set()
        self.in_loop = False  # inside a `forEach` step, `{{item.x}}` is the current element

    # -- inputs ----------------------------------------------------------------------------

    def find_input(self, name: str) -> Input | None:
        """The caller input called `name` (compared after normalising `-`/`_` and case)."""
        for item in self.inputs:
            if normalized(item.name) == normalized(name) or item.py_name == name:
                return item
        return None

    def _add_input(
        self,
        name: str,
        location: InputLocation,
        json_type: str | None,
        description: str,
        *,
        required: bool,
        pattern: str | None = None,
        body_path: tuple[str | int, ...] | None = None,
    ) -> Input:
        if location in ("path", "query", "header", "cookie") and json_type in (None, "object"):
            json_type = "string"  # a URL or a header carries text; an object would be JSON text
        value_type = _value_type(json_type)
        if self.exposure.kind == "rest" and location in ("path", "query", "header", "cookie"):
            value_type = value_type if value_type in SCALARS else "string"
        item = Input(
            name=name,
            py_name=identifier(name, self.taken),
            location=location,
            json_type=json_type,
            type=value_type,
            description=description,
            required=required,
            pattern=pattern,
            body_path=body_path,
        )
        self.inputs.append(item)
        return item

    def declared_inputs(self, declared: list[Any]) -> None:
        for index, param in enumerate(declared):
            if not isinstance(param, dict) or not text(param.get("name")):
                continue
            name = text(param["name"])
            if self.find_input(name):
                self.ctx.warning(
                    "NG102",
                    f"input '{name}' is declared twice; the first declaration is used",
                    (*self.pointer, "inputParameters", index),
                )
                continue
            where = text(param.get("in")) or (
                "path" if name in self.exposure.path_variables else "query"
            )
            if self.exposure.kind == "mcp":
                where = "argument"
            elif where == "body":
                where = "body-field"
            elif where not in ("path", "query", "header", "cookie", "body-field"):
                self.ctx.warning(
                    "NG201",
                    f"input location '{where}' is not supported; it is read from the query string",
                    (*self.pointer, "inputParameters", index, "in"),
                )
                where = "query"
            elif where == "path" and not any(
                normalized(v) == normalized(name) for v in self.exposure.path_variables
            ):
                self.ctx.warning(
                    "NG103",
                    f"input '{name}' is declared in the path, but the path has no {{{name}}}; "
                    "it is read from the query string",
                    (*self.pointer, "inputParameters", index),
                )
                where = "query"
            value = param.get("value")
            if isinstance(value, str) and value and not value.startswith("$"):
                continue  # a constant override, not something the caller sends
            body_path = None
            if where == "body-field" and isinstance(value, str) and value.startswith("$"):
                where = "body-path"
                body_path = self._body_path(value, (*self.pointer, "inputParameters", index))
            json_type = text(param.get("type")) or None
            default_required = where == "path" or self.exposure.kind == "mcp"
            self._add_input(
                name,
                cast("InputLocation", where),  # the branches above leave only input locations
                json_type if json_type in JSON_TYPES else None,
                text(param.get("description")),
                required=bool(param.get("required", default_required)) or where == "path",
                pattern=text(param.get("pattern")) or None,
                body_path=body_path,
            )

    def _body_path(self, value: str, pointer: Pointer) -> tuple[str | int, ...] | None:
        """A REST input read from the JSON request body at a definite JSONPath (engine rule)."""
        try:
            steps = compile_jsonpath(value)
        except JsonPathError as exc:
            self.ctx.error("NG104", str(exc), (*pointer, "value"))
            return None
        if not is_definite(steps):
            self.ctx.error("NG104", f"'{value}' must select one value", (*pointer, "value"))
            return None
        return steps

    def path_inputs(self, described: dict[str, UpstreamParam]) -> None:
        for variable in self.exposure.path_variables:
            if not self.find_input(variable):
                source = described.get(normalized(variable))
                self._add_input(
                    variable,
                    "path",
                    "string",
                    source.description if source else "",
                    required=True,
                )

    def infer_inputs(self, consumed: ConsumedOperation, withs: dict[str, Any]) -> None:
        declared = as_list(self.entry.get("inputParameters"))
        if declared:
            self.declared_inputs(declared)
            self.path_inputs({normalized(p.name): p for p in consumed.ir.params})
            return
        by_name = {normalized(p.name): p for p in consumed.ir.params}
        self.path_inputs(by_name)
        # Inputs named by `with` (rest.x / tools.x / {{x}}), typed by the parameter they feed.
        for key, value in withs.items():
            target = consumed.param(str(key))
            if target is None and str(key).lower() == "authorization":
                continue  # the consumed authentication sets it; no caller input for a token
            for name in self._referenced_inputs(value):
                if not self.find_input(name) and self.binds.lookup(name) is None:
                    self._derived(name, target if target and self._is_whole(value) else None)
        # Consumed parameters that nothing else feeds pass through by name.
        for param in consumed.ir.params:
            fed = any(normalized(str(k)) == normalized(param.name) for k in withs)
            if not fed and not self.find_input(param.name):
                self._derived(param.name, param)

    def _derived(self, name: str, source: UpstreamParam | None) -> None:
        location: InputLocation
        if self.exposure.kind == "mcp":
            location = "argument"
        elif source is not None and source.is_body:
            location = "body" if source.name == "body" else "body-field"
        else:
            location = "query"
        json_type = source.json_type if source else None
        if source is not None and json_type is None:
            # A whole `body` is a JSON object; anything sent as text is a string (§4).
            json_type = "object" if source.name == "body" else None if source.is_body else "string"
            if source.any_json and location == "argument":
                json_type = None  # an MCP argument carries any JSON value; a REST query only text
        self._add_input(
            name,
            location,
            json_type,
            source.description if source else "",
            required=source.required if source else False,
        )

    def _is_whole(self, value: Any) -> bool:
        """Whether a `with` value is exactly one caller reference (so it carries the type)."""
        if not isinstance(value, str):
            return False
        stripped = value.strip()
        parts = placeholders(stripped)
        return stripped.startswith(self.prefixes) or (
            len(parts) == 1 and stripped == "{{" + parts[0] + "}}"
        )

    def _referenced_inputs(self, value: Any) -> list[str]:
        """Caller input names a `with` value refers to."""
        if isinstance(value, str):
            stripped = value.strip()
            for prefix in self.prefixes:
                if stripped.startswith(prefix) and "{{" not in stripped:
                    return [stripped[len(prefix) :]]
            names = []
            for name in placeholders(stripped):
                for prefix in self.prefixes:
                    if name.startswith(prefix):
                        name = name[len(prefix) :]
                        break
                else:
                    if "." in name:
                        continue
                names.append(name)
            return names
        if isinstance(value, dict):
            return [n for v in value.values() for n in self._referenced_inputs(v)]
        if isinstance(value, list):
            return [n for v in value for n in self._referenced_inputs(v)]
        return []
