"""`exposes: type: mcp`: tools of a low-level MCP server (SEMANTICS.md §6)."""

from __future__ import annotations

import re
from typing import Any

from ..ir import Hints, Input, McpAdapter, McpPrompt, McpResource, PromptArgument, Setting, Tool
from ..load import Pointer
from ..naming import env_name, identifier
from .access import pass_headers_setting, tool_filter
from .aggregates import resolve_ref
from .binary import binary_size
from .context import Context, as_list, label, tags, text
from .exposed_auth import lower_exposed_auth
from .inputs import Exposure
from .rest import adapter_settings
from .session import Session
from .wiring import OperationWiring

TOOL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
HINT_KEYS = (
    ("readOnly", "read_only"),
    ("destructive", "destructive"),
    ("idempotent", "idempotent"),
    ("openWorld", "open_world"),
)


def derived_hints(method: str) -> dict[str, bool]:
    """Hints from the HTTP method of the called operation (SEMANTICS.md §6)."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return {"read_only": True, "destructive": False, "idempotent": True}
    if method in ("PUT", "DELETE"):
        return {"read_only": False, "destructive": True, "idempotent": True}
    return {"read_only": False, "destructive": True, "idempotent": False}


def input_schema(inputs: tuple[Input, ...]) -> dict[str, Any]:
    """The tool's JSON Schema: one property per input, `required` listing required ones."""
    properties: dict[str, Any] = {}
    for item in inputs:
        prop: dict[str, Any] = {}
        if item.json_type:
            prop["type"] = item.json_type
        if item.description:
            prop["description"] = item.description
        if item.pattern:
            prop["pattern"] = item.pattern
        properties[item.name] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    required = [i.name for i in inputs if i.required]
    if required:
        schema["required"] = required
    return schema


def _new_tool_name(
    ctx: Context, tool: dict[str, Any], pointer: Pointer, names: set[str]
) -> str | None:
    """The tool's name (a `ref` tool defaults to the referenced name), recorded in `names`;
    None (reported) when it has none or an earlier tool has it."""
    name = text(tool.get("name"))
    if not name and text(tool.get("ref")):
        name = text(tool.get("ref")).split(".", 1)[-1]
    if not name:
        ctx.warning("NG109", "a tool without a `name` is skipped", pointer)
        return None
    if name in names:
        ctx.warning("NG102", f"tool '{name}' is defined twice; the first one is served", pointer)
        return None
    names.add(name)
    if not TOOL_NAME.match(name):
        ctx.warning(
            "NG202",
            f"tool name '{name}' is longer than 64 characters or has characters outside "
            "[A-Za-z0-9_.-]; some MCP clients reject it",
            (*pointer, "name"),
        )
    return name


def lower_mcp(
    session: Session, entry: dict[str, Any], pointer: Pointer, factory: str
) -> McpAdapter:
    """Lower one MCP adapter."""
    ctx, binds, taken_ops = session.ctx, session.binds, session.taken_ops
    namespace = text(entry.get("namespace")) or "mcp"
    stdio = text(entry.get("transport")) == "stdio"
    host_attr = port_attr = None
    if not stdio:
        host_attr, port_attr = adapter_settings(ctx, binds, namespace, entry, 9090)
    env = env_name(namespace)
    hosts_attr = ctx.setting_attr(f"{env}_ALLOWED_HOSTS")
    origins_attr = ctx.setting_attr(f"{env}_ALLOWED_ORIGINS")
    binds.settings.append(
        Setting(
            f"{env}_ALLOWED_HOSTS",
            hosts_attr,
            "items",
            None,
            "comma-separated Host values accepted by the MCP endpoint (DNS-rebinding guard); "
            "default: localhost, 127.0.0.1, [::1] and the bind address, any port",
        )
    )
    binds.settings.append(
        Setting(
            f"{env}_ALLOWED_ORIGINS",
            origins_attr,
            "items",
            None,
            "comma-separated Origin values accepted by the MCP endpoint; "
            "default: http://localhost, http://127.0.0.1, http://[::1], any port",
        )
    )
    max_binary = binary_size(ctx, entry, pointer)
    tools: list[Tool] = []
    names: set[str] = set()
    ordinals: dict[str, int] = {}
    for index, tool in enumerate(as_list(entry.get("tools"))):
        t_pointer = (*pointer, "tools", index)
        if not isinstance(tool, dict):
            continue
        name = _new_tool_name(ctx, tool, t_pointer, names)
        if name is None:
            continue
        resolved = resolve_ref(ctx, session.aggregates, tool, t_pointer)
        if resolved is None:
            continue
        tool, alias = resolved
        description = text(tool.get("description")) or label(tool)
        exposure = Exposure("mcp", namespace, alias=alias, ordinals=ordinals, max_binary=max_binary)
        wiring = OperationWiring(session, tool, t_pointer, exposure)
        operation = wiring.run(identifier(name, taken_ops), description)
        if operation is None:
            continue
        tools.append(
            Tool(
                name=name,
                title=label(tool) or None,
                description=description,
                input_schema=input_schema(operation.inputs),
                hints=_hints(tool.get("hints"), operation.http_method),
                operation=operation,
                tags=tags(tool),
            )
        )
    auth = None
    if stdio and "authentication" in entry:
        ctx.warning(
            "NG201",
            "authentication does not apply to the stdio transport; it is ignored",
            (*pointer, "authentication"),
        )
    elif not stdio:
        auth = lower_exposed_auth(ctx, binds, entry, pointer)
    resources = _resources(session, entry, pointer, namespace, max_binary)
    prompts = _prompts(ctx, entry, pointer)
    access = tool_filter(ctx, binds, namespace, bool(auth and auth.oauth2))
    return McpAdapter(
        namespace=namespace,
        factory=factory,
        host_attr=host_attr,
        port_attr=port_attr,
        allowed_hosts_attr=hosts_attr,
        allowed_origins_attr=origins_attr,
        stdio=stdio,
        description=text(entry.get("description")),
        tools=tuple(tools),
        auth=auth,
        resources=resources,
        prompts=prompts,
        cache=_cache_hints(entry),
        access=access,
        pass_headers_attr=None if stdio else pass_headers_setting(ctx, binds, namespace),
    )


