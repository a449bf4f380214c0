"""The views of the package's modules: names, reads, settings readers, clients, catalogs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..expr import Expr, Helper, Projection, settings_in
from ..ir import (
    Capability,
    ControlAdapter,
    McpAdapter,
    Operation,
    RestAdapter,
    Route,
    Setting,
    SkillAdapter,
    Tool,
    Upstream,
)
from ..lower.binary import DEFAULT_MAX_BINARY_SIZE
from ..lower.limits import COMMON_SETTINGS
from ..operation_functions import operation_functions
from ..rest_inputs import rest_read
from .page import (
    GENERATOR,
    Page,
    exposed_operations,
    extend,
    hint_items,
    http_factory,
    openapi_file,
    skill_constants,
    suffix,
)


@dataclass(frozen=True, slots=True)
class Control(Page):
    """control.py: the adapters the status endpoint lists."""

    adapters: list[dict[str, str]]


def control(page: Page) -> Control:
    """The view of control.py."""
    cap = page.cap
    kinds = (("rest", cap.rest), ("mcp", cap.mcp), ("skill", cap.skills))
    adapters = [
        {"type": kind, "namespace": adapter.namespace} for kind, group in kinds for adapter in group
    ]
    return extend(page, Control, adapters=adapters)


@dataclass(frozen=True, slots=True)
class Operations(Page):
    """operations.py: one function per behaviour, and what each called operation projects."""

    operations: tuple[Operation, ...]
    projections: dict[tuple[str, str], Projection | None]


def operations(page: Page) -> Operations:
    """The view of operations.py."""
    projections = {
        (upstream.attr, operation.method_name): operation.projection
        for upstream in page.cap.upstreams
        for operation in upstream.operations
    }
    functions = operation_functions(exposed_operations(page.cap)).functions
    return extend(page, Operations, operations=functions, projections=projections)


@dataclass(frozen=True, slots=True)
class Reads:
    """How a REST handler reads its inputs: one `read.required/optional(...)` per input."""

    inputs: list[tuple[str, str]]
    body: bool
    fields: bool
    fields_required: bool


def _reads(operation: Operation) -> Reads:
    locations = {item.location for item in operation.inputs}
    fields = locations & {"body-field", "body-path"}
    return Reads(
        inputs=[(item.py_name, rest_read(item)) for item in operation.inputs],
        body=bool(fields) or "body" in locations,
        fields=bool(fields),
        fields_required="body-path" in locations
        or any(i.required for i in operation.inputs if i.location == "body-field"),
    )


@dataclass(frozen=True, slots=True)
class RestApp:
    """One REST adapter of rest.py: its routes with their reads, and its OpenAPI file."""

    adapter: RestAdapter
    routes: tuple[tuple[Route, Reads], ...]
    ordered: list[Route]  # in the order Starlette must match them
    openapi_file: str


@dataclass(frozen=True, slots=True)
class RestModule(Page):
    """rest.py."""

    rest: tuple[RestApp, ...]
    operation_function: dict[str, str]
    rest_imports: dict[str, bool]


def _rest_imports(capability: Capability) -> dict[str, bool]:
    """What rest.py imports beyond the fixed names."""
    adapters = capability.rest
    body_paths = any(
        item.body_path for a in adapters for r in a.routes for item in r.operation.inputs
    )
    auth = any(a.auth for a in adapters)
    checked = any(a.auth and not a.auth.oauth2 for a in adapters)
    return {
        "middleware": auth,
        "oauth2": any(a.auth and a.auth.oauth2 for a in adapters),
        "runtime": checked or body_paths or any(a.forwards for a in adapters),
    }


def rest_module(page: Page) -> RestModule:
    """The view of rest.py."""
    cap = page.cap
    apps = tuple(
        RestApp(
            a,
            tuple((r, _reads(r.operation)) for r in a.routes),
            sorted(a.routes, key=lambda route: route.order),
            openapi_file(a),
        )
        for a in cap.rest
    )
    functions = operation_functions(exposed_operations(cap)).by_name
    return extend(
        page,
        RestModule,
        rest=apps,
        operation_function=functions,
        rest_imports=_rest_imports(cap),
    )


@dataclass(frozen=True, slots=True)
class McpServer:
    """One MCP adapter of mcp_server.py: its constants' suffix and each tool's annotations."""

    adapter: McpAdapter
    constant: str  # `TOOLS{constant}`, `HANDLERS{constant}`, ...
    tools: tuple[tuple[Tool, list[tuple[str, bool]]], ...]
    resources: str  # the expression of the resources it lists
    prompts: str  # the expression of the prompts it lists
    http_factory: str  # the function that builds its streamable HTTP app


@dataclass(frozen=True, slots=True)
class SkillFile:
    """A skill's SKILL.md or instruction file, which every MCP adapter lists as a resource."""

    uri: str
    name: str
    description: str | None
    mime_type: str
    constant: str  # of the skill adapter's `SKILLS{constant}` in skill.py
    skill: str
    path: str


