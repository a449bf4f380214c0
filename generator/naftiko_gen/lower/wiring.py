"""`call` + `with`: wiring an exposed operation or tool to a consumed operation (SEMANTICS.md §4).

This picks the consumed operation and, for every keyword of the upstream method, the expression
that feeds it; the caller-facing inputs are decided in `inputs.py`, `steps` in `steps.py`.
"""

from __future__ import annotations

import difflib
from typing import Any

from ..expr import Expr, Helper, InputRef, JsonPath, Lit, Local, SettingRef, structure
from ..ir import Call, Called, Input, Mocked, Operation, UpstreamParam
from .binary import DEFAULT_MAX_BINARY_SIZE, OCTET_STREAM
from .consumes import ConsumedOperation
from .context import as_list, text
from .inputs import InputsLowering
from .outputs import OutputLowering, output_params
from .steps import StepsLowering
from .templates import placeholders, template_code

TEXT_FORMATS = frozenset({"xml", "csv", "tsv", "psv", "html", "markdown"})


class OperationWiring(InputsLowering):
    """Lowers one exposed REST operation or MCP tool into an `Operation`: its inputs (see
    `InputsLowering`), the call and the expression feeding each of the call's arguments."""

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
