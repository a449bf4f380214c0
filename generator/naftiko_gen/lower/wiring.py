"""`call` + `with`: wiring an exposed operation or tool to a consumed operation (SEMANTICS.md §4).

This decides the caller-facing inputs (declared, or derived from the path, `with` and the consumed
parameters) and, for every keyword of the upstream method, the expression that feeds it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, cast

from ..expr import Expr, Helper, InputRef, JsonPath, Lit, Local, SettingRef, structure
from ..ir import (
    Call,
    Called,
    Input,
    InputLocation,
    Mocked,
    Operation,
    UpstreamParam,
)
from ..jsonpath import JsonPathError, compile_jsonpath, is_definite
from ..load import Pointer
from ..naming import RESERVED, identifier, normalized
from .binary import DEFAULT_MAX_BINARY_SIZE, OCTET_STREAM
from .consumes import JSON_TYPES, ConsumedOperation
from .context import as_list, text
from .outputs import OutputLowering, output_params
from .session import Session
from .steps import StepsLowering
from .templates import placeholders, template_code

TEXT_FORMATS = frozenset({"xml", "csv", "tsv", "psv", "html", "markdown"})


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


class OperationWiring:
    """Lowers one exposed REST operation or MCP tool into an `Operation`."""

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

    # -- entry point -----------------------------------------------------------------------

    def run(self, py_name: str, description: str) -> Operation | None:
        """The lowered operation, or None (with a diagnostic) when it cannot be generated."""
        call_field = self.entry.get("call")
        with_field = self.entry.get("with")
        if isinstance(call_field, dict):
            with_field = {**(with_field or {}), **(call_field.get("with") or {})}
            call_field = call_field.get("operation")
        call = text(call_field)
        outputs = output_params(self.entry)
        if not call and isinstance(self.entry.get("steps"), (list, dict)):
            return StepsLowering(self).run(py_name, description, outputs)
        if not call:
            return self._without_call(py_name, description, outputs)
        ordinal = self.exposure.ordinals.get(call, 0)
        self.exposure.ordinals[call] = ordinal + 1
        consumed = self.consumes.find(
            call,
            resource=self.exposure.resource,
            description=text(self.entry.get("description")),
            method=self.exposure.method,
            ordinal=ordinal,
        )
        if consumed is None:
            if call.split(".", 1)[0] not in self.consumes.unresolved:
                self.unknown_call(call)  # else the failed import was reported already
            return None
        withs = with_field if isinstance(with_field, dict) else {}
        self.infer_inputs(consumed, withs)
        args = self.args(consumed, withs)
        if consumed.ir.output_format == "binary":
            return self._binary(py_name, description, consumed, args, outputs)
        shaper = OutputLowering(
            self.ctx,
            self.resolve,
            text_format=consumed.ir.output_format in TEXT_FORMATS,
        )
        shaped = shaper.shape(outputs, (*self.pointer, "outputParameters"))
        return Operation(
            py_name=py_name,
            description=description,
            inputs=tuple(self.inputs),
            behaviour=Called(
                Call(consumed.upstream_attr, consumed.ir.method_name, tuple(args)), shaped.mapper
            ),
            output_schema=shaped.schema,
            http_method=consumed.ir.http_method,
        )

    def _binary(
        self,
        py_name: str,
        description: str,
        consumed: ConsumedOperation,
        args: list[tuple[str, Expr]],
        outputs: list[Any],
    ) -> Operation:
        """An operation answering a binary upstream body as it is, under the size limit."""
        if outputs:
            self.ctx.warning(
                "NG201",
                "outputParameters do not apply to a binary response (the upstream's bytes are "
                "answered as they are); they are ignored",
                (*self.pointer, "outputParameters"),
            )
        limit = consumed.ir.max_binary or self.exposure.max_binary or DEFAULT_MAX_BINARY_SIZE
        return Operation(
            py_name=py_name,
            description=description,
            inputs=tuple(self.inputs),
            behaviour=Called(
                Call(
                    consumed.upstream_attr,
                    consumed.ir.method_name,
                    (*args, ("max_bytes", Lit(limit))),
                ),
                None,
                consumed.ir.media_type or OCTET_STREAM,
            ),
            output_schema=None,
            http_method=consumed.ir.http_method,
        )

    def _without_call(self, py_name: str, description: str, outputs: list[Any]) -> Operation | None:
        if "ref" in self.entry:
            self.ctx.error(
                "NG107", "a `ref` that names no aggregate function", (*self.pointer, "ref")
            )
            return None
        if not any(isinstance(p, dict) and "value" in p for p in outputs):
            self.ctx.warning(
                "NG107",
                "this operation has no `call`, `steps`, `ref` or mock `value`; it is not generated",
                self.pointer,
            )
            return None
        self.declared_inputs(as_list(self.entry.get("inputParameters")))
        self.path_inputs({})
        shaper = OutputLowering(self.ctx, self.resolve, text_format=False)
        mock = shaper.mock(outputs, (*self.pointer, "outputParameters"))
        return Operation(
            py_name=py_name,
            description=description,
            inputs=tuple(self.inputs),
            behaviour=Mocked(mock),
            output_schema=None,
            http_method="GET",
        )

    def unknown_call(self, call: str) -> None:
        close = difflib.get_close_matches(call, list(self.consumes.operations), n=1)
        hint = f"did you mean '{close[0]}'?" if close else None
        if "." not in call:
            hint = "a call has the form <consumes-namespace>.<operation-name>"
        self.ctx.error(
            "NG101",
            f"'{call}' names no consumed operation",
            (*self.pointer, "call"),
            hint=hint,
        )

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
        py_type = JSON_TYPES.get(json_type or "", "Any")
        if self.exposure.kind == "rest" and location in ("path", "query", "header", "cookie"):
            py_type = {"str": "str", "int": "int", "float": "float", "bool": "bool"}.get(
                py_type, "str"
            )
        item = Input(
            name=name,
            py_name=identifier(name, self.taken),
            location=location,
            json_type=json_type,
            py_type=py_type,
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

    # -- arguments -------------------------------------------------------------------------

    def resolve(self, name: str) -> Expr | None:
        """A placeholder on the exposed side: a caller input, a step result, else a bind."""
        head, _, rest = name.partition(".")
        if head == "item" and self.in_loop:
            path = tuple(p for p in rest.split(".") if p)
            return JsonPath(Local("item"), path)
        if head in self.step_names:
            path = tuple(p for p in rest.split(".") if p)
            return JsonPath(Local("context"), (head, *path))
        for prefix in self.prefixes:
            if name.startswith(prefix):
                name = name[len(prefix) :]
                break
        found = self.find_input(name)
        if found:
            return InputRef(found.py_name)
        attr = self.binds.lookup(name)
        return SettingRef(attr, "operation") if attr else None

    def _with_value(self, value: Any, key: str) -> Expr | None:
        if isinstance(value, (bool, int, float)) or value is None:
            return Lit(value)
        if isinstance(value, (dict, list)):
            return structure(self._structure(value))
        value = str(value)
        stripped = value.strip()
        for prefix in self.prefixes:
            if stripped.startswith(prefix) and "{{" not in stripped:
                found = self.find_input(stripped[len(prefix) :])
                if found is None:
                    self.ctx.warning(
                        "NG204",
                        f"`with` value '{stripped}' names no input of this operation; "
                        f"'{key}' is not sent",
                        (*self.pointer, "with", key),
                    )
                    return None
                return InputRef(found.py_name)
        if placeholders(value):
            return template_code(value, self.resolve)
        return Lit(value)

    def _structure(self, value: Any) -> Any:
        if isinstance(value, str) and placeholders(value):
            return template_code(value, self.resolve)
        if isinstance(value, dict):
            return {str(k): self._structure(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._structure(v) for v in value]
        return value

    def args(self, consumed: ConsumedOperation, withs: dict[str, Any]) -> list[tuple[str, Expr]]:
        args: list[tuple[str, Expr]] = []
        used: set[str] = set()
        for key, value in withs.items():
            param = consumed.param(str(key))
            if param is None or param.py_name in used:
                continue  # a second key for the same parameter (`MaxResults`, `maxResults`)
            code = self._with_value(value, str(key))
            if code is not None:
                args.append((param.py_name, self._required(code, param)))
                used.add(param.py_name)
        for param in consumed.ir.params:
            if param.py_name in used:
                continue
            found = self.find_input(param.name)
            if found is not None:
                args.append((param.py_name, self._required(InputRef(found.py_name), param, found)))
            elif param.required:
                # The declared inputs forgot a value the upstream cannot do without: the plain
                # intent is that the caller supplies it, so it becomes an input (SEMANTICS §1).
                self.ctx.warning(
                    "NG103",
                    f"'{param.name}' of '{consumed.ir.key}' is not among the declared inputs; "
                    "it is added as a required input",
                    (*self.pointer, "call"),
                    hint=f"declare an input '{param.name}' or add `with: {{{param.name}: ...}}`",
                )
                self._derived(param.name, param)
                added = self.find_input(param.name)
                assert added is not None
                args.append((param.py_name, InputRef(added.py_name)))
        return args

    def _required(self, value: Expr, param: UpstreamParam, source: Input | None = None) -> Expr:
        """Wrap an optional input feeding a required parameter so a missing value is reported."""
        if param.required and source is not None and not source.required:
            return Helper("required", (value, Lit(source.name)))
        return value
