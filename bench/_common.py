"""Shared helpers for the benchmark scripts: venvs, ports, processes, wrk, RSS, tables, results.

Only the standard library is used here, so every script runs with any Python >= 3.11.
Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
RESULTS = BENCH / "results"
HOST = "127.0.0.1"

# Pinned versions of everything the harness installs (bench/.work/, gitignored).
RUNTIME_PINS = [
    "mcp==2.3.0",
    "fastmcp==4.2.3",
    "fastapi==0.165.0",
    "starlette==1.10.0",
    "uvicorn==0.54.0",
    "httpx2==2.16.2",
    "uvloop==0.23.0",
    "httptools==0.9.0",
]
NPM_PINS = ["@modelcontextprotocol/inspector@2.12.0", "openapi-mcp-generator@4.0.1"]


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- installs


def ensure_venv(name: str, pins: Sequence[str]) -> Path:
    """Create bench/.work/venvs/<name> with exactly `pins` installed (once); return its bin dir."""
    venv = WORK / "venvs" / name
    stamp = venv / "bench-pins.txt"
    wanted = "\n".join(pins) + "\n"
    if not (stamp.exists() and stamp.read_text() == wanted):
        log(f"installing {' '.join(pins)} into {venv.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip_install(venv / "bin", *pins)
        stamp.write_text(wanted)
    return venv / "bin"


def pip_install(venv_bin: Path, *args: str) -> None:
    done = subprocess.run(
        [str(venv_bin / "pip"), "install", "-q", *args], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"pip install {' '.join(args)} failed:\n{done.stderr[-2000:]}")


def runtime_bin() -> Path:
    return ensure_venv("runtime", RUNTIME_PINS)


def ensure_node_tools() -> Path | None:
    """npm-install the pinned Node tools into bench/.work/node; return node_modules/.bin or None."""
    node = WORK / "node"
    stamp = node / "bench-pins.txt"
    wanted = "\n".join(NPM_PINS) + "\n"
    if not (stamp.exists() and stamp.read_text() == wanted):
        node.mkdir(parents=True, exist_ok=True)
        (node / "package.json").write_text('{"name": "bench-node-tools", "private": true}\n')
        log(f"npm install {' '.join(NPM_PINS)}")
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", *NPM_PINS],
            cwd=node,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            log(f"npm install failed: {done.stderr[-500:]}")
            return None
        stamp.write_text(wanted)
    return node / "node_modules" / ".bin"


# ---------------------------------------------------------------- processes


# Below the kernel's ephemeral range (32768-60999 on Linux), which outgoing connections take
# their source ports from: a port picked there (binding port 0) can be taken by one of the load
# generator's connections before its server listens (tests/e2e/harness.py picks the same way).
SERVER_PORTS = range(20000, 32768)
_handed: set[int] = set()


def free_port() -> int:
    """A port on HOST that was free a moment ago, not handed out before in this run."""
    start = random.randrange(len(SERVER_PORTS))  # so that parallel runs rarely pick alike
    for offset in range(len(SERVER_PORTS)):
        port = SERVER_PORTS[(start + offset) % len(SERVER_PORTS)]
        if port in _handed:
            continue
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
        _handed.add(port)
        return port
    raise RuntimeError(f"no free TCP port in {SERVER_PORTS}")


@dataclass
class Proc:
    """A server started in its own process group, with the moment it was launched."""

    name: str
    popen: subprocess.Popen[bytes]
    started: float
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-1500:]


def start(name: str, cmd: str | Sequence[str], env: Mapping[str, str] | None = None) -> Proc:
    argv = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
    log_path = WORK / "logs" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as out:
        started = time.perf_counter()
        popen = subprocess.Popen(
            argv,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop() kills workers too
        )
    return Proc(name, popen, started, log_path)


def stop(proc: Proc) -> None:
    """SIGTERM the process group, then SIGKILL it after 5 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.popen.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.popen.wait()


@contextlib.contextmanager
def running(procs: list[Proc]) -> Iterator[list[Proc]]:
    """Stop every process appended to `procs`, whatever happens (also on Ctrl-C or SIGTERM)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # turn SIGTERM into the finally below
    try:
        yield procs
    finally:
        for proc in reversed(procs):
            stop(proc)


def wait_until(proc: Proc, probe: Callable[[], bool], timeout: float = 60.0) -> float:
    """Poll `probe` every 10 ms; return seconds from process launch to the first success."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.tail()}")
        if probe():
            return time.perf_counter() - proc.started
        time.sleep(0.01)
    raise RuntimeError(f"{proc.name} not ready after {timeout} s:\n{proc.tail()}")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            resp.read()
            return bool(200 <= resp.status < 300)
    except (OSError, urllib.error.URLError):
        return False


