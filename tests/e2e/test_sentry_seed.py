"""Issue 2's acceptance walk-through: the generated Sentry package, installed as a user does.

`pip install --no-deps --no-build-isolation generated/sentry-integration-platform-external-issues`
once per session, then its console script `sentry-integration-platform-external-issues serve`
(REST + MCP streamable HTTP) or `serve --stdio`, pointed at a recording fake upstream whose base
URL has a path (`…/api/0`, like `https://sentry.io/api/0`). Every port is a free loopback port.
The MCP side is driven by clients nobody on the project wrote: the Node SDK client and the
Inspector CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.harness import (
    LOOPBACK,
    REPO_ROOT,
    FakeUpstream,
    InspectorResult,
    Service,
    env_var_name,
    exchange_stdio,
    free_port,
    http_answers,
    port_accepts,
    run_inspector,
    run_node_client,
    run_node_client_calls,
    start_service,
)

DIST = "sentry-integration-platform-external-issues"
CONSUMED = DIST
REST_ADAPTER = f"{DIST}-rest"
MCP_ADAPTER = f"{DIST}-mcp"
TOKEN = "e2e-sentry-token-5f1c9a"  # distinctive, so a leak is easy to spot
BASE_PATH = "/api/0"

LIST_TOOL = "retrieve-custom-integration-issue-links"
CREATE_TOOL = "sentry-create-update-external-issue"
DELETE_TOOL = "sentry-delete-external-issue"

# What tools/list must show: names, descriptions, annotations from the document's `hints`, and the
# input schemas SEMANTICS.md §4 derives from the consumed parameters (every one required).
EXPECTED_TOOLS: dict[str, dict[str, Any]] = {
    LIST_TOOL: {
        "description": "Retrieve custom integration issue links for a Sentry issue",
        "annotations": {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True},
        "inputSchema": {
            "type": "object",
            "properties": {
                "issue_id": {"type": "string", "description": "The ID of the Sentry issue."},
            },
            "required": ["issue_id"],
        },
    },
    CREATE_TOOL: {
        "description": "Sentry Create or update an external issue",
        "annotations": {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False},
        "inputSchema": {
            "type": "object",
            "properties": {
                "uuid": {"type": "string", "description": "The UUID of the installation."},
                "body": {"type": "object", "description": "Request body (JSON)."},
            },
            "required": ["uuid", "body"],
        },
    },
    DELETE_TOOL: {
        "description": "Sentry Delete an external issue",
        "annotations": {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": True},
        "inputSchema": {
            "type": "object",
            "properties": {
                "uuid": {"type": "string", "description": "The UUID of the installation."},
                "external_issue_id": {
                    "type": "string",
                    "description": "The ID of the external issue link.",
                },
            },
            "required": ["uuid", "external_issue_id"],
        },
    },
}

LINKS = [
    {
        "id": "1",
        "issueId": "123",
        "serviceType": "linear",
        "displayName": "ENG-7",
        "webUrl": "https://linear.example/ENG-7",
    }
]
NEW_ISSUE = {
    "issueId": 123,
    "webUrl": "https://tracker.example/T-9",
    "project": "ops",
    "identifier": "T-9",
}
CREATED = {"id": "77", "issueId": "123", "serviceType": "tracker", "displayName": "ops#T-9"}
NOT_FOUND = {"detail": "The requested resource does not exist"}


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def console_script() -> Path:
    """The package installed into the test venv as a user would; its `sentry-…` console script."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            str(REPO_ROOT / "generated" / DIST),
        ],
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=180,
    )
    script = Path(sys.executable).with_name(DIST)
    assert script.is_file(), f"pip did not install the console script {script}"
    return script


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[FakeUpstream, str]]:
    """The recording fake Sentry API and its base URL with a path (`http://127.0.0.1:PORT/api/0`)."""
    fake = FakeUpstream()
    with fake.serve() as url:
        yield fake, url + BASE_PATH


@pytest.fixture
def fake(upstream: tuple[FakeUpstream, str]) -> FakeUpstream:
    """The shared fake upstream, emptied of earlier tests' answers and recordings."""
    upstream[0].reset()
    return upstream[0]


def package_env(base_url: str) -> dict[str, str]:
    """What a user exports: the bound secret and the upstream base URL."""
    return {"SENTRY_SYSTEM_API_KEY": TOKEN, env_var_name(CONSUMED, "BASE_URL"): base_url}


