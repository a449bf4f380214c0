"""The REST adapter on plain Starlette (SEMANTICS.md §5): strict input types, problems for
every caller mistake (422, 404, 405, 413), absent values dropped, and mounting in a user's app.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from .conftest import PROBLEM_JSON, Builder, FakeUpstream, body_json, content_type

pytestmark = pytest.mark.anyio

TYPED = """
naftiko: "1.0.0-alpha3"
info:
  label: Typed inputs
  description: one route with inputs of every JSON type
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: https://api.example.com
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
                - name: ratio
                  in: query
                - name: dry
                  in: query
                - name: count
                  in: body
                - name: weight
                  in: body
                - name: active
                  in: body
                - name: tags
                  in: body
                - name: note
                  in: body
  exposes:
    - type: rest
      port: 8080
      namespace: typed-rest
      resources:
        - path: "/things/{id}"
          operations:
            - method: PUT
              name: update
              call: api.update
              inputParameters:
                - name: id
                  in: path
                  type: integer
                - name: limit
                  in: query
                  type: integer
                  required: false
                - name: ratio
                  in: query
                  type: number
                  required: false
                - name: dry
                  in: query
                  type: boolean
                  required: false
                - name: count
                  in: body
                  type: integer
                  required: true
                - name: weight
                  in: body
                  type: number
                  required: false
                - name: active
                  in: body
                  type: boolean
                  required: false
                - name: tags
                  in: body
                  type: array
                  required: false
                - name: note
                  in: body
                  type: string
                  required: false
              with:
                id: rest.id
                limit: rest.limit
                ratio: rest.ratio
                dry: rest.dry
                count: rest.count
                weight: rest.weight
                active: rest.active
                tags: rest.tags
                note: rest.note
