"""Wiring a call (SEMANTICS.md §4), REST inputs (§5) and MCP tool schemas/annotations (§6)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from .conftest import PROBLEM_JSON, Builder, FakeUpstream, body_json, content_type, tool_text

pytestmark = pytest.mark.anyio


def indent(block: str, spaces: int) -> str:
    return textwrap.indent(textwrap.dedent(block).strip("\n"), " " * spaces)


# -- `with` forms ---------------------------------------------------------------------------------


def with_document(with_block: str) -> str:
    """REST GET /ships?ship=… and MCP tool find-ship(ship) → GET /ships?imo&limit&status."""
    rest_with, mcp_with = indent(with_block, 16), indent(with_block, 12)
    return f"""
naftiko: "1.0.0-alpha3"
info:
  label: With
  description: with forms
capability:
  consumes:
    - type: http
      namespace: registry
      baseUri: "https://registry.example.com"
      resources:
        - name: ships
          path: /ships
          operations:
            - name: find
              method: GET
              inputParameters:
                - name: imo
                  in: query
                - name: limit
                  in: query
                - name: status
                  in: query
  exposes:
    - type: rest
      port: 8080
      namespace: fleet-rest
      resources:
        - path: /ships
          operations:
            - method: GET
              name: find
              call: registry.find
              inputParameters:
                - name: ship
                  in: query
                  type: string
                  description: ship id
              with:
{rest_with}
    - type: mcp
      port: 9090
      namespace: fleet-mcp
      tools:
        - name: find-ship
          description: find a ship
          call: registry.find
          inputParameters:
            - name: ship
              type: string
              description: ship id
          with:
{mcp_with}
"""


@pytest.mark.parametrize(
    ("adapter", "with_block", "expected"),
    [
        ("rest", "imo: rest.ship", [("imo", "S-1")]),
        ("mcp", "imo: tools.ship", [("imo", "S-1")]),
        ("mcp", "imo: mcp.ship", [("imo", "S-1")]),
        ("rest", "imo: fleet-rest.ship", [("imo", "S-1")]),
        ("mcp", "imo: fleet-mcp.ship", [("imo", "S-1")]),
        ("rest", 'imo: "IMO-{{ship}}"', [("imo", "IMO-S-1")]),
        ("mcp", 'imo: "IMO-{{ship}}"', [("imo", "IMO-S-1")]),
        ("rest", "imo: rest.ship\nlimit: 25", [("imo", "S-1"), ("limit", "25")]),
        ("mcp", "imo: tools.ship\nstatus: active", [("imo", "S-1"), ("status", "active")]),
    ],
    ids=[
        "rest.x",
        "tools.x",
        "mcp.x",
        "rest-namespace.x",
        "mcp-namespace.x",
        "rest-template",
        "mcp-template",
        "numeric-literal",
        "string-literal",
    ],
)
async def test_with_form(
    build: Builder,
    upstream: FakeUpstream,
    adapter: str,
    with_block: str,
    expected: list[tuple[str, str]],
) -> None:
    cap = build(with_document(with_block))
    if adapter == "rest":
        async with cap.rest() as http:
            response = await http.get("/ships", params={"ship": "S-1"})
        assert response.status_code == 200, response.text
    else:
        result = await cap.call_tool("find-ship", {"ship": "S-1"})
        assert not result.is_error, result.content
    request = upstream.only()
    assert request.url.path == "/ships"
    assert sorted(request.url.params.multi_items()) == sorted(expected)


async def test_hyphenated_exposed_path_variable_feeds_snake_case_parameter(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        """
naftiko: "1.0.0-alpha2"
info:
  label: Issue links
  description: catalog dialect
capability:
  consumes:
    - type: http
      namespace: sentry
      baseUri: "https://sentry.io/api/0"
      resources:
        - name: links
          path: /groups/{issue_id}/external-issues/
          operations:
            - name: list-links
              method: GET
              inputParameters:
                - name: issue_id
                  in: path
                  type: string
                  description: The ID of the Sentry issue.
                  required: true
  exposes:
    - type: rest
      port: 8080
      namespace: sentry-rest
      resources:
        - path: /v1/groups/{issue-id}/external-issues
          operations:
            - method: GET
              name: list-links
              call: sentry.list-links
              with:
                issue_id: rest.issue_id