@dataclass(frozen=True)
class Running:
    rest: str  # http://127.0.0.1:PORT
    mcp: str  # http://127.0.0.1:PORT/mcp
    service: Service


@contextmanager
def serve(script: Path, base_url: str) -> Iterator[Running]:
    """`sentry-integration-platform-external-issues serve` on free loopback ports."""
    rest_port, mcp_port = free_port(), free_port()
    env = {
        **package_env(base_url),
        env_var_name(REST_ADAPTER, "HOST"): LOOPBACK,
        env_var_name(REST_ADAPTER, "PORT"): str(rest_port),
        env_var_name(MCP_ADAPTER, "HOST"): LOOPBACK,
        env_var_name(MCP_ADAPTER, "PORT"): str(mcp_port),
    }
    rest = f"http://{LOOPBACK}:{rest_port}"

    def ready() -> bool:
        return http_answers(f"{rest}/health/ready") and port_accepts(mcp_port)

    with start_service([str(script), "serve"], ready=ready, env=env, timeout=60) as service:
        yield Running(rest, f"http://{LOOPBACK}:{mcp_port}/mcp", service)


@pytest.fixture(scope="module")
def sentry(console_script: Path, upstream: tuple[FakeUpstream, str]) -> Iterator[Running]:
    """The installed package serving REST and MCP over HTTP, calling the fake upstream."""
    with serve(console_script, upstream[1]) as running:
        yield running


@pytest.fixture(scope="module")
def sentry_unreachable(console_script: Path) -> Iterator[Running]:
    """The package pointed at a loopback port where nothing listens."""
    with serve(console_script, f"http://{LOOPBACK}:{free_port()}{BASE_PATH}") as running:
        yield running


@pytest.fixture
def stdio_command(console_script: Path) -> list[str]:
    return [str(console_script), "serve", "--stdio"]


# -- helpers ---------------------------------------------------------------------------------------


def only_request(fake: FakeUpstream) -> Any:
    """The single request the fake upstream received."""
    assert len(fake.requests) == 1, [(r.method, r.path) for r in fake.requests]
    return fake.requests[0]


