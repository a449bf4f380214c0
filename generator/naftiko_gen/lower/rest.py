"""`exposes: type: rest`: routes of a Starlette app (SEMANTICS.md §5)."""

from __future__ import annotations

import re
from typing import Any

from ..ir import ForwardRoute, Input, RestAdapter, Route, Setting
from ..load import Pointer
from ..naming import env_name, identifier, snake
from ..rest_inputs import checkable
from ..urlpath import request_path
from .access import pass_headers_setting, read_only_setting
from .aggregates import resolve_ref
from .binary import binary_size, rest_responses
from .binds import Binds
from .consumes import Consumes
from .context import Context, as_list, label, mapping, tags, text
from .exposed_auth import lower_exposed_auth
from .inputs import Exposure
from .session import Session
from .templates import PATH_VARIABLE
from .wiring import OperationWiring

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
MAX_REQUEST_BYTES = 4 * 1024 * 1024  # as the MCP SDK's default request limit


def adapter_settings(
    ctx: Context, binds: Binds, namespace: str, entry: dict[str, Any], default_port: int
) -> tuple[str, str]:
    """The `<NS>_HOST` / `<NS>_PORT` settings of an exposed HTTP adapter."""
    env = env_name(namespace)
    host_env, port_env = f"{env}_HOST", f"{env}_PORT"
    host_attr = ctx.setting_attr(host_env)
    port_attr = ctx.setting_attr(port_env)
    address = text(entry.get("address")) or "0.0.0.0"
    port = entry.get("port")
    port = port if isinstance(port, int) and 0 < port < 65536 else default_port
    binds.settings.append(
        Setting(host_env, host_attr, "string", address, f"bind address of '{namespace}'")
    )
    description = f"port of '{namespace}'"
    binds.settings.append(
        Setting(port_env, port_attr, "integer", port, description, minimum=1, maximum=65535)
    )
    return host_attr, port_attr


def _operation_entry(op: dict[str, Any], resource_params: list[Any]) -> dict[str, Any]:
    """The operation's entry, the resource's inputParameters before its own."""
    op_entry = dict(op)
    if resource_params:
        op_entry["inputParameters"] = resource_params + as_list(op.get("inputParameters"))
    return op_entry


def _warn_unchecked_patterns(ctx: Context, inputs: tuple[Input, ...], pointer: Pointer) -> None:
    """Warn about input patterns Python's `re` cannot compile: published, not checked."""
    for item in inputs:
        if item.pattern is not None and not checkable(item.pattern):
            ctx.warning(
                "NG107",
                f"the pattern of input '{item.name}' is not a Python regular expression; "
                "the REST adapter publishes it but does not check it",
                pointer,
            )


def lower_rest(
    session: Session, entry: dict[str, Any], pointer: Pointer, factory: str
) -> RestAdapter:
    """Lower one REST adapter; operations that cannot be generated are reported and skipped."""
    ctx, binds, consumes, taken_ops = (
        session.ctx,
        session.binds,
        session.consumes,
        session.taken_ops,
    )
    namespace = text(entry.get("namespace")) or "rest"
    host_attr, port_attr = adapter_settings(ctx, binds, namespace, entry, 8080)
    max_binary = binary_size(ctx, entry, pointer)
    max_body_env = f"{env_name(namespace)}_MAX_REQUEST_BYTES"
    max_body_attr = ctx.setting_attr(max_body_env)
    binds.settings.append(
        Setting(
            max_body_env,
            max_body_attr,
            "integer",
            MAX_REQUEST_BYTES,
            f"largest request body '{namespace}' accepts, in bytes (larger: 413)",
        )
    )
    routes: list[Route] = []
    forwards: list[ForwardRoute] = []
    seen: set[tuple[str, str]] = set()
    ordinals: dict[str, int] = {}
    for r_index, resource in enumerate(as_list(entry.get("resources"))):
        if not isinstance(resource, dict):
            continue
        r_pointer = (*pointer, "resources", r_index)
        doc_path = _resource_path(resource)
        variables = tuple(
            (m.group(1) or m.group(2)).strip() for m in PATH_VARIABLE.finditer(doc_path)
        )
        forward = _resource_forward(ctx, consumes, resource, r_pointer, doc_path, taken_ops)
        if forward is not None:
            forwards.append(forward)
        resource_params = as_list(resource.get("inputParameters"))
        for o_index, op in enumerate(as_list(resource.get("operations"))):
            o_pointer = (*r_pointer, "operations", o_index)
            if not isinstance(op, dict):
                continue
            method = _new_route_method(ctx, op, doc_path, o_pointer, seen)
            if method is None:
                continue
            resolved = resolve_ref(ctx, session.aggregates, op, o_pointer)
            if resolved is None:
                continue
            op, alias = resolved
            name = text(op.get("name")) or snake(f"{method} {doc_path}")
            op_entry = _operation_entry(op, resource_params)
            description = text(op.get("description")) or label(op)
            exposure = Exposure(
                "rest",
                namespace,
                variables,
                alias,
                resource=text(resource.get("name")),
                method=method,
                ordinals=ordinals,
                max_binary=max_binary,
            )
            wiring = OperationWiring(session, op_entry, o_pointer, exposure)
            operation = wiring.run(identifier(name, taken_ops), description)
            if operation is None:
                continue
            _warn_unchecked_patterns(ctx, operation.inputs, o_pointer)
            route_path, repeats = _route_path(doc_path, operation.inputs)
            routes.append(
                Route(
                    method=method,
                    path=route_path,
                    repeated_path_params=repeats,
                    doc_path=request_path(doc_path),
                    name=name,
                    summary=description or f"{method} {doc_path}",
                    operation=operation,
                    responses=rest_responses(ctx, op_entry, o_pointer, operation.binary),
                    tags=tags(resource, op),
                    cache_control=_cache_control(op, "authentication" in entry),
                )
            )
    return RestAdapter(
        namespace=namespace,
        factory=factory,
        host_attr=host_attr,
        port_attr=port_attr,
        max_body_attr=max_body_attr,
        description=text(entry.get("description")),
        routes=tuple(routes),
        auth=lower_exposed_auth(ctx, binds, entry, pointer),
        forwards=tuple(forwards),
        read_only_attr=read_only_setting(ctx, binds, namespace, "GET routes"),
        pass_headers_attr=pass_headers_setting(ctx, binds, namespace),
    )