# MCP over streamable HTTP, legacy era without a session (the servers are stateless).
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def mcp_probe(url: str, method: str, params: dict[str, object] | None = None) -> Callable[[], bool]:
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
    ).encode()

    def probe() -> bool:
        req = urllib.request.Request(url, data=body, headers=MCP_HEADERS)
        try:
            with urllib.request.urlopen(req, timeout=2) as resp:
                reply = json.loads(resp.read())
        except (OSError, urllib.error.URLError, ValueError):
            return False
        return "result" in reply and not reply["result"].get("isError", False)

    return probe


def group_pids(pgid: int) -> list[int]:
    """The processes of a process group (a server started by `start` and its workers)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == pgid:  # field 5: pgrp
                pids.append(int(stat.parent.name))
    return pids


def cpu_seconds(pgid: int) -> float:
    """User + system CPU time of the live processes of a process group, in seconds."""
    ticks = 0
    for pid in group_pids(pgid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # fields 14 and 15: utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pgid: int) -> float:
    """Resident memory of a process group in MB (VmRSS summed: shared pages count per process)."""
    total_kb = 0
    for pid in group_pids(pgid):
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


# ---------------------------------------------------------------- load


@dataclass
class Load:
    """One bounded load run: throughput, latency percentiles (ms) and errors."""

    rps: float
    p50: float
    p99: float
    errors: int = 0
    cpu_ms: float | None = None  # the server's CPU time (all its processes) per request


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS_MS[unit]


def parse_wrk(out: str) -> Load:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non2xx.group(1)) if non2xx else 0
    if len(pct) < 2:  # no latency distribution (e.g. no request finished): not a crash
        log(f"wrk gave no latency percentiles:\n{out[-800:]}")
    p50, p99 = (_ms(pct[p]) if p in pct else float("nan") for p in ("50", "99"))
    return Load(rps, p50, p99, errors)


def wrk(url: str, seconds: int, connections: int = 16, script: Path | None = None) -> Load:
    """wrk with one thread (the other core is for the server), bounded by duration."""
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    argv += ["-s", str(script)] if script else []
    done = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 30)
    if "Requests/sec" not in done.stdout:
        raise RuntimeError(f"wrk failed (exit {done.returncode}): {done.stderr[-500:]}")
    return parse_wrk(done.stdout)


def inspector_load(
    url: str, tool: str, arguments: Mapping[str, object], seconds: int, concurrency: int = 8
) -> Load:
    """Bounded tools/call load with the MCP Inspector CLI (`--load`); its JSON summary as a Load."""
    node_bin = ensure_node_tools()
    if node_bin is None:
        raise RuntimeError("the MCP Inspector could not be installed with npm")
    argv = [
        str(node_bin / "mcp-inspector"),
        "--cli",
        url,
        "--method",
        "tools/call",
        "--tool-name",
        tool,
    ]
    # --tool-args-json, not --tool-arg id=42: 2.12.0 makes "42" a number despite a string schema.
    argv += ["--tool-args-json", json.dumps(arguments), "--load"]
    argv += ["--load-concurrency", str(concurrency), "--load-duration", str(seconds)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    try:
        summary = json.loads(done.stdout)
    except ValueError:
        errors = [line for line in done.stderr.splitlines() if "MaxListeners" not in line]
        raise RuntimeError(
            f"inspector --load failed (exit {done.returncode}): {errors[-5:]}"
        ) from None
    return Load(
        rps=summary["throughput"],
        p50=summary["latencyMs"]["p50"],
        p99=summary["latencyMs"]["p99"],
        errors=summary["errors"] + summary["toolErrors"],
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def median_load(runs: Sequence[Load]) -> Load:
    return Load(
        rps=median([r.rps for r in runs]),
        p50=median([r.p50 for r in runs]),
        p99=median([r.p99 for r in runs]),
        errors=sum(r.errors for r in runs),
        cpu_ms=median([r.cpu_ms for r in runs if r.cpu_ms is not None]),
    )


# ---------------------------------------------------------------- reporting


def fmt(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "—"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return "—" if value is None else str(value)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(fmt(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def ratio(ours: float | None, theirs: float | None) -> float | None:
    if not ours or not theirs or ours != ours or theirs != theirs:
        return None
    return round(ours / theirs, 2)


def tool_version(*argv: str) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except OSError:
        return "not installed"
    return (done.stdout + done.stderr).strip().splitlines()[0]


def machine() -> dict[str, object]:
    return {
        "nproc": os.cpu_count(),
        "loadavg_1_5_15_at_end": os.getloadavg(),  # the machine is shared: noise shows here
        "python": platform.python_version(),
        "platform": platform.platform(),
        "node": tool_version("node", "--version"),
        "wrk": tool_version("wrk", "-v"),
        "nginx": tool_version("nginx", "-v"),
        "runtime_pins": RUNTIME_PINS,
        "npm_pins": NPM_PINS,
    }


def write_results(name: str, args: dict[str, object], results: object, table: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(["python", *sys.argv]),
        "args": args,
        "machine": machine(),
        "results": results,
        "table": table,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(table)
    log(f"results written to {path.relative_to(ROOT)}")
