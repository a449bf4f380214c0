"""Limits of generated servers (issue 10): upstream response size, deadlines, redirects, caller
mistakes while building the upstream request, and settings checked at startup.

Hostile upstreams are `httpx2.MockTransport` answers whose bodies are async generators, so
they stream exactly as a socket does: the tests see how much of them the server reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import socket
import subprocess
import sys
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.harness import free_port

from .conftest import PROBLEM_JSON, Builder, Capability, FakeUpstream, content_type, tool_text

pytestmark = pytest.mark.anyio

SECRET = "tok-LIMITS-SECRET-4321"

DOCUMENT = """
naftiko: "1.0.0-alpha3"
info:
  label: Limits
  description: limits of generated servers
binds:
  - namespace: env
    keys:
      API_TOKEN: API_TOKEN
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: "https://api.example.com/v1"
      authentication:
        type: bearer
        token: "{{API_TOKEN}}"
      resources:
        - name: items
          path: "/items/{id}"
          operations:
            - name: get-item
              method: GET
              inputParameters:
                - name: id
                  in: path
                - name: X-Trace
                  in: header
  exposes:
    - type: rest
      port: 8080
      namespace: items-rest
      resources:
        - path: /items/{id}
          operations:
            - method: GET
              name: get-item
              call: api.get-item
              inputParameters:
                - name: id
                  in: path
                  type: string
                  description: item id
                - name: trace
                  in: header
                  type: string
                  description: trace id
              with:
                id: rest.id
                X-Trace: rest.trace
    - type: mcp
      port: 9090
      namespace: items-mcp
      tools:
        - name: get-item
          description: Get an item
          call: api.get-item
          inputParameters:
            - name: id
              type: string
              description: item id
            - name: trace
              type: string
              description: trace id
          with:
            id: tools.id
            X-Trace: tools.trace
          outputParameters:
            - type: object
              mapping: $
              properties:
                name:
                  type: string
                  mapping: $.name
                owner:
                  type: object
                  mapping: $.owner
                  properties:
                    login:
                      type: string
                      mapping: $.login
                tags:
                  type: array
                  mapping: $.tags
                  items:
                    type: string
