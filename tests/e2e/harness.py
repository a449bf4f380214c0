"""End-to-end harness: run generated packages as processes and drive them with independent tools.

Independent means written by nobody on this project: the Node MCP SDK (through `mcp_client.mjs`),
the MCP Inspector CLI, Prism (mock upstreams from OpenAPI documents) and schemathesis (fuzzing).
Everything listens on 127.0.0.1 only, and every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import parse_qsl

import httpx2
import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO_ROOT / "node_modules"
NODE_CLIENT = Path(__file__).with_name("mcp_client.mjs")
INSPECTOR = NODE_MODULES / ".bin" / "mcp-inspector"
PRISM = NODE_MODULES / ".bin" / "prism"
MCPB = NODE_MODULES / ".bin" / "mcpb"
MERMAID = NODE_MODULES / "mermaid"
LOOPBACK = "127.0.0.1"
# An MCP `initialize` request, for probing an endpoint's HTTP behaviour without a client.
MCP_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "naftiko-gen-e2e", "version": "1"},
    },
}
MCP_ACCEPT = {"Accept": "application/json, text/event-stream"}

T = TypeVar("T")

# A service that has not answered within this many seconds is reported as broken.
DEFAULT_START_TIMEOUT = 60.0


# Ports handed to servers come from below the kernel's ephemeral range (32768-60999 on Linux),
# from which outgoing connections take their source ports: a port picked in that range (as
# binding port 0 does) can be taken by any connection before its server starts listening.
SERVER_PORTS = range(20000, 32768)
_handed: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago, below the ephemeral range, and not
    handed out before in this process."""
    start = random.randrange(len(SERVER_PORTS))  # so that parallel runs rarely pick alike
    for offset in range(len(SERVER_PORTS)):
        port = SERVER_PORTS[(start + offset) % len(SERVER_PORTS)]
        if port in _handed:
            continue
        with socket.socket() as probe:
            try:
                probe.bind((LOOPBACK, port))
            except OSError:
                continue
        _handed.add(port)
        return port
    raise RuntimeError(f"no free TCP port in {SERVER_PORTS}")


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


@contextmanager
def entered_together(contexts: Sequence[AbstractContextManager[T]]) -> Iterator[list[T]]:
    """Enter every context manager at the same time (e.g. several `start_service` or
    `start_prism`, whose start-up waits then overlap) and yield what they gave, in order.

    If one fails to start, those already entered are exited and its error is raised. On exit
    they are exited in reverse order.
    """
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=max(1, len(contexts))) as pool:
        futures = [pool.submit(context.__enter__) for context in contexts]
        values: list[T] = []
        failure: BaseException | None = None
        for context, future in zip(contexts, futures, strict=True):
            try:
                values.append(future.result())
            except BaseException as exc:  # re-raised below, once the others are cleaned up
                failure = failure or exc
                continue
            stack.push(context.__exit__)
        if failure is not None:
            raise failure
        yield values


def generate_in_copy(folder: Path, copy: Path, documents: Sequence[str]) -> tuple[Path, str]:
    """Copy `folder` whole to `copy` (so imports and bound files resolve next to the documents),
    generate `documents` there with `naftiko-gen`; return the output folder and the diagnostics.

    Fails the test with the diagnostics when naftiko-gen exits non-zero.
    """
    shutil.copytree(folder, copy)
    output = copy.parent / "generated"
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("naftiko-gen")), "-q", *documents, "-o", str(output)],
        cwd=copy,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    return output, completed.stderr


def ensure_node_modules() -> None:
    """Run `npm ci` in the repository root unless the pinned Node tools are already installed."""
    node_sdk = NODE_MODULES / "@modelcontextprotocol" / "sdk"
    oidc_provider = NODE_MODULES / "oidc-provider"  # the authorization server of the oauth2 tests
    if all(p.exists() for p in (PRISM, INSPECTOR, MCPB, MERMAID, node_sdk, oidc_provider)):
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
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """List the tools (and call `tool` with `arguments`) with the Node SDK client; return its JSON.

    To call several tools on one connection use `run_node_client_calls`.

    `target` is a streamable HTTP URL (sent `headers` on every request), or the command of a stdio
    server (which then inherits `env` on top of this process's environment). The result is
    `{"tools": [...], "result": {...}}`, with "result" only when a tool was called; a tool result
    with `isError` is a normal result.
    """
    calls = [(tool, arguments or {})] if tool else []
    return run_node_client_calls(target, calls, env=env, headers=headers, timeout=timeout)


