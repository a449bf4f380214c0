"""Consumed operations: each becomes a method of its upstream's client class, with keyword
parameters for the values the caller supplies (path, query, header, cookie, body; SEMANTICS §3)."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from ..expr import Escaped, Expr, InputRef, Lit, Projection, SettingRef
from ..ir import ParamLocation, UpstreamOperation, UpstreamParam, ValueType
from ..jsonpath import JsonPathError, Step, compile_jsonpath
from ..load import Pointer
from ..naming import identifier, normalized
from .binary import binary_size
from .binds import valid_env
from .bodies import BodyLowering
from .context import as_list, label, text
from .templates import PATH_VARIABLE, template_code

if TYPE_CHECKING:
    from .consumes import _UpstreamLowering

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
JSON_TYPES: frozenset[ValueType] = frozenset(
    {"string", "integer", "number", "boolean", "array", "object"}
)
CALLER_PREFIXES = ("rest.", "tools.", "mcp.")
FORMATS = frozenset({"json", "yaml", "xml", "csv", "tsv", "psv", "html", "markdown"})
UNSUPPORTED_FORMATS = frozenset({"protobuf", "avro"})


class OperationLowering:
    """Lowers one consumed operation into a client method."""

    def __init__(
        self,
        upstream: _UpstreamLowering,
        resource: dict[str, Any],
        r_pointer: Pointer,
        op: dict[str, Any],
        pointer: Pointer,
    ) -> None:
        self.up = upstream
        self.ctx = upstream.ctx
        self.resource = resource
        self.r_pointer = r_pointer
        self.op = op
        self.pointer = pointer
        self.params: dict[str, UpstreamParam] = {}
        self.taken = {"self"}

    def kwarg(
        self,
        name: str,
        *,
        required: bool,
        declared: dict[str, Any] | None = None,
        body: bool = False,
        location: ParamLocation = "query",
    ) -> Expr:
        """The keyword parameter for a caller-supplied value, created on first use."""
        key = normalized(name)
        if key not in self.params:
            declared = declared or {}
            json_type = text(declared.get("type")) or None
            if json_type not in JSON_TYPES:
                json_type = None if body else json_type
            if "required" in declared:
                required = declared.get("required") is True
            self.params[key] = UpstreamParam(
                name=name,
                py_name=identifier(name, self.taken),
                required=required,
                json_type=json_type if json_type in JSON_TYPES else None,
                description=text(declared.get("description")),
                is_body=body,
                location="body" if body else location,
            )
        return InputRef(self.params[key].py_name)

    def resolve(self, name: str, pointer: Pointer) -> Expr | None:
        """A placeholder on the consumed side: a bind, else a value the caller supplies."""
        attr = self.up.binds.lookup(name)
        if attr:
            return SettingRef(attr, "client")
        for prefix in CALLER_PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix) :]
                break
        if (
            re.fullmatch(r"[A-Z][A-Z0-9_]*", name.removeprefix("env."))
            and normalized(name) not in self.params
        ):
            implicit = self.up.binds.implicit(self.ctx, name, pointer)
            if implicit:
                return SettingRef(implicit, "client")
        return self.kwarg(name, required=False)

    def _environment_param(self, name: str, pointer: Pointer) -> None:
        """An `in: environment` parameter: bound to the environment variable of its name."""
        if valid_env(self.ctx, name, (*pointer, "name")):
            self.up.binds.add_env(self.ctx, name, name, "read by an `in: environment` param")

    def _param_value(
        self, name: str, param: dict[str, Any], where: ParamLocation, pointer: Pointer
    ) -> Expr:
        """A query, header or cookie parameter's value: its `value` template, else an argument."""
        if "value" in param:
            return template_code(
                text(param.get("value")), functools.partial(self.resolve, pointer=pointer)
            )
        return self.kwarg(
            name, required=param.get("required") is True, declared=param, location=where
        )

    def run(self, method_name: str, client_free: list[dict[str, Any]]) -> UpstreamOperation:
        http_method = (text(self.op.get("method")) or "GET").upper()
        path = self._path()
        declared = self._declared_params(client_free)
        path_parts = self._path_parts(path, declared)
        query: list[tuple[str, Expr]] = []
        headers: list[tuple[str, Expr]] = []
        cookies: list[tuple[str, Expr]] = []
        body_params: list[tuple[str, dict[str, Any]]] = []
        targets: dict[str, tuple[list[tuple[str, Expr]], ParamLocation]] = {
            "query": (query, "query"),
            "header": (headers, "header"),
            "cookie": (cookies, "cookie"),
        }
        path_names = {
            normalized((m.group(1) or m.group(2)).strip()) for m in PATH_VARIABLE.finditer(path)
        }
        for name, (param, pointer) in declared.items():
            where = text(param.get("in")) or "query"
            if where == "path":
                if normalized(name) not in path_names:
                    self.ctx.warning(
                        "NG103",
                        f"path parameter '{name}' does not appear in the path '{path}'; "
                        "it is not sent",
                        pointer,
                    )
                continue
            if where == "body":
                body_params.append((name, param))
                continue
            if where == "environment":
                self._environment_param(name, pointer)
                continue
            if where == "header" and name.lower() == "authorization" and self.up.has_auth:
                # The consumed `authentication` sets this header; a caller must not override it.
                self.ctx.warning(
                    "NG201",
                    "header parameter 'Authorization' is ignored: the namespace's "
                    "`authentication` sets it",
                    pointer,
                )
                continue
            if where not in targets:
                self.ctx.warning("NG201", f"parameter location '{where}' is not supported", pointer)
                continue
            target, location = targets[where]
            target.append((name, self._param_value(name, param, location, pointer)))
        body = BodyLowering(self).body(body_params)
        fmt = self._output_format()
        if fmt != "binary":  # bytes are passed through, not converted
            self.up.result.formats.add(fmt)
        params = tuple(self.params.values())
        projection = self._projection()
        return UpstreamOperation(
            key=f"{self.up.namespace}.{text(self.op.get('name'))}",
            name=text(self.op.get("name")),
            method_name=method_name,
            http_method=http_method,
            description=text(self.op.get("description")) or label(self.op),
            params=params,
            path_parts=path_parts,
            query=tuple(query),
            headers=tuple(headers),
            cookies=tuple(cookies),
            body=body,
            output_format=fmt,
            idempotent=http_method in IDEMPOTENT,
            projection=projection,
            max_binary=binary_size(self.ctx, self.op, self.pointer),
            media_type=text(self.op.get("outputMediaType")) or None,
        )

    def _path(self) -> str:
        """The operation's path below the base URI: the resource's path, then the operation's."""
        path = text(self.resource.get("path"))
        op_path = text(self.op.get("path"))
        if op_path:
            path = path.rstrip("/") + "/" + op_path.lstrip("/") if path else op_path
        if path and not path.startswith("/"):
            path = "/" + path
        return path

    def _output_format(self) -> str:
        """`outputRawFormat`, lowercased (`binary`: bytes passed through); an unknown one warns and
        is read as JSON."""
        fmt = (text(self.op.get("outputRawFormat")) or "json").lower()
        if fmt in UNSUPPORTED_FORMATS:
            self.ctx.warning(
                "NG201",
                f"outputRawFormat '{fmt}' is not supported; calls answer a 502 that says so",
                (*self.pointer, "outputRawFormat"),
            )
        elif fmt not in FORMATS and fmt != "binary":
            self.ctx.warning(
                "NG201",
                f"outputRawFormat '{fmt}' is unknown; the body is read as JSON",
                (*self.pointer, "outputRawFormat"),
            )
            fmt = "json"
        return fmt

    def _projection(self) -> Projection | None:
        """Consumed outputParameters (`{name, value: $.path}`): how a step result is projected.

        The catalog idiom `{name: result, value: $.}` alone means "the whole body" and is left
        out, so that mappings read `$.step.field` as the document's author intended.
        """
        pairs: list[tuple[str, tuple[Step, ...]]] = []
        params = [p for p in as_list(self.op.get("outputParameters")) if isinstance(p, dict)]
        for index, param in enumerate(params):
            path = param.get("mapping", param.get("value"))
            name = text(param.get("name"))
            if not name or not isinstance(path, str) or not path.strip().startswith("$"):
                continue
            try:
                steps = compile_jsonpath(path)
            except JsonPathError as exc:
                self.ctx.warning(
                    "NG104",
                    f"{exc}; this output parameter is ignored",
                    (*self.pointer, "outputParameters", index),
                )
                continue
            if steps == () and len(params) == 1:
                return None
            pairs.append((name, steps))
        return Projection(tuple(pairs)) if pairs else None

    def _declared_params(
        self, client_free: list[dict[str, Any]]
    ) -> dict[str, tuple[dict[str, Any], Pointer]]:
        """Client-, resource- and operation-level parameters; later levels win by name."""
        declared: dict[str, tuple[dict[str, Any], Pointer]] = {}
        sources = [
            (client_free, (*self.up.pointer, "inputParameters")),
            (as_list(self.resource.get("inputParameters")), (*self.r_pointer, "inputParameters")),
            (as_list(self.op.get("inputParameters")), (*self.pointer, "inputParameters")),
        ]
        for params, base in sources:
            for index, param in enumerate(params):
                if isinstance(param, dict) and text(param.get("name")):
                    declared[text(param["name"])] = (param, (*base, index))
        return declared

    def _path_parts(
        self, path: str, declared: dict[str, tuple[dict[str, Any], Pointer]]
    ) -> tuple[Expr, ...]:
        """Literal text and percent-encoded segment values of the request path."""
        parts: list[Expr] = []
        pos = 0
        by_name = {normalized(n): v for n, v in declared.items()}
        for match in PATH_VARIABLE.finditer(path):
            if match.start() > pos:
                parts.append(Lit(path[pos : match.start()]))
            name = (match.group(1) or match.group(2)).strip()
            param, pointer = by_name.get(normalized(name), ({}, self.pointer))
            if "value" in param:
                value = template_code(
                    text(param["value"]), functools.partial(self.resolve, pointer=pointer)
                )
            elif self.up.binds.lookup(name):
                value = SettingRef(str(self.up.binds.lookup(name)), "client")
            else:
                value = self.kwarg(
                    name, required=True, declared={**param, "required": True}, location="path"
                )
            parts.append(Escaped(value, "path-segment"))
            pos = match.end()
        if pos < len(path):
            parts.append(Lit(path[pos:]))
        return tuple(parts) or (Lit(""),)