"""

ENV = {"API_TOKEN": SECRET}
ARGS = {"id": "1", "trace": "t-1"}
MiB = 1024 * 1024


def limits(build: Builder, document: str = DOCUMENT, **env: str) -> Capability:
    """The document generated as package `limits` (settings `LIMITS_*`), with `env` set."""
    return build(document, env={**ENV, **env}, name="limits")


@pytest.fixture
def cap(build: Builder) -> Capability:
    return limits(build)


def assert_problem(response: httpx2.Response, status: int, title: str) -> str:
    assert response.status_code == status, response.text
    assert content_type(response) == PROBLEM_JSON
    problem = response.json()
    assert (problem["status"], problem["title"]) == (status, title)
    assert SECRET not in response.text
    return str(problem["detail"])


def streaming(chunks: AsyncIterator[bytes], **headers: str) -> Any:
    """An upstream handler answering 200 with `chunks` as the streamed body."""
    return lambda request: httpx2.Response(200, content=chunks, headers=headers)


class Endless:
    """An endless JSON-looking body; counts what was taken from it."""

    def __init__(self, chunk: bytes = b"x" * 65536) -> None:
        self.chunk = chunk
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"name": "'
        while True:
            self.sent += len(self.chunk)
            yield self.chunk


def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzip-compressed (about a thousandth of `size`)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(MiB)
    parts = [packer.compress(block) for _ in range(size // MiB)]
    return b"".join([*parts, packer.flush()])


async def chunks_of(data: bytes, size: int = 16384) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


# -- the upstream response size limit ---------------------------------------------------------


async def test_endless_upstream_stream_is_cut_at_the_limit(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = limits(build, LIMITS_MAX_RESPONSE_BYTES=str(2 * MiB))
    body = Endless()
    upstream.handler = streaming(body.__aiter__())
    async with cap.rest() as http:
        response = await http.get("/items/1", headers={"trace": "t"})
    assert "larger than 2097152 bytes" in assert_problem(
        response, 502, "Upstream response too large"
    )
    assert body.sent <= 2 * MiB + 65536  # nothing more read past the limit
    body = Endless()
    upstream.handler = streaming(body.__aiter__())
    result = await cap.call_tool("get-item", ARGS)
    assert result.is_error
    assert "Upstream response too large" in tool_text(result)


async def test_gzip_bomb_is_counted_decompressed_in_bounded_memory(
    cap: Capability, upstream: FakeUpstream
) -> None:
    bomb = gzip_bomb(256 * MiB)  # about 250 KB on the wire, 256 MiB decompressed
    assert len(bomb) < MiB
    upstream.handler = streaming(chunks_of(bomb), **{"content-encoding": "gzip"})
    tracemalloc.start()
    try:
        async with cap.rest() as http:
            response = await http.get("/items/1", headers={"trace": "t"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_problem(response, 502, "Upstream response too large")  # default limit: 10 MiB
    assert peak < 40 * MiB, peak


async def test_a_compressed_body_within_the_limit_is_served(
    cap: Capability, upstream: FakeUpstream
) -> None:
    payload = json.dumps({"name": "n" * 1000, "owner": {"login": "o"}, "tags": ["a"]}).encode()
    upstream.handler = streaming(chunks_of(gzip.compress(payload)), **{"content-encoding": "gzip"})
    result = await cap.call_tool("get-item", ARGS)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert result.structured_content["name"] == "n" * 1000


# -- deadlines ---------------------------------------------------------------------------------


async def drip(interval: float) -> AsyncIterator[bytes]:
    """A body of one byte per `interval` seconds, forever."""
    while True:
        yield b" "
        await asyncio.sleep(interval)


async def test_slow_drip_upstream_ends_in_504_at_the_call_deadline(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = limits(build, LIMITS_UPSTREAM_DEADLINE="1")
    upstream.handler = streaming(drip(0.05))
    started = time.monotonic()
    async with cap.rest() as http:
        response = await http.get("/items/1", headers={"trace": "t"})
    assert 1.0 <= time.monotonic() - started < 3.0
    assert "took longer than 1s" in assert_problem(response, 504, "Upstream timeout")
    upstream.handler = streaming(drip(0.05))
    result = await cap.call_tool("get-item", ARGS)
    assert result.is_error and "Upstream timeout" in tool_text(result)


async def test_request_deadline_bounds_a_tool_and_a_rest_request(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = limits(build, LIMITS_REQUEST_DEADLINE="0.5", LIMITS_UPSTREAM_DEADLINE="30")
    upstream.handler = streaming(drip(0.05))
    started = time.monotonic()
    result = await cap.call_tool("get-item", ARGS)
    assert time.monotonic() - started < 3.0
    assert result.is_error and "did not finish within 0.5s" in tool_text(result)
    # Over HTTP, every adapter app is served inside the request deadline (+1 s for MCP).
    serving = __import__(cap.errors.__name__.rpartition(".")[0] + ".serving", fromlist=["x"])
    rest_app = next(serving.ADAPTERS.http_apps(cap.clients))
    upstream.handler = streaming(drip(0.05))
    transport = httpx2.ASGITransport(app=rest_app)
    started = time.monotonic()
    async with httpx2.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.get("/items/1", headers={"trace": "t"})
    assert 1.5 <= time.monotonic() - started < 4.0
    assert_problem(response, 504, "Request timeout")


# -- redirects and odd answers ----------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_upstream_redirect_is_not_followed(
    cap: Capability, upstream: FakeUpstream, status: int
) -> None:
    upstream.respond(status, headers={"location": "https://elsewhere.example/steal"})
    async with cap.rest() as http:
        response = await http.get("/items/1", headers={"trace": "t"})
    detail = assert_problem(response, 502, "Redirect not followed")
    assert f"answered {status}" in detail
    result = await cap.call_tool("get-item", ARGS)
    assert result.is_error and "Redirect not followed" in tool_text(result)
    assert all(r.url.host == "api.example.com" for r in upstream.requests)


@pytest.mark.parametrize("status", [200, 204])
async def test_empty_success_satisfies_the_output_schema(
    cap: Capability, upstream: FakeUpstream, status: int
) -> None:
    upstream.respond(status)
    # The SDK client validates structuredContent against the tool's outputSchema.
    result = await cap.call_tool("get-item", ARGS)
    assert not result.is_error, result.content
    assert result.structured_content == {"name": None, "owner": {"login": None}, "tags": []}


# -- caller mistakes are the caller's -----------------------------------------------------------


@pytest.mark.parametrize(
    "trace", ["a\r\nX-Injected: 1", "caf\u00e9", "nul\x00byte"], ids=["crlf", "non-ascii", "nul"]
)
async def test_header_value_the_request_cannot_carry_is_a_caller_error(
    cap: Capability, upstream: FakeUpstream, trace: str
) -> None:
    result = await cap.call_tool("get-item", {"id": "1", "trace": trace})
    assert result.is_error
    assert "Invalid input: header 'X-Trace'" in tool_text(result)
    assert not upstream.requests


async def test_non_ascii_rest_header_value_is_a_422(
    cap: Capability, upstream: FakeUpstream
) -> None:
    async with cap.rest() as http:
        trace = "caf\u00e9".encode("latin-1")
        response = await http.get("/items/1", headers=[(b"trace", trace)])
    assert "header 'X-Trace'" in assert_problem(response, 422, "Invalid input")
    assert not upstream.requests


async def test_url_too_long_is_a_caller_error(cap: Capability, upstream: FakeUpstream) -> None:
    long_id = "a" * 70000
    result = await cap.call_tool("get-item", {"id": long_id, "trace": "t"})
    assert result.is_error and "Invalid input" in tool_text(result)
    async with cap.rest() as http:  # 30,000 characters, each 3 once percent-encoded upstream
        response = await http.get(f"/items/{'!' * 30000}", headers={"trace": "t"})
    assert_problem(response, 422, "Invalid input")
    assert not upstream.requests


@pytest.mark.parametrize("value", [".", ".."])
async def test_dot_segments_as_path_values_are_refused(
    cap: Capability, upstream: FakeUpstream, value: str
) -> None:
    result = await cap.call_tool("get-item", {"id": value, "trace": "t"})
    assert result.is_error
    assert f"Invalid input: '{value}' is not accepted as a path value" == tool_text(result)
    async with cap.rest() as http:
        response = await http.get(f"/items/{value.replace('.', '%2E')}", headers={"trace": "t"})
    assert_problem(response, 422, "Invalid input")
    assert not upstream.requests


# -- settings ----------------------------------------------------------------------------------


def test_every_bad_setting_is_named_at_once(cap: Capability) -> None:
    bad = {
        "ITEMS_REST_PORT": "70000",
        "ITEMS_MCP_PORT": "http",
        "LIMITS_RETRIES": "-1",
        "LIMITS_WORKERS": "0",
        "LIMITS_CONNECT_TIMEOUT": "-3",
        "LIMITS_READ_TIMEOUT": "nan",
        "LIMITS_ACCESS_LOG": "maybe",
        "LIMITS_MAX_RESPONSE_BYTES": "0",
        "API_BASE_URL": "ftp://files.example.com",
    }
    with pytest.raises(cap.errors.SettingsError) as failure:
        cap.load_settings({**ENV, **bad})
    message = str(failure.value)
    assert message.startswith(f"cannot start: {len(bad)} setting(s)"), message
    for name in bad:
        assert name in message, name
    assert SECRET not in message


def test_good_settings_are_accepted(cap: Capability) -> None:
    settings = cap.load_settings(
        {**ENV, "ITEMS_REST_PORT": "65535", "LIMITS_RETRIES": "0", "LIMITS_ACCESS_LOG": "Off"}
    )
    assert (settings.items_rest_port, settings.retries, settings.access_log) == (65535, 0, False)


def test_mock_settings_need_no_secret(cap: Capability) -> None:
    with pytest.raises(cap.errors.SettingsError, match="API_TOKEN"):
        cap.load_settings({})
    assert cap.modules["settings"].load_settings({}, mock=True).api_token == ""


def test_a_malformed_bind_file_is_reported_without_its_content(
    build: Builder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = DOCUMENT.replace(
        "  - namespace: env\n", "  - namespace: env\n    location: file://./secrets.yaml\n"
    )
    cap = limits(build, document)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secrets.yaml").write_text(f"API_TOKEN: {SECRET}\n  bad: [\n", encoding="utf-8")
    with pytest.raises(cap.errors.SettingsError) as failure:
        cap.load_settings({})
    assert "secrets.yaml is not valid: invalid syntax" in str(failure.value)
    assert SECRET not in str(failure.value)


# -- the command line (a real process) --------------------------------------------------------


@contextlib.contextmanager
def serving(cap: Capability, env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[str]]:
    """`python -m <package> serve ARGS` in its own process, stopped afterwards."""
    package = cap.errors.__name__.rpartition(".")[0]
    process = subprocess.Popen(
        [sys.executable, "-m", package, "serve", *args],
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(cap.package_dir / "src"), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.communicate(timeout=20)
        if process.poll() is None:
            process.kill()
            process.communicate()


def closed_within(port: int, head: bytes, seconds: float) -> bool:
    """Whether the server closes a connection that sent only `head` within `seconds`."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as connection:
        connection.sendall(head)
        with contextlib.suppress(ConnectionResetError):
            while connection.recv(1024):
                pass
    return time.monotonic() - started < seconds


