"""Binary content: upstream bytes through REST and MCP, with media types and size limits."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import AsyncIterator

import httpx2
import mcp_types
import pytest

from .conftest import PROBLEM_JSON, Builder, Capability, FakeUpstream

pytestmark = pytest.mark.anyio

# Photos and clips take their media type from the upstream; reports declare application/pdf and
# a 1 KiB limit; REST allows 2 KiB and MCP 4 KiB otherwise. /stats claims binary over JSON.
DOCUMENT = """
naftiko: "1.0.0-alpha3"
info:
  label: Media
  description: binary content test
capability:
  consumes:
    - type: http
      namespace: media
      baseUri: "https://media.example.com"
      resources:
        - name: photos
          path: "/photos/{{id}}"
          operations:
            - name: get-photo
              method: GET
              outputRawFormat: binary
        - name: clips
          path: "/clips/{{id}}"
          operations:
            - name: get-clip
              method: GET
              outputRawFormat: binary
        - name: reports
          path: "/reports/{{id}}"
          operations:
            - name: get-report
              method: GET
              outputRawFormat: binary
              outputMediaType: application/pdf
              maxBinarySize: 1KiB
        - name: stats
          path: /stats
          operations:
            - name: get-stats
              method: GET
  exposes:
    - type: rest
      port: 8080
      namespace: media-api
      maxBinarySize: 2KiB
      resources:
        - path: "/photos/{id}"
          operations:
            - method: GET
              name: get-photo
              call: media.get-photo
              with:
                id: media-api.id
              responseBinary:
                mediaType: image/png
                description: The photo
        - path: "/clips/{id}"
          operations:
            - method: GET
              name: get-clip
              call: media.get-clip
              with:
                id: media-api.id
        - path: "/reports/{id}"
          operations:
            - method: GET
              name: get-report
              call: media.get-report
              with:
                id: media-api.id
              responses:
                "200":
                  description: The report
                  content:
                    application/pdf:
                      binary: true
                "404":
                  description: No such report
                  content:
                    application/json:
                      schema:
                        type: object
        - path: /stats
          operations:
            - method: GET
              name: get-stats
              call: media.get-stats
              responseBinary:
                mediaType: image/png
    - type: mcp
      port: 9090
      namespace: media-tools
      maxBinarySize: 4KiB
      tools:
        - name: get-photo
          description: A photo
          call: media.get-photo
          with:
            id: media-tools.id
          inputParameters:
            - name: id
              type: string
              required: true
          outputParameters:
            - name: size
              type: number
              mapping: $.size
        - name: get-clip
          description: A sound clip
          call: media.get-clip
          with:
            id: media-tools.id
          inputParameters:
            - name: id
              type: string
              required: true
        - name: get-report
          description: A PDF report
          call: media.get-report
          with:
            id: media-tools.id
          inputParameters:
            - name: id
              type: string
              required: true
      resources:
        - name: photo
          uri: "photos://{id}"
          description: Photo bytes
          call: media.get-photo
          with:
            id: "{{id}}"
"""


def png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def wav() -> bytes:
    """A valid WAV file with 8 samples of silence."""
    data = b"\x00\x00" * 8
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    riff = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    riff += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(riff)) + riff


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def media(build: Builder, upstream: FakeUpstream) -> Capability:
    """The media capability; the upstream answers each path with its bytes."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        kind = request.url.path.split("/")[1]
        if kind == "photos":
            return httpx2.Response(200, content=png(), headers={"content-type": "image/png"})
        if kind == "clips":
            return httpx2.Response(200, content=wav(), headers={"content-type": "audio/wav"})
        # the document's outputMediaType wins over what the upstream says
        headers = {"content-type": "application/octet-stream"}
        return httpx2.Response(200, content=PDF, headers=headers)

    upstream.handler = answer
    return build(DOCUMENT)


async def test_rest_answers_the_bytes_with_their_media_type(media: Capability) -> None:
    async with media.rest() as http:
        photo = await http.get("/photos/p1")
        clip = await http.get("/clips/c1")
        report = await http.get("/reports/r1")
    assert (photo.status_code, photo.headers["content-type"], photo.content) == (
        200,
        "image/png",
        png(),
    )
    assert clip.headers["content-type"] == "audio/wav"
    assert clip.content == wav()
    assert report.headers["content-type"] == "application/pdf"
    assert report.content == PDF
    assert [r.url.path for r in media.upstream.requests] == [
        "/photos/p1",
        "/clips/c1",
        "/reports/r1",
    ]


