"""Error mapping (SEMANTICS.md §3 retries, §5 REST problems, §6 MCP `isError`)."""

from __future__ import annotations

import time

import httpx2
import pytest
from mcp.shared.exceptions import MCPError

from .conftest import (
    PROBLEM_JSON,
    Builder,
    Capability,
    FakeUpstream,
    content_type,
    tool_json,
    tool_text,
)

pytestmark = pytest.mark.anyio

SECRET = "tok-SUPER-SECRET-1234"
API_KEY = "key-VERY-SECRET-5678"

DOCUMENT = """
naftiko: "1.0.0-alpha3"
info:
  label: Errors
  description: error mapping
binds:
  - namespace: env
    keys:
      API_TOKEN: API_TOKEN
      QUERY_KEY: QUERY_KEY
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: "https://api.example.com/v1"
      authentication:
        type: bearer
        token: "{{API_TOKEN}}"
      resources:
        - name: things
          path: /things
          operations:
            - name: list-things
              method: GET
              outputRawFormat: json
              inputParameters:
                - name: key
                  in: query
                  value: "{{QUERY_KEY}}"
            - name: create-thing
              method: POST
              body:
                type: json
                data:
                  name: "{{name}}"
                  token-echo: "{{API_TOKEN}}"
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
              outputParameters:
                - type: array
                  mapping: $.items
                  items:
                    type: object
                    properties:
                      id:
                        type: string
                        mapping: $.id
            - method: POST
              name: create-thing
              call: api.create-thing
              inputParameters:
                - name: name
                  in: body
                  type: string
                  description: name
              with:
                name: rest.name
    - type: mcp
      port: 9090
      namespace: things-mcp
      tools:
        - name: list-things
          description: List things
          call: api.list-things
          outputParameters:
            - type: array
              mapping: $.items
              items:
                type: object
                properties:
                  id:
                    type: string
                    mapping: $.id
        - name: create-thing
          description: Create a thing
          call: api.create-thing
          inputParameters:
            - name: name
              type: string
              description: name
"""

ENV = {"API_TOKEN": SECRET, "QUERY_KEY": API_KEY}


@pytest.fixture
def cap(build: Builder) -> Capability:
    return build(DOCUMENT, env=ENV)


