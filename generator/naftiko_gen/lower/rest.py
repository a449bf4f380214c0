"""`exposes: type: rest`: routes of a Starlette app (SEMANTICS.md §5)."""

from __future__ import annotations

from typing import Any

from ..ir import ForwardRoute, RestAdapter, Route, Setting
from ..load import Pointer
from ..naming import env_name, identifier, snake
from ..rest_inputs import checkable
from .access import pass_headers_setting, read_only_setting
from .aggregates import Aggregates, resolve_ref
from .binds import Binds
from .consumes import Consumes
from .context import Context, as_list, text
from .exposed_auth import lower_exposed_auth
from .templates import PATH_VARIABLE
from .wiring import Exposure, OperationWiring

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
        Setting(host_env, host_attr, "str", address, f"bind address of '{namespace}'")
    )
    binds.settings.append(Setting(port_env, port_attr, "int", port, f"port of '{namespace}'"))
    return host_attr, port_attr


def lower_rest(
    ctx: Context,
    binds: Binds,
    consumes: Consumes,
    entry: dict[str, Any],
    pointer: Pointer,
    factory: str,
    taken_ops: set[str],
    aggregates: Aggregates,
) -> RestAdapter:
    """Lower one REST adapter; operations that cannot be generated are reported and skipped."""
    namespace = text(entry.get("namespace")) or "rest"
    host_attr, port_attr = adapter_settings(ctx, binds, namespace, entry, 8080)
    max_body_env = f"{env_name(namespace)}_MAX_REQUEST_BYTES"
    max_body_attr = ctx.setting_attr(max_body_env)
    binds.settings.append(
        Setting(
            max_body_env,
            max_body_attr,
            "int",
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
        doc_path = text(resource.get("path")) or "/"
        if not doc_path.startswith("/"):
            doc_path = "/" + doc_path
        variables = tuple(
            (m.group(1) or m.group(2)).strip() for m in PATH_VARIABLE.finditer(doc_path)
        )
        if isinstance(resource.get("forward"), dict):
            served = {
                text(op.get("method")).upper() or "GET"
                for op in as_list(resource.get("operations"))
                if isinstance(op, dict)
            }
            forward = _forward(
                ctx, consumes, resource["forward"], r_pointer, doc_path, served, taken_ops
            )
            if forward is not None:
                forwards.append(forward)
        resource_params = as_list(resource.get("inputParameters"))
        for o_index, op in enumerate(as_list(resource.get("operations"))):
            o_pointer = (*r_pointer, "operations", o_index)
            if not isinstance(op, dict):
                continue
            method = (text(op.get("method")) or "GET").upper()
            if method not in METHODS:
                ctx.warning("NG107", f"HTTP method '{method}' cannot be served", o_pointer)
                continue
            route_key = (method, _shape(doc_path))
            if route_key in seen:
                ctx.warning(
                    "NG102",
                    f"route {method} {doc_path} is defined twice; the first one is served",
                    o_pointer,
                )
                continue
            seen.add(route_key)
            resolved = resolve_ref(ctx, aggregates, op, o_pointer)
            if resolved is None:
                continue
            op, alias = resolved
            name = text(op.get("name")) or snake(f"{method} {doc_path}")
            op_entry = dict(op)
            if resource_params:
                op_entry["inputParameters"] = resource_params + as_list(op.get("inputParameters"))
            description = text(op.get("description")) or text(op.get("label"))
            exposure = Exposure(
                "rest",
                namespace,
                variables,
                alias,
                resource=text(resource.get("name")),
                method=method,
                ordinals=ordinals,
            )
            wiring = OperationWiring(ctx, binds, consumes, op_entry, o_pointer, exposure)
            operation = wiring.run(identifier(name, taken_ops), description)
            if operation is None:
                continue
            for item in operation.inputs:
                if item.pattern is not None and not checkable(item.pattern):
                    ctx.warning(
                        "NG107",
                        f"the pattern of input '{item.name}' is not a Python regular expression; "
                        "the REST adapter publishes it but does not check it",
                        o_pointer,
                    )
            route_path, repeats = _route_path(doc_path, operation.inputs)
            routes.append(
                Route(
                    method=method,
                    path=route_path,
                    repeated_path_params=repeats,
                    doc_path=doc_path,
                    name=name,
                    summary=description or f"{method} {doc_path}",
                    operation=operation,
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


def _route_path(path: str, inputs: tuple[Any, ...]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Path variables renamed to their Python names (Starlette accepts identifiers only).

    A variable written twice (`/accounts/{id}/.../accounts/{id}`) keeps the first value; the
    repeat gets its own name, returned so the OpenAPI document can declare it.
    """
    by_name = {i.name: i.py_name for i in inputs if i.location == "path"}
    seen: set[str] = set()
    repeats: list[tuple[str, str]] = []

    def rename(match: Any) -> str:
        name = (match.group(1) or match.group(2)).strip()
        py_name = by_name.get(name, snake(name) or "value")
        if py_name in seen:
            repeat = f"{py_name}_repeat{len(repeats) + 1}"
            repeats.append((repeat, py_name))
            return "{" + repeat + "}"
        seen.add(py_name)
        return "{" + py_name + "}"

    return PATH_VARIABLE.sub(rename, path), tuple(repeats)
