"""Consumed requests (SEMANTICS.md §3): parameters by `in`, paths, and every body kind."""

from __future__ import annotations

import email.parser
import email.policy
import textwrap
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs

import httpx2
import pytest

from .conftest import Builder, FakeUpstream, body_json, content_type

pytestmark = pytest.mark.anyio


def indent(block: str, spaces: int) -> str:
    return textwrap.indent(textwrap.dedent(block).strip("\n"), " " * spaces)


def tool_document(
    *,
    resource_path: str = "/items",
    operation: str,
    tool: str,
    client: str = "",
    method: str = "POST",
) -> str:
    """One consumed operation `api.op` (body of `operation` under it) and one MCP tool `t`."""
    return f"""
naftiko: "1.0.0-alpha3"
info:
  label: Requests
  description: consumed requests test
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: "https://api.example.com/v1"
{indent(client, 6)}
      resources:
        - name: items
          path: "{resource_path}"
          operations:
            - name: op
              method: {method}
{indent(operation, 14)}
  exposes:
    - type: mcp
      port: 9090
      namespace: tools-mcp
      tools:
        - name: t
          description: the tool
          call: api.op
{indent(tool, 10)}
"""


async def call(cap: Any, arguments: dict[str, Any]) -> Any:
    result = await cap.call_tool("t", arguments)
    assert not result.is_error, result.content
    return result


# -- parameters by location -------------------------------------------------------------------


async def test_query_list_repeats_the_key_and_absent_optional_is_dropped(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        tool_document(
            method="GET",
            operation="""
                inputParameters:
                  - name: tag
                    in: query
                  - name: status
                    in: query
                  - name: q
                    in: query
            """,
            tool="""
                inputParameters:
                  - name: tags
                    type: array
                    description: tags
                  - name: status
                    type: string
                    description: status
                    required: false
                  - name: q
                    type: string
                    description: search text
                with:
                  tag: tools.tags
                  status: tools.status
                  q: tools.q
            """,
        )
    )
    await call(cap, {"tags": ["red", "blue"], "q": "a b&c"})
    request = upstream.only()
    assert request.url.params.multi_items() == [("tag", "red"), ("tag", "blue"), ("q", "a b&c")]
    assert "status" not in request.url.params


async def test_header_parameter_from_the_caller(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        tool_document(
            method="GET",
            operation="""
                inputParameters:
                  - name: X-Request-Id
                    in: header
            """,
            tool="""
                inputParameters:
                  - name: request-id
                    type: string
                    description: correlation id
                with:
                  X-Request-Id: tools.request-id
            """,
        )
    )
    await call(cap, {"request-id": "req-42"})
    assert upstream.only().headers["x-request-id"] == "req-42"


async def test_cookie_parameter(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        tool_document(
            method="GET",
            operation="""
                inputParameters:
                  - name: session
                    in: cookie
                  - name: theme
                    in: cookie
                    value: dark
            """,
            tool="""
                inputParameters:
                  - name: session
                    type: string
                    description: session id
                with:
                  session: tools.session
            """,
        )
    )
    await call(cap, {"session": "s-1"})
    cookies = dict(
        part.strip().split("=", 1) for part in upstream.only().headers["cookie"].split(";")
    )
    assert cookies == {"session": "s-1", "theme": "dark"}


