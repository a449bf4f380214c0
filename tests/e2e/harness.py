"""End-to-end harness: run generated packages as processes and drive them with independent tools.

Independent means written by nobody on this project: the Node MCP SDK (through `mcp_client.mjs`),
the MCP Inspector CLI, Prism (mock upstreams from OpenAPI documents) and schemathesis (fuzzing).
Everything listens on 127.0.0.1 only, and every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl

import httpx2
import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO_ROOT / "node_modules"
NODE_CLIENT = Path(__file__).with_name("mcp_client.mjs")
INSPECTOR = NODE_MODULES / ".bin" / "mcp-inspector"
PRISM = NODE_MODULES / ".bin" / "prism"
LOOPBACK = "127.0.0.1"

# A service that has not answered within this many seconds is reported as broken.
DEFAULT_START_TIMEOUT = 60.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def env_var_name(namespace: str, suffix: str) -> str:
    """A generated package's variable: `env_var_name("my-api", "BASE_URL")` is `MY_API_BASE_URL`."""
    return f"{namespace.upper().replace('-', '_')}_{suffix}"


def http_answers(url: str) -> bool:
    """True when a GET of `url` gets any response below 500 within one second."""
    try:
        return httpx2.get(url, timeout=1.0).status_code < 500
    except httpx2.HTTPError:
        return False


