"""Binary content through running packages: REST and MCP over streamable HTTP and over stdio.

The package generated from the functional test's media document runs as `python -m media serve`
(and `serve --stdio`) against a recording upstream on a loopback port that answers PNG, WAV and
PDF bytes. The MCP side is driven by the SDK client over the real transports.
"""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import mcp
import mcp_types
import pytest
from mcp import StdioServerParameters

from tests.e2e.harness import FakeUpstream, env_var_name, free_port, port_accepts, start_service
from tests.functional.test_binary import DOCUMENT, PDF, png, wav
from tests.generation import generate

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The media package, generated once."""
    folder = tmp_path_factory.mktemp("binary")
    spec = folder / "media.yaml"
    spec.write_text(DOCUMENT.lstrip(), encoding="utf-8")
    result = generate(spec, folder / "out")
    assert not result.failed
    return folder / "out" / "media"


@pytest.fixture
def upstream_url(fake_upstream: FakeUpstream) -> Iterator[str]:
    fake_upstream.respond_matching(r"/photos/.*", text=png(), headers={"content-type": "image/png"})
    fake_upstream.respond_matching(r"/clips/.*", text=wav(), headers={"content-type": "audio/wav"})
    fake_upstream.respond_matching(r"/reports/.*", text=PDF)
    with fake_upstream.serve() as url:
        yield url


def environment(package: Path, upstream_url: str) -> dict[str, str]:
    return {
        "PYTHONPATH": str(package / "src"),
        env_var_name("media", "BASE_URL"): upstream_url,
        env_var_name("media-api", "HOST"): "127.0.0.1",
        env_var_name("media-tools", "HOST"): "127.0.0.1",
    }


def check_media_content(results: list[mcp_types.CallToolResult]) -> None:
    photo, clip, report = (result.content[0] for result in results)
    assert isinstance(photo, mcp_types.ImageContent)
    assert (photo.mime_type, base64.b64decode(photo.data)) == ("image/png", png())
    assert isinstance(clip, mcp_types.AudioContent)
    assert (clip.mime_type, base64.b64decode(clip.data)) == ("audio/wav", wav())
    assert isinstance(report, mcp_types.EmbeddedResource)
    assert isinstance(report.resource, mcp_types.BlobResourceContents)
    assert report.resource.mime_type == "application/pdf"
    assert base64.b64decode(report.resource.blob) == PDF


async def call_all(client: mcp.Client) -> list[mcp_types.CallToolResult]:
    return [
        await client.call_tool(name, {"id": "x1"})
        for name in ("get-photo", "get-clip", "get-report")
    ]


async def test_binary_over_http(package: Path, upstream_url: str) -> None:
    rest_port, mcp_port = free_port(), free_port()
    env = {
        **environment(package, upstream_url),
        env_var_name("media-api", "PORT"): str(rest_port),
        env_var_name("media-tools", "PORT"): str(mcp_port),
    }
    command = [sys.executable, "-m", "media", "serve"]
    with start_service(command, env=env, ready=lambda: port_accepts(mcp_port), timeout=60):
        async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{rest_port}") as http:
            photo = await http.get("/photos/p1")
            report = await http.get("/reports/r1")
        async with mcp.Client(f"http://127.0.0.1:{mcp_port}/mcp") as client:
            results = await call_all(client)
            read = await client.read_resource("photos://p2")
    assert (photo.headers["content-type"], photo.content) == ("image/png", png())
    assert (report.headers["content-type"], report.content) == ("application/pdf", PDF)
    check_media_content(results)
    (blob,) = read.contents
    assert isinstance(blob, mcp_types.BlobResourceContents)
    assert base64.b64decode(blob.blob) == png()


async def test_binary_over_stdio(package: Path, upstream_url: str) -> None:
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "media", "serve", "--stdio"],
        env={**os.environ, **environment(package, upstream_url)},
    )
    async with mcp.Client(server) as client:
        results = await call_all(client)
    check_media_content(results)
