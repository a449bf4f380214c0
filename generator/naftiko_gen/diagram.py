"""The Mermaid flowchart that opens each generated README: what calls what.

Adapters → REST routes and MCP tools/resources → orchestration steps → consumed operations →
upstream hosts; exposed authentication labels the adapter edges, upstream authentication the host
edges. Node ids are generated (`a0`, `r1`, …); every label goes through `code.mermaid_label`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from .code import mermaid_label
from .ir import (
    Auth,
    Call,
    Capability,
    ExposedAuth,
    McpAdapter,
    Operation,
    RestAdapter,
    Setting,
    Upstream,
)


def _exposed_auth(auth: ExposedAuth | None) -> str | None:
    if auth is None:
        return None
    scheme: Mapping[str, str] = auth.scheme if isinstance(auth.scheme, Mapping) else {}
    if scheme.get("type") == "apiKey":
        return f"apikey {scheme.get('in', '')} {scheme.get('name', '')}".strip()
    return str(scheme.get("scheme") or scheme.get("type") or "authenticated")


def _upstream_auth(auth: Auth | None) -> str | None:
    if auth is None:
        return None
    if auth.kind == "apikey":
        return f"apikey {auth.placement}"
    return auth.kind


def _host(upstream: Upstream, settings: tuple[Setting, ...]) -> str:
    """The upstream's host from its default base URL, else the variable that sets it."""
    for setting in settings:
        if setting.attr == upstream.base_url_attr and isinstance(setting.default, str):
            host = urlsplit(setting.default).netloc
            if host:
                return host
    return upstream.base_url_env


class _Chart:
    def __init__(self) -> None:
        self.lines = ["flowchart LR"]
        self.count = 0

    def node(self, prefix: str, label: str, shape: tuple[str, str] = ("[", "]")) -> str:
        name = f"{prefix}{self.count}"
        self.count += 1
        self.lines.append(f"  {name}{shape[0]}{mermaid_label(label)}{shape[1]}")
        return name

    def edge(self, start: str, end: str, label: str | None = None) -> None:
        text = f"|{mermaid_label(label)}|" if label else ""
        self.lines.append(f"  {start} -->{text} {end}")


_Consumed = dict[tuple[str, str], str]  # (upstream attr, method name) → node id


def _upstream_nodes(chart: _Chart, capability: Capability) -> tuple[_Consumed, dict[str, str]]:
    """Host and consumed-operation nodes; returns the consumed map and upstream attr → host node."""
    consumed: _Consumed = {}
    hosts: dict[str, str] = {}  # upstream attr → host node id
    host_nodes: dict[str, str] = {}  # host → node id: APIs on one host share it
    for upstream in capability.upstreams:
        label = _host(upstream, capability.settings)
        if label not in host_nodes:
            host_nodes[label] = chart.node("h", label, ("[(", ")]"))
        host = hosts[upstream.attr] = host_nodes[label]
        for op in upstream.operations:
            node = chart.node("c", f"{op.http_method} {op.key}", ("([", "])"))
            consumed[(upstream.attr, op.method_name)] = node
            chart.edge(node, host, _upstream_auth(upstream.auth))
    return consumed, hosts


def _wire(chart: _Chart, consumed: _Consumed, source: str, operation: Operation) -> None:
    """Edges from a route or tool node to what it calls, through its orchestration steps."""

    def target(call: Call) -> str:
        return consumed[(call.upstream_attr, call.method_name)]

    if operation.call is not None:
        chart.edge(source, target(operation.call))
    previous = source
    for step in operation.steps:
        node = chart.node("s", f"step {step.name}", ("{{", "}}"))
        chart.edge(previous, node)
        if step.call is not None:
            chart.edge(node, target(step.call), "for each" if step.for_each else None)
        previous = node


def mermaid_flowchart(
    capability: Capability, port: Callable[[RestAdapter | McpAdapter], object]
) -> str:
    """The flowchart source (without the code fence), one statement per line."""
    chart = _Chart()
    consumed, hosts = _upstream_nodes(chart, capability)
    for adapter in capability.rest:
        rest = chart.node("a", f"REST {adapter.namespace} :{port(adapter)}")
        auth = _exposed_auth(adapter.auth)
        for route in adapter.routes:
            node = chart.node("r", f"{route.method} {route.doc_path}")
            chart.edge(rest, node, auth)
            _wire(chart, consumed, node, route.operation)
        for forward in adapter.forwards:
            node = chart.node("r", f"{' '.join(forward.methods)} {forward.doc_path}")
            chart.edge(rest, node, auth)
            chart.edge(node, hosts[forward.upstream_attr], "forward")
    for mcp in capability.mcp:
        where = "stdio" if mcp.stdio else f":{port(mcp)}/mcp"
        server = chart.node("a", f"MCP {mcp.namespace} {where}")
        auth = _exposed_auth(mcp.auth)
        served = [(f"tool {tool.name}", tool.operation) for tool in mcp.tools]
        served += [(f"resource {r.uri}", r.operation) for r in mcp.resources]
        for label, operation in served:
            node = chart.node("t", label)
            chart.edge(server, node, auth)
            _wire(chart, consumed, node, operation)
    return "\n".join(chart.lines)
