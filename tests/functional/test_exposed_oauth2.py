"""Exposed `oauth2` (SEMANTICS.md §5): REST and MCP adapters as OAuth 2.1 resource servers.

Tokens come from a real authorization server, node-oidc-provider started on loopback
(`authorization_server.mjs`). It signs with a key this module generates, so the tokens it would
never issue (expired, another issuer) can be signed with the same trusted key.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx2
import jwt
import mcp
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.e2e.harness import REPO_ROOT, ensure_node_modules, run_node_client

from .conftest import Builder, Capability, FakeUpstream

pytestmark = pytest.mark.anyio

HERE = Path(__file__).parent
REST_RESOURCE = "http://things.example"
MCP_RESOURCE = "http://things.example/mcp"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}


class AuthorizationServer:
    """The running oidc-provider, and a way to sign tokens with its key."""

    def __init__(self, issuer: str, key: rsa.RSAPrivateKey) -> None:
        self.issuer = issuer
        self.key = key

    def token(self, resource: str, scope: str = "things.read") -> str:
        """A client-credentials access token issued by the server itself."""
        response = httpx2.post(
            f"{self.issuer}/token",
            data={"grant_type": "client_credentials", "scope": scope, "resource": resource},
            auth=("tests", "secret"),
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def forged(self, resource: str, **claims: Any) -> str:
        """A token signed with the server's own key but with claims it would not issue."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": resource,
            "sub": "tests",
            "client_id": "tests",
        }
        payload |= {"iat": now, "exp": now + 300, "scope": "things.read", **claims}
        return jwt.encode(payload, self.key, "RS256", headers={"kid": "k1", "typ": "at+jwt"})

    def refused_tokens(self, resource: str) -> dict[str, str]:
        """Tokens every adapter must refuse with 401, by what is wrong with them."""
        valid = self.token(resource)
        header, payload, signature = valid.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        claims["scope"] = "things.read things.write"
        tampered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        unsigned = jwt.encode(claims, None, "none")  # type: ignore[arg-type]
        return {
            "expired": self.forged(resource, exp=int(time.time()) - 3600),
            "wrong audience": self.token("http://elsewhere.example"),
            "wrong issuer": self.forged(resource, iss="http://127.0.0.1:1"),
            "alg none": unsigned,
            "tampered": f"{header}.{tampered}.{signature}",
            "hs256 with the public key": jwt.encode(claims, b"k" * 32, "HS256"),
            "not a jwt": "this-is-not-a-valid-token",
        }


