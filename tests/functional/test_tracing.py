"""Optional tracing (`_tracing.py`, the `otel` extra), recorded by the SDK's in-memory exporter.

One REST call and one MCP tool call each give one trace: the server span continues the caller's
`traceparent` (HTTP header, or the MCP call's `_meta`), the operation, its steps and every
upstream request are spans under it, and the upstream receives a `traceparent` naming the
upstream span. Without `use`/`configure` nothing is traced, nothing is sent upstream, and the
OpenTelemetry SDK is not even imported.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.functional.conftest import Builder, Capability, FakeUpstream

pytestmark = pytest.mark.anyio

DOCUMENT = """
naftiko: 1.0.0-alpha2
info:
  label: Traced
capability:
  consumes:
    - namespace: registry
      type: http
      baseUri: https://registry.example.test
      resources:
        - name: ships
          path: /ships/{{imo}}
          operations:
            - name: get-ship
              method: GET
              inputParameters:
                - name: imo
                  in: path
        - name: crew
          path: /crew
          operations:
            - name: list-crew
              method: GET
  exposes:
    - type: rest
      namespace: api
      port: 8080
      resources:
        - path: /ships/{imo}
          operations:
            - method: GET
              name: get-ship
              inputParameters:
                - name: imo
                  in: path
                  type: string
              call: registry.get-ship
              with:
                imo: "{{imo}}"
    - type: mcp
      namespace: tools
      port: 9090
      tools:
        - name: ship-and-crew
          description: A ship and the crew list
          inputParameters:
            - name: imo
              type: string
              required: true
              description: IMO number
          steps:
            - name: ship
              type: call
              call: registry.get-ship
              with:
                imo: "{{imo}}"
            - name: crew
              type: call
              call: registry.list-crew
          mappings:
            - targetName: name
              value: "$.ship.name"
"""
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def traced(build: Builder) -> Iterator[tuple[Capability, ModuleType, InMemorySpanExporter]]:
    """The capability with tracing on (into memory); its clients rebuilt to be traced."""
    cap = build(DOCUMENT)
    tracing: Any = importlib.import_module(f"{package_of(cap)}._tracing")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use(provider)
    cap.connect(cap.env)
    yield cap, tracing, exporter
    tracing.tracer = None


def package_of(cap: Capability) -> str:
    return cap.modules["settings"].__name__.rpartition(".")[0]


def tree(spans: tuple[ReadableSpan, ...]) -> dict[str, Any]:
    """name → span, after checking they all belong to one trace."""
    assert len({s.context.trace_id for s in spans}) == 1, [s.name for s in spans]
    return {s.name: s for s in spans}


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent else None


def traceparent_of(span: ReadableSpan) -> str:
    return f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-01"


async def test_rest_call_is_one_trace_down_to_the_upstream(
    traced: tuple[Capability, ModuleType, InMemorySpanExporter], upstream: FakeUpstream
) -> None:
    cap, _, exporter = traced
    upstream.respond(200, json={"name": "Aurora"})
    async with cap.rest() as http:
        response = await http.get("/ships/9321483", headers={"traceparent": CALLER})
    assert response.status_code == 200

    spans = tree(exporter.get_finished_spans())
    server, operation = spans["GET /ships/{imo}"], spans["operation get_ship"]
    client = spans["GET registry.example.test"]
    assert f"{server.context.trace_id:032x}" == TRACE_ID  # the caller's trace goes on
    assert parent_of(server) == int(CALLER.split("-")[2], 16)
    assert parent_of(operation) == server.context.span_id
    assert parent_of(client) == operation.context.span_id
    assert client.attributes["http.response.status_code"] == 200
    assert server.attributes["http.response.status_code"] == 200
    assert upstream.only().headers["traceparent"] == traceparent_of(client)


async def test_mcp_call_is_one_trace_with_a_span_per_step_and_upstream_call(
    traced: tuple[Capability, ModuleType, InMemorySpanExporter], upstream: FakeUpstream
) -> None:
    cap, _, exporter = traced
    upstream.respond(200, json={"name": "Aurora"})
    async with cap.mcp() as client:
        meta: Any = {"traceparent": CALLER}
        result = await client.call_tool("ship-and-crew", {"imo": "1"}, meta=meta)
    assert not result.is_error

    spans = exporter.get_finished_spans()
    named = tree(spans)
    call, operation = named["tools/call ship-and-crew"], named["operation ship_and_crew"]
    steps = [named["step ship"], named["step crew"]]
    clients = [s for s in spans if s.name == "GET registry.example.test"]
    assert f"{call.context.trace_id:032x}" == TRACE_ID
    assert parent_of(operation) == call.context.span_id
    assert [parent_of(s) for s in steps] == [operation.context.span_id] * 2
    assert [parent_of(c) for c in clients] == [s.context.span_id for s in steps]
    assert [r.headers["traceparent"] for r in upstream.requests] == [
        traceparent_of(c) for c in clients
    ]


async def test_an_mcp_call_is_one_server_span_even_where_the_sdk_traces_too(
    traced: tuple[Capability, ModuleType, InMemorySpanExporter],
    upstream: FakeUpstream,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The SDK's own per-request span is off: a host whose global provider is the package's
    (here: the SDK's tracer pointed at the same exporter) gets no second span per call."""
    cap, _, exporter = traced
    host = TracerProvider()
    host.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr("mcp.shared._otel._tracer", host.get_tracer("mcp-python-sdk"))
    upstream.respond(200, json={"name": "Aurora"})
    async with cap.mcp() as client:
        assert (await client.list_tools()).tools
        result = await client.call_tool("ship-and-crew", {"imo": "1"})
    assert not result.is_error
    names = [s.name for s in exporter.get_finished_spans()]
    assert names.count("tools/call ship-and-crew") == 1, names
    assert "tools/list" not in names


async def test_without_tracing_nothing_is_traced_or_sent(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(DOCUMENT)
    tracing: Any = importlib.import_module(f"{package_of(cap)}._tracing")
    tracing.configure({})  # no OTEL_* endpoint: stays off
    assert tracing.tracer is None
    async with cap.rest() as http:
        assert (await http.get("/ships/1", headers={"traceparent": CALLER})).status_code == 200
    async with cap.mcp() as client:
        assert not (await client.call_tool("ship-and-crew", {"imo": "1"})).is_error
    assert len(upstream.requests) == 3
    assert all("traceparent" not in r.headers for r in upstream.requests)


def test_without_an_endpoint_the_sdk_is_never_imported(build: Builder) -> None:
    # (the OpenTelemetry *API* comes with the frameworks: `mcp` depends on it and imports it)
    cap = build(DOCUMENT)
    package = package_of(cap)
    script = f"""
import sys
from {package} import _serving, _tracing, mcp_server, operations, rest, settings, upstream
clients = upstream.Clients(settings.load_settings({{}}), _serving.mock_transport())
rest.create_app(clients), mcp_server.create_http_app(clients)
_tracing.configure()
print(sorted(m for m in sys.modules if m.startswith(("opentelemetry.sdk", "opentelemetry.exp"))))
"""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    environ["PYTHONPATH"] = str(cap.package_dir / "src")
    completed = subprocess.run(
        [sys.executable, "-c", script], env=environ, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


def test_an_otlp_endpoint_turns_tracing_on(build: Builder) -> None:
    cap = build(DOCUMENT)
    tracing: Any = importlib.import_module(f"{package_of(cap)}._tracing")
    try:
        tracing.configure({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
        assert tracing.tracer is not None
        assert tracing.span("x") is not tracing.span("y")  # real spans, not the shared no-op
    finally:
        tracing.tracer = None