def tools_by_name(tools: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {tool["name"]: tool for tool in tools}


def assert_exactly_the_three_tools(tools: list[dict[str, Any]]) -> None:
    listed = tools_by_name(tools)
    assert sorted(listed) == sorted(EXPECTED_TOOLS)
    for name, expected in EXPECTED_TOOLS.items():
        tool = listed[name]
        assert tool["description"] == expected["description"], name
        assert tool["inputSchema"] == expected["inputSchema"], name
        hints = {k: v for k, v in tool["annotations"].items() if k in expected["annotations"]}
        assert hints == expected["annotations"], name
        assert "openWorldHint" not in tool["annotations"], name  # the document leaves it out


def result_text(result: Mapping[str, Any]) -> str:
    """The text of a tool result's content blocks, joined."""
    return "".join(block.get("text", "") for block in result["content"])


def result_json(result: Mapping[str, Any]) -> Any:
    return json.loads(result_text(result))


def answer_the_three_calls(fake: FakeUpstream) -> None:
    fake.respond("GET", f"{BASE_PATH}/groups/123/external-issues/", json_body=LINKS)
    fake.respond(
        "POST",
        f"{BASE_PATH}/sentry-app-installations/inst-1/external-issues/",
        status=201,
        json_body=CREATED,
    )
    fake.respond(
        "DELETE", f"{BASE_PATH}/sentry-app-installations/inst-1/external-issues/77/", status=204
    )


THREE_CALLS: list[tuple[str, dict[str, Any]]] = [
    (LIST_TOOL, {"issue_id": "123"}),
    (CREATE_TOOL, {"uuid": "inst-1", "body": NEW_ISSUE}),
    (DELETE_TOOL, {"uuid": "inst-1", "external_issue_id": "77"}),
]


def assert_the_three_calls_reached_the_upstream(fake: FakeUpstream) -> None:
    seen = [(r.method, r.path, r.headers.get("authorization")) for r in fake.requests]
    bearer = f"Bearer {TOKEN}"
    assert seen == [
        ("GET", f"{BASE_PATH}/groups/123/external-issues/", bearer),
        ("POST", f"{BASE_PATH}/sentry-app-installations/inst-1/external-issues/", bearer),
        ("DELETE", f"{BASE_PATH}/sentry-app-installations/inst-1/external-issues/77/", bearer),
    ]
    assert fake.requests[1].json() == NEW_ISSUE
    assert fake.requests[1].headers["content-type"].startswith("application/json")


def assert_the_three_results(results: Sequence[Mapping[str, Any]]) -> None:
    listed, created, deleted = results
    assert listed["isError"] is False
    assert result_json(listed) == LINKS
    assert created["isError"] is False
    assert result_json(created) == CREATED
    assert deleted["isError"] is False  # a 204 is a success (SEMANTICS.md §6) …
    assert result_text(deleted) == ""  # … with nothing to say


INVALID_CALLS: list[tuple[str, dict[str, Any], str]] = [
    (LIST_TOOL, {}, "issue_id"),  # a required argument is missing
    (LIST_TOOL, {"issue_id": 123}, "issue_id"),  # a number where a string is declared
    (CREATE_TOOL, {"uuid": "inst-1", "body": "not an object"}, "body"),
    (DELETE_TOOL, {"uuid": "inst-1"}, "external_issue_id"),
]


def assert_invalid_arguments_reported(results: list[Mapping[str, Any]]) -> None:
    for (tool, arguments, named), result in zip(INVALID_CALLS, results, strict=True):
        assert result["isError"] is True, (tool, arguments, result)
        assert named in result_text(result), (tool, arguments, result_text(result))


def inspector_ok(run: InspectorResult) -> dict[str, Any]:
    assert run.exit_code == 0, (run.exit_code, run.output, run.stderr)
    result: dict[str, Any] = run.output["result"]
    return result


# -- REST ------------------------------------------------------------------------------------------


def test_rest_get_calls_the_upstream_path_under_the_base_url_with_the_bearer_token(
    sentry: Running, fake: FakeUpstream
) -> None:
    fake.respond("GET", f"{BASE_PATH}/groups/123/external-issues/", json_body=LINKS)

    response = httpx2.get(f"{sentry.rest}/v1/groups/123/external-issues", timeout=10)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == LINKS
    sent = only_request(fake)
    assert (sent.method, sent.path, sent.query_string) == (
        "GET",
        f"{BASE_PATH}/groups/123/external-issues/",
        "",
    )
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"


def test_rest_mirrors_an_upstream_404_and_its_json_body_unchanged(
    sentry: Running, fake: FakeUpstream
) -> None:
    fake.respond("GET", f"{BASE_PATH}/groups/999/external-issues/", status=404, json_body=NOT_FOUND)

    response = httpx2.get(f"{sentry.rest}/v1/groups/999/external-issues", timeout=10)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_rest_post_forwards_the_json_body_and_mirrors_the_201(
    sentry: Running, fake: FakeUpstream
) -> None:
    path = f"{BASE_PATH}/sentry-app-installations/inst-1/external-issues/"
    fake.respond("POST", path, status=201, json_body=CREATED)

    response = httpx2.post(
        f"{sentry.rest}/v1/sentry-app-installations/inst-1/external-issues",
        json=NEW_ISSUE,
        timeout=10,
    )

    assert response.status_code == 201
    assert response.json() == CREATED
    sent = only_request(fake)
    assert (sent.method, sent.path) == ("POST", path)
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["content-type"].startswith("application/json")
    assert sent.json() == NEW_ISSUE


def test_rest_delete_forwards_the_delete_and_a_204_stays_an_empty_204(
    sentry: Running, fake: FakeUpstream
) -> None:
    path = f"{BASE_PATH}/sentry-app-installations/inst-1/external-issues/77/"
    fake.respond("DELETE", path, status=204)

    response = httpx2.delete(
        f"{sentry.rest}/v1/sentry-app-installations/inst-1/external-issues/77", timeout=10
    )

    assert response.status_code == 204
    assert response.content == b""
    sent = only_request(fake)
    assert (sent.method, sent.path, sent.body) == ("DELETE", path, b"")
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("sent_path_value", "upstream_segment"),
    [
        ("a%20b%3Fc%23d", "a%20b%3Fc%23d"),  # space, ? and # stay inside the segment
        ("%C3%BC%3B%25", "%C3%BC%3B%25"),  # non-ASCII, ; and % are encoded, not interpreted
        ("...", "..."),  # only "." and ".." are dot segments
    ],
)
def test_rest_percent_encodes_a_path_value_as_exactly_one_segment(
    sentry: Running, fake: FakeUpstream, sent_path_value: str, upstream_segment: str
) -> None:
    upstream_path = f"{BASE_PATH}/groups/{upstream_segment}/external-issues/"
    fake.respond("GET", upstream_path, json_body=[])

    response = httpx2.get(f"{sentry.rest}/v1/groups/{sent_path_value}/external-issues", timeout=10)

    assert response.status_code == 200, response.text
    assert only_request(fake).path == upstream_path