@pytest.fixture(scope="module")
def authorization_server() -> Iterator[AuthorizationServer]:
    ensure_node_modules()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))
    jwk |= {"kid": "k1", "alg": "RS256", "use": "sig"}
    process = subprocess.Popen(
        ["node", str(HERE / "authorization_server.mjs")],
        env={**os.environ, "SIGNING_JWK": json.dumps(jwk)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline().split()
        assert ready[:1] == ["READY"], ready
        yield AuthorizationServer(f"http://127.0.0.1:{ready[1]}", key)
    finally:
        process.terminate()
        process.wait(timeout=10)


def document(issuer: str, extra: str = "") -> str:
    return f"""
naftiko: "1.0.0-alpha3"
info:
  label: Protected things
  description: exposed oauth2
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
  exposes:
    - type: rest
      port: 8080
      namespace: things-rest
      authentication:
        type: oauth2
        authorizationServerUri: "{issuer}"
        resource: "{REST_RESOURCE}"
        scopes: [things.read, things.write]
{extra}
      resources:
        - path: /things
          operations:
            - method: GET
              name: list-things
              call: api.list-things
    - type: mcp
      port: 9090
      namespace: things-mcp
      authentication:
        type: oauth2
        authorizationServerUri: "{issuer}"
        resource: "{MCP_RESOURCE}"
      tools:
        - name: list-things
          description: List things
          call: api.list-things
"""


@contextlib.asynccontextmanager
async def mcp_http(cap: Capability) -> AsyncIterator[httpx2.AsyncClient]:
    """An HTTP client of the running streamable HTTP app (its lifespan started)."""
    app = cap.modules["mcp_server"].create_http_app(cap.clients)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        base_url = "http://localhost:9090"  # a Host the DNS-rebinding guard accepts
        async with httpx2.AsyncClient(transport=transport, base_url=base_url) as http:
            yield http


@contextlib.asynccontextmanager
async def mcp_session(
    http: httpx2.AsyncClient, headers: Mapping[str, str]
) -> AsyncIterator[mcp.ClientSession]:
    """An initialized SDK client session over `http`, sending `headers` with every request."""
    http.headers.update(headers)
    async with (
        streamable_http_client("http://localhost:9090/mcp", http_client=http) as streams,
        mcp.ClientSession(*streams[:2]) as session,
    ):
        await session.initialize()
        yield session


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_rest_accepts_valid_tokens_and_refuses_bad_ones(
    build: Builder, upstream: FakeUpstream, authorization_server: AuthorizationServer
) -> None:
    cap = build(document(authorization_server.issuer))
    async with cap.rest() as http:
        valid = await http.get("/things", headers=bearer(authorization_server.token(REST_RESOURCE)))
        assert valid.status_code == 200, valid.text
        assert len(upstream.requests) == 1
        missing = await http.get("/things")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == (
            'Bearer resource_metadata="http://things.example/.well-known/oauth-protected-resource"'
        )
        for what, token in authorization_server.refused_tokens(REST_RESOURCE).items():
            refused = await http.get("/things", headers=bearer(token))
            assert refused.status_code == 401, what
            challenge = refused.headers["www-authenticate"]
            assert challenge.startswith('Bearer error="invalid_token", resource_metadata='), what
            assert token not in refused.text and token not in challenge, what
        live = await http.get("/health/live")
    assert live.status_code == 200
    assert len(upstream.requests) == 1


async def test_rest_serves_protected_resource_metadata(
    build: Builder, authorization_server: AuthorizationServer
) -> None:
    cap = build(document(authorization_server.issuer))
    async with cap.rest() as http:
        response = await http.get("/.well-known/oauth-protected-resource")
    assert response.status_code == 200
    assert response.json() == {
        "resource": REST_RESOURCE,
        "authorization_servers": [authorization_server.issuer],
        "scopes_supported": ["things.read", "things.write"],
        "bearer_methods_supported": ["header"],
    }


@pytest.mark.parametrize(
    ("env", "openapi_status"),
    [
        ({"THINGS_REST_REQUIRED_SCOPES": "things.write"}, 403),  # every route
        ({"THINGS_REST_OPERATION_SCOPES": "list-things=things.write"}, 200),  # that operation
    ],
)
async def test_rest_scope_settings(
    build: Builder,
    upstream: FakeUpstream,
    authorization_server: AuthorizationServer,
    env: dict[str, str],
    openapi_status: int,
) -> None:
    cap = build(document(authorization_server.issuer), env=env)
    async with cap.rest() as http:
        reader = authorization_server.token(REST_RESOURCE, "things.read")
        refused = await http.get("/things", headers=bearer(reader))
        openapi = await http.get("/openapi.json", headers=bearer(reader))
        writer = authorization_server.token(REST_RESOURCE, "things.read things.write")
        allowed = await http.get("/things", headers=bearer(writer))
    assert refused.status_code == 403
    assert refused.headers["www-authenticate"].startswith(
        'Bearer error="insufficient_scope", scope="things.write", resource_metadata='
    )
    assert openapi.status_code == openapi_status
    assert allowed.status_code == 200
    assert len(upstream.requests) == 1


async def test_mcp_over_http_with_tokens(
    build: Builder, upstream: FakeUpstream, authorization_server: AuthorizationServer
) -> None:
    cap = build(document(authorization_server.issuer))
    token = authorization_server.token(MCP_RESOURCE)
    async with mcp_http(cap) as http:
        metadata = await http.get("/.well-known/oauth-protected-resource/mcp")
        for what, bad in {
            **authorization_server.refused_tokens(MCP_RESOURCE),
            "for the REST resource": authorization_server.token(REST_RESOURCE),
        }.items():
            refused = await http.post(
                "/mcp",
                json=INITIALIZE,
                headers={**bearer(bad), "accept": "application/json, text/event-stream"},
            )
            assert refused.status_code == 401, what
            assert "resource_metadata=" in refused.headers["www-authenticate"], what
        async with mcp_session(http, bearer(token)) as session:
            tools = await session.list_tools()
            result = await session.call_tool("list-things", {})
    assert metadata.status_code == 200
    assert metadata.json()["resource"] == MCP_RESOURCE
    assert [s.rstrip("/") for s in metadata.json()["authorization_servers"]] == [
        authorization_server.issuer
    ]
    assert [tool.name for tool in tools.tools] == ["list-things"]
    assert not result.is_error, result
    assert len(upstream.requests) == 1


async def test_mcp_tool_scopes_hide_and_refuse_tools(
    build: Builder, upstream: FakeUpstream, authorization_server: AuthorizationServer
) -> None:
    cap = build(
        document(authorization_server.issuer),
        env={"THINGS_MCP_TOOL_SCOPES": "list-things=things.write"},
    )
    listed: dict[str, list[str]] = {}
    for scope in ("things.read", "things.read things.write"):
        token = authorization_server.token(MCP_RESOURCE, scope)
        async with mcp_http(cap) as http, mcp_session(http, bearer(token)) as session:
            listed[scope] = [tool.name for tool in (await session.list_tools()).tools]
            result = await session.call_tool("list-things", {})
            assert result.is_error is (scope == "things.read"), result
    assert listed == {"things.read": [], "things.read things.write": ["list-things"]}
    assert len(upstream.requests) == 1


async def test_rest_opaque_tokens_by_introspection(
    build: Builder, upstream: FakeUpstream, authorization_server: AuthorizationServer
) -> None:
    resource = "http://opaque.example"
    text = document(authorization_server.issuer).replace(REST_RESOURCE + '"', resource + '"')
    text = text.replace("scopes: [things.read, things.write]", "tokenValidation: introspection")
    cap = build(
        text,
        env={"THINGS_REST_OAUTH2_CLIENT_ID": "tests", "THINGS_REST_OAUTH2_CLIENT_SECRET": "secret"},
    )
    token = authorization_server.token(resource)
    assert token.count(".") == 0  # opaque: only introspection can tell
    async with cap.rest() as http:
        valid = await http.get("/things", headers=bearer(token))
        unknown = await http.get("/things", headers=bearer(token[::-1]))
        other = await http.get(
            "/things", headers=bearer(authorization_server.token("http://opaque.elsewhere"))
        )
    assert valid.status_code == 200, valid.text
    assert unknown.status_code == 401
    assert other.status_code == 401
    assert len(upstream.requests) == 1


async def test_mcp_required_scopes_setting(
    build: Builder, upstream: FakeUpstream, authorization_server: AuthorizationServer
) -> None:
    cap = build(
        document(authorization_server.issuer), env={"THINGS_MCP_REQUIRED_SCOPES": "things.write"}
    )
    accept = {"accept": "application/json, text/event-stream"}
    async with mcp_http(cap) as http:
        reader = authorization_server.token(MCP_RESOURCE, "things.read")
        refused = await http.post("/mcp", json=INITIALIZE, headers={**bearer(reader), **accept})
        writer = authorization_server.token(MCP_RESOURCE, "things.write")
        allowed = await http.post("/mcp", json=INITIALIZE, headers={**bearer(writer), **accept})
    assert refused.status_code == 403
    assert refused.headers["www-authenticate"].startswith('Bearer error="insufficient_scope"')
    assert "resource_metadata=" in refused.headers["www-authenticate"]
    assert allowed.status_code == 200, allowed.text


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve an ASGI app (lifespan on) with uvicorn on a loopback port in a thread."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()


def test_node_mcp_client_with_a_bearer_token(
    build: Builder, upstream: FakeUpstream, authorization_server: AuthorizationServer
) -> None:
    cap = build(document(authorization_server.issuer))
    token = authorization_server.token(MCP_RESOURCE)
    with served(cap.modules["mcp_server"].create_http_app(cap.clients)) as base_url:
        output = run_node_client(
            f"{base_url}/mcp", "list-things", {}, headers={"Authorization": f"Bearer {token}"}
        )
        with pytest.raises(RuntimeError, match="node MCP client failed"):
            run_node_client(f"{base_url}/mcp", headers={"Authorization": "Bearer forged"})
    assert [tool["name"] for tool in output["tools"]] == ["list-things"]
    assert not output["result"].get("isError"), output
    assert len(upstream.requests) == 1


SKILL_RESOURCE = "http://things.example/skills"
SKILL_ADAPTER = f"""
    - type: skill
      port: 9191
      namespace: things-skills
      authentication:
        type: oauth2
        authorizationServerUri: "{{issuer}}"
        resource: "{SKILL_RESOURCE}"
      skills:
        - name: things-ops
          description: Operate things
          tools:
            - name: list-things
              description: List things
              from:
                sourceNamespace: things-mcp
                action: list-things
"""


async def test_skill_catalog_is_a_resource_server_too(
    build: Builder, authorization_server: AuthorizationServer
) -> None:
    issuer = authorization_server.issuer
    cap = build(document(issuer) + SKILL_ADAPTER.format(issuer=issuer))
    app = cap.modules["skill"].create_skill_app(cap.settings)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://t") as http:
        missing = await http.get("/skills")
        valid = await http.get(
            "/skills", headers=bearer(authorization_server.token(SKILL_RESOURCE))
        )
        other = await http.get("/skills", headers=bearer(authorization_server.token(MCP_RESOURCE)))
        metadata = await http.get("/.well-known/oauth-protected-resource/skills")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == (
        'Bearer resource_metadata="http://things.example/.well-known/oauth-protected-resource/skills"'
    )
    assert valid.status_code == 200 and valid.json()["count"] == 1
    assert other.status_code == 401  # a token for another resource (audience) is refused
    assert metadata.json()["resource"] == SKILL_RESOURCE


@pytest.mark.parametrize("pair", ["list-things", "=things.read", "list-things="])
def test_a_malformed_scope_pair_is_a_settings_error(
    build: Builder, authorization_server: AuthorizationServer, pair: str
) -> None:
    cap = build(document(authorization_server.issuer))
    settings = cap.load_settings({**cap.env, "THINGS_MCP_TOOL_SCOPES": pair})
    with pytest.raises(cap.errors.SettingsError, match="is not a name=scope pair"):
        cap.modules["mcp_server"].create_server(cap.modules["upstream"].Clients(settings))


class FlakyAuthorizationServer:
    """A minimal authorization server that can be down, recording the paths it is asked for."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.down = True
        self.paths: list[str] = []
        self.issuer = ""
        self.app = Starlette(routes=[Route("/{path:path}", self.answer)])

    async def answer(self, request: Request) -> Response:
        self.paths.append(request.url.path)
        if self.down:
            return Response(status_code=503)
        if request.url.path == "/.well-known/oauth-authorization-server":
            return JSONResponse({"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks"})
        if request.url.path == "/jwks":
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return JSONResponse({"keys": [jwk | {"kid": "k1", "alg": "RS256", "use": "sig"}]})
        return Response(status_code=404)

    def token(self, kid: str) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": REST_RESOURCE, "sub": "t", "iat": now, "exp": now + 60}
        return jwt.encode(claims, self.key, "RS256", headers={"kid": kid})


async def test_discovery_backs_off_while_the_authorization_server_is_down(
    build: Builder, upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = FlakyAuthorizationServer()
    with served(server.app) as issuer:
        server.issuer = issuer
        cap = build(document(issuer))
        auth = importlib.import_module(f"{cap.modules['rest'].__package__}._auth")
        async with cap.rest() as http:
            down = [await http.get("/things", headers=bearer(server.token("k1"))) for _ in range(4)]
            assert [r.status_code for r in down] == [401] * 4
            # Only the first request looked for the metadata (its three well-known places).
            assert len(server.paths) == 3
            server.down = False
            waiting = await http.get("/things", headers=bearer(server.token("k1")))
            assert waiting.status_code == 401 and len(server.paths) == 3
            monkeypatch.setattr(auth, "DISCOVERY_RETRY", 0.0)  # the back-off has elapsed
            back = await http.get("/things", headers=bearer(server.token("k1")))
            assert back.status_code == 200, back.text
            assert server.paths[3:] == ["/.well-known/oauth-authorization-server", "/jwks"]
            # Unknown keys fetch the key set again at most once per KEYS_REFETCH.
            for _ in range(3):
                unknown = await http.get("/things", headers=bearer(server.token("k2")))
                assert unknown.status_code == 401
            assert len(server.paths) == 5
            monkeypatch.setattr(auth, "KEYS_REFETCH", 0.0)
            unknown = await http.get("/things", headers=bearer(server.token("k2")))
            assert unknown.status_code == 401 and server.paths[5:] == ["/jwks"]
    assert len(upstream.requests) == 1
