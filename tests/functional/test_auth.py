"""Consumed authentication (SEMANTICS.md §3): bearer, apikey, basic, digest, oauth2."""

from __future__ import annotations

import base64
import hashlib
import re
import textwrap
from urllib.parse import parse_qs

import httpx2
import pytest

from .conftest import Builder, Capability, FakeUpstream

pytestmark = pytest.mark.anyio

BINDS = """
binds:
  - namespace: env
    keys:
      SECRET_ONE: SECRET_ONE
      SECRET_TWO: SECRET_TWO
"""


def document(authentication: str, *, binds: str = BINDS) -> str:
    """GET /things (REST) and tool list-things (MCP) over one consumed operation."""
    auth = textwrap.indent(textwrap.dedent(authentication).strip("\n"), " " * 6)
    return f"""
naftiko: "1.0.0-alpha3"
info:
  label: Auth
  description: consumed authentication
{binds}
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: "https://api.example.com/v1"
{auth}
      resources:
        - name: things
          path: /things
          operations:
            - name: list-things
              method: GET
              inputParameters:
                - name: page
                  in: query
                  value: "1"
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
    - type: mcp
      port: 9090
      namespace: things-mcp
      tools:
        - name: list-things
          description: List things
          call: api.list-things
"""


ENV = {"SECRET_ONE": "user-or-token", "SECRET_TWO": "p@ss w:rd"}


async def get_things(cap: Capability) -> httpx2.Response:
    async with cap.rest() as http:
        response = await http.get("/things")
    assert response.status_code == 200, response.text
    return response


async def test_bearer(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        document(
            """
            authentication:
              type: bearer
              token: "{{SECRET_ONE}}"
            """
        ),
        env=ENV,
    )
    await get_things(cap)
    assert upstream.only().headers["authorization"] == "Bearer user-or-token"
    result = await cap.call_tool("list-things", {})
    assert not result.is_error
    assert upstream.requests[-1].headers["authorization"] == "Bearer user-or-token"


async def test_apikey_header(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        document(
            """
            authentication:
              type: apikey
              key: X-Api-Key
              value: "{{SECRET_ONE}}"
            """
        ),
        env=ENV,
    )
    await get_things(cap)
    request = upstream.only()
    assert request.headers["x-api-key"] == "user-or-token"
    assert "authorization" not in request.headers
    assert "X-Api-Key" not in request.url.params


async def test_apikey_query_is_url_encoded(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        document(
            """
            authentication:
              type: apikey
              key: api_key
              value: "{{SECRET_TWO}}"
              placement: query
            """
        ),
        env={**ENV, "SECRET_TWO": "k&ey=v+al ue"},
    )
    await get_things(cap)
    request = upstream.only()
    assert dict(request.url.params.multi_items()) == {"page": "1", "api_key": "k&ey=v+al ue"}
    assert "x-api-key" not in request.headers


async def test_basic(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        document(
            """
            authentication:
              type: basic
              username: "{{SECRET_ONE}}"
              password: "{{SECRET_TWO}}"
            """
        ),
        env=ENV,
    )
    await get_things(cap)
    scheme, _, encoded = upstream.only().headers["authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == "user-or-token:p@ss w:rd"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


async def test_digest_answers_the_challenge(build: Builder, upstream: FakeUpstream) -> None:
    realm, nonce = "things@example.com", "dcd98b7102dd2f0e8b11d0f600bfb0c093"

    def handler(request: httpx2.Request) -> httpx2.Response:
        header = request.headers.get("authorization", "")
        if not header.startswith("Digest "):
            return httpx2.Response(
                401,
                headers={
                    "WWW-Authenticate": f'Digest realm="{realm}", qop="auth", nonce="{nonce}", '
                    'opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm=MD5'
                },
            )
        fields = {
            key: quoted or bare
            for key, quoted, bare in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', header[7:])
        }
        ha1 = md5(f"{fields['username']}:{realm}:p@ss w:rd")
        ha2 = md5(f"GET:{fields['uri']}")
        expected = md5(f"{ha1}:{nonce}:{fields['nc']}:{fields['cnonce']}:auth:{ha2}")
        if fields["username"] != "user-or-token" or fields["response"] != expected:
            return httpx2.Response(401, json={"error": "bad digest"})
        return httpx2.Response(200, json={"things": ["ok"]})

    upstream.handler = handler
    cap = build(
        document(
            """
            authentication:
              type: digest
              username: "{{SECRET_ONE}}"
              password: "{{SECRET_TWO}}"
            """
        ),
        env=ENV,
    )
    response = await get_things(cap)
    assert response.json() == {"things": ["ok"]}
    challenge, answered = upstream.requests
    assert "authorization" not in challenge.headers
    assert answered.headers["authorization"].startswith("Digest ")


async def test_oauth2_client_credentials_token_fetched_once_and_cached(
    build: Builder, upstream: FakeUpstream
) -> None:
    token_calls: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.host == "auth.example.com":
            token_calls.append(request)
            return httpx2.Response(
                200, json={"access_token": "minted-1", "token_type": "Bearer", "expires_in": 3600}
            )
        if request.headers.get("authorization") != "Bearer minted-1":
            return httpx2.Response(401, json={"error": "no token"})
        return httpx2.Response(200, json={"ok": True})

    upstream.handler = handler
    text = document(
        """
        authentication:
          type: oauth2
          authorizationServerUri: "https://auth.example.com"
          resource: "https://api.example.com"
          tokenEndpoint: "https://auth.example.com/oauth/token"
          scopes:
            - things:read
            - things:write
        """,
        binds="",
    )
    cap = build(text, env={"API_CLIENT_ID": "client-a", "API_CLIENT_SECRET": "shh"})
    await get_things(cap)
    result = await cap.call_tool("list-things", {})
    assert not result.is_error, result.content
    assert len(token_calls) == 1
    token_request = token_calls[0]
    assert token_request.method == "POST"
    assert str(token_request.url) == "https://auth.example.com/oauth/token"
    form = parse_qs(token_request.content.decode())
    assert form["grant_type"] == ["client_credentials"]
    assert form["scope"][0].split() == ["things:read", "things:write"]
    auth_header = token_request.headers.get("authorization", "")
    if auth_header:
        assert base64.b64decode(auth_header.split()[1]).decode() == "client-a:shh"
    else:
        assert form["client_id"] == ["client-a"] and form["client_secret"] == ["shh"]
    api_calls = [r for r in upstream.requests if r.url.host == "api.example.com"]
    assert len(api_calls) == 2
    assert all(r.headers["authorization"] == "Bearer minted-1" for r in api_calls)


async def test_oauth2_without_token_endpoint_warns_ng201(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        document(
            """
            authentication:
              type: oauth2
              authorizationServerUri: "https://auth.example.com"
              resource: "https://api.example.com"
            """,
            binds="",
        )
    )
    warnings = cap.warnings("NG201")
    assert any("oauth2" in warning for warning in warnings), cap.warnings()
    await get_things(cap)
    assert "authorization" not in upstream.only().headers