def _cache_control(op: dict[str, Any], authenticated: bool) -> str | None:
    """`semantics.cacheable` (of a flow) as the Cache-Control of a successful answer.

    Cacheable answers may be stored (by the client only when the adapter authenticates callers);
    non-cacheable ones must not be stored at all.
    """
    cacheable = mapping(op.get("semantics")).get("cacheable")
    if not isinstance(cacheable, bool):
        return None
    if not cacheable:
        return "no-store"
    return "private" if authenticated else "public"


def _forward(
    ctx: Context,
    consumes: Consumes,
    forward: dict[str, Any],
    pointer: Pointer,
    doc_path: str,
    served: set[str],
    taken_ops: set[str],
) -> ForwardRoute | None:
    """A proxy route for the methods the resource's own operations do not serve."""
    target = text(forward.get("targetNamespace"))
    upstream = next((u for u in consumes.upstreams if u.namespace == target), None)
    if upstream is None:
        ctx.error(
            "NG101",
            f"forward target '{target}' names no consumed namespace",
            (*pointer, "forward", "targetNamespace"),
        )
        return None
    variables = [(m.group(1) or m.group(2)).strip() for m in PATH_VARIABLE.finditer(doc_path)]
    if variables != ["path"] or not PATH_VARIABLE.sub("", doc_path).endswith("/"):
        ctx.error(
            "NG107",
            "a forward resource path must end with the variable {path} (e.g. /proxy/{{path}})",
            (*pointer, "path"),
        )
        return None
    prefix = PATH_VARIABLE.sub("", doc_path)
    return ForwardRoute(
        path=prefix + "{path:path}",
        doc_path=doc_path,
        handler=identifier(f"forward {target}", taken_ops),
        methods=tuple(m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m not in served),
        upstream_attr=upstream.attr,
        namespace=target,
        # The body's media type travels with it, as in the engine's raw-entity forward.
        trusted_headers=("Content-Type", *(str(h) for h in as_list(forward.get("trustedHeaders")))),
    )


def _shape(path: str) -> str:
    """A path with its variables blanked, so `/a/{x}` and `/a/{{y}}` count as one route."""
    return PATH_VARIABLE.sub("{}", path)


def _resource_path(resource: dict[str, Any]) -> str:
    """The resource's path as served, always starting with `/`."""
    doc_path = text(resource.get("path")) or "/"
    return doc_path if doc_path.startswith("/") else "/" + doc_path


def _resource_forward(
    ctx: Context,
    consumes: Consumes,
    resource: dict[str, Any],
    pointer: Pointer,
    doc_path: str,
    taken_ops: set[str],
) -> ForwardRoute | None:
    """The resource's `forward`, serving the methods its own operations leave free."""
    if not isinstance(resource.get("forward"), dict):
        return None
    served = {
        text(op.get("method")).upper() or "GET"
        for op in as_list(resource.get("operations"))
        if isinstance(op, dict)
    }
    return _forward(ctx, consumes, resource["forward"], pointer, doc_path, served, taken_ops)


def _new_route_method(
    ctx: Context,
    op: dict[str, Any],
    doc_path: str,
    pointer: Pointer,
    seen: set[tuple[str, str]],
) -> str | None:
    """The operation's HTTP method, recorded in `seen`; None (reported) when it cannot be served
    or an earlier operation already serves the same method and path."""
    method = (text(op.get("method")) or "GET").upper()
    if method not in METHODS:
        ctx.warning("NG107", f"HTTP method '{method}' cannot be served", pointer)
        return None
    route_key = (method, _shape(doc_path))
    if route_key in seen:
        ctx.warning(
            "NG102",
            f"route {method} {doc_path} is defined twice; the first one is served",
            pointer,
        )
        return None
    seen.add(route_key)
    return method


def _route_path(path: str, inputs: tuple[Input, ...]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Path variables renamed to their Python names (Starlette accepts identifiers only).

    A variable written twice (`/accounts/{id}/.../accounts/{id}`) keeps the first value; the
    repeat gets its own name, returned so the OpenAPI document can declare it.
    """
    by_name = {i.name: i.py_name for i in inputs if i.location == "path"}
    seen: set[str] = set()
    repeats: list[tuple[str, str]] = []

    def rename(match: re.Match[str]) -> str:
        name = (match.group(1) or match.group(2)).strip()
        py_name = by_name.get(name, snake(name) or "value")
        if py_name in seen:
            repeat = f"{py_name}_repeat{len(repeats) + 1}"
            repeats.append((repeat, py_name))
            return "{" + repeat + "}"
        seen.add(py_name)
        return "{" + py_name + "}"

    return PATH_VARIABLE.sub(rename, path), tuple(repeats)
