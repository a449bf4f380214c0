"""Orchestrated operations (`steps`): call and lookup steps run in order, their results kept in
`context` by step name, the answer built by `mappings` (SEMANTICS.md §4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..expr import Expr, Helper, JsonPath, Lit, Local, StepResult, structure
from ..ir import Call, Operation, Orchestrated, Step
from ..jsonpath import JsonPathError, compile_jsonpath
from ..load import Pointer
from .consumes import ConsumedOperation
from .context import as_list, mapping, text
from .outputs import OutputLowering
from .templates import template_code

if TYPE_CHECKING:
    from .wiring import OperationWiring


class StepsLowering:
    """Lowers the `steps` of one exposed operation, wired through its `OperationWiring`."""

    def __init__(self, wiring: OperationWiring) -> None:
        self.wiring = wiring

    def run(self, py_name: str, description: str, outputs: list[Any]) -> Operation | None:
        """`steps` become straight-line code; each result is kept in `context[step-name]`."""
        all_steps = as_list(self.wiring.entry["steps"])  # the map form (Ikanos) becomes a list
        raw_steps = [s for s in all_steps if isinstance(s, dict)]
        self.wiring.step_names = {text(s.get("name")) for s in raw_steps}
        declared = as_list(self.wiring.entry.get("inputParameters"))
        if declared:
            self.wiring.declared_inputs(declared)
        self.wiring.path_inputs({})
        steps: list[Step] = []
        last: ConsumedOperation | None = None
        transforms = False
        for index, step in enumerate(all_steps):
            pointer = (*self.wiring.pointer, "steps", index)
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
                self.wiring.ctx.warning(
                    "NG107",
                    f"transform step '{name}' is prose, not code: it is not executed; the "
                    "operation answers the results of the other steps",
                    (*pointer, "type"),
                )
                transforms = True
            else:
                self._unsupported_step(step, name, kind, pointer)
                return None
        result, mapper = self._result(outputs, last, transforms)
        return Operation(
            py_name=py_name,
            description=description,
            inputs=tuple(self.wiring.inputs),
            behaviour=Orchestrated(tuple(steps), result, mapper),
            output_schema=None,
            http_method=last.ir.http_method if last else "GET",
        )

    def _unsupported_step(
        self, step: dict[str, Any], name: str, kind: str, pointer: Pointer
    ) -> None:
        """Report a step of a kind that is not generated (script, or unknown)."""
        if kind == "script":
            self.wiring.ctx.error(
                "NG107",
                f"script step '{name}' is not generated: it would run a "
                f"{text(step.get('language')) or 'script'} file in-process, without the "
                "engine's sandbox (statement limit, timeout, allowed languages)",
                (*pointer, "type"),
                hint="do the work in an upstream API and `call` it, or use a lookup step",
            )
            return
        self.wiring.ctx.error(
            "NG107",
            f"'{kind or 'untyped'}' steps are not generated (supported: call, lookup)",
            (*pointer, "type"),
            hint="script steps would run document-supplied code; they are not executed",
        )

    def _result(
        self, outputs: list[Any], last: ConsumedOperation | None, transforms: bool
    ) -> tuple[Expr | None, Expr | None]:
        """The steps' answer and mapper: the `mappings`, else the whole context when a transform
        step leaves work to the caller, else the last call's body shaped by outputParameters."""
        result = self._mappings(as_list(self.wiring.entry.get("mappings")))
        if result is None and transforms:
            result = Local("context")
        mapper = None
        if result is None and last is not None and outputs:
            shaper = OutputLowering(self.wiring.ctx, self.wiring.resolve, text_format=False)
            mapper = shaper.shape(outputs, (*self.wiring.pointer, "outputParameters")).mapper
        return result, mapper

    def _step_operation(self, step: dict[str, Any], pointer: Pointer) -> ConsumedOperation | None:
        """The operation a call step names; None (reported, unless its import failed) if none.
        A binary operation is reported: its bytes cannot flow into later steps."""
        call = text(step.get("call"))
        consumed = self.wiring.consumes.operations.get(call)
        if consumed is None and call.split(".", 1)[0] not in self.wiring.consumes.unresolved:
            self.wiring.pointer, saved = pointer, self.wiring.pointer
            self.wiring.unknown_call(call)
            self.wiring.pointer = saved
        if consumed is not None and consumed.ir.output_format == "binary":
            self.wiring.ctx.warning(
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
            for_each = template_code(step["forEach"], self.wiring.resolve)
            self.wiring.in_loop = True
        if infer_inputs:
            self.wiring.infer_inputs(consumed, withs)
        args = self.wiring.args(consumed, withs)
        self.wiring.in_loop = False
        call = Call(consumed.upstream_attr, consumed.ir.method_name, tuple(args))
        return Step(name, call, None, for_each)

    def _context_path(self, value: str, pointer: Pointer) -> Expr | None:
        """`$.step-name.a.b` as a lookup into the step results."""
        try:
            steps = compile_jsonpath(value)
        except JsonPathError as exc:
            self.wiring.ctx.error("NG104", str(exc), pointer)
            return None
        return JsonPath(Local("context"), steps)

    def _lookup(self, step: dict[str, Any], pointer: Pointer) -> Expr:
        index = text(step.get("index"))
        value = text(step.get("lookupValue"))
        if index not in self.wiring.step_names:
            self.wiring.ctx.error(
                "NG101",
                f"lookup index '{index}' names no earlier step",
                (*pointer, "index"),
            )
        found = (
            self._context_path(value, (*pointer, "lookupValue"))
            if value.strip().startswith("$")
            else template_code(value, self.wiring.resolve)
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
                self.wiring.ctx.error(
                    "NG109",
                    f"mapping {index + 1} has no `target`, or an empty part in it: '{target}'",
                    (*self.wiring.pointer, "mappings", index),
                    hint="`target` names the output field, dotted for nesting (e.g. route.from)",
                )
                continue
            pointer = (*self.wiring.pointer, "mappings", index, "value")
            expr = (
                self._context_path(value, pointer)
                if value.strip().startswith("$")
                else template_code(value, self.wiring.resolve)
            )
            node = tree
            *parents, leaf = target.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = expr or Lit(None)
        return structure(tree) if tree else None