# A client-level query parameter makes the request through httpx2's own `build_request`.
@pytest.mark.parametrize(
    "client", ["", "inputParameters: [{name: v, in: query, value: '1'}]"], ids=["joined", "built"]
)
async def test_a_cookie_the_upstream_sets_never_reaches_another_call(
    build: Builder, upstream: FakeUpstream, client: str
) -> None:
    """One pooled client serves every caller: an upstream's `Set-Cookie` (a session it opened
    for one caller's credentials) must not ride on the next caller's request."""
    cap = build(
        tool_document(
            client=client,
            method="GET",
            operation="""
                inputParameters:
                  - name: session
                    in: cookie
            """,
            tool="""
                inputParameters:
                  - name: session
                    type: string
                    description: session id
                    required: false
                with:
                  session: tools.session
            """,
        )
    )
    upstream.queue(json={"who": "a"}, headers={"set-cookie": "sid=caller-a; Path=/"})
    await call(cap, {"session": "s-a"})
    await call(cap, {})
    await call(cap, {"session": "s-b"})
    first, second, third = upstream.requests
    assert first.headers["cookie"] == "session=s-a"
    assert "cookie" not in second.headers
    assert third.headers["cookie"] == "session=s-b"


@pytest.mark.parametrize("placeholder", ["{id}", "{{id}}"])
@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("a/../../admin", "a%2F..%2F..%2Fadmin"),
        ("...", "..."),
        ("x y?z#w", "x%20y%3Fz%23w"),
    ],
)
async def test_path_variable_is_exactly_one_encoded_segment(
    build: Builder, upstream: FakeUpstream, placeholder: str, value: str, encoded: str
) -> None:
    cap = build(
        tool_document(
            method="GET",
            resource_path=f"/items/{placeholder}/detail",
            operation="""
                inputParameters:
                  - name: id
                    in: path
            """,
            tool="""
                inputParameters:
                  - name: id
                    type: string
                    description: item id
                with:
                  id: tools.id
            """,
        )
    )
    await call(cap, {"id": value})
    request = upstream.only()
    assert request.url.raw_path.decode() == f"/v1/items/{encoded}/detail"
    assert request.url.host == "api.example.com"
    assert not request.url.query


async def test_environment_parameter_is_read_at_startup(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        tool_document(
            method="GET",
            operation="""
                inputParameters:
                  - name: DEPLOY_REGION
                    in: environment
                  - name: X-Region
                    in: header
                    value: "{{DEPLOY_REGION}}"
            """,
            tool="",
        ),
        env={"DEPLOY_REGION": "eu-west-3"},
    )
    await call(cap, {})
    assert upstream.only().headers["x-region"] == "eu-west-3"
    with pytest.raises(cap.errors.SettingsError, match="DEPLOY_REGION"):
        cap.load_settings({})


async def test_client_level_parameters_apply_to_every_operation(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        """
naftiko: "1.0.0-alpha3"
info:
  label: Client params
  description: client-level parameters
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: "https://api.example.com/v1"
      inputParameters:
        - name: X-Client
          in: header
          value: naftiko
        - name: api-version
          in: query
          value: "2024-01"
      resources:
        - name: a
          path: /a
          operations:
            - name: get-a
              method: GET
        - name: b
          path: /b
          operations:
            - name: get-b
              method: GET
              inputParameters:
                - name: page
                  in: query
                  value: "2"
  exposes:
    - type: mcp
      port: 9090
      namespace: tools-mcp
      tools:
        - name: get-a
          description: a
          call: api.get-a
        - name: get-b
          description: b
          call: api.get-b
"""
    )
    for tool in ("get-a", "get-b"):
        result = await cap.call_tool(tool, {})
        assert not result.is_error, result.content
    first, second = upstream.requests
    assert first.url.path == "/v1/a" and second.url.path == "/v1/b"
    for request in (first, second):
        assert request.headers["x-client"] == "naftiko"
        assert request.url.params["api-version"] == "2024-01"
    assert second.url.params["page"] == "2"


async def test_client_level_parameter_without_value_comes_from_the_caller(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        tool_document(
            method="GET",
            client="""
                inputParameters:
                  - name: workspace
                    in: query
            """,
            operation="",
            tool="""
                inputParameters:
                  - name: workspace
                    type: string
                    description: workspace id
                with:
                  workspace: tools.workspace
            """,
        )
    )
    await call(cap, {"workspace": "ws-9"})
    assert upstream.only().url.params["workspace"] == "ws-9"


