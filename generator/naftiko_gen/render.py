"""Render a `Capability` into a plan: relative path → file bytes. Pure and deterministic.

One Jinja environment, `StrictUndefined`, templates that mirror the generated tree
(`templates/package/...`, `__pkg__` standing for the import package). Templates only iterate and
print; every document string reaches the output through the filters registered here, which all
go through `code.py`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2

from . import deploy, formatting, testdata, versions
from .code import (
    Code,
    comment_text,
    json_text,
    py_explicit,
    py_value,
    reindent,
    steps_code,
    toml_str,
    yaml_scalar,
    yaml_str,
)
from .diagram import mermaid_flowchart
from .ir import (
    Capability,
    Hints,
    McpAdapter,
    Operation,
    RestAdapter,
    Route,
    Setting,
    SkillAdapter,
    Tool,
    Upstream,
)
from .lower.binary import DEFAULT_MAX_BINARY_SIZE
from .openapi import openapi_document
from .operation_functions import operation_functions
from .rest_inputs import rest_read

GENERATOR = "naftiko-gen"


def templates_dir() -> Path:
    """The templates shipped in the wheel, or the repository's `templates/` in a checkout."""
    packaged = resources.files("naftiko_gen").joinpath("templates")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "templates"


def _md(value: Any) -> str:
    """Text for one Markdown table cell or paragraph: one line, pipes and HTML escaped."""
    folded = " ".join("".join(c if c.isprintable() else " " for c in str(value)).split())
    return folded.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _suffix(adapter: RestAdapter | McpAdapter | SkillAdapter) -> str:
    """`create_app_orders` → `_orders`; `create_app` → ``."""
    factory = adapter.factory.removeprefix("create_skill_app")
    return factory.removeprefix("create_app").removeprefix("create_server")


def _openapi_file(adapter: RestAdapter) -> str:
    suffix = _suffix(adapter)
    return f"openapi{suffix}.json"


def _client_headers(upstream: Upstream) -> dict[str, Code]:
    headers: dict[str, Code] = {}
    auth = upstream.auth
    if auth and auth.kind == "bearer" and auth.token:
        headers["Authorization"] = Code(f"rt.bearer({auth.token})")
    if auth and auth.kind == "apikey" and auth.placement == "header" and auth.key and auth.value:
        headers[auth.key] = auth.value
    headers.update(upstream.headers)
    return headers


def _client_params(upstream: Upstream) -> list[tuple[str, Code]]:
    params = list(upstream.query)
    auth = upstream.auth
    if auth and auth.kind == "apikey" and auth.placement == "query" and auth.key and auth.value:
        params.append((auth.key, auth.value))
    return params


def _hint_items(hints: Hints) -> list[tuple[str, bool]]:
    items = [
        ("read_only_hint", hints.read_only),
        ("destructive_hint", hints.destructive),
        ("idempotent_hint", hints.idempotent),
        ("open_world_hint", hints.open_world),
    ]
    return [(name, value) for name, value in items if value is not None]


def _hint_cells(hints: Hints) -> list[str]:
    cells = []
    for key, value in (
        ("readOnly", hints.read_only),
        ("destructive", hints.destructive),
        ("idempotent", hints.idempotent),
        ("openWorld", hints.open_world),
    ):
        text = "\u2013" if value is None else "yes" if value else "no"  # an en dash: not stated
        cells.append(f"*{text}*" if key in hints.derived else text)
    return cells


def _setting_default(setting: Setting) -> str:
    if setting.secret or setting.required:
        return "required"
    if setting.default_code is not None:
        return "from the bound variables"
    if setting.py_type.startswith("tuple") or setting.default == "":
        return "see meaning"
    if isinstance(setting.default, bool):
        return "`true`" if setting.default else "`false`"
    return f"`{setting.default}`"