"""
    )
    async with cap.rest() as http:
        response = await http.get("/v1/groups/4711/external-issues")
    assert response.status_code == 200, response.text
    assert upstream.only().url.path == "/api/0/groups/4711/external-issues/"


async def test_inputs_named_like_the_generated_code_locals_still_arrive(
    build: Builder, upstream: FakeUpstream
) -> None:
    names = ["request", "payload", "outcome", "clients", "response", "settings", "rt", "self"]
    params = "".join(
        f"""
                - name: {name}
                  in: query
                  type: string
                  required: true"""
        for name in names
    )
    cap = build(
        f"""
naftiko: "1.0.0-alpha3"
info:
  label: Shadowing
  description: inputs named like the handler's own variables
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: "https://api.example.com"
      resources:
        - name: items
          path: /items
          operations:
            - name: list
              method: GET
              inputParameters:{params}
  exposes:
    - type: rest
      port: 8080
      namespace: api-rest
      resources:
        - path: /items
          operations:
            - method: GET
              call: api.list
    - type: mcp
      port: 9090
      namespace: api-mcp
      tools:
        - name: list
          description: list items
          call: api.list
"""
    )
    values = {name: f"v-{name}" for name in names}
    async with cap.rest() as http:
        response = await http.get("/items", params=values)
    assert response.status_code == 200, response.text
    result = await cap.call_tool("list", values)
    assert not result.is_error, result.content
    assert len(upstream.requests) == 2
    for request in upstream.requests:
        assert dict(request.url.params.multi_items()) == values


async def test_absent_optional_values_are_dropped(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        """
naftiko: "1.0.0-alpha3"
info:
  label: Optional
  description: absent optional values
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: "https://api.example.com"
      resources:
        - name: notes
          path: /notes
          operations:
            - name: create
              method: POST
              inputParameters:
                - name: folder
                  in: query
                - name: X-Trace
                  in: header
                - name: title
                  in: body
                - name: color
                  in: body
  exposes:
    - type: rest
      port: 8080
      namespace: notes-rest
      resources:
        - path: /notes
          operations:
            - method: POST
              name: create
              call: api.create
              inputParameters:
                - name: folder
                  in: query
                  type: string
                  description: folder
                - name: trace
                  in: header
                  type: string
                  description: trace id
                - name: title
                  in: body
                  type: string
                  description: title
                - name: color
                  in: body
                  type: string
                  description: color
              with:
                folder: rest.folder
                X-Trace: rest.trace
                title: rest.title
                color: rest.color
    - type: mcp
      port: 9090
      namespace: notes-mcp
      tools:
        - name: create-note
          description: create a note
          call: api.create
          inputParameters:
            - name: folder
              type: string
              description: folder
              required: false
            - name: title
              type: string
              description: title
            - name: color
              type: string
              description: color
              required: false
          with:
            folder: tools.folder
            title: tools.title
            color: tools.color
"""
    )
    async with cap.rest() as http:
        response = await http.post("/notes", json={"title": "Hello"})
    assert response.status_code == 200, response.text
    result = await cap.call_tool("create-note", {"title": "Hello"})
    assert not result.is_error, result.content
    for request in upstream.requests:
        assert not request.url.query, request.url
        assert "x-trace" not in request.headers
        assert body_json(request) == {"title": "Hello"}
    assert len(upstream.requests) == 2


# -- REST declared inputs -----------------------------------------------------------------------

VALIDATED = """
naftiko: "1.0.0-alpha3"
info:
  label: Validated
  description: declared REST inputs
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: "https://api.example.com"
      resources:
        - name: things
          path: "/things/{{id}}"
          operations:
            - name: update
              method: PUT
              inputParameters:
                - name: id
                  in: path
                - name: limit
                  in: query
                - name: X-Trace
                  in: header
                - name: session
                  in: cookie
                - name: count
                  in: body
  exposes:
    - type: rest
      port: 8080
      namespace: things-rest
      resources:
        - path: "/things/{id}"
          operations:
            - method: PUT
              name: update
              call: api.update
              inputParameters:
                - name: id
                  in: path
                  type: string
                  description: thing id
                  pattern: "^T-[0-9]+$"
                - name: limit
                  in: query
                  type: integer
                  description: max rows
                - name: X-Trace
                  in: header
                  type: string
                  description: trace id
                  pattern: "^[a-f0-9]{8}$"
                - name: session
                  in: cookie
                  type: string
                  description: session
                  pattern: "^s-[a-z]+$"
                - name: count
                  in: body
                  type: integer
                  description: how many
              with:
                id: rest.id
                limit: rest.limit
                X-Trace: rest.X-Trace
                session: rest.session
                count: rest.count
