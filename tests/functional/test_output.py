"""Output (SEMANTICS.md §3 `outputRawFormat`, §7): conversion to JSON, then the mapping model."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from .conftest import SCHEMAS, Builder, FakeUpstream, tool_json

pytestmark = pytest.mark.anyio


def indent(block: str, spaces: int) -> str:
    return textwrap.indent(textwrap.dedent(block).strip("\n"), " " * spaces)


def rest_document(outputs: str, *, raw_format: str = "json", method: str = "GET") -> str:
    """GET /things → api.get-things, with the given exposed `outputParameters` block."""
    return f"""
naftiko: "1.0.0-alpha3"
info:
  label: Output
  description: output mapping test
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: "https://api.example.com/v1"
      resources:
        - name: things
          path: /things
          operations:
            - name: get-things
              method: {method}
              outputRawFormat: {raw_format}
  exposes:
    - type: rest
      port: 8080
      namespace: things-rest
      resources:
        - path: /things
          operations:
            - method: {method}
              name: get-things
              call: api.get-things
{indent(outputs, 14)}
"""


async def get_things(cap: Any) -> Any:
    async with cap.rest() as http:
        response = await http.get("/things")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def sample_bytes(name: str) -> bytes:
    """One of the engine's sample upstream bodies."""
    path = SCHEMAS / name
    if not path.is_file():
        pytest.skip(f"engine sample not found: {path}")
    return path.read_bytes()


USERS = [
    {"id": "1", "name": "Alice Smith", "email": "alice@example.com"},
    {"id": "2", "name": "Bob Johnson", "email": "bob@example.com"},
    {"id": "3", "name": "Carol White", "email": "carol@example.com"},
]

USER_ITEMS = """
    items:
      type: object
      properties:
        id:
          type: string
          mapping: $.id
        name:
          type: string
          mapping: $.name
        email:
          type: string
          mapping: $.email
"""


# -- outputRawFormat ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_format", "sample", "mapping", "media_type"),
    [
        ("json", None, "$.users", "application/json"),
        ("yaml", "sample-users.yaml", "$.users", "application/yaml"),
        ("xml", "sample-users.xml", "$.user", "application/xml"),
        ("csv", "sample-users.csv", "$", "text/csv"),
        ("tsv", "sample-users.tsv", "$", "text/tab-separated-values"),
        ("psv", "sample-users.psv", "$", "text/plain"),
    ],
)
async def test_raw_format_converted_to_json_before_mapping(
    build: Builder,
    upstream: FakeUpstream,
    raw_format: str,
    sample: str | None,
    mapping: str,
    media_type: str,
) -> None:
    # the engine's sample bodies (fixtures/schemas), the same three users in every format
    content = sample_bytes(sample) if sample else json.dumps({"users": USERS}).encode()
    outputs = f'outputParameters:\n  - type: array\n    mapping: "{mapping}"\n' + indent(
        USER_ITEMS, 4
    )
    cap = build(rest_document(outputs, raw_format=raw_format))
    upstream.respond(200, content=content, headers={"content-type": media_type})
    assert await get_things(cap) == USERS


async def test_xml_vessels_engine_example(build: Builder, upstream: FakeUpstream) -> None:
    # RestXmlOutputFormatIntegrationTest: <vessels><vessel>… + mapping $.vessel
    cap = build(
        rest_document(
            """
            outputParameters:
              - type: array
                mapping: $.vessel
                items:
                  type: object
                  properties:
                    code:
                      type: string
                      mapping: $.vesselCode
                    name:
                      type: string
                      mapping: $.name
            """,
            raw_format="xml",
        )
    )
    upstream.respond(
        200,
        content=(
            "<vessels><vessel><vesselCode>V001</vesselCode><name>Sea Eagle</name></vessel>"
            "<vessel><vesselCode>V002</vesselCode><name>Ocean Star</name></vessel></vessels>"
        ),
        headers={"content-type": "application/xml"},
    )
    assert await get_things(cap) == [
        {"code": "V001", "name": "Sea Eagle"},
        {"code": "V002", "name": "Ocean Star"},
    ]


