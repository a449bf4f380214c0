"""A REST route and an MCP tool over the same call share one function in `operations.py`;
operations that really differ keep their own function, named after their own route or tool."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest

from .conftest import Builder, FakeUpstream, tool_json

pytestmark = pytest.mark.anyio

DOCUMENT = """
naftiko: "1.0.0-alpha3"
info:
  label: Shared
  description: one behaviour, two adapters
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
              name: find-ships
              description: Find ships over REST
              call: registry.find
              inputParameters:
                - name: imo
                  in: query
                  type: string
                  required: true
                - name: status
                  in: query
                  type: string
                  required: true
    - type: mcp
      port: 9090
      namespace: fleet-mcp
      tools:
        - name: search-ships
          description: Find ships over MCP
          call: registry.find
          inputParameters:
            - name: status
              type: string
            - name: imo
              type: string
        - name: ship-names
          description: Only the names
          call: registry.find
          inputParameters:
            - name: imo
              type: string
          outputParameters:
            - name: names
              type: array
              value: $.ships[*].name
"""


def operation_functions(module: ModuleType) -> list[str]:
    return sorted(
        name
        for name, value in vars(module).items()
        if inspect.iscoroutinefunction(value) and value.__module__ == module.__name__
    )


async def test_a_route_and_a_tool_over_the_same_call_share_one_function(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(DOCUMENT)
    # The route and the first tool differ only in their names and the order of their inputs.
    assert operation_functions(cap.modules["operations"]) == ["find_ships", "ship_names"]

    upstream.respond(200, json={"ships": [{"name": "Aurora"}, {"name": "Borealis"}]})
    async with cap.rest() as http:
        response = await http.get("/ships", params={"imo": "I-1", "status": "active"})
    assert response.status_code == 200, response.text
    assert response.json() == {"ships": [{"name": "Aurora"}, {"name": "Borealis"}]}
    result = await cap.call_tool("search-ships", {"status": "active", "imo": "I-1"})
    assert not result.is_error
    assert tool_json(result) == response.json()
    rest_request, mcp_request = upstream.requests
    assert rest_request.url == mcp_request.url
    assert dict(mcp_request.url.params) == {"imo": "I-1", "status": "active"}


async def test_an_operation_that_shapes_its_output_has_its_own_function(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(DOCUMENT)
    upstream.respond(200, json={"ships": [{"name": "Aurora"}, {"name": "Borealis"}]})
    result = await cap.call_tool("ship-names", {"imo": "I-1"})
    assert not result.is_error
    assert tool_json(result) == ["Aurora", "Borealis"]  # a single output is the value itself
    assert dict(upstream.only().url.params) == {"imo": "I-1"}