"""

VALID: dict[str, Any] = {
    "path": "/things/T-1",
    "params": {"limit": "5"},
    "headers": {"X-Trace": "0a1b2c3d"},
    "cookies": {"session": "s-abc"},
    "json": {"count": 3},
}


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("id", {"path": "/things/bad-id"}),
        ("limit", {"params": {"limit": "many"}}),
        ("X-Trace", {"headers": {"X-Trace": "NOT-HEX!"}}),
        ("session", {"cookies": {"session": "S_1"}}),
        ("count", {"json": {"count": "three"}}),
    ],
    ids=["path-pattern", "query-type", "header-pattern", "cookie-pattern", "body-type"],
)
async def test_declared_rest_input_is_validated(
    build: Builder, upstream: FakeUpstream, field: str, change: dict[str, Any]
) -> None:
    cap = build(VALIDATED)
    async with cap.rest() as http:
        good = await http.put(
            VALID["path"],
            params=VALID["params"],
            headers={**VALID["headers"], "Cookie": "session=" + VALID["cookies"]["session"]},
            json=VALID["json"],
        )
        bad_args = {**VALID, **change}
        bad = await http.put(
            bad_args["path"],
            params=bad_args["params"],
            headers={**bad_args["headers"], "Cookie": "session=" + bad_args["cookies"]["session"]},
            json=bad_args["json"],
        )
    assert good.status_code == 200, good.text
    request = upstream.only()
    assert request.url.path == "/things/T-1"
    assert request.url.params["limit"] == "5"
    assert request.headers["x-trace"] == "0a1b2c3d"
    assert "session=s-abc" in request.headers.get("cookie", "")
    assert body_json(request) == {"count": 3}

    assert bad.status_code == 422, bad.text
    assert content_type(bad) == PROBLEM_JSON
    problem = bad.json()
    assert problem["status"] == 422
    assert field.lower() in bad.text.lower()
    assert len(upstream.requests) == 1  # the bad request never reached the upstream


# -- MCP inputs -----------------------------------------------------------------------------------

MCP_INPUTS = """
naftiko: "1.0.0-alpha3"
info:
  label: MCP inputs
  description: declared and derived MCP inputs
capability:
  consumes:
    - type: http
      namespace: registry
      baseUri: "https://registry.example.com"
      resources:
        - name: ship
          path: "/ships/{{imo}}"
          operations:
            - name: get-ship
              method: GET
              inputParameters:
                - name: imo
                  in: path
                - name: status
                  in: query
                  type: string
                  description: Filter by status
                  required: false
                - name: fields
                  in: query
                  type: array
                  description: Fields to return
                  required: true
        - name: notes
          path: "/ships/{{imo}}/notes"
          operations:
            - name: add-note
              method: POST
              inputParameters:
                - name: imo
                  in: path
                - name: body
                  in: body
                  description: The note
  exposes:
    - type: mcp
      port: 9090
      namespace: ships-mcp
      tools:
        - name: declared
          description: declared inputs
          call: registry.get-ship
          inputParameters:
            - name: imo
              type: string
              description: IMO number
            - name: limit
              type: integer
              description: max rows
              required: false
            - name: fields
              type: array
              description: fields
              required: true
          with:
            imo: tools.imo
            fields: tools.fields
        - name: derived
          description: derived inputs
          call: registry.get-ship
        - name: derived-body
          description: derived body input
          call: registry.add-note