async def test_operation_level_path_is_appended_to_the_resource_path(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        tool_document(
            method="GET",
            resource_path="/users",
            operation="""
                path: "/{user_id}/media"
                inputParameters:
                  - name: user_id
                    in: path
            """,
            tool="""
                inputParameters:
                  - name: user_id
                    type: string
                    description: user
                with:
                  user_id: tools.user_id
            """,
        )
    )
    await call(cap, {"user_id": "17841"})
    assert upstream.only().url.path == "/v1/users/17841/media"


# -- body templates -----------------------------------------------------------------------------

SEAT_INPUTS = """
    inputParameters:
      - name: seats
        type: integer
        description: seats
      - name: tags
        type: array
        description: tags
      - name: name
        type: string
        description: name
      - name: active
        type: boolean
        description: active
    with:
      seats: tools.seats
      tags: tools.tags
      name: tools.name
      active: tools.active
"""


async def test_json_body_whole_placeholder_keeps_the_json_type(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        tool_document(
            operation="""
                body:
                  type: json
                  data:
                    plan:
                      seats: "{{seats}}"
                      active: "{{active}}"
                    tags: "{{tags}}"
                    owner: "{{name}}"
                    fixed: 1
            """,
            tool=SEAT_INPUTS,
        )
    )
    await call(cap, {"seats": 4, "tags": ["a", "b"], "name": "Ann", "active": False})
    request = upstream.only()
    assert content_type(request) == "application/json"
    assert body_json(request) == {
        "plan": {"seats": 4, "active": False},
        "tags": ["a", "b"],
        "owner": "Ann",
        "fixed": 1,
    }


async def test_json_body_placeholder_inside_a_string_is_escaped_text(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        tool_document(
            operation="""
                body:
                  type: json
                  data:
                    greeting: "Hello {{name}}, you have {{seats}} seats"
            """,
            tool=SEAT_INPUTS,
        )
    )
    name = 'Ann "the\\ bee",\n}'
    await call(cap, {"seats": 4, "tags": [], "name": name, "active": True})
    assert body_json(upstream.only()) == {"greeting": f"Hello {name}, you have 4 seats"}


async def test_raw_string_body_template_inserts_values_as_json_text(
    build: Builder, upstream: FakeUpstream
) -> None:
    # the tutorial's step 6 style: a JSON text template, list placeholders outside quotes
    cap = build(
        tool_document(
            operation="""
                body: |
                  {
                    "shipImo": "{{shipImo}}",
                    "crewIds": {{crewIds}},
                    "berths": {{berths}}
                  }
            """,
            tool="""
                inputParameters:
                  - name: shipImo
                    type: string
                    description: ship
                  - name: crewIds
                    type: array
                    description: crew
                  - name: berths
                    type: integer
                    description: berths
            """,
        )
    )
    await call(cap, {"shipImo": 'IMO "93"', "crewIds": ["CREW-1", "CREW-2"], "berths": 3})
    request = upstream.only()
    assert content_type(request) == "application/json"
    assert body_json(request) == {
        "shipImo": 'IMO "93"',
        "crewIds": ["CREW-1", "CREW-2"],
        "berths": 3,
    }


async def test_text_body(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        tool_document(
            operation="""
                body:
                  type: text
                  data: "Dear {{name}}, welcome."
            """,
            tool="""
                inputParameters:
                  - name: name
                    type: string
                    description: name
            """,
        )
    )
    await call(cap, {"name": "Ann"})
    request = upstream.only()
    assert content_type(request) == "text/plain"
    assert request.content.decode() == "Dear Ann, welcome."


