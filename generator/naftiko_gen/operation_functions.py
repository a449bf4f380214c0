"""One function in `operations.py` per behaviour: a REST route and an MCP tool over the same call
share it, instead of each getting a verbatim copy."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from .ir import Operation


@dataclass(frozen=True, slots=True)
class OperationFunctions:
    """The functions `operations.py` defines, and which one serves each exposed operation."""

    functions: tuple[Operation, ...]  # one per behaviour, in the order of first use
    by_name: dict[str, str]  # every operation's `py_name` → the function that implements it


def behaviour(operation: Operation) -> Hashable:
    """All that an operation function's signature and body are made of, its name and docstring
    aside: operations equal in it are served by one function.

    Inputs are keyword-only and a call's arguments are keywords over them, so their order does
    not change what the function does.
    """
    signature = sorted((i.py_name, i.type, i.required) for i in operation.inputs)
    call = operation.call
    return (
        tuple(signature),
        call and (call.upstream_attr, call.method_name, tuple(sorted(call.args))),
        operation.mapper,
        operation.mock,
        operation.steps,
        operation.result,
    )


def operation_functions(operations: Sequence[Operation]) -> OperationFunctions:
    """Group `operations` by behaviour; the first of each group names the shared function."""
    first: dict[Hashable, Operation] = {}
    by_name: dict[str, str] = {}
    for operation in operations:
        shared = first.setdefault(behaviour(operation), operation)
        by_name[operation.py_name] = shared.py_name
    return OperationFunctions(tuple(first.values()), by_name)