"""


async def test_mcp_declared_inputs_required_defaults_to_true(build: Builder) -> None:
    cap = build(MCP_INPUTS)
    tools = await cap.tools()
    assert tools["declared"].input_schema == {
        "type": "object",
        "properties": {
            "imo": {"type": "string", "description": "IMO number"},
            "limit": {"type": "integer", "description": "max rows"},
            "fields": {"type": "array", "description": "fields"},
        },
        "required": ["imo", "fields"],
    }


async def test_mcp_derived_inputs(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(MCP_INPUTS)
    tools = await cap.tools()
    schema = tools["derived"].input_schema
    assert schema["type"] == "object"
    properties = schema["properties"]
    assert set(properties) == {"imo", "status", "fields"}
    assert properties["imo"].get("type") == "string", properties  # a path variable: a string
    assert properties["status"] == {"type": "string", "description": "Filter by status"}
    assert properties["fields"]["type"] == "array"
    assert properties["fields"]["description"] == "Fields to return"
    assert sorted(schema["required"]) == ["fields", "imo"]

    body_schema = tools["derived-body"].input_schema
    assert body_schema["properties"]["body"]["type"] == "object"
    assert "body" in body_schema["required"] or "body" in body_schema["properties"]

    result = await cap.call_tool("derived", {"imo": "IMO-1", "fields": ["name", "flag"]})
    assert not result.is_error, result.content
    request = upstream.only()
    assert request.url.path == "/ships/IMO-1"
    assert request.url.params.multi_items() == [("fields", "name"), ("fields", "flag")]


async def test_invalid_mcp_arguments_are_a_tool_error_naming_the_problem(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(MCP_INPUTS)
    missing = await cap.call_tool("declared", {"fields": ["a"]})
    assert missing.is_error
    assert "imo" in tool_text(missing)
    wrong_type = await cap.call_tool("declared", {"imo": "IMO-1", "fields": ["a"], "limit": "ten"})
    assert wrong_type.is_error
    assert "limit" in tool_text(wrong_type)
    assert upstream.requests == []


# -- MCP annotations ------------------------------------------------------------------------------


async def test_engine_fixture_hints_become_annotations(build: Builder) -> None:
    # McpToolHintsIntegrationTest, plus our rule: hints left out are derived from the method
    cap = build.fixture("mcp/mcp-hints-capability.yaml")
    tools = await cap.tools()
    assert list(tools) == ["read-data", "delete-record", "no-hints-tool"]

    read = tools["read-data"]
    assert read.title == "Read Data"
    assert read.annotations is not None
    assert read.annotations.read_only_hint is True
    assert read.annotations.open_world_hint is True
    assert read.annotations.destructive_hint is False  # derived from GET

    delete = tools["delete-record"].annotations
    assert delete is not None
    assert (
        delete.read_only_hint,
        delete.destructive_hint,
        delete.idempotent_hint,
        delete.open_world_hint,
    ) == (False, True, True, False)
    assert tools["delete-record"].title is None

    plain = tools["no-hints-tool"].annotations
    assert plain is not None
    assert plain.read_only_hint is True
    assert plain.destructive_hint is False


async def test_missing_hints_are_derived_from_the_http_method(build: Builder) -> None:
    methods = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"]
    operations = "\n".join(
        f"            - name: op-{m.lower()}\n              method: {m}" for m in methods
    )
    tools = "\n".join(
        f"        - name: t-{m.lower()}\n"
        f"          description: {m}\n"
        f"          call: api.op-{m.lower()}"
        for m in methods
    )
    cap = build(
        f"""
naftiko: "1.0.0-alpha3"
info:
  label: Hints
  description: derived hints
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: "https://api.example.com"
      resources:
        - name: things
          path: /things
          operations:
{operations}
  exposes:
    - type: mcp
      port: 9090
      namespace: hints-mcp
      tools:
{tools}
        - name: partial
          description: one hint given, the rest derived
          call: api.op-delete
          hints:
            destructive: false
"""
    )
    listed = await cap.tools()

    def hints(name: str) -> tuple[Any, Any, Any]:
        annotations = listed[name].annotations
        assert annotations is not None, name
        return (
            annotations.read_only_hint,
            annotations.destructive_hint,
            annotations.idempotent_hint,
        )

    for method in ("get", "head"):
        read_only, destructive, _ = hints(f"t-{method}")
        assert (read_only, destructive) == (True, False), method
    for method in ("post", "patch"):
        assert hints(f"t-{method}") == (False, True, False), method
    for method in ("put", "delete"):
        read_only, destructive, idempotent = hints(f"t-{method}")
        assert (read_only, destructive, idempotent) == (False, True, True), method
    read_only, destructive, idempotent = hints("partial")
    assert (read_only, destructive, idempotent) == (False, False, True)