@dataclass(frozen=True, slots=True)
class McpModule(Page):
    """mcp_server.py."""

    mcp: tuple[McpServer, ...]
    skill_files: tuple[SkillFile, ...]
    cached: bool  # whether an adapter declares catalog caching
    operation_function: dict[str, str]
    binary: bool


def _mcp_server(adapter: McpAdapter, skills: bool) -> McpServer:
    constant = suffix(adapter).upper()
    resources = [f"RESOURCES{constant}"] if adapter.resources else []
    resources += ["SKILL_RESOURCES"] if skills else []
    return McpServer(
        adapter,
        constant,
        tuple((t, hint_items(t.hints)) for t in adapter.tools),
        " + ".join(resources) or "()",
        f"PROMPTS{constant}" if adapter.prompts else "()",
        http_factory(adapter),
    )


def _skill_files(capability: Capability) -> Iterator[SkillFile]:
    """Each skill's SKILL.md, then its tools' instruction files, in the catalog's order."""
    for adapter, constant in skill_constants(capability):
        for skill in adapter.skills:
            name = skill.name
            yield SkillFile(
                f"skill://{name}/SKILL.md",
                name,
                skill.description,
                "text/markdown",
                constant,
                name,
                "SKILL.md",
            )
            for tool in skill.tools:
                if tool.instruction is not None:
                    yield SkillFile(
                        f"skill://{name}/{tool.instruction}",
                        f"{name}/{tool.name}",
                        tool.description,
                        "text/markdown" if tool.instruction.endswith(".md") else "text/plain",
                        constant,
                        name,
                        tool.instruction,
                    )


def mcp_module(page: Page) -> McpModule:
    """The view of mcp_server.py."""
    cap = page.cap
    ops = exposed_operations(cap)
    files = tuple(_skill_files(cap))
    return extend(
        page,
        McpModule,
        mcp=tuple(_mcp_server(a, bool(files)) for a in cap.mcp),
        skill_files=files,
        cached=any(adapter.cache for adapter in cap.mcp),
        operation_function=operation_functions(ops).by_name,
        binary=any(op.binary for op in ops),
    )


@dataclass(frozen=True, slots=True)
class SkillModule(Page):
    """skill.py."""

    skill_adapters: tuple[tuple[SkillAdapter, str], ...]  # with their `SKILLS{suffix}` constant
    authenticated: bool  # whether a skill adapter checks its callers


def skill_module(page: Page) -> SkillModule:
    """The view of skill.py."""
    authenticated = any(adapter.auth for adapter in page.cap.skills)
    return extend(
        page, SkillModule, skill_adapters=skill_constants(page.cap), authenticated=authenticated
    )


@dataclass(frozen=True, slots=True)
class UpstreamClient:
    """One consumed API's client: the headers and query parameters it always sends."""

    upstream: Upstream
    headers: dict[str, Expr]
    params: list[tuple[str, Expr]]


@dataclass(frozen=True, slots=True)
class UpstreamModule(Page):
    """upstream.py."""

    upstreams: tuple[UpstreamClient, ...]
    default_max_binary: int