@pytest.mark.parametrize("dots", ["%2E", "%2E%2E"])
def test_rest_refuses_a_dot_segment_as_a_path_value(
    sentry: Running, fake: FakeUpstream, dots: str
) -> None:
    # ".." cannot climb out of /groups/: "." and ".." as whole path values are a 422 problem.
    response = httpx2.get(f"{sentry.rest}/v1/groups/{dots}/external-issues", timeout=10)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert not fake.requests


def test_rest_passes_a_non_json_upstream_error_through_with_a_documented_content_type(
    sentry: Running, fake: FakeUpstream
) -> None:
    # SEMANTICS.md §5: a non-2xx upstream body is passed through unchanged; the served OpenAPI
    # document must then allow what is sent (schemathesis checks ST105 on every response).
    page = "<html><body>Not here</body></html>"
    fake.respond(
        "GET",
        f"{BASE_PATH}/groups/404/external-issues/",
        status=404,
        text=page,
        headers={"content-type": "text/html; charset=utf-8"},
    )

    response = httpx2.get(f"{sentry.rest}/v1/groups/404/external-issues", timeout=10)
    document = httpx2.get(f"{sentry.rest}/openapi.json", timeout=10).json()

    assert (response.status_code, response.text) == (404, page)
    (operation,) = (item["get"] for path, item in document["paths"].items() if "/groups/" in path)
    responses = operation["responses"]
    documented = responses.get("404", responses.get("4XX", responses.get("default", {})))
    media_type = response.headers["content-type"].split(";")[0].strip()
    allowed = set(documented.get("content", {}))
    assert allowed & {media_type, "text/*", "*/*"}, (media_type, sorted(allowed))