async def test_xml_parser_does_not_expand_entities(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(rest_document("", raw_format="xml"))
    upstream.respond(
        200,
        content=(
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY boom "EXPANDED-ENTITY">'
            '<!ENTITY file SYSTEM "file:///etc/hostname">]><r><a>&boom;</a><b>&file;</b></r>'
        ),
        headers={"content-type": "application/xml"},
    )
    async with cap.rest() as http:
        response = await http.get("/things")
    assert "EXPANDED-ENTITY" not in response.text
    assert response.status_code == 502, response.text


async def test_text_format_values_coerced_to_declared_scalar_types(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        rest_document(
            """
            outputParameters:
              - type: array
                mapping: $
                items:
                  type: object
                  properties:
                    id:
                      type: integer
                      mapping: $.id
                    price:
                      type: number
                      mapping: $.price
                    active:
                      type: boolean
                      mapping: $.active
                    sku:
                      type: string
                      mapping: $.sku
            """,
            raw_format="csv",
        )
    )
    upstream.respond(
        200, content="id,price,active,sku\n1,9.5,true,007\n", headers={"content-type": "text/csv"}
    )
    assert await get_things(cap) == [{"id": 1, "price": 9.5, "active": True, "sku": "007"}]


async def test_engine_fixture_yaml(build: Builder, upstream: FakeUpstream) -> None:
    cap = build.fixture("formats/yaml-capability.yaml")
    upstream.respond(200, content=sample_bytes("sample-users.yaml"))
    async with cap.rest() as http:
        response = await http.get("/yaml/users")
    assert response.status_code == 200, response.text
    assert response.json() == USERS
    request = upstream.only()
    assert request.headers["user-agent"] == "Naftiko/1.0.0-2"


async def test_engine_fixture_csv(build: Builder, upstream: FakeUpstream) -> None:
    cap = build.fixture("formats/csv-capability.yaml")
    upstream.respond(200, content=sample_bytes("sample-users.csv"))
    async with cap.rest() as http:
        response = await http.get("/csv/users")
    assert response.status_code == 200, response.text
    assert response.json() == USERS


async def test_engine_fixture_html_tables(build: Builder, upstream: FakeUpstream) -> None:
    # HtmlIntegrationTest: tables[0] rows keyed Name/Price/Stock (header row skipped)
    cap = build.fixture("formats/html-capability.yaml")
    upstream.respond(
        200,
        content=sample_bytes("sample-products.html"),
        headers={"content-type": "text/html"},
    )
    async with cap.rest() as http:
        response = await http.get("/html/products")
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"name": "Widget", "price": "$42", "stock": "150"},
        {"name": "Gadget", "price": "$99", "stock": "30"},
    ]


async def test_engine_fixture_markdown_tables(build: Builder, upstream: FakeUpstream) -> None:
    # MarkdownIntegrationTest: tables[0] Feature/Status
    cap = build.fixture("formats/markdown-capability.yaml")
    upstream.respond(
        200,
        content=sample_bytes("sample-readme.md"),
        headers={"content-type": "text/markdown"},
    )
    async with cap.rest() as http:
        response = await http.get("/markdown/features")
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"feature": "HTML support", "status": "GA"},
        {"feature": "Markdown support", "status": "Beta"},
    ]


async def test_markdown_front_matter_and_sections(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        rest_document(
            """
            outputParameters:
              - type: object
                properties:
                  title:
                    type: string
                    mapping: $.frontMatter.title
                  version:
                    type: string
                    mapping: $.frontMatter.version
                  heading:
                    type: string
                    mapping: $.sections[0].heading
            """,
            raw_format="markdown",
        )
    )
    upstream.respond(200, content=sample_bytes("sample-readme.md"))
    assert await get_things(cap) == {
        "title": "Product Release Notes",
        "version": "2.1.0",
        "heading": "Overview",
    }


# -- the mapping model ----------------------------------------------------------------------------

SHIP = {
    "imo_number": "IMO-9321483",
    "vessel_name": "Northern Star",
    "operational_status": "active",
    "year_built": 2015,
    "gross_tonnage": 42000,
    "dimensions": {"length_overall": 229},
}


async def test_engine_fixture_nested_object_properties_are_root_relative(
    build: Builder, upstream: FakeUpstream
) -> None:
    # NestedObjectOutputMappingIntegrationTest
    cap = build.fixture("nested-object-output-capability.yaml")
    upstream.respond(200, json=SHIP)
    result = await cap.call_tool("get-ship", {"imo": "IMO-9321483"})
    assert not result.is_error, result.content
    assert tool_json(result) == {
        "imo": "IMO-9321483",
        "name": "Northern Star",
        "status": "active",
        "specs": {"yearBuilt": 2015, "tonnage": 42000, "length": 229},
    }
    assert upstream.only().url.path == "/ships/IMO-9321483"


