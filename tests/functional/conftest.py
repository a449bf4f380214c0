"""Shared fixtures: a recording fake upstream, and a builder that generates a package,
imports it and wires it to that upstream.

    async def test_something(build, upstream):
        cap = build('''<capability YAML>''', env={"TOKEN": "t"})
        upstream.respond(200, json={"a": 1})
        async with cap.rest() as http:
            response = await http.get("/things/1")
        request = upstream.only()
        ...
        result = await cap.call_tool("get-thing", {"id": "1"})

Every upstream call goes through `httpx2.MockTransport(upstream.handle)`: nothing leaves
the process.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import shutil
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx2
import mcp
import mcp_types
import pytest
from naftiko_gen.diagnostics import Severity
from naftiko_gen.pipeline import DocumentResult

from tests.generation import generate, imported
from tests.shared_material import SHARED

FIXTURES = SHARED / "naftiko" / "fixtures"
SCHEMAS = FIXTURES / "schemas"
PROBLEM_JSON = "application/problem+json"

_UNSET: Any = object()


# -- the fake upstream ----------------------------------------------------------------------


@dataclass
class Reply:
    """One canned upstream answer."""

    status: int = 200
    json: Any = _UNSET
    content: bytes | str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def response(self) -> httpx2.Response:
        headers = dict(self.headers)
        if self.content is not None:
            data = self.content.encode() if isinstance(self.content, str) else self.content
            return httpx2.Response(self.status, content=data, headers=headers)
        if self.json is _UNSET:
            return httpx2.Response(self.status, headers=headers)
        headers.setdefault("content-type", "application/json")
        return httpx2.Response(self.status, content=json.dumps(self.json).encode(), headers=headers)


class FakeUpstream:
    """Records every request; answers with queued replies first, then with the default reply.

    `respond(...)` sets the default reply, `queue(...)` adds one-shot replies answered in order,
    `handler` (a function of the request) overrides both, and `fail` (an exception factory)
    makes every call raise, as a broken connection does.
    """

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []
        self.default = Reply(200, json={"ok": True})
        self.replies: list[Reply] = []
        self.handler: Callable[[httpx2.Request], httpx2.Response] | None = None
        self.fail: Callable[[httpx2.Request], Exception] | None = None

    def respond(
        self,
        status: int = 200,
        *,
        json: Any = _UNSET,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.default = Reply(status, json, content, dict(headers or {}))

    def queue(
        self,
        status: int = 200,
        *,
        json: Any = _UNSET,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.replies.append(Reply(status, json, content, dict(headers or {})))

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        # a snapshot: auth flows (digest) mutate and resend the same request object
        self.requests.append(
            httpx2.Request(
                request.method, request.url, headers=request.headers.copy(), content=request.content
            )
        )
        if self.fail is not None:
            raise self.fail(request)
        if self.handler is not None:
            return self.handler(request)
        if self.replies:
            return self.replies.pop(0).response()
        return self.default.response()

    def only(self) -> httpx2.Request:
        """The one request the upstream received (fails if there were none or several)."""
        assert len(self.requests) == 1, [str(r.url) for r in self.requests]
        return self.requests[0]


def body_json(request: httpx2.Request) -> Any:
    """The JSON body a request carried."""
    return json.loads(request.content)


def content_type(request_or_response: httpx2.Request | httpx2.Response) -> str:
    """The media type without parameters."""
    return request_or_response.headers.get("content-type", "").split(";")[0].strip()


def tool_text(result: mcp_types.CallToolResult) -> str:
    """The text of a tool result's first content block."""
    assert result.content, result
    block = result.content[0]
    assert isinstance(block, mcp_types.TextContent), block
    return block.text


def tool_json(result: mcp_types.CallToolResult) -> Any:
    """The JSON a tool result's text carries."""
    return json.loads(tool_text(result))


# -- generated capabilities -----------------------------------------------------------------