def test_rest_rejects_a_body_that_is_not_a_json_object_with_a_422_problem_naming_it(
    sentry: Running, fake: FakeUpstream
) -> None:
    response = httpx2.post(
        f"{sentry.rest}/v1/sentry-app-installations/inst-1/external-issues",
        json=["not", "an", "object"],
        timeout=10,
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "body" in response.json()["detail"]
    assert fake.requests == []


def test_rest_answers_502_problem_json_without_the_token_when_the_upstream_is_unreachable(
    sentry_unreachable: Running,
) -> None:
    response = httpx2.get(f"{sentry_unreachable.rest}/v1/groups/123/external-issues", timeout=30)

    assert response.status_code == 502
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 502
    assert problem["title"]
    assert TOKEN not in response.text
    assert TOKEN not in sentry_unreachable.service.output()  # nor in the logs


# -- MCP over streamable HTTP ----------------------------------------------------------------------


def test_node_client_lists_exactly_the_three_tools_with_schemas_and_annotations(
    node_tools: None, sentry: Running
) -> None:
    assert_exactly_the_three_tools(run_node_client(sentry.mcp)["tools"])


def test_inspector_lists_exactly_the_three_tools_with_schemas_and_annotations(
    node_tools: None, sentry: Running
) -> None:
    listed = inspector_ok(run_inspector(sentry.mcp, "tools/list"))
    assert_exactly_the_three_tools(listed["tools"])


def test_node_client_tool_calls_make_the_same_upstream_calls_as_rest(
    node_tools: None, sentry: Running, fake: FakeUpstream
) -> None:
    answer_the_three_calls(fake)

    output = run_node_client_calls(sentry.mcp, THREE_CALLS)

    assert_the_three_results(output["results"])
    assert_the_three_calls_reached_the_upstream(fake)


def test_inspector_tool_calls_make_the_same_upstream_calls_as_rest(
    node_tools: None, sentry: Running, fake: FakeUpstream
) -> None:
    answer_the_three_calls(fake)

    results = [
        inspector_ok(run_inspector(sentry.mcp, "tools/call", tool=tool, arguments=arguments))
        for tool, arguments in THREE_CALLS
    ]

    assert_the_three_results(results)
    assert_the_three_calls_reached_the_upstream(fake)


def test_an_upstream_404_is_an_is_error_result_carrying_the_upstream_body(
    node_tools: None, sentry: Running, fake: FakeUpstream
) -> None:
    fake.respond("GET", f"{BASE_PATH}/groups/999/external-issues/", status=404, json_body=NOT_FOUND)

    node = run_node_client(sentry.mcp, LIST_TOOL, {"issue_id": "999"})["result"]
    inspector = run_inspector(
        sentry.mcp, "tools/call", tool=LIST_TOOL, arguments={"issue_id": "999"}
    )

    assert node["isError"] is True
    assert result_json(node) == NOT_FOUND
    assert inspector.exit_code == 5, inspector  # the Inspector's "tool said isError"
    assert inspector.output["result"]["isError"] is True
    assert result_json(inspector.output["result"]) == NOT_FOUND


def test_invalid_arguments_are_is_error_results_naming_the_problem_without_an_upstream_call(
    node_tools: None, sentry: Running, fake: FakeUpstream
) -> None:
    node = run_node_client_calls(sentry.mcp, [(t, a) for t, a, _ in INVALID_CALLS])["results"]
    tool, arguments, named = INVALID_CALLS[1]
    inspector = run_inspector(sentry.mcp, "tools/call", tool=tool, arguments=arguments)

    assert_invalid_arguments_reported(node)
    assert inspector.exit_code == 5, inspector
    assert inspector.output["result"]["isError"] is True
    assert named in result_text(inspector.output["result"])
    assert fake.requests == []


def test_a_tool_call_answers_is_error_without_the_token_when_the_upstream_is_unreachable(
    node_tools: None, sentry_unreachable: Running
) -> None:
    result = run_node_client(sentry_unreachable.mcp, LIST_TOOL, {"issue_id": "123"})["result"]

    assert result["isError"] is True
    assert result_text(result)
    assert TOKEN not in json.dumps(result)


def test_a_tool_argument_becomes_exactly_one_percent_encoded_path_segment(
    node_tools: None, sentry: Running, fake: FakeUpstream
) -> None:
    upstream_path = f"{BASE_PATH}/groups/..%2F..%2Fadmin%3Fx%3D1%23y/external-issues/"
    fake.respond("GET", upstream_path, json_body=[])

    result = run_node_client(sentry.mcp, LIST_TOOL, {"issue_id": "../../admin?x=1#y"})["result"]

    assert result["isError"] is False, result
    sent = only_request(fake)
    assert (sent.path, sent.query_string) == (upstream_path, "")


def test_the_mcp_endpoint_refuses_a_foreign_host_header(sentry: Running) -> None:
    # The DNS-rebinding guard (SEMANTICS.md §6): only localhost names and the bind address pass.
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
    headers = {"Accept": "application/json, text/event-stream"}
    local = httpx2.post(sentry.mcp, json=initialize, headers=headers, timeout=10)
    foreign = httpx2.post(
        sentry.mcp, json=initialize, headers={**headers, "Host": "evil.example"}, timeout=10
    )

    assert local.status_code == 200
    assert foreign.status_code in (400, 403, 421)


# -- MCP over stdio --------------------------------------------------------------------------------


def test_node_client_over_stdio_lists_and_calls_the_tools_like_over_http(
    node_tools: None,
    stdio_command: list[str],
    upstream: tuple[FakeUpstream, str],
    fake: FakeUpstream,
) -> None:
    answer_the_three_calls(fake)
    fake.respond("GET", f"{BASE_PATH}/groups/999/external-issues/", status=404, json_body=NOT_FOUND)
    calls = [*THREE_CALLS, (LIST_TOOL, {"issue_id": "999"}), *[(t, a) for t, a, _ in INVALID_CALLS]]

    output = run_node_client_calls(stdio_command, calls, env=package_env(upstream[1]))

    assert_exactly_the_three_tools(output["tools"])
    results = output["results"]
    assert_the_three_results(results[:3])
    assert results[3]["isError"] is True
    assert result_json(results[3]) == NOT_FOUND
    assert_invalid_arguments_reported(results[4:])
    assert [r.method for r in fake.requests] == ["GET", "POST", "DELETE", "GET"]
    fake.requests.pop()
    assert_the_three_calls_reached_the_upstream(fake)


def test_inspector_over_stdio_lists_and_calls_the_tools_like_over_http(
    node_tools: None,
    stdio_command: list[str],
    upstream: tuple[FakeUpstream, str],
    fake: FakeUpstream,
) -> None:
    answer_the_three_calls(fake)
    fake.respond("GET", f"{BASE_PATH}/groups/999/external-issues/", status=404, json_body=NOT_FOUND)
    env = package_env(upstream[1])
    invalid_tool, invalid_arguments, named = INVALID_CALLS[1]
    calls = [*THREE_CALLS, (LIST_TOOL, {"issue_id": "999"}), (invalid_tool, invalid_arguments)]

    # Each Inspector run starts its own server; three at a time keeps this test short.
    with ThreadPoolExecutor(max_workers=3) as pool:
        listing = pool.submit(run_inspector, stdio_command, "tools/list", env=env)
        runs = [
            pool.submit(run_inspector, stdio_command, "tools/call", tool=t, arguments=a, env=env)
            for t, a in calls
        ]
        listed = inspector_ok(listing.result())
        *called, not_found, invalid = [run.result() for run in runs]

    assert_exactly_the_three_tools(listed["tools"])
    assert_the_three_results([inspector_ok(run) for run in called])
    assert (not_found.exit_code, not_found.output["result"]["isError"]) == (5, True)
    assert result_json(not_found.output["result"]) == NOT_FOUND
    assert (invalid.exit_code, invalid.output["result"]["isError"]) == (5, True)
    assert named in result_text(invalid.output["result"])
    # The calls ran concurrently, so the upstream saw them in any order.
    assert sorted(r.path for r in fake.requests if "999" in r.path) == [
        f"{BASE_PATH}/groups/999/external-issues/"
    ]
    fake.requests[:] = sorted(
        (r for r in fake.requests if "999" not in r.path),
        key=lambda r: ["GET", "POST", "DELETE"].index(r.method),
    )
    assert_the_three_calls_reached_the_upstream(fake)


def test_stdio_prints_nothing_but_json_rpc_on_stdout(
    stdio_command: list[str], upstream: tuple[FakeUpstream, str], fake: FakeUpstream
) -> None:
    answer_the_three_calls(fake)
    fake.respond("GET", f"{BASE_PATH}/groups/999/external-issues/", status=404, json_body=NOT_FOUND)
    messages: list[dict[str, Any]] = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "e2e-raw", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        *[
            {
                "jsonrpc": "2.0",
                "id": 3 + i,
                "method": "tools/call",
                "params": {"name": t, "arguments": a},
            }
            for i, (t, a) in enumerate(
                [*THREE_CALLS, (LIST_TOOL, {"issue_id": "999"}), (LIST_TOOL, {})]
            )
        ],
    ]

    exchange = exchange_stdio(stdio_command, messages, env=package_env(upstream[1]), timeout=30)

    # Every line on stdout is one JSON-RPC 2.0 response, one per request, in order; the
    # package's logs (it logs each upstream call) went to stderr.
    answers = exchange.messages()
    assert [m.get("jsonrpc") for m in answers] == ["2.0"] * 7
    assert [m.get("id") for m in answers] == [1, 2, 3, 4, 5, 6, 7]
    assert all("result" in m for m in answers), answers
    assert [m["result"]["isError"] for m in answers[2:]] == [False, False, False, True, True]
    assert exchange.exit_code == 0, exchange.stderr
    assert TOKEN not in exchange.stderr


# -- start-up errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", [["serve"], ["serve", "--stdio"]], ids=["http", "stdio"])
def test_serve_without_the_api_key_exits_2_naming_the_missing_variable(
    console_script: Path, transport: list[str]
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SENTRY_SYSTEM_API_KEY"}
    env[env_var_name(REST_ADAPTER, "PORT")] = str(free_port())
    env[env_var_name(MCP_ADAPTER, "PORT")] = str(free_port())

    completed = subprocess.run(
        [str(console_script), *transport],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )

    assert completed.returncode == 2, completed
    assert "SENTRY_SYSTEM_API_KEY" in completed.stderr
    assert completed.stdout == ""