async def test_xml_body_escapes_values(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        tool_document(
            operation="""
                body:
                  type: xml
                  data: "<user><name>{{name}}</name><id>{{id}}</id></user>"
            """,
            tool="""
                inputParameters:
                  - name: name
                    type: string
                    description: name
                  - name: id
                    type: integer
                    description: id
            """,
        )
    )
    await call(cap, {"name": "Tom & <Jerry>", "id": 7})
    request = upstream.only()
    assert content_type(request) == "application/xml"
    try:
        root = ET.fromstring(request.content)
    except ET.ParseError as exc:
        raise AssertionError(f"not well-formed XML: {request.content!r}") from exc
    assert root.tag == "user"
    assert root.findtext("name") == "Tom & <Jerry>"
    assert root.findtext("id") == "7"


async def test_form_url_encoded_body(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        tool_document(
            operation="""
                body:
                  type: formUrlEncoded
                  data:
                    To: "{{to}}"
                    Body: "{{text}}"
                    Channel: sms
            """,
            tool="""
                inputParameters:
                  - name: to
                    type: string
                    description: to
                  - name: text
                    type: string
                    description: text
            """,
        )
    )
    await call(cap, {"to": "+33 6 12", "text": "a&b=c d"})
    request = upstream.only()
    assert content_type(request) == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode(), strict_parsing=True) == {
        "To": ["+33 6 12"],
        "Body": ["a&b=c d"],
        "Channel": ["sms"],
    }


async def test_multipart_form_body(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        tool_document(
            operation="""
                body:
                  type: multipartForm
                  data:
                    - name: file
                      value: "{{content}}"
                      filename: notes.txt
                      contentType: text/plain
                    - name: title
                      value: "{{title}}"
            """,
            tool="""
                inputParameters:
                  - name: content
                    type: string
                    description: file content
                  - name: title
                    type: string
                    description: title
            """,
        )
    )
    await call(cap, {"content": "line 1\nline 2", "title": "My notes"})
    request = upstream.only()
    assert content_type(request) == "multipart/form-data"
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.content
    )
    parts = {
        part.get_param("name", header="content-disposition"): part for part in message.iter_parts()
    }
    assert set(parts) == {"file", "title"}
    assert parts["file"].get_filename() == "notes.txt"
    assert parts["file"].get_content_type() == "text/plain"
    assert parts["file"].get_payload(decode=True) == b"line 1\nline 2"
    assert parts["title"].get_payload(decode=True) == b"My notes"


async def test_single_body_parameter_is_the_whole_json_body(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        tool_document(
            operation="""
                inputParameters:
                  - name: body
                    in: body
                    type: object
                    description: Request body (JSON).
                    required: true
            """,
            tool="""
                with:
                  body: tools.body
            """,
        )
    )
    payload = {"title": "Bug", "labels": ["a"], "count": 2, "nested": {"x": None}}
    await call(cap, {"body": payload})
    request = upstream.only()
    assert content_type(request) == "application/json"
    assert body_json(request) == payload


async def test_several_body_parameters_form_a_json_object(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        tool_document(
            operation="""
                inputParameters:
                  - name: title
                    in: body
                  - name: count
                    in: body
                  - name: labels
                    in: body
            """,
            tool="""
                inputParameters:
                  - name: title
                    type: string
                    description: title
                  - name: count
                    type: integer
                    description: count
                  - name: labels
                    type: array
                    description: labels
                    required: false
            """,
        )
    )
    await call(cap, {"title": "Bug", "count": 2})
    request = upstream.only()
    assert content_type(request) == "application/json"
    assert body_json(request) == {"title": "Bug", "count": 2}


async def test_engine_fixture_http_body_json_paths_into_the_request_body(
    build: Builder, upstream: FakeUpstream
) -> None:
    # HttpBodyIntegrationTest: {"user":{"id":"123","name":"Alice"}} → userId/userName via
    # `value: $.user.id` → upstream body contains "id":"123","name":"Alice"
    cap = build.fixture("http/http-body-capability.yaml")
    async with cap.rest() as http:
        response = await http.post("/users", json={"user": {"id": "123", "name": "Alice"}})
    assert response.status_code == 200, response.text
    request = upstream.only()
    assert str(request.url) == "http://example.com/create"
    assert body_json(request) == {"id": "123", "name": "Alice"}