async def test_nested_object_inside_object_is_root_relative_over_rest(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        rest_document(
            """
            outputParameters:
              - type: object
                mapping: $.data
                properties:
                  id:
                    type: string
                    mapping: $.data.id
                  owner:
                    type: object
                    properties:
                      name:
                        type: string
                        mapping: $.meta.owner.name
                      first-tag:
                        type: string
                        mapping: $.meta.tags[0]
                      last-tag:
                        type: string
                        mapping: $.meta.tags[-1]
            """
        )
    )
    upstream.respond(
        200,
        json={"data": {"id": "d1"}, "meta": {"owner": {"name": "Ann"}, "tags": ["x", "y", "z"]}},
    )
    assert await get_things(cap) == {
        "id": "d1",
        "owner": {"name": "Ann", "first-tag": "x", "last-tag": "z"},
    }


async def test_array_items_are_element_relative(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        rest_document(
            """
            outputParameters:
              - type: array
                mapping: $.data.results
                items:
                  type: object
                  properties:
                    id:
                      type: string
                      mapping: $.id
                    name:
                      type: string
                      mapping: $.attributes.name
                    first-role:
                      type: string
                      mapping: "$['roles'][0]"
            """
        )
    )
    upstream.respond(
        200,
        json={
            "id": "ROOT",
            "data": {
                "results": [
                    {"id": "a", "attributes": {"name": "A"}, "roles": ["admin"]},
                    {"id": "b", "attributes": {"name": "B"}, "roles": ["user", "x"]},
                ]
            },
        },
    )
    assert await get_things(cap) == [
        {"id": "a", "name": "A", "first-role": "admin"},
        {"id": "b", "name": "B", "first-role": "user"},
    ]


async def test_scalar_items(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        rest_document(
            """
            outputParameters:
              - type: object
                properties:
                  names:
                    type: array
                    mapping: $.people
                    items:
                      type: string
                      mapping: $.name
                  crew:
                    type: array
                    mapping: $.crewIds
                    items:
                      type: string
                      mapping: "$."
            """
        )
    )
    upstream.respond(
        200, json={"people": [{"name": "Ann"}, {"name": "Bob"}], "crewIds": ["C1", "C2"]}
    )
    assert await get_things(cap) == {"names": ["Ann", "Bob"], "crew": ["C1", "C2"]}


async def test_top_level_scalar_items_array(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        rest_document(
            """
            outputParameters:
              - type: array
                mapping: $.people
                items:
                  type: string
                  mapping: $.name
            """
        )
    )
    upstream.respond(200, json={"people": [{"name": "Ann"}, {"name": "Bob"}]})
    assert await get_things(cap) == ["Ann", "Bob"]


async def test_value_is_a_static_mock_inside_a_mapped_object(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        rest_document(
            """
            outputParameters:
              - type: object
                properties:
                  id:
                    type: string
                    mapping: $.id
                  source:
                    type: string
                    value: registry
            """
        )
    )
    upstream.respond(200, json={"id": "x1", "source": "upstream"})
    assert await get_things(cap) == {"id": "x1", "source": "registry"}


async def test_const_is_a_constant(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        rest_document(
            """
            outputParameters:
              - type: object
                properties:
                  id:
                    type: string
                    mapping: $.id
                  kind:
                    type: string
                    const: vessel
            """
        )
    )
    upstream.respond(200, json={"id": "x1", "kind": "boat"})
    assert await get_things(cap) == {"id": "x1", "kind": "vessel"}


async def test_missing_path_gives_null(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        rest_document(
            """
            outputParameters:
              - type: object
                properties:
                  id:
                    type: string
                    mapping: $.id
                  missing:
                    type: string
                    mapping: $.nope.deeper
                  out-of-range:
                    type: string
                    mapping: $.list[5]
                  rows:
                    type: array
                    mapping: $.absent
                    items:
                      type: object
                      properties:
                        a:
                          type: string
                          mapping: $.a
            """
        )
    )
    upstream.respond(200, json={"id": "x1", "list": [1]})
    body = await get_things(cap)
    assert body["id"] == "x1"
    assert body["missing"] is None
    assert body["out-of-range"] is None
    assert body["rows"] in (None, [])
    assert set(body) == {"id", "missing", "out-of-range", "rows"}


