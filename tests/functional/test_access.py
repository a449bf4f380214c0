"""Narrowing the served surface at run time: tool filters and read-only mode."""

from __future__ import annotations

from typing import Any

import mcp
import mcp_types
import pytest

from .conftest import Builder, FakeUpstream, tool_text
from .test_exposed_oauth2 import mcp_http, mcp_session

pytestmark = pytest.mark.anyio

DOCUMENT = """
naftiko: "1.0.0-alpha3"
info:
  label: Things
  description: tool filters
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: "https://api.example.com/v1"
      resources:
        - name: things
          path: /things
          operations:
            - name: list-things
              method: GET
            - name: delete-things
              method: DELETE
  exposes:
    - type: rest
      port: 8080
      namespace: things-rest
      resources:
        - path: /things
          operations:
            - method: GET
              name: list-things
              call: api.list-things
            - method: DELETE
              name: delete-things
              call: api.delete-things
    - type: mcp
      port: 9090
      namespace: things-mcp
      tools:
        - name: list-things
          description: List things
          tags: [reading]
          call: api.list-things
        - name: delete-things
          description: Delete things
          tags: [writing, danger]
          call: api.delete-things
"""


@pytest.mark.parametrize(
    ("env", "served"),
    [
        ({}, ["delete-things", "list-things"]),
        ({"THINGS_MCP_TOOLS_EXCLUDE": "delete-things"}, ["list-things"]),
        ({"THINGS_MCP_TOOLS_EXCLUDE": "danger"}, ["list-things"]),
        ({"THINGS_MCP_TOOLS_INCLUDE": "writing"}, ["delete-things"]),
        ({"THINGS_MCP_TOOLS_INCLUDE": "reading,delete-things"}, ["delete-things", "list-things"]),
        ({"THINGS_MCP_TOOLS_INCLUDE": "reading", "THINGS_MCP_TOOLS_EXCLUDE": "reading"}, []),
        ({"THINGS_MCP_READ_ONLY": "true"}, ["list-things"]),
    ],
)
async def test_tool_filters(build: Builder, env: dict[str, str], served: list[str]) -> None:
    cap = build(DOCUMENT, env=env)
    assert sorted(await cap.tools()) == served


async def test_a_filtered_out_tool_cannot_be_called(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(DOCUMENT, env={"THINGS_MCP_READ_ONLY": "1"})
    # the in-memory client re-raises the server's JSON-RPC error from its task group
    unknown = pytest.RaisesExc(mcp.MCPError, match="Unknown tool: delete-things")
    with pytest.RaisesGroup(unknown, flatten_subgroups=True):
        await cap.call_tool("delete-things", {})
    assert not (await cap.call_tool("list-things", {})).is_error
    assert [request.method for request in upstream.requests] == ["GET"]


async def test_rest_read_only_serves_only_get_routes(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(DOCUMENT, env={"THINGS_REST_READ_ONLY": "true"})
    async with cap.rest() as http:
        deleted = await http.delete("/things")
        listed = await http.get("/things")
    assert deleted.status_code == 405
    assert listed.status_code == 200
    assert [request.method for request in upstream.requests] == ["GET"]
    cap.connect({})
    async with cap.rest() as http:
        assert (await http.delete("/things")).status_code == 200


@pytest.mark.parametrize("action", ["accept", "decline", "cancel"])
@pytest.mark.parametrize("mode", ["auto", "legacy"])  # input_required flow, elicitation/create
async def test_destructive_tool_asks_for_confirmation(
    build: Builder, upstream: FakeUpstream, action: str, mode: str
) -> None:
    cap = build(DOCUMENT, env={"THINGS_MCP_CONFIRM_TOOLS": "*"})
    asked: list[str] = []

    async def elicit(context: Any, params: mcp_types.ElicitRequestParams) -> mcp_types.ElicitResult:
        asked.append(params.message)
        return mcp_types.ElicitResult(action=action)  # type: ignore[arg-type]

    server = cap.modules["mcp_server"].create_server(cap.clients)
    async with mcp.Client(server, elicitation_callback=elicit, mode=mode) as client:
        deleted = await client.call_tool("delete-things", {})
        listed = await client.call_tool("list-things", {})
    assert asked == ["Run delete-things? It may change or delete data upstream."]
    assert deleted.is_error is (action != "accept"), deleted
    assert not listed.is_error
    methods = [request.method for request in upstream.requests]
    assert methods == (["DELETE", "GET"] if action == "accept" else ["GET"])


async def test_a_client_that_cannot_confirm_gets_a_tool_error(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(DOCUMENT, env={"THINGS_MCP_CONFIRM_TOOLS": "danger"})
    result = await cap.call_tool("delete-things", {})
    assert result.is_error
    assert "cannot ask (no elicitation support)" in tool_text(result)
    assert upstream.requests == []
    cap.connect({})
    assert not (await cap.call_tool("delete-things", {})).is_error
    assert [request.method for request in upstream.requests] == ["DELETE"]


async def test_listed_caller_headers_reach_the_upstream(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(DOCUMENT, env={"THINGS_REST_PASS_HEADERS": "X-Tenant, Authorization"})
    caller = {"X-Tenant": "acme", "X-Other": "no", "Authorization": "Bearer caller"}
    async with cap.rest() as http:
        assert (await http.get("/things", headers=caller)).status_code == 200
    cap.connect({})
    async with cap.rest() as http:
        assert (await http.get("/things", headers=caller)).status_code == 200
    listed, default = upstream.requests
    assert listed.headers["x-tenant"] == "acme"
    assert listed.headers["authorization"] == "Bearer caller"
    assert "x-other" not in listed.headers
    assert not {"x-tenant", "authorization", "x-other"} & set(default.headers)


async def test_mcp_over_http_passes_listed_caller_headers(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(DOCUMENT, env={"THINGS_MCP_PASS_HEADERS": "x-tenant"})
    headers = {"X-Tenant": "acme", "Authorization": "Bearer caller"}
    async with mcp_http(cap) as http, mcp_session(http, headers) as session:
        assert not (await session.call_tool("list-things", {})).is_error
    (request,) = upstream.requests
    assert request.headers["x-tenant"] == "acme"
    assert "authorization" not in request.headers