def _client_headers(upstream: Upstream) -> dict[str, Expr]:
    headers: dict[str, Expr] = {}
    auth = upstream.auth
    if auth and auth.kind == "bearer" and auth.token:
        headers["Authorization"] = Helper("bearer", (auth.token,))
    if auth and auth.kind == "apikey" and auth.placement == "header" and auth.key and auth.value:
        headers[auth.key] = auth.value
    headers.update(upstream.headers)
    return headers


def _client_params(upstream: Upstream) -> list[tuple[str, Expr]]:
    params = list(upstream.query)
    auth = upstream.auth
    if auth and auth.kind == "apikey" and auth.placement == "query" and auth.key and auth.value:
        params.append((auth.key, auth.value))
    return params


def upstream_module(page: Page) -> UpstreamModule:
    """The view of upstream.py."""
    clients = tuple(
        UpstreamClient(up, _client_headers(up), _client_params(up)) for up in page.cap.upstreams
    )
    return extend(
        page, UpstreamModule, upstreams=clients, default_max_binary=DEFAULT_MAX_BINARY_SIZE
    )


@dataclass(frozen=True, slots=True)
class SettingReader:
    """How settings.py reads one setting: its name after PREFIX (None: a name of its own, such as
    a bound variable) and the reader of a text value (`url` for a base URL)."""

    setting: Setting
    suffix: str | None
    text: str


@dataclass(frozen=True, slots=True)
class SettingsModule(Page):
    """settings.py: the common prefix of the variables, the reader of each setting the document
    declares (the others are `_settings.Serving`'s), and how many of them, from the first, are
    read into locals because another's default refers to them."""

    prefix: str
    readers: tuple[SettingReader, ...]
    hoist: int


def settings_module(page: Page) -> SettingsModule:
    """The view of settings.py."""
    prefix = page.cap.env_prefix + "_"
    urls = {upstream.base_url_attr for upstream in page.cap.upstreams}
    declared = [s for s in page.cap.settings if not s.common]
    readers = tuple(
        SettingReader(
            s,
            s.env.removeprefix(prefix) if s.env.startswith(prefix) else None,
            "url" if s.attr in urls else "text",
        )
        for s in declared
    )
    referenced = set().union(*(settings_in(s.default_code) for s in declared))
    hoist = max((i + 1 for i, s in enumerate(declared) if s.attr in referenced), default=0)
    return extend(page, SettingsModule, prefix=prefix, readers=readers, hoist=hoist)


@dataclass(frozen=True, slots=True)
class RuntimeModule:
    """The view of every runtime module (`_*.py`), the same in every package, so it holds
    nothing of a document: the header, and the serving and limit settings every package reads
    (`_settings.py`, each `env` being the variable's name after the package's prefix)."""

    runtime_header: str
    common: tuple[Setting, ...]

    def context(self) -> dict[str, Any]:
        return {"runtime_header": self.runtime_header, "common": self.common}


RUNTIME = RuntimeModule(f"# Code generated by {GENERATOR}. DO NOT EDIT.", COMMON_SETTINGS)


@dataclass(frozen=True, slots=True)
class ServingModule(Page):
    """serving.py: where each HTTP adapter listens, and the MCP adapters served over HTTP."""

    addresses: list[
        tuple[str | None, str | None]
    ]  # the host and port settings, in `http_apps` order
    http_mcp: list[str]  # their HTTP app factories


def serving_module(page: Page) -> ServingModule:
    """The view of serving.py."""
    cap = page.cap
    http_mcp = [adapter for adapter in cap.mcp if not adapter.stdio]
    listening: tuple[RestAdapter | McpAdapter | SkillAdapter | ControlAdapter, ...] = (
        *cap.rest,
        *http_mcp,
        *cap.skills,
        *cap.control[:1],
    )
    return extend(
        page,
        ServingModule,
        addresses=[(a.host_attr, a.port_attr) for a in listening],
        http_mcp=[http_factory(adapter) for adapter in http_mcp],
    )
