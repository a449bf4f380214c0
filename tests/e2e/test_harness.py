"""The e2e harness proves itself here, with hand-written servers instead of a generated package."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.harness import (
    SERVER_PORTS,
    FakeUpstream,
    entered_together,
    env_var_name,
    exchange_stdio,
    free_port,
    http_answers,
    port_accepts,
    run_inspector,
    run_node_client,
    run_schemathesis,
    start_prism,
    start_service,
)
from tests.shared_material import SHARED, needs_shared

HERE = Path(__file__).parent
MOCKS = SHARED / "naftiko" / "mocks"
REGISTRY_MOCK = MOCKS / "naftiko-shipyard-maritime-registry-api.yaml"
TINY_STDIO_SERVER = [sys.executable, str(HERE / "tiny_mcp_server.py"), "stdio"]

ECHO_INPUT_SCHEMA = {
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
    "additionalProperties": False,
}
ECHO_ANNOTATIONS = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True}


@pytest.fixture(scope="module")
def tiny_mcp_url() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, str(HERE / "tiny_mcp_server.py"), "http", str(port)]
    with start_service(command, ready=lambda: port_accepts(port), timeout=30):
        yield f"http://127.0.0.1:{port}/mcp"


@needs_shared(REGISTRY_MOCK)
def test_prism_serves_shipyard_examples_at_the_root_and_enforces_security(node_tools: None) -> None:
    bearer = {"Authorization": "Bearer t"}
    with start_prism(REGISTRY_MOCK) as base_url:
        ships = httpx2.get(f"{base_url}/ships", headers=bearer, timeout=5)
        ship = httpx2.get(f"{base_url}/ships/IMO-9321483", headers=bearer, timeout=5)
        anonymous = httpx2.get(f"{base_url}/ships", timeout=5)
        server_path = "/rest/naftiko-shipyard-maritime-registry-api/1.0.0-alpha2"
        with_server_path = httpx2.get(f"{base_url}{server_path}/ships", headers=bearer, timeout=5)
    assert ships.status_code == 200
    assert [s["imo_number"] for s in ships.json()] == ["IMO-9321483", "IMO-9456781"]
    assert ship.status_code == 200
    assert ship.json()["vessel_name"] == "Northern Star"
    assert anonymous.status_code == 401
    assert with_server_path.status_code == 404


@needs_shared(REGISTRY_MOCK)
def test_prism_anonymous_access_accepts_requests_without_credentials(node_tools: None) -> None:
    with start_prism(REGISTRY_MOCK, anonymous_access=True) as base_url:
        ships = httpx2.get(f"{base_url}/ships", timeout=5)
    assert ships.status_code == 200
    assert ships.json()[0]["imo_number"] == "IMO-9321483"


def test_start_service_reports_an_early_exit_with_its_output() -> None:
    command = [sys.executable, "-c", "print('cannot bind'); raise SystemExit(3)"]
    with (
        pytest.raises(RuntimeError, match="exited with 3:\ncannot bind"),
        start_service(command, ready=lambda: False, timeout=30),
    ):
        pass


def group_is_gone(group: int, within: float = 5.0) -> bool:
    """True once no process of `group` exists. A killed child that outlived its parent stays a
    zombie (still in the group) until init reaps it, so this waits a bounded while for that.
    """
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)  # signal 0 only asks whether the group still exists
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_start_service_stops_the_whole_process_group() -> None:
    with start_service(["sh", "-c", "sleep 300 & sleep 300"], ready=lambda: True) as service:
        group = service.process.pid
    assert group_is_gone(group)


def test_env_var_name_upper_snakes_the_namespace() -> None:
    assert env_var_name("sentry-integration-platform-external-issues-rest", "PORT") == (
        "SENTRY_INTEGRATION_PLATFORM_EXTERNAL_ISSUES_REST_PORT"
    )


def test_fake_upstream_records_requests_and_answers_canned_responses(
    fake_upstream: FakeUpstream, fake_upstream_url: str
) -> None:
    fake_upstream.respond("POST", "/groups/a%2Fb/issues/", status=201, json_body={"id": "7"})
    created = httpx2.post(
        f"{fake_upstream_url}/groups/a%2Fb/issues/?tag=x&tag=y",
        json={"title": "t"},
        headers={"Authorization": "Bearer secret"},
        timeout=5,
    )
    unknown = httpx2.delete(f"{fake_upstream_url}/nothing", timeout=5)

    assert (created.status_code, created.json()) == (201, {"id": "7"})
    assert unknown.status_code == 404
    first, second = fake_upstream.requests
    assert (first.method, first.path) == ("POST", "/groups/a%2Fb/issues/")
    assert first.query == [("tag", "x"), ("tag", "y")]
    assert first.headers["authorization"] == "Bearer secret"
    assert first.json() == {"title": "t"}
    assert (second.method, second.path, second.body) == ("DELETE", "/nothing", b"")


def test_node_client_lists_and_calls_tools_over_streamable_http(
    node_tools: None, tiny_mcp_url: str
) -> None:
    echoed = run_node_client(tiny_mcp_url, "echo", {"text": "héllo"})
    failed = run_node_client(tiny_mcp_url, "fail")

    echo_tool = next(tool for tool in echoed["tools"] if tool["name"] == "echo")
    assert echo_tool["inputSchema"] == ECHO_INPUT_SCHEMA
    assert echo_tool["annotations"] == ECHO_ANNOTATIONS
    assert echoed["result"]["structuredContent"] == {"text": "héllo", "length": 5}
    assert echoed["result"]["isError"] is False
    assert failed["result"]["isError"] is True


def test_node_client_lists_and_calls_tools_over_stdio(node_tools: None) -> None:
    output = run_node_client(TINY_STDIO_SERVER, "echo", {"text": "x"})
    assert [tool["name"] for tool in output["tools"]] == ["echo", "fail"]
    assert output["result"]["structuredContent"] == {"text": "x", "length": 1}


def test_inspector_lists_and_calls_tools_over_streamable_http(
    node_tools: None, tiny_mcp_url: str
) -> None:
    listed = run_inspector(tiny_mcp_url, "tools/list")
    echoed = run_inspector(tiny_mcp_url, "tools/call", tool="echo", arguments={"text": "hi"})
    failed = run_inspector(tiny_mcp_url, "tools/call", tool="fail")

    assert listed.exit_code == 0
    assert listed.output["result"]["tools"][0]["inputSchema"] == ECHO_INPUT_SCHEMA
    assert listed.output["result"]["tools"][0]["annotations"] == ECHO_ANNOTATIONS
    assert echoed.exit_code == 0
    assert echoed.output["result"]["structuredContent"] == {"text": "hi", "length": 2}
    assert failed.exit_code == 5
    assert failed.output["result"]["isError"] is True


def test_inspector_calls_tools_over_stdio(node_tools: None) -> None:
    echoed = run_inspector(TINY_STDIO_SERVER, "tools/call", tool="echo", arguments={"text": "yo"})
    assert echoed.exit_code == 0, echoed.stderr
    assert echoed.output["result"]["structuredContent"] == {"text": "yo", "length": 2}


def test_schemathesis_fuzzes_a_rest_app_without_finding_failures() -> None:
    port = free_port()
    app = ["--app-dir", str(HERE), "tiny_rest_app:app"]
    command = [sys.executable, "-m", "uvicorn", *app, "--port", str(port)]
    base_url = f"http://127.0.0.1:{port}"
    with start_service(command, ready=lambda: http_answers(f"{base_url}/health/ready"), timeout=30):
        run = run_schemathesis(f"{base_url}/openapi.json", max_examples=10)
    assert run.exit_code == 0, run.output
    assert run.tested_operations == 2, run.output


def test_fake_upstream_answers_exact_then_pattern_then_anything_even_across_line_breaks(
    fake_upstream: FakeUpstream, fake_upstream_url: str
) -> None:
    fake_upstream.respond("GET", "/a/1", json_body={"exact": True})
    fake_upstream.respond_matching(r"/a/[^/]+", method="GET", text="<x/>")
    fake_upstream.respond_to_anything(status=202, json_body={})

    exact = httpx2.get(f"{fake_upstream_url}/a/1", timeout=5)
    pattern = httpx2.get(f"{fake_upstream_url}/a/2", timeout=5)
    other_method = httpx2.post(f"{fake_upstream_url}/a/2", timeout=5)
    line_break = httpx2.get(f"{fake_upstream_url}/b/x%0Ay", timeout=5)

    assert exact.json() == {"exact": True}
    assert (pattern.status_code, pattern.text) == (200, "<x/>")
    assert (other_method.status_code, line_break.status_code) == (202, 202)
    assert fake_upstream.requests[-1].path == "/b/x%0Ay"


def test_fake_upstream_forwards_to_another_server_and_records_what_passed(
    fake_upstream: FakeUpstream, fake_upstream_url: str
) -> None:
    fake_upstream.respond("POST", "/items", status=201, json_body={"id": 1})
    proxy = FakeUpstream()
    proxy.forward_to(fake_upstream_url)
    with proxy.serve() as proxy_url:
        created = httpx2.post(
            f"{proxy_url}/items?x=1", json={"a": 1}, headers={"X-Key": "k"}, timeout=5
        )

    assert (created.status_code, created.json()) == (201, {"id": 1})
    passed, received = proxy.requests[0], fake_upstream.requests[0]
    assert (passed.path, passed.query, passed.headers["x-key"]) == ("/items", [("x", "1")], "k")
    assert (received.query_string, received.json(), received.headers["x-key"]) == (
        "x=1",
        {"a": 1},
        "k",
    )


def test_exchange_stdio_sees_every_line_a_stdio_server_prints() -> None:
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "e2e", "version": "1"},
        },
    }
    messages: list[dict[str, Any]] = [
        initialize,
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "echo", "arguments": {"text": "a"}},
        },
    ]

    exchange = exchange_stdio(TINY_STDIO_SERVER, messages, timeout=30)

    assert [m["id"] for m in exchange.messages()] == [1, 2]
    assert exchange.response(2)["result"]["structuredContent"] == {"text": "a", "length": 1}


def test_entered_together_starts_services_at_once_and_stops_them_all() -> None:
    commands = [["sleep", "300"], ["sleep", "301"]]
    with entered_together([start_service(c, ready=lambda: True) for c in commands]) as services:
        groups = [service.process.pid for service in services]
        assert len(groups) == 2
    assert all(group_is_gone(group) for group in groups)


def test_free_ports_are_distinct_and_outside_the_ephemeral_range() -> None:
    """Ports handed to servers never come from the range outgoing connections take theirs from."""
    ports = [free_port() for _ in range(64)]
    assert len(set(ports)) == len(ports)
    assert all(port in SERVER_PORTS and port < 32768 for port in ports)