def _calls(operation: Operation) -> str:
    if operation.call is not None:
        return f"`{operation.call.upstream_attr}.{operation.call.method_name}`"
    calls = [step.call for step in operation.steps if step.call is not None]
    if calls:
        return ", then ".join(f"`{c.upstream_attr}.{c.method_name}`" for c in calls)
    return "mock answer" if operation.mock is not None else "its steps' results"


def _by_tag(items: tuple[Route, ...] | tuple[Tool, ...]) -> list[tuple[str, list[str]]]:
    """Each tag of the routes or tools, in order of appearance, with what carries it."""
    grouped: dict[str, list[str]] = {}
    for item in items:
        name = item.name if isinstance(item, Tool) else f"{item.method} {item.doc_path}"
        for tag in item.tags:
            grouped.setdefault(tag, []).append(name)
    return list(grouped.items())


def _rest_reads(operation: Operation, route: Route) -> dict[str, Any]:
    """How a REST handler reads its inputs: one `read.required/optional(...)` per input."""
    reads = [(item.py_name, rest_read(item)) for item in operation.inputs]
    locations = {item.location for item in operation.inputs}
    fields = locations & {"body-field", "body-path"}
    return {
        "inputs": reads,
        "body": bool(fields) or "body" in locations,
        "fields": bool(fields),
        "fields_required": "body-path" in locations
        or any(i.required for i in operation.inputs if i.location == "body-field"),
    }


def _projection(capability: Capability, call: Any) -> str | None:
    """The consumed outputParameters of the operation a step calls, if it has any."""
    for upstream in capability.upstreams:
        if upstream.attr == call.upstream_attr:
            for operation in upstream.operations:
                if operation.method_name == call.method_name:
                    return operation.projection
    return None


def _route_set(adapter: RestAdapter) -> list[tuple[str, str]]:
    routes = {(route.method, route.path) for route in adapter.routes}
    routes |= {(method, f.path) for f in adapter.forwards for method in f.methods}
    return sorted(routes)


def _port(
    settings: tuple[Setting, ...],
) -> Callable[[RestAdapter | McpAdapter | SkillAdapter], Any]:
    by_attr = {s.attr: s.default for s in settings}
    return lambda adapter: by_attr.get(adapter.port_attr or "", "")