async def test_openapi_describes_binary_responses(media: Capability) -> None:
    async with media.rest() as http:
        paths = (await http.get("/openapi.json")).json()["paths"]
    binary = {"type": "string", "format": "binary"}
    photo = paths["/photos/{id}"]["get"]["responses"]
    assert photo["200"] == {
        "description": "The photo",
        "content": {"image/png": {"schema": binary}},
    }
    assert photo["502"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    report = paths["/reports/{id}"]["get"]["responses"]
    assert report["200"]["content"] == {"application/pdf": {"schema": binary}}
    assert report["404"]["content"] == {"application/json": {"schema": {"type": "object"}}}
    # without a declared contract, the upstream's bytes of any type
    clip = paths["/clips/{id}"]["get"]["responses"]["200"]
    assert clip["content"] == {"application/octet-stream": {"schema": binary}}


async def test_mcp_answers_image_audio_and_embedded_blob(media: Capability) -> None:
    async with media.mcp() as client:
        photo = await client.call_tool("get-photo", {"id": "p1"})
        clip = await client.call_tool("get-clip", {"id": "c1"})
        report = await client.call_tool("get-report", {"id": "r1"})
    (image,) = photo.content
    assert isinstance(image, mcp_types.ImageContent)
    assert (image.mime_type, base64.b64decode(image.data)) == ("image/png", png())
    assert not photo.is_error and photo.structured_content is None
    (audio,) = clip.content
    assert isinstance(audio, mcp_types.AudioContent)
    assert (audio.mime_type, base64.b64decode(audio.data)) == ("audio/wav", wav())
    (embedded,) = report.content
    assert isinstance(embedded, mcp_types.EmbeddedResource)
    blob = embedded.resource
    assert isinstance(blob, mcp_types.BlobResourceContents)
    assert (blob.mime_type, base64.b64decode(blob.blob)) == ("application/pdf", PDF)
    assert str(blob.uri).startswith("naftiko://transient/get-report/")


async def test_mcp_resource_reads_a_blob(media: Capability) -> None:
    async with media.mcp() as client:
        listed = await client.list_resource_templates()
        read = await client.read_resource("photos://p9")
    assert listed.resource_templates[0].mime_type == "application/octet-stream"
    (contents,) = read.contents
    assert isinstance(contents, mcp_types.BlobResourceContents)
    assert (contents.mime_type, base64.b64decode(contents.blob)) == ("image/png", png())
    assert media.upstream.only().url.path == "/photos/p9"


def streamed(size: int, pulled: list[int]) -> httpx2.Response:
    """An upstream body of `size` bytes in 256-byte chunks; `pulled` counts the chunks read."""

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(size // 256):
            pulled.append(1)
            yield b"x" * 256

    return httpx2.Response(200, content=chunks(), headers={"content-type": "image/png"})


@pytest.mark.parametrize(
    ("path", "limit"),
    [("/reports/r1", 1024), ("/photos/p1", 2048)],  # the operation's limit, then the adapter's
)
async def test_rest_refuses_a_body_over_the_limit_without_reading_it_all(
    media: Capability, path: str, limit: int
) -> None:
    pulled: list[int] = []
    media.upstream.handler = lambda request: streamed(1024 * 1024, pulled)
    async with media.rest() as http:
        response = await http.get(path)
    assert response.status_code == 502
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["title"] == "Upstream response too large"
    assert f"larger than {limit} bytes" in problem["detail"]
    # reading stopped at the first chunk past the limit
    assert len(pulled) == limit // 256 + 1
    # a body exactly at the limit passes
    media.upstream.handler = lambda request: streamed(limit, [])
    async with media.rest() as http:
        response = await http.get(path)
    assert response.status_code == 200 and len(response.content) == limit


async def test_a_declared_content_length_over_the_limit_is_refused_unread(
    media: Capability,
) -> None:
    pulled: list[int] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        response = streamed(8192, pulled)
        response.headers["content-length"] = "8192"
        return response

    media.upstream.handler = answer
    async with media.rest() as http:
        response = await http.get("/photos/p1")
    assert response.status_code == 502
    assert pulled == []


async def test_mcp_reports_a_body_over_the_limit_as_a_tool_error(media: Capability) -> None:
    media.upstream.handler = lambda request: streamed(4096 + 256, [])
    result = await media.call_tool("get-photo", {"id": "p1"})
    assert result.is_error
    (text,) = result.content
    assert isinstance(text, mcp_types.TextContent)
    assert "Upstream response too large" in text.text and "larger than 4096 bytes" in text.text
    media.upstream.handler = lambda request: streamed(4096, [])
    assert not (await media.call_tool("get-photo", {"id": "p1"})).is_error


async def test_upstream_errors_are_mirrored_not_wrapped_as_bytes(media: Capability) -> None:
    media.upstream.handler = lambda request: httpx2.Response(404, json={"error": "no photo"})
    async with media.rest() as http:
        response = await http.get("/photos/p1")
    assert response.status_code == 404
    assert response.json() == {"error": "no photo"}
    result = await media.call_tool("get-photo", {"id": "p1"})
    assert result.is_error
    assert json.loads(result.content[0].text) == {"error": "no photo"}  # type: ignore[union-attr]


def test_misplaced_binary_declarations_are_reported(media: Capability) -> None:
    messages = media.warnings("NG107") + media.warnings("NG201")
    assert any("binary response needs the called consumed operation" in m for m in messages)
    assert any("outputParameters do not apply to a binary response" in m for m in messages)


async def test_a_step_over_a_binary_answer_is_reported_and_reads_null(
    build: Builder, upstream: FakeUpstream
) -> None:
    # the media document's consumed APIs, exposed through one orchestrated tool
    consumes = DOCUMENT.split("  exposes:")[0]
    cap = build(
        consumes
        + """  exposes:
    - type: mcp
      port: 9090
      namespace: steps
      tools:
        - name: photo-info
          description: What a step sees of a photo
          steps:
            - name: fetch
              type: call
              call: media.get-photo
          mappings:
            - targetName: photo
              value: $.fetch
          outputParameters:
            - name: photo
              type: object
"""
    )
    (warning,) = cap.warnings("NG107")
    assert "a step cannot use a binary answer" in warning
    upstream.respond(200, content=png(), headers={"content-type": "image/png"})
    result = await cap.call_tool("photo-info", {"id": "p1"})
    assert not result.is_error
    assert json.loads(result.content[0].text) == {"photo": None}  # type: ignore[union-attr]