async def test_object_without_properties_mapping_root_passes_through(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        rest_document(
            """
            outputParameters:
              - type: object
                mapping: $.
            """,
            method="POST",
        )
    )
    payload = {"id": 1, "nested": {"list": [1, "two", None]}, "flag": False, "unicode": "é"}
    upstream.respond(201, json=payload)
    async with cap.rest() as http:
        response = await http.post("/things")
    assert response.status_code == 201, response.text
    assert response.json() == payload


async def test_mock_operation_answers_without_any_upstream(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        """
naftiko: "1.0.0-alpha3"
info:
  label: Mock
  description: mock outputs, no call
capability:
  exposes:
    - type: rest
      port: 8080
      namespace: mock-rest
      resources:
        - path: /status
          operations:
            - method: GET
              name: status
              outputParameters:
                - name: status
                  type: string
                  value: green
                - name: version
                  type: string
                  value: "1.2"
    - type: mcp
      port: 9090
      namespace: mock-mcp
      tools:
        - name: get-ship
          description: a mock ship
          inputParameters:
            - name: imo_number
              type: string
              description: IMO
          outputParameters:
            - name: imo
              type: string
              value: "{{imo_number}}"
            - name: name
              type: string
              value: Northern Star
"""
    )
    upstream.fail = lambda request: AssertionError(f"unexpected upstream call {request.url}")
    async with cap.rest() as http:
        response = await http.get("/status")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "green", "version": "1.2"}
    result = await cap.call_tool("get-ship", {"imo_number": "IMO-1"})
    assert not result.is_error, result.content
    assert tool_json(result) == {"imo": "IMO-1", "name": "Northern Star"}
    assert upstream.requests == []


async def test_mcp_structured_content_and_output_schema_for_object_mappings(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        """
naftiko: "1.0.0-alpha3"
info:
  label: Structured
  description: structured output
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: "https://api.example.com/v1"
      resources:
        - name: ship
          path: /ship
          operations:
            - name: get-ship
              method: GET
  exposes:
    - type: mcp
      port: 9090
      namespace: ships-mcp
      tools:
        - name: shaped
          description: object mapping
          call: api.get-ship
          outputParameters:
            - type: object
              properties:
                name:
                  type: string
                  mapping: $.vessel_name
                specs:
                  type: object
                  properties:
                    tonnage:
                      type: number
                      mapping: $.gross_tonnage
        - name: raw
          description: passthrough
          call: api.get-ship
          outputParameters:
            - type: object
              mapping: $.
        - name: listed
          description: array mapping
          call: api.get-ship
          outputParameters:
            - type: array
              mapping: $.crew
              items:
                type: string
                mapping: $.
"""
    )
    upstream.respond(200, json={**SHIP, "crew": ["a"]})
    tools = await cap.tools()
    schema = tools["shaped"].output_schema
    assert schema is not None
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {"name", "specs"}
    assert schema["properties"]["specs"]["type"] == "object"
    assert set(schema["properties"]["specs"]["properties"]) == {"tonnage"}
    assert tools["raw"].output_schema is None
    assert tools["listed"].output_schema is None

    shaped = await cap.call_tool("shaped", {})
    assert not shaped.is_error, shaped.content
    expected = {"name": "Northern Star", "specs": {"tonnage": 42000}}
    assert shaped.structured_content == expected
    assert tool_json(shaped) == expected
    raw = await cap.call_tool("raw", {})
    assert raw.structured_content is None
    assert tool_json(raw) == {**SHIP, "crew": ["a"]}


async def test_engine_fixture_protobuf_warns_and_fails_clearly(
    build: Builder, upstream: FakeUpstream
) -> None:
    # SEMANTICS.md §3: protobuf/avro (unless implemented) → a generation-time warning and a
    # clear runtime error
    cap = build.fixture("formats/proto-capability.yaml")
    assert any("protobuf" in warning.lower() for warning in cap.warnings()), cap.warnings()
    upstream.respond(200, content=b"\x08\x96\x01", headers={"content-type": "application/protobuf"})
    async with cap.rest() as http:
        response = await http.get("/proto/records")
    assert response.status_code == 502, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "protobuf" in response.json()["detail"].lower()