"""


async def test_typed_inputs_reach_the_upstream_converted_and_absent_ones_are_dropped(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(TYPED)
    async with cap.rest() as http:
        response = await http.put(
            "/things/7",
            params={"limit": "5", "ratio": "0.5", "dry": "false"},
            json={"count": 3, "active": True, "note": None},
        )
    assert response.status_code == 200, response.text
    request = upstream.only()
    assert request.url.path == "/things/7"
    assert dict(request.url.params) == {"limit": "5", "ratio": "0.5", "dry": "false"}
    # `weight` and `tags` were not sent and `note` was null: none of them goes upstream.
    assert body_json(request) == {"count": 3, "active": True}


@pytest.mark.parametrize(
    ("field", "request_args"),
    [
        ("path.id", {"url": "/things/seven", "json": {"count": 1}}),
        ("query.limit", {"params": {"limit": "true"}, "json": {"count": 1}}),
        ("query.limit", {"params": {"limit": "4.0"}, "json": {"count": 1}}),
        ("query.ratio", {"params": {"ratio": "NaN"}, "json": {"count": 1}}),
        ("query.dry", {"params": {"dry": "yes"}, "json": {"count": 1}}),
        ("body.count", {"json": {"count": True}}),
        ("body.count", {"json": {"count": "4"}}),
        ("body.count", {"json": {"count": 4.5}}),
        ("body.count", {"json": {}}),
        ("body.weight", {"json": {"count": 1, "weight": False}}),
        ("body.active", {"json": {"count": 1, "active": "true"}}),
        ("body.tags", {"json": {"count": 1, "tags": "a,b"}}),
        ("body.note", {"json": {"count": 1, "note": 5}}),
        ("body", {"json": [1, 2]}),
    ],
)
async def test_inputs_are_typed_as_strictly_as_mcp(
    build: Builder, upstream: FakeUpstream, field: str, request_args: dict[str, Any]
) -> None:
    cap = build(TYPED)
    async with cap.rest() as http:
        response = await http.put(**{"url": "/things/7", **request_args})
    assert response.status_code == 422, response.text
    assert content_type(response) == PROBLEM_JSON
    problem = response.json()
    assert problem["status"] == 422
    # the first problem is the field's (a body that is not an object also lacks `count`)
    assert problem["errors"][0]["field"] == field
    assert len(problem["errors"]) == (2 if field == "body" else 1)
    assert field in problem["detail"]
    assert upstream.requests == []


async def test_every_bad_field_is_named_at_once(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(TYPED)
    async with cap.rest() as http:
        response = await http.put("/things/x", params={"limit": "1e3"}, json={"count": "1"})
    assert response.status_code == 422
    fields = [error["field"] for error in response.json()["errors"]]
    assert fields == ["path.id", "query.limit", "body.count"]


@pytest.mark.parametrize(
    "content",
    [b'{"count": 1', b'{"count": "\xff"}', b'{"count": NaN}', b"[" * 100_000 + b"]" * 100_000],
    ids=["truncated", "invalid-utf-8", "nan", "too-deep"],
)
async def test_a_body_that_is_not_json_is_a_422_problem(
    build: Builder, upstream: FakeUpstream, content: bytes
) -> None:
    cap = build(TYPED)
    async with cap.rest() as http:
        response = await http.put(
            "/things/7", content=content, headers={"content-type": "application/json"}
        )
    assert response.status_code == 422, response.text
    assert content_type(response) == PROBLEM_JSON
    assert response.json()["detail"].startswith("invalid input: body")
    assert upstream.requests == []


async def test_a_body_over_the_limit_is_a_413_problem_and_is_not_read_further(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(TYPED, env={"TYPED_REST_MAX_REQUEST_BYTES": "64"})
    received: list[int] = []

    async def chunks() -> Any:
        for _ in range(1000):
            received.append(1)
            yield b" " * 32

    async with cap.rest() as http:
        small = await http.put("/things/7", json={"count": 1})
        streamed = await http.put("/things/7", content=chunks())
        declared = await http.put(
            "/things/7", content=b" " * 65, headers={"content-type": "application/json"}
        )
    assert small.status_code == 200, small.text
    for response in (streamed, declared):
        assert response.status_code == 413, response.text
        assert content_type(response) == PROBLEM_JSON
        assert response.json()["status"] == 413
    assert len(received) < 10  # reading stopped at the limit
    assert len(upstream.requests) == 1


async def test_unknown_routes_and_methods_are_problems(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(TYPED)
    async with cap.rest() as http:
        missing = await http.get("/nothing/here")
        wrong_method = await http.delete("/things/7")
    assert missing.status_code == 404
    assert content_type(missing) == PROBLEM_JSON
    assert missing.json()["status"] == 404
    assert wrong_method.status_code == 405
    assert content_type(wrong_method) == PROBLEM_JSON
    assert wrong_method.headers["allow"] == "PUT"
    assert upstream.requests == []


async def test_the_app_mounts_in_a_users_starlette_app(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(TYPED)
    app = Starlette(routes=[Mount("/typed", app=cap.modules["rest"].create_app(cap.clients))])
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://t") as http:
        served = await http.put("/typed/things/7", json={"count": 2})
        document = await http.get("/typed/openapi.json")
        live = await http.get("/typed/health/live")
        bad = await http.put("/typed/things/7", json={"count": "2"})
    assert served.status_code == 200, served.text
    assert body_json(upstream.only()) == {"count": 2}
    assert "/things/{id}" in document.json()["paths"]
    assert live.json() == {"status": "UP"}
    assert bad.status_code == 422


MCP_ADAPTER = """
    - type: mcp
      port: 9090
      namespace: typed-mcp
      tools:
        - name: update
          description: update a thing
          call: api.update
"""


def test_the_rest_adapter_is_served_before_the_mcp_sdk_is_imported(build: Builder) -> None:
    result, package_dir = build.generate(TYPED + MCP_ADAPTER)
    assert not result.failed and result.name is not None
    package = result.name.replace("-", "_")
    script = f"""