def test_a_busy_port_is_one_clear_line(cap: Capability) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **ENV,
            "ITEMS_REST_HOST": "127.0.0.1",
            "ITEMS_REST_PORT": str(port),
            "ITEMS_MCP_PORT": str(free_port()),
        }
        with serving(cap, env) as process:
            _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "Traceback" not in stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in stderr.splitlines()


def test_mock_serves_without_secrets_and_logs_no_secret_nor_noise(cap: Capability) -> None:
    rest_port, mcp_port = free_port(), free_port()
    env = {
        "ITEMS_REST_HOST": "127.0.0.1",
        "ITEMS_REST_PORT": str(rest_port),
        "ITEMS_MCP_HOST": "127.0.0.1",
        "ITEMS_MCP_PORT": str(mcp_port),
        "LIMITS_ACCESS_LOG": "true",
        "LIMITS_HEADER_TIMEOUT": "1",
    }
    with serving(cap, env, "--mock") as process:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "the server did not start"
            try:
                health = httpx2.get(f"http://127.0.0.1:{mcp_port}/health/live", timeout=1)
                if health.status_code < 500:
                    break
            except httpx2.TransportError:
                time.sleep(0.2)
        rest = f"http://127.0.0.1:{rest_port}"
        assert httpx2.get(f"{rest}/items/1?api_key={SECRET}", headers={"trace": "t"}).is_success
        for _ in range(2):
            answer = httpx2.post(
                f"http://127.0.0.1:{mcp_port}/mcp",
                json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                headers={"accept": "application/json, text/event-stream"},
            )
            assert answer.status_code == 200, answer.text
        for head in (b"", b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n"):
            assert closed_within(rest_port, head, 4.0)  # idle / half-sent request head
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert '"GET /items/1 HTTP/1.1" 200' in stderr, stderr
    assert SECRET not in stderr and "api_key" not in stderr
    assert "Terminating session" not in stderr