def _cache_hints(entry: dict[str, Any]) -> tuple[int, str] | None:
    """`ttlMs` and `cacheScope`, with the engine's defaults (0 ms, private) for a missing one."""
    if "ttlMs" not in entry and "cacheScope" not in entry:
        return None
    ttl = entry.get("ttlMs")
    ttl = ttl if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0 else 0
    return ttl, "public" if entry.get("cacheScope") == "public" else "private"


def _resources(
    session: Session,
    entry: dict[str, Any],
    pointer: Pointer,
    namespace: str,
    max_binary: int | None,
) -> tuple[McpResource, ...]:
    """Call-backed resources; a `{x}` in the URI is a variable passed to the call."""
    ctx = session.ctx
    resources = []
    for index, resource in enumerate(as_list(entry.get("resources"))):
        r_pointer = (*pointer, "resources", index)
        if not isinstance(resource, dict) or not text(resource.get("uri")):
            continue
        if "location" in resource:
            ctx.warning(
                "NG201",
                "file-backed resources (`location`) are not served; this resource is skipped",
                (*r_pointer, "location"),
            )
            continue
        uri = text(resource["uri"])
        variables = tuple(re.findall(r"\{([^{}/]+)\}", uri))
        name = text(resource.get("name")) or uri
        exposure = Exposure("mcp", namespace, variables, max_binary=max_binary)
        wiring = OperationWiring(session, resource, r_pointer, exposure)
        operation = wiring.run(
            identifier(f"resource {name}", session.taken_ops), text(resource.get("description"))
        )
        if operation is None:
            continue
        resources.append(
            McpResource(
                name=name,
                title=label(resource) or None,
                uri=uri,
                description=text(resource.get("description")),
                mime_type=text(resource.get("mimeType")) or operation.binary or "application/json",
                variables=variables,
                operation=operation,
            )
        )
    return tuple(resources)


def _prompts(ctx: Context, entry: dict[str, Any], pointer: Pointer) -> tuple[McpPrompt, ...]:
    """Inline prompt templates (file-backed prompts are reported and skipped)."""
    prompts = []
    for index, prompt in enumerate(as_list(entry.get("prompts"))):
        p_pointer = (*pointer, "prompts", index)
        if not isinstance(prompt, dict) or not text(prompt.get("name")):
            continue
        if "location" in prompt:
            ctx.warning(
                "NG201",
                "file-backed prompts (`location`) are not served; this prompt is skipped",
                (*p_pointer, "location"),
            )
            continue
        arguments = tuple(
            PromptArgument(
                name=text(arg.get("name")),
                title=label(arg) or None,
                description=text(arg.get("description")),
                required=arg.get("required", True) is not False,
            )
            for arg in as_list(prompt.get("arguments"))
            if isinstance(arg, dict) and text(arg.get("name"))
        )
        messages = tuple(
            ("assistant" if text(m.get("role")) == "assistant" else "user", text(m.get("content")))
            for m in as_list(prompt.get("template"))
            if isinstance(m, dict)
        )
        prompts.append(
            McpPrompt(
                name=text(prompt["name"]),
                title=label(prompt) or None,
                description=text(prompt.get("description")),
                arguments=arguments,
                messages=messages,
            )
        )
    return tuple(prompts)


def _hints(declared: Any, method: str) -> Hints:
    stated = declared if isinstance(declared, dict) else {}
    derived = derived_hints(method)
    values: dict[str, bool | None] = {}
    from_method: list[str] = []
    for key, attr in HINT_KEYS:
        if isinstance(stated.get(key), bool):
            values[attr] = stated[key]
        elif attr in derived:
            values[attr] = derived[attr]
            from_method.append(key)
        else:
            values[attr] = None
    return Hints(
        read_only=values["read_only"],
        destructive=values["destructive"],
        idempotent=values["idempotent"],
        open_world=values["open_world"],
        derived=tuple(from_method),
    )