def run_node_client_calls(
    target: str | Sequence[str],
    calls: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    env: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Like `run_node_client`, but call every `(tool, arguments)` in `calls` in order on one
    connection; the output's "results" lists their results in that order.
    """
    ensure_node_modules()
    header_args = [
        arg for name, value in (headers or {}).items() for arg in ("--header", f"{name}: {value}")
    ]
    target_args = [*header_args, target] if isinstance(target, str) else ["--stdio", *target, "--"]
    call_args = [arg for tool, arguments in calls for arg in (tool, json.dumps(arguments))]
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
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> InspectorResult:
    """Run the MCP Inspector CLI once (`method` is e.g. "tools/list" or "tools/call").

    `target` is a streamable HTTP URL (sent `headers`) or the command of a stdio server; `env` is
    handed to a stdio server with `-e` (the Inspector passes it nothing else). Arguments go
    verbatim as JSON. The Inspector keeps its state under a throwaway HOME.
    """
    ensure_node_modules()
    options = ["--cli", "--format", "json", "--method", method]
    if tool is not None:
        options += ["--tool-name", tool, "--tool-args-json", json.dumps(arguments or {})]
    for name, value in (env or {}).items():
        options += ["-e", f"{name}={value}"]
    for name, value in (headers or {}).items():
        options += ["--header", f"{name}: {value}"]
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
    is answered by its exact `respond(...)` answer, else the first `respond_matching(...)`
    pattern it matches, else the `respond_to_anything(...)` answer, else it is passed on to the
    `forward_to(...)` server; with none of these it gets a 404 JSON body naming it.
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._responses: dict[tuple[str, str], CannedResponse] = {}
        self._fallback: CannedResponse | None = None
        self._forward_to: str | None = None
        self._patterns: list[tuple[str | None, re.Pattern[str], CannedResponse]] = []
        route = Route("/{path:any_path}", self._answer, methods=_ALL_METHODS)
        self.app = Starlette(routes=[route])

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
        self._responses[(method.upper(), path)] = _canned(status, json_body, text, headers)

    def respond_matching(
        self,
        path_pattern: str,
        *,
        method: str | None = None,
        status: int = 200,
        json_body: Any = None,
        text: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer requests whose raw path fully matches the regular expression `path_pattern`
        (and `method`, when given) and that have no exact `respond(...)` answer; the first
        matching pattern wins. `text` may be bytes (a binary body).
        """
        canned = _canned(status, json_body, text, headers)
        self._patterns.append((method and method.upper(), re.compile(path_pattern), canned))

    def reset(self) -> None:
        """Forget every recorded request, configured answer and `forward_to` (for a server
        shared by several tests)."""
        self.requests.clear()
        self._responses.clear()
        self._patterns.clear()
        self._fallback = None
        self._forward_to = None

    def respond_to_anything(
        self,
        *,
        status: int = 200,
        json_body: Any = None,
        text: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer every request that has no `respond(...)` or `respond_matching(...)` answer."""
        self._fallback = _canned(status, json_body, text, headers)

    def forward_to(self, base_url: str) -> None:
        """Record every request without another answer, then pass it on to `base_url` (its raw
        path and query appended; method, headers and body unchanged) and relay the answer.

        This makes the fake a recording proxy in front of a real mock server such as Prism.
        """
        self._forward_to = base_url.rstrip("/")

    async def _forward(self, recorded: RecordedRequest) -> Response:
        assert self._forward_to is not None
        url = self._forward_to + recorded.path
        if recorded.query_string:
            url += "?" + recorded.query_string
        hop_by_hop = {"host", "content-length", "connection", "transfer-encoding"}
        headers = {k: v for k, v in recorded.headers.items() if k not in hop_by_hop}
        async with httpx2.AsyncClient(timeout=30.0) as client:
            answer = await client.request(
                recorded.method, url, headers=headers, content=recorded.body
            )
        relayed = {k: v for k, v in answer.headers.items() if k == "content-type"}
        return Response(answer.content, status_code=answer.status_code, headers=relayed)

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
        canned = self._responses.get((recorded.method, recorded.path)) or next(
            (
                answer
                for method, pattern, answer in self._patterns
                if method in (None, recorded.method) and pattern.fullmatch(recorded.path)
            ),
            self._fallback,
        )
        if canned is None and self._forward_to is not None:
            return await self._forward(recorded)
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


class _AnyPath(Convertor[str]):
    """Like Starlette's `path` convertor, but also across line breaks (`%0A` in a fuzzed path)."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("any_path", _AnyPath())


def _canned(
    status: int, json_body: Any, text: str | bytes | None, headers: Mapping[str, str] | None
) -> CannedResponse:
    if json_body is not None:
        body, content = json.dumps(json_body).encode(), {"content-type": "application/json"}
    elif isinstance(text, bytes):
        body, content = text, {}
    else:
        body, content = (text or "").encode(), {}
    return CannedResponse(status, body, {**content, **(headers or {})})


@dataclass(frozen=True)
class StdioExchange:
    """What a stdio MCP server printed while `exchange_stdio` fed it messages."""

    exit_code: int
    stdout_lines: list[str]
    stderr: str

    def messages(self) -> list[dict[str, Any]]:
        """Every stdout line parsed as JSON (raises if a line is not JSON)."""
        return [json.loads(line) for line in self.stdout_lines]

    def response(self, request_id: int) -> dict[str, Any]:
        """The JSON-RPC response with id `request_id`."""
        return next(m for m in self.messages() if m.get("id") == request_id)


def exchange_stdio(
    command: Sequence[str],
    messages: Sequence[Mapping[str, Any]],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 30.0,
) -> StdioExchange:
    """Write JSON-RPC `messages` to a stdio server one line each, then close stdin; return all
    it printed.

    A raw wire-level client, so a test sees every byte on stdout: each request (a message with
    "id" and "method") waits for the response with its id before the next message is sent. `env`
    is added to this process's environment. Everything, including the server's exit after stdin
    closes, must happen within `timeout` seconds; otherwise RuntimeError.
    """
    process = subprocess.Popen(
        list(command),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        start_new_session=True,
    )
    stdin, stdout, stderr = process.stdin, process.stdout, process.stderr
    assert stdin is not None and stdout is not None and stderr is not None
    lines: queue.Queue[bytes] = queue.Queue()
    stderr_chunks: list[bytes] = []

    def read_stdout() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(b"")  # end of output

    readers = [
        threading.Thread(target=read_stdout, daemon=True),
        threading.Thread(target=lambda: stderr_chunks.append(stderr.read()), daemon=True),
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    printed: list[str] = []

    def next_line() -> str:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(
                f"{command[0]}: no answer within {timeout}s; stdout so far: {printed}"
            ) from None
        if not line:
            raise RuntimeError(f"{command[0]} closed stdout; stdout so far: {printed}")
        printed.append(line.decode(errors="replace").rstrip("\n"))
        return printed[-1]

    try:
        for message in messages:
            stdin.write((json.dumps(message) + "\n").encode())
            stdin.flush()
            if "id" in message and "method" in message:
                while not _answers(next_line(), message["id"]):
                    pass
        stdin.close()
        process.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{command[0]} did not exit after stdin closed") from None
    except BrokenPipeError:
        raise RuntimeError(f"{command[0]} stopped reading stdin") from None
    finally:
        _stop_process_group(process)
        for reader in readers:
            reader.join(5.0)
    while not lines.empty():
        if line := lines.get():
            printed.append(line.decode(errors="replace").rstrip("\n"))
    return StdioExchange(
        process.returncode, printed, b"".join(stderr_chunks).decode(errors="replace")
    )


def _answers(line: str, request_id: Any) -> bool:
    try:
        message = json.loads(line)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("id") == request_id


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