import sys
from {package}.serving import ADAPTERS
from {package}.settings import load_settings
from {package}.upstream import Clients

apps = ADAPTERS.http_apps(Clients(load_settings({{}})))
next(apps)
print(sorted(m for m in ("fastapi", "jsonschema", "mcp", "pydantic") if m in sys.modules))
next(apps)
print("mcp" in sys.modules)
"""
    env = {**os.environ, "PYTHONPATH": str(package_dir / "src")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "True"]


async def test_an_unexpected_failure_is_a_500_problem_without_its_text(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(TYPED)
    upstream.fail = lambda request: RuntimeError("internal secret")
    app = cap.modules["rest"].create_app(cap.clients)
    transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx2.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.put("/things/7", json={"count": 1})
    assert response.status_code == 500
    assert content_type(response) == PROBLEM_JSON
    assert "secret" not in response.text


async def test_a_head_operation_is_not_taken_by_the_get_of_the_same_path(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        """
naftiko: "1.0.0-alpha3"
info:
  label: Head and get
  description: GET and HEAD of one resource
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: https://api.example.com
      resources:
        - name: item
          path: /items/{{id}}
          operations:
            - name: get
              method: GET
            - name: exists
              method: HEAD
  exposes:
    - type: rest
      port: 8080
      namespace: items-rest
      resources:
        - path: /items/{id}
          operations:
            - method: GET
              name: get
              call: api.get
            - method: HEAD
              name: exists
              call: api.exists
"""
    )
    upstream.respond(200)
    async with cap.rest() as http:
        head = await http.head("/items/1")
        get = await http.get("/items/1")
    assert (head.status_code, get.status_code) == (200, 200)
    assert [r.method for r in upstream.requests] == ["HEAD", "GET"]


async def test_a_pattern_python_cannot_compile_is_reported_and_not_checked(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        TYPED.replace(
            "                  required: false\n              with:",
            '                  required: false\n                  pattern: "^\\\\p{L}+$"\n'
            "              with:",
        )
    )
    assert any("pattern of input 'note'" in w for w in cap.warnings("NG107")), cap.warnings()
    async with cap.rest() as http:
        response = await http.put("/things/7", json={"count": 1, "note": "1"})
    assert response.status_code == 200, response.text


FRAGMENT_PATHS = """
naftiko: "1.0.0-alpha3"
info:
  label: Fragment paths
  description: paths with a '#', as in the AWS JSON-protocol documents
capability:
  consumes:
    - type: http
      namespace: tables
      baseUri: https://tables.example.com
      resources:
        - name: describe
          path: "/#DescribeTable"
          operations:
            - name: describe
              method: POST
  exposes:
    - type: rest
      port: 8080
      namespace: tables-rest
      resources:
        - path: "/v1/#DescribeTable"
          operations:
            - method: POST
              name: describe
              call: tables.describe
"""


async def test_a_hash_in_a_path_is_percent_encoded_when_exposed_and_a_fragment_when_consumed(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(FRAGMENT_PATHS)
    upstream.respond(200, json={"Table": {}})
    async with cap.rest() as http:
        served = await http.post("/v1/%23DescribeTable")
        cut = await http.post("/v1/")
    assert served.status_code == 200, served.text
    assert cut.status_code == 404  # `#…` is no fragment of the served path
    # Like every HTTP client (and the Ikanos engine), nothing from the `#` on is sent upstream.
    assert [r.url.raw_path for r in upstream.requests] == [b"/"]
    package = cap.modules["rest"].__package__
    assert package is not None
    openapi = json.loads((cap.package_dir / "src" / package / "openapi.json").read_text())
    assert "/v1/%23DescribeTable" in openapi["paths"]
    assert "/v1/#DescribeTable" not in openapi["paths"]
    env = {**os.environ, "PYTHONPATH": str(cap.package_dir / "src")}
    own_tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=cap.package_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert own_tests.returncode == 0, own_tests.stdout + own_tests.stderr