def assert_problem(response: httpx2.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert content_type(response) == PROBLEM_JSON
    problem = response.json()
    assert problem["status"] == status
    assert problem.get("title")
    assert SECRET not in response.text and API_KEY not in response.text
    return problem  # type: ignore[no-any-return]


async def test_upstream_error_status_and_body_mirrored_over_rest(
    cap: Capability, upstream: FakeUpstream
) -> None:
    upstream.respond(404, json={"detail": "no such thing", "code": 44})
    async with cap.rest() as http:
        response = await http.get("/things")
    assert response.status_code == 404
    assert response.json() == {"detail": "no such thing", "code": 44}


async def test_upstream_non_json_error_body_passed_through_over_rest(
    cap: Capability, upstream: FakeUpstream
) -> None:
    upstream.respond(
        409, content="conflict: already exists", headers={"content-type": "text/plain"}
    )
    async with cap.rest() as http:
        response = await http.post("/things", json={"name": "a"})
    assert response.status_code == 409
    assert response.text == "conflict: already exists"


async def test_upstream_error_is_a_tool_error_with_the_body(
    cap: Capability, upstream: FakeUpstream
) -> None:
    upstream.respond(403, json={"error": "forbidden"})
    result = await cap.call_tool("list-things", {})
    assert result.is_error
    assert tool_json(result) == {"error": "forbidden"}


async def test_upstream_success_is_mapped(cap: Capability, upstream: FakeUpstream) -> None:
    upstream.respond(200, json={"items": [{"id": "a", "x": 1}]})
    async with cap.rest() as http:
        response = await http.get("/things")
    assert response.status_code == 200
    assert response.json() == [{"id": "a"}]
    result = await cap.call_tool("list-things", {})
    assert not result.is_error
    assert tool_json(result) == [{"id": "a"}]


async def test_upstream_204_is_empty_over_rest_and_not_an_mcp_error(
    cap: Capability, upstream: FakeUpstream
) -> None:
    upstream.respond(204)
    async with cap.rest() as http:
        response = await http.post("/things", json={"name": "a"})
    assert response.status_code == 204
    assert response.content == b""
    result = await cap.call_tool("create-thing", {"name": "a"})
    assert not result.is_error, result.content
    assert all(getattr(block, "text", "") == "" for block in result.content)


async def test_connection_failure_is_502(cap: Capability, upstream: FakeUpstream) -> None:
    upstream.fail = lambda request: httpx2.ConnectError(f"cannot connect to {request.url}")
    async with cap.rest() as http:
        response = await http.get("/things")
    assert_problem(response, 502)
    result = await cap.call_tool("list-things", {})
    assert result.is_error
    assert SECRET not in tool_text(result) and API_KEY not in tool_text(result)


async def test_timeout_is_504(cap: Capability, upstream: FakeUpstream) -> None:
    upstream.fail = lambda request: httpx2.ReadTimeout(f"timed out reading {request.url}")
    async with cap.rest() as http:
        response = await http.post("/things", json={"name": "a"})
    assert_problem(response, 504)
    result = await cap.call_tool("create-thing", {"name": "a"})
    assert result.is_error
    assert SECRET not in tool_text(result)


async def test_non_json_body_on_a_json_operation_is_502(
    cap: Capability, upstream: FakeUpstream
) -> None:
    upstream.respond(
        200, content=f"<html>oops {SECRET}</html>", headers={"content-type": "text/html"}
    )
    async with cap.rest() as http:
        response = await http.get("/things")
    assert_problem(response, 502)
    result = await cap.call_tool("list-things", {})
    assert result.is_error


async def test_no_secret_in_any_error_body(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(DOCUMENT, env=ENV)
    texts: list[str] = []
    failures = [
        lambda request: httpx2.ConnectError(f"refused {request.url} {request.headers}"),
        lambda request: httpx2.ReadTimeout(f"timeout {request.url} {request.headers}"),
        lambda request: httpx2.RemoteProtocolError(f"bad {request.url} {request.content!r}"),
    ]
    for failure in failures:
        upstream.fail = failure
        async with cap.rest() as http:
            texts.append((await http.get("/things")).text)
            texts.append((await http.post("/things", json={"name": "n"})).text)
        for tool, arguments in (("list-things", {}), ("create-thing", {"name": "n"})):
            result = await cap.call_tool(tool, arguments)
            assert result.is_error
            texts.append(tool_text(result))
    upstream.fail = None
    upstream.respond(200, content=f"not json {SECRET} {API_KEY}")
    async with cap.rest() as http:
        texts.append((await http.get("/things")).text)
        texts.append((await http.post("/things", json={"name": 5})).text)  # 422
    texts.append(tool_text(await cap.call_tool("list-things", {})))
    texts.append(tool_text(await cap.call_tool("create-thing", {"name": 5})))
    assert len(texts) == 16
    for text in texts:
        assert SECRET not in text, text
        assert API_KEY not in text, text


async def test_unknown_tool_is_a_protocol_error(cap: Capability) -> None:
    async with cap.mcp() as client:
        with pytest.raises(MCPError):
            await client.call_tool("no-such-tool", {})


# -- retries --------------------------------------------------------------------------------------


async def test_idempotent_get_retried_on_503_honouring_retry_after_zero(
    cap: Capability, upstream: FakeUpstream
) -> None:
    upstream.queue(503, json={"error": "busy"}, headers={"Retry-After": "0"})
    upstream.respond(200, json={"items": [{"id": "after-retry"}]})
    started = time.monotonic()
    async with cap.rest() as http:
        response = await http.get("/things")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert response.json() == [{"id": "after-retry"}]
    assert len(upstream.requests) == 2
    assert elapsed < 0.2  # Retry-After: 0 means no backoff wait


async def test_retry_waits_as_long_as_retry_after_says(
    cap: Capability, upstream: FakeUpstream
) -> None:
    upstream.queue(503, headers={"Retry-After": "1"})
    upstream.respond(200, json={"items": []})
    started = time.monotonic()
    result = await cap.call_tool("list-things", {})
    elapsed = time.monotonic() - started
    assert not result.is_error, result.content
    assert len(upstream.requests) == 2
    assert elapsed >= 0.9


async def test_retries_are_bounded(cap: Capability, upstream: FakeUpstream) -> None:
    upstream.respond(503, json={"error": "down"}, headers={"Retry-After": "0"})
    async with cap.rest() as http:
        response = await http.get("/things")
    assert response.status_code == 503
    assert response.json() == {"error": "down"}
    assert len(upstream.requests) == 3  # the call and 2 retries (SEMANTICS.md §3 default)


async def test_post_is_not_retried(cap: Capability, upstream: FakeUpstream) -> None:
    upstream.queue(503, json={"error": "busy"}, headers={"Retry-After": "0"})
    upstream.respond(201, json={"id": "created"})
    async with cap.rest() as http:
        response = await http.post("/things", json={"name": "a"})
    assert response.status_code == 503
    assert response.json() == {"error": "busy"}
    assert len(upstream.requests) == 1