@functools.cache
def environment() -> jinja2.Environment:
    """The one Jinja environment, with the escaping filters every template must use."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(
        py=py_value,
        py_explicit=py_explicit,
        code=reindent,
        comment=comment_text,
        md=_md,
        yaml=yaml_str,
        json_block=json_text,
        toml=lambda value: toml_str(str(value)),
        json=lambda value: json.dumps(value, ensure_ascii=False),
        yaml_scalar=yaml_scalar,
        suffix=_suffix,
        openapi_file=_openapi_file,
        client_headers=_client_headers,
        client_params=_client_params,
        hint_items=_hint_items,
        hint_cells=_hint_cells,
        setting_default=_setting_default,
        calls=_calls,
        by_tag=_by_tag,
        rest_reads=_rest_reads,
        route_set=_route_set,
        projection=_projection,
        steps=steps_code,
        zip_values=lambda names, value: [(name, value) for name in names],
    )
    return env


def _operations(capability: Capability) -> list[Operation]:
    ops = [route.operation for adapter in capability.rest for route in adapter.routes]
    ops += [tool.operation for adapter in capability.mcp for tool in adapter.tools]
    ops += [r.operation for adapter in capability.mcp for r in adapter.resources]
    return ops


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


def _wanted(capability: Capability, relative: str) -> bool:
    """Which template files a capability needs (unused adapters and formats are left out)."""
    name = PurePosixPath(relative).name
    if name in ("rest.py.jinja", "_rest.py.jinja", "test_rest.py.jinja"):
        return bool(capability.rest)
    if name in ("mcp_server.py.jinja", "_mcp.py.jinja", "test_mcp.py.jinja"):
        return bool(capability.mcp)
    if name == "_formats.py.jinja":
        return capability.needs_formats
    if name == "_auth.py.jinja":
        return capability.needs_oauth2
    if name in ("control.py.jinja", "test_control.py.jinja"):
        return bool(capability.control)
    if relative.startswith("package/deploy/") or name == "compose.yaml.jinja":
        return deploy.listens(capability)
    if name in ("skill.py.jinja", "test_skill.py.jinja"):
        return bool(capability.skills)
    return True


@functools.cache
def _template_files() -> tuple[str, ...]:
    root = templates_dir()
    return tuple(p.relative_to(root).as_posix() for p in sorted(root.glob("package/**/*.jinja")))


def plan(capability: Capability, spec_name: str) -> dict[str, bytes]:
    """Every file of the generated package, keyed by its path relative to the package folder.

    `spec_name` is printed in headers and prose as it is: it must come from `code.name_text`.
    """
    env = environment()
    header = f"Code generated by {GENERATOR} from {spec_name}. DO NOT EDIT."
    rest_and_mcp: tuple[RestAdapter | McpAdapter, ...] = (*capability.rest, *capability.mcp)
    functions = operation_functions(_operations(capability))
    context: dict[str, Any] = {
        "cap": capability,
        "spec_name": spec_name,
        "py_header": f"# {header}",
        # The runtime modules are the same in every package: their header names no document.
        "runtime_header": f"# Code generated by {GENERATOR}. DO NOT EDIT.",
        "hash_header": f"# {header}",
        "md_header": f"<!-- {header} -->",
        "operations": functions.functions,
        "operation_function": functions.by_name,
        "binary": any(op.binary for op in _operations(capability)),
        "default_max_binary": DEFAULT_MAX_BINARY_SIZE,
        "dependencies": versions.runtime_dependencies(capability),
        "test_dependencies": versions.test_dependencies(),
        "speed_dependencies": versions.speed_dependencies(),
        "otel_dependencies": versions.otel_dependencies(),
        "formatter": {
            "line_length": formatting.LINE_LENGTH,
            "target_version": formatting.TARGET_VERSION,
        },
        "ports": [
            _port(capability.settings)(a)
            for a in (*rest_and_mcp, *capability.skills)
            if a.port_attr
        ],
        "test_environ": testdata.test_environ(capability),
        "diagram": mermaid_flowchart(capability, _port(capability.settings)),
        "deploy": deploy.Deployment.of(capability),
        "rest_imports": _rest_imports(capability),
        "adapters": [
            {"type": kind, "namespace": adapter.namespace}
            for kind, adapters in (
                ("rest", capability.rest),
                ("mcp", capability.mcp),
                ("skill", capability.skills),
            )
            for adapter in adapters
        ],
    }
    env.filters["port"] = _port(capability.settings)
    env.filters["rest_cases"] = functools.partial(testdata.rest_cases, capability)
    env.filters["tool_cases"] = functools.partial(testdata.tool_cases, capability)
    env.filters["first_calling"] = testdata.first_calling
    env.filters["credentials"] = functools.partial(testdata.credentials, capability)
    files: dict[str, bytes] = {}
    for relative in _template_files():
        if not _wanted(capability, relative):
            continue
        target = relative.removeprefix("package/").removesuffix(".jinja")
        target = target.replace("__pkg__", capability.package)
        template = env.get_template(relative)
        if "__skill__" in target:  # one SKILL.md per skill (names are checked kebab-case)
            for skill in (skill for adapter in capability.skills for skill in adapter.skills):
                text = template.render(**context, skill=skill)
                files[target.replace("__skill__", skill.name)] = text.encode("utf-8")
            continue
        files[target] = template.render(**context).encode("utf-8")
    for adapter in capability.rest:
        path = f"src/{capability.package}/{_openapi_file(adapter)}"
        files[path] = json_text(openapi_document(capability, adapter)).encode("utf-8")
    if capability.mcp:
        manifest = deploy.mcpb_manifest(capability, context["deploy"], spec_name)
        files["manifest.json"] = json_text(manifest).encode("utf-8")
    files["tests/__init__.py"] = f"# {header}\n".encode()
    return dict(sorted(files.items()))