async def test_engine_fixture_http_header_query(build: Builder, upstream: FakeUpstream) -> None:
    # HeaderQueryIntegrationTest: client header X-API-Key: ABC123; URL contains q=999
    cap = build.fixture("http/http-header-query-capability.yaml")
    async with cap.rest() as http:
        response = await http.post("/search", json={"user": {"id": "999"}})
    assert response.status_code == 200, response.text
    request = upstream.only()
    assert request.headers["x-api-key"] == "ABC123"
    assert request.url.params.multi_items() == [("q", "999")]


async def test_form_url_encoded_string_template_encodes_values(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        tool_document(
            operation="""
                body:
                  type: formUrlEncoded
                  data: "To={{to}}&Channel=sms"
            """,
            tool="""
                inputParameters:
                  - name: to
                    type: string
                    description: to
            """,
        )
    )
    await call(cap, {"to": "+33 6&Channel=voice"})
    request = upstream.only()
    assert content_type(request) == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode(), strict_parsing=True) == {
        "To": ["+33 6&Channel=voice"],
        "Channel": ["sms"],
    }


async def test_engine_fixture_forward_applies_client_header_values(
    build: Builder, upstream: FakeUpstream
) -> None:
    # ForwardValueFieldTest: static and templated client-level header values on forwarded
    # requests; SEMANTICS.md §5: method, path remainder, query string and body are proxied.
    cap = build.fixture("http/http-forward-value-capability.yaml")
    upstream.respond(202, json={"forwarded": True})
    async with cap.rest() as http:
        response = await http.put("/forward/users/42?expand=all", json={"name": "Ann"})
    assert response.status_code == 202, response.text
    assert response.json() == {"forwarded": True}
    request = upstream.only()
    assert request.method == "PUT"
    assert str(request.url) == "https://api.example.com/v1/users/42?expand=all"
    assert request.headers["x-api-version"] == "2026-03-03"
    assert request.headers["x-api-key"] == "secret-key-123"
    assert body_json(request) == {"name": "Ann"}


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.example.com",
        "https://api.example.com/v1",
        "http://127.0.0.1:8001/api/v2/",
        "http://[::1]:9000/x%20y",
        "https://user:secret@api.example.com/v1",
        "https://api.example.com/v1?tenant=a",
    ],
)
@pytest.mark.parametrize("path", ["/items/a%2Fb", "//items", "/items?x=1&y=%20", "/é x"])
async def test_upstream_request_is_what_the_http_client_would_build(
    build: Builder, upstream: FakeUpstream, base_url: str, path: str
) -> None:
    """`UpstreamClient.build` skips httpx2's URL merge: same URL, headers, body and timeouts."""
    cap = build(tool_document(method="GET", operation="", tool=""))
    client = cap.runtime("_upstream").UpstreamClient(
        base_url,
        connect_timeout=2.0,
        read_timeout=5.0,
        retries=0,
        max_response_bytes=1000,
        deadline=9.0,
        transport=httpx2.MockTransport(upstream.handle),
        headers={"Authorization": "Bearer t", "X-Client": "c"},
    )
    assert client.joins("/items") is ("?" not in base_url and "@" not in base_url)
    headers = [("X-Client", "caller"), ("X-Other", "o")]
    built = client.build("POST", path, headers, json={"a": 1})
    expected = client.http.build_request("POST", path, headers=headers, json={"a": 1})
    assert str(built.url) == str(expected.url)
    assert built.headers.multi_items() == expected.headers.multi_items()
    assert built.read() == expected.read()
    assert built.extensions == expected.extensions
    await client.send("GET", path)
    assert str(upstream.only().url) == str(client.http.build_request("GET", path).url)
    await client.aclose()
