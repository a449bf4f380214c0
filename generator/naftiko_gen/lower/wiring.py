"""`call` + `with`: wiring an exposed operation or tool to a consumed operation (SEMANTICS.md §4).

This decides the caller-facing inputs (declared, or derived from the path, `with` and the consumed
parameters) and, for every keyword of the upstream method, the expression that feeds it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, cast

from ..expr import Expr, Helper, InputRef, JsonPath, Lit, Local, SettingRef, StepResult, structure
from ..ir import (
    Call,
    Called,
    Input,
    InputLocation,
    Mocked,
    Operation,
    Orchestrated,
    Step,
    UpstreamParam,
)
from ..jsonpath import JsonPathError, compile_jsonpath, is_definite
from ..load import Pointer
from ..naming import RESERVED, identifier, normalized
from .binary import DEFAULT_MAX_BINARY_SIZE, OCTET_STREAM
from .binds import Binds
from .consumes import JSON_TYPES, ConsumedOperation, Consumes
from .context import Context, as_list, mapping, text
from .outputs import OutputLowering, output_params
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
        self,
        ctx: Context,
        binds: Binds,
        consumes: Consumes,
        entry: dict[str, Any],
        pointer: Pointer,
        exposure: Exposure,
    ) -> None:
        self.ctx = ctx
        self.binds = binds
        self.consumes = consumes
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
            return self._orchestrated(py_name, description, outputs)
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
                self._unknown_call(call)  # else the failed import was reported already
            return None
        withs = with_field if isinstance(with_field, dict) else {}
        self._inputs(consumed, withs)
        args = self._args(consumed, withs)
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

    def _orchestrated(self, py_name: str, description: str, outputs: list[Any]) -> Operation | None:
        """`steps` become straight-line code; each result is kept in `context[step-name]`."""
        all_steps = as_list(self.entry["steps"])  # the map form (Ikanos) becomes a list
        raw_steps = [s for s in all_steps if isinstance(s, dict)]
        self.step_names = {text(s.get("name")) for s in raw_steps}
        declared = as_list(self.entry.get("inputParameters"))
        if declared:
            self._declared_inputs(declared)
        self._path_inputs({})
        steps: list[Step] = []
        last: ConsumedOperation | None = None
        transforms = False
        for index, step in enumerate(all_steps):
            pointer = (*self.pointer, "steps", index)
            if not isinstance(step, dict):
                continue
            name = text(step.get("name")) or f"step-{index + 1}"
            kind = text(step.get("type")) or (
                "call" if "call" in step else "lookup" if "index" in step else ""
            )
            if kind == "call":
                consumed = self._step_operation(step, pointer)
                if consumed is None:
                    return None
                steps.append(self._call_step(step, name, consumed, infer_inputs=not declared))
                last = consumed
            elif kind == "lookup":
                steps.append(Step(name, None, self._lookup(step, pointer)))
            elif kind == "transform":
                # A transform describes its work in prose: there is nothing to execute. The
                # operation answers what the other steps gathered, so a caller can do it.
                self.ctx.warning(
                    "NG107",
                    f"transform step '{name}' is prose, not code: it is not executed; the "
                    "operation answers the results of the other steps",
                    (*pointer, "type"),
                )
                transforms = True
            else:
                self._unsupported_step(step, name, kind, pointer)
                return None
        result, mapper = self._orchestrated_result(outputs, last, transforms)
        return Operation(
            py_name=py_name,
            description=description,
            inputs=tuple(self.inputs),
            behaviour=Orchestrated(tuple(steps), result, mapper),
            output_schema=None,
            http_method=last.ir.http_method if last else "GET",
        )

    def _unsupported_step(
        self, step: dict[str, Any], name: str, kind: str, pointer: Pointer
    ) -> None:
        """Report a step of a kind that is not generated (script, or unknown)."""
        if kind == "script":
            self.ctx.error(
                "NG107",
                f"script step '{name}' is not generated: it would run a "
                f"{text(step.get('language')) or 'script'} file in-process, without the "
                "engine's sandbox (statement limit, timeout, allowed languages)",
                (*pointer, "type"),
                hint="do the work in an upstream API and `call` it, or use a lookup step",
            )
            return
        self.ctx.error(
            "NG107",
            f"'{kind or 'untyped'}' steps are not generated (supported: call, lookup)",
            (*pointer, "type"),
            hint="script steps would run document-supplied code; they are not executed",
        )

    def _orchestrated_result(
        self, outputs: list[Any], last: ConsumedOperation | None, transforms: bool
    ) -> tuple[Expr | None, Expr | None]:
        """The steps' answer and mapper: the `mappings`, else the whole context when a transform
        step leaves work to the caller, else the last call's body shaped by outputParameters."""
        result = self._mappings(as_list(self.entry.get("mappings")))
        if result is None and transforms:
            result = Local("context")
        mapper = None
        if result is None and last is not None and outputs:
            shaper = OutputLowering(self.ctx, self.resolve, text_format=False)
            mapper = shaper.shape(outputs, (*self.pointer, "outputParameters")).mapper
        return result, mapper

    def _step_operation(self, step: dict[str, Any], pointer: Pointer) -> ConsumedOperation | None:
        """The operation a call step names; None (reported, unless its import failed) if none.
        A binary operation is reported: its bytes cannot flow into later steps."""
        call = text(step.get("call"))
        consumed = self.consumes.operations.get(call)
        if consumed is None and call.split(".", 1)[0] not in self.consumes.unresolved:
            self.pointer, saved = pointer, self.pointer
            self._unknown_call(call)
            self.pointer = saved
        if consumed is not None and consumed.ir.output_format == "binary":
            self.ctx.warning(
                "NG107",
                "a step cannot use a binary answer (only JSON-like data flows between steps); "
                "its result reads as null",
                (*pointer, "call"),
            )
        return consumed

    def _call_step(
        self, step: dict[str, Any], name: str, consumed: ConsumedOperation, *, infer_inputs: bool
    ) -> Step:
        """A call step; `forEach` repeats it per item. Without declared `inputParameters` the
        operation's inputs are inferred from the step's `with`."""
        withs = mapping(step.get("with"))
        for_each = None
        if isinstance(step.get("forEach"), str):
            for_each = template_code(step["forEach"], self.resolve)
            self.in_loop = True
        if infer_inputs:
            self._inputs(consumed, withs)
        args = self._args(consumed, withs)
        self.in_loop = False
        call = Call(consumed.upstream_attr, consumed.ir.method_name, tuple(args))
        return Step(name, call, None, for_each)

    def _context_path(self, value: str, pointer: Pointer) -> Expr | None:
        """`$.step-name.a.b` as a lookup into the step results."""
        try:
            steps = compile_jsonpath(value)
        except JsonPathError as exc:
            self.ctx.error("NG104", str(exc), pointer)
            return None
        return JsonPath(Local("context"), steps)

    def _lookup(self, step: dict[str, Any], pointer: Pointer) -> Expr:
        index = text(step.get("index"))
        value = text(step.get("lookupValue"))
        if index not in self.step_names:
            self.ctx.error(
                "NG101",
                f"lookup index '{index}' names no earlier step",
                (*pointer, "index"),
            )
        found = (
            self._context_path(value, (*pointer, "lookupValue"))
            if value.strip().startswith("$")
            else template_code(value, self.resolve)
        )
        fields = tuple(str(f) for f in as_list(step.get("outputParameters")))
        return Helper(
            "lookup",
            (StepResult(index), Lit(text(step.get("match"))), found or Lit(None), Lit(fields)),
        )

    def _mappings(self, mappings: list[Any]) -> Expr | None:
        """`mappings` (dotted `target`s, `targetName` before beta) as one nested dict literal.

        A mapping without a usable target is an error, never silently dropped.
        """
        tree: dict[str, Any] = {}
        for index, entry in enumerate(mappings):
            if not isinstance(entry, dict):
                continue
            target = text(entry.get("target")) or text(entry.get("targetName"))
            value = text(entry.get("value"))
            if not target or "" in target.split("."):
                self.ctx.error(
                    "NG109",
                    f"mapping {index + 1} has no `target`, or an empty part in it: '{target}'",
                    (*self.pointer, "mappings", index),
                    hint="`target` names the output field, dotted for nesting (e.g. route.from)",
                )
                continue
            pointer = (*self.pointer, "mappings", index, "value")
            expr = (
                self._context_path(value, pointer)
                if value.strip().startswith("$")
                else template_code(value, self.resolve)
            )
            node = tree
            *parents, leaf = target.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = expr or Lit(None)
        return structure(tree) if tree else None

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
        self._declared_inputs(as_list(self.entry.get("inputParameters")))
        self._path_inputs({})
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

    def _unknown_call(self, call: str) -> None:
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

    def _declared_inputs(self, declared: list[Any]) -> None:
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

    def _path_inputs(self, described: dict[str, UpstreamParam]) -> None:
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

    def _inputs(self, consumed: ConsumedOperation, withs: dict[str, Any]) -> None:
        declared = as_list(self.entry.get("inputParameters"))
        if declared:
            self._declared_inputs(declared)
            self._path_inputs({normalized(p.name): p for p in consumed.ir.params})
            return
        by_name = {normalized(p.name): p for p in consumed.ir.params}
        self._path_inputs(by_name)
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

    def _args(self, consumed: ConsumedOperation, withs: dict[str, Any]) -> list[tuple[str, Expr]]:
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