def port_accepts(port: int, host: str = LOOPBACK) -> bool:
    """True when something accepts TCP connections on `host:port`."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


@dataclass
class Service:
    """A long-running process started by `start_service`; stdout and stderr go to one log file."""

    process: subprocess.Popen[bytes]
    log_file: IO[bytes]

    def output(self) -> str:
        """Everything the process has printed so far."""
        return Path(self.log_file.name).read_text(errors="replace")


@contextmanager
def start_service(
    command: Sequence[str],
    *,
    ready: Callable[[], bool],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = DEFAULT_START_TIMEOUT,
) -> Iterator[Service]:
    """Start `command` in its own process group, wait until `ready()` is true, and stop it on exit.

    `env` is added to this process's environment. Raises RuntimeError with the process output
    when the process exits early or is not ready within `timeout` seconds. On exit the whole
    process group gets SIGTERM, then SIGKILL after five seconds.
    """
    with tempfile.NamedTemporaryFile(prefix="e2e-service-", suffix=".log") as log_file:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )
        service = Service(process, log_file)
        try:
            _wait_until_ready(service, ready, timeout, command)
            yield service
        finally:
            _stop_process_group(process)


def _wait_until_ready(
    service: Service, ready: Callable[[], bool], timeout: float, command: Sequence[str]
) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if service.process.poll() is not None:
            raise RuntimeError(
                f"{command[0]} exited with {service.process.returncode}:\n{service.output()}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(f"{command[0]} was not ready after {timeout}s:\n{service.output()}")
        time.sleep(0.1)


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5.0)
    # Whatever is left of the group (a stuck leader, or children it left behind) is killed.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=5.0)


def ensure_node_modules() -> None:
    """Run `npm ci` in the repository root unless the pinned Node tools are already installed."""
    node_sdk = NODE_MODULES / "@modelcontextprotocol" / "sdk"
    if PRISM.exists() and INSPECTOR.exists() and node_sdk.is_dir():
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=REPO_ROOT,
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


def run_node_client(
    target: str | Sequence[str],
    tool: str | None = None,
    arguments: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """List the tools (and call `tool` with `arguments`) with the Node SDK client; return its JSON.

    `target` is a streamable HTTP URL, or the command of a stdio server (which then inherits `env`
    on top of this process's environment). The result is `{"tools": [...], "result": {...}}`, with
    "result" only when a tool was called; a tool result with `isError` is a normal result.
    """
    ensure_node_modules()
    target_args = [target] if isinstance(target, str) else ["--stdio", *target, "--"]
    call_args = [tool, json.dumps(arguments or {})] if tool else []
    completed = subprocess.run(
        ["node", str(NODE_CLIENT), *target_args, *call_args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"node MCP client failed ({completed.returncode}):\n{completed.stderr}")
    output: dict[str, Any] = json.loads(completed.stdout)
    return output


@dataclass(frozen=True)
class InspectorResult:
    """What `mcp-inspector --cli --format json` printed: exit 0 ok, 5 when the tool said isError."""

    exit_code: int
    output: dict[str, Any]
    stderr: str


def run_inspector(
    target: str | Sequence[str],
    method: str,
    *,
    tool: str | None = None,
    arguments: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> InspectorResult:
    """Run the MCP Inspector CLI once (`method` is e.g. "tools/list" or "tools/call").

    `target` is a streamable HTTP URL or the command of a stdio server; `env` is handed to a stdio
    server with `-e` (the Inspector passes it nothing else). Arguments go verbatim as JSON. The
    Inspector keeps its state under a throwaway HOME.
    """
    ensure_node_modules()
    options = ["--cli", "--format", "json", "--method", method]
    if tool is not None:
        options += ["--tool-name", tool, "--tool-args-json", json.dumps(arguments or {})]
    for name, value in (env or {}).items():
        options += ["-e", f"{name}={value}"]
    target_args = [target] if isinstance(target, str) else list(target)
    with tempfile.TemporaryDirectory(prefix="e2e-inspector-home-") as home:
        completed = subprocess.run(
            [str(INSPECTOR), *options, "--", *target_args],
            capture_output=True,
            text=True,
            env={**os.environ, "HOME": home},
            stdin=subprocess.DEVNULL,
            timeout=timeout,
        )
    if not completed.stdout.strip():
        raise RuntimeError(
            f"mcp-inspector printed nothing ({completed.returncode}):\n{completed.stderr}"
        )
    return InspectorResult(completed.returncode, json.loads(completed.stdout), completed.stderr)


@contextmanager
def start_prism(
    document: Path, *, anonymous_access: bool = False, timeout: float = DEFAULT_START_TIMEOUT
) -> Iterator[str]:
    """Serve the examples of an OpenAPI `document` with Prism; yield its base URL.

    Prism serves the document's `paths` at the root of `http://127.0.0.1:PORT`, ignoring any path in
    `servers`, and answers 401 to a request that lacks the document's `security`. `anonymous_access`
    serves a copy of the document in which every security requirement also accepts no credentials.
    """
    ensure_node_modules()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="e2e-prism-") as workdir:
        served = (
            _without_required_security(document, Path(workdir)) if anonymous_access else document
        )
        command = [str(PRISM), "mock", "-h", LOOPBACK, "-p", str(port), str(served)]
        with start_service(command, ready=lambda: port_accepts(port), timeout=timeout):
            yield f"http://{LOOPBACK}:{port}"


def _without_required_security(document: Path, workdir: Path) -> Path:
    spec = yaml.safe_load(document.read_text())
    path_items = spec.get("paths", {}).values()
    operations = [op for item in path_items for op in item.values() if isinstance(op, dict)]
    for holder in (spec, *operations):
        if holder.get("security"):
            holder["security"] = [*holder["security"], {}]
    copy = workdir / f"{document.stem}.anonymous.json"
    copy.write_text(json.dumps(spec))
    return copy


@dataclass(frozen=True)
class RecordedRequest:
    """One request received by a `FakeUpstream`; `path` is as sent (still percent-encoded)."""

    method: str
    path: str
    query_string: str
    headers: Mapping[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes

    @property
    def query(self) -> list[tuple[str, str]]:
        """The decoded query parameters in order, repeated keys kept."""
        return parse_qsl(self.query_string, keep_blank_values=True)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class CannedResponse:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


class FakeUpstream:
    """An upstream API that records every request and answers what the test configured.

    Use `app` in-process (e.g. with `httpx2.ASGITransport`) or `serve()` it on 127.0.0.1. A request
    with no configured answer gets a 404 JSON body naming it.
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._responses: dict[tuple[str, str], CannedResponse] = {}
        self.app = Starlette(routes=[Route("/{path:path}", self._answer, methods=_ALL_METHODS)])

    def respond(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        json_body: Any = None,
        text: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer `method path` (path as sent on the wire, without query) with `status` and a body.

        `json_body` is sent as application/json, `text` as given (set its content-type in
        `headers`); with neither the body is empty.
        """
        if json_body is not None:
            body, content = json.dumps(json_body).encode(), {"content-type": "application/json"}
        else:
            body, content = (text or "").encode(), {}
        canned = CannedResponse(status, body, {**content, **(headers or {})})
        self._responses[(method.upper(), path)] = canned

    async def _answer(self, request: Request) -> Response:
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        recorded = RecordedRequest(
            method=request.method,
            path=raw_path.decode("latin-1"),
            query_string=request.url.query,
            headers={name: ", ".join(request.headers.getlist(name)) for name in request.headers},
            body=await request.body(),
        )
        self.requests.append(recorded)
        canned = self._responses.get((recorded.method, recorded.path))
        if canned is None:
            missing = {"error": f"no canned response for {recorded.method} {recorded.path}"}
            return Response(json.dumps(missing), status_code=404, media_type="application/json")
        return Response(canned.body, status_code=canned.status, headers=dict(canned.headers))

    @contextmanager
    def serve(self, timeout: float = 10.0) -> Iterator[str]:
        """Serve the app with uvicorn on a free loopback port in a thread; yield its base URL."""
        listener = socket.socket()
        listener.bind((LOOPBACK, 0))
        server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + timeout
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("the fake upstream did not start")
                time.sleep(0.02)
            yield f"http://{LOOPBACK}:{listener.getsockname()[1]}"
        finally:
            server.should_exit = True
            thread.join(timeout)
            listener.close()


_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass(frozen=True)
class SchemathesisRun:
    """Exit code 0 means no failure was found; `output` is the human report."""

    exit_code: int
    output: str

    @property
    def tested_operations(self) -> int:
        """How many API operations the run tested (from the summary's `Tested: N`)."""
        found = re.search(r"^\s*Tested: (\d+)$", self.output, re.MULTILINE)
        return int(found[1]) if found else 0


def run_schemathesis(
    openapi_url: str, *, max_examples: int = 25, timeout: float = 600.0
) -> SchemathesisRun:
    """Fuzz the REST app serving `openapi_url` with every schemathesis check, bounded and seeded.

    `allow_header_conformance` is left out: Starlette's 405 for OPTIONS lists only the first
    matching route's methods. Runs in a throwaway working
    directory, so `.hypothesis/` and `.schemathesis/` never land in the repository.
    """
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        openapi_url,
        "--checks",
        "all",
        "--exclude-checks",
        "allow_header_conformance",
        "--max-examples",
        str(max_examples),
        "--workers",
        "1",
        "--seed",
        "1",
        "--request-timeout",
        "5",
        "--no-color",
    ]
    with tempfile.TemporaryDirectory(prefix="e2e-schemathesis-") as workdir:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
        )
    return SchemathesisRun(completed.returncode, completed.stdout + completed.stderr)