@dataclass
class Capability:
    """A generated, imported package wired to the fake upstream."""

    result: DocumentResult
    package_dir: Path
    modules: dict[str, ModuleType]
    upstream: FakeUpstream
    env: dict[str, str]
    settings: Any = None
    clients: Any = None

    def __post_init__(self) -> None:
        self.connect(self.env)

    def runtime(self, name: str) -> ModuleType:
        """One of the package's runtime modules (`_errors`, `_upstream`, ...)."""
        package = self.modules["settings"].__name__.rpartition(".")[0]
        return importlib.import_module(f"{package}.{name}")

    @property
    def errors(self) -> ModuleType:
        """The package's `_errors` module (where `SettingsError` lives)."""
        return self.runtime("_errors")

    def load_settings(self, env: Mapping[str, str]) -> Any:
        return self.modules["settings"].load_settings(dict(env))

    def connect(self, env: Mapping[str, str]) -> None:
        """(Re)load the settings from `env` and create the clients over the fake upstream."""
        self.settings = self.load_settings(env)
        self.clients = self.modules["upstream"].Clients(
            self.settings, httpx2.MockTransport(self.upstream.handle)
        )

    def warnings(self, code: str | None = None) -> list[str]:
        return [
            d.format()
            for d in self.result.diagnostics
            if d.severity is Severity.WARNING and (code is None or d.code == code)
        ]

    def rest(self) -> httpx2.AsyncClient:
        """An HTTP client of the REST app (use with `async with`)."""
        app = self.modules["rest"].create_app(self.clients)
        return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://t")

    def mcp(self) -> mcp.Client:
        """An in-memory MCP client of the server (use with `async with`)."""
        return mcp.Client(self.modules["mcp_server"].create_server(self.clients))

    async def tools(self) -> dict[str, mcp_types.Tool]:
        async with self.mcp() as client:
            listed = await client.list_tools()
        return {tool.name: tool for tool in listed.tools}

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> mcp_types.CallToolResult:
        async with self.mcp() as client:
            return await client.call_tool(name, arguments)


class Builder:
    """Generates documents into `tmp_path` and imports their packages for one test."""

    def __init__(self, tmp_path: Path, upstream: FakeUpstream, stack: contextlib.ExitStack) -> None:
        self.tmp_path = tmp_path
        self.upstream = upstream
        self.stack = stack
        self.count = 0

    def generate(self, text: str, name: str | None = None) -> tuple[DocumentResult, Path]:
        """Only generate (no import): for tests of diagnostics.

        Each document of a test gets its own package name (`cap-1`, `cap-2`, ...), since a
        package stays imported until the test ends.
        """
        self.count += 1
        name = name or f"cap-{self.count}"
        folder = self.tmp_path / f"doc{self.count}"
        folder.mkdir()
        spec = folder / f"{name}.yaml"
        spec.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        result = generate(spec, folder / "out")
        return result, folder / "out" / (result.name or name)

    def __call__(
        self, text: str, *, env: Mapping[str, str] | None = None, name: str | None = None
    ) -> Capability:
        result, package_dir = self.generate(text, name)
        return self._load(result, package_dir, env)

    def fixture(self, relative: str, *, env: Mapping[str, str] | None = None) -> Capability:
        """Generate one of the engine's fixture documents (copied, so its name is the stem)."""
        source = FIXTURES / relative
        if not source.is_file():
            pytest.skip(f"engine fixture not found: {source}")
        self.count += 1
        folder = self.tmp_path / f"doc{self.count}"
        folder.mkdir()
        spec = folder / source.name
        shutil.copyfile(source, spec)
        result = generate(spec, folder / "out")
        return self._load(result, folder / "out" / (result.name or source.stem), env)

    def _load(
        self, result: DocumentResult, package_dir: Path, env: Mapping[str, str] | None
    ) -> Capability:
        assert not result.failed, "\n".join(d.format() for d in result.diagnostics)
        assert result.name is not None
        modules = self.stack.enter_context(imported(package_dir, result.name.replace("-", "_")))
        return Capability(result, package_dir, modules, self.upstream, dict(env or {}))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def upstream() -> FakeUpstream:
    return FakeUpstream()


@pytest.fixture
def build(tmp_path: Path, upstream: FakeUpstream) -> Iterator[Builder]:
    with contextlib.ExitStack() as stack:
        yield Builder(tmp_path, upstream, stack)
