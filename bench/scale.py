"""Scale: start-up, tools/list latency and memory of generated packages against their size.

Each document of `--docs` (default: six corpus documents from 23 to 1,158 tools) is generated
and installed into `.work/venvs/generated`, then started cold with `serve --mock` (no upstream:
only the package itself is measured). Per start: seconds from launch to the first REST 2xx
(`GET /openapi.json`) and to the first MCP `tools/list` result, RSS then, and the median latency
of `--calls` sequential `tools/list` requests. Medians over `--runs` starts (one more discarded).
How each measure grows with the number of tools is fitted two ways: a straight line (slope per
100 tools) and a power law (log-log exponent: 1 is linear, 0 is flat).

Run: python bench/scale.py [--quick] [--runs 3] [--calls 20] [--docs CORPUS_PATH ...]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import statistics
import subprocess
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from _common import (
    HOST,
    MCP_HEADERS,
    WORK,
    Proc,
    free_port,
    http_ok,
    log,
    markdown_table,
    mcp_probe,
    median,
    rss_mb,
    running,
    start,
    wait_until,
    write_results,
)
from _servers import install_generated
from generation import CORPUS, require

# Spanning sizes: 23, 47, 163, 265, 506 and 1,158 tools (the largest document of the corpus).
DOCS = [
    "api-evangelist__amazon-cognito/capabilities/identity-pools.yaml",
    "api-evangelist__stripe/capabilities/customers-customers.yaml",
    "api-evangelist__github/capabilities/github-repos.yaml",
    "api-evangelist__plaid/capabilities/plaid-plaid.yaml",
    "api-evangelist__cloudflare/capabilities/zones--zones.yaml",
    "api-evangelist__microsoft-graph/capabilities/drives-drives-driveitem.yaml",
]
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@dataclass
class Package:
    """A generated, installed package and its size."""

    document: str
    spec_bytes: int
    command: Path
    ports: dict[str, str]  # "rest"/"mcp" -> the environment variable of its port
    routes: int


@dataclass
class Start:
    """One cold start, or the medians of several (None: the package has no such adapter)."""

    rest_ready_s: float | None
    mcp_ready_s: float | None
    tools: int
    tools_list_ms: float
    tools_list_kb: float
    rss_ready_mb: float


def prepare(document: Path, out: Path) -> Package:
    """Generate `document` into `out`, install it, and read its size from what was generated."""
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run(
        ["naftiko-gen", str(document), "-o", str(out), "-q"], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"naftiko-gen {document}: exit {done.returncode}\n{done.stderr[-500:]}")
    (package,) = out.iterdir()
    venv_bin = install_generated(package)
    settings = next(package.glob("src/*/settings.py")).read_text(encoding="utf-8")
    ports = dict(re.findall(r'(rest|mcp)_port = env\.integer\(\s*"(\w+)"', settings))
    routes = 0
    for spec in package.glob("src/*/openapi.json"):
        paths = json.loads(spec.read_text(encoding="utf-8"))["paths"]
        routes += sum(1 for item in paths.values() for method in item if method in METHODS)
    return Package(document.name, document.stat().st_size, venv_bin / package.name, ports, routes)


def post(url: str, payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    request = urllib.request.Request(url, data=body, headers=MCP_HEADERS)
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: bytes = response.read()
        return answer


def tools_list(url: str, calls: int) -> tuple[int, float, float]:
    """The number of tools listed, the median milliseconds of `calls` tools/list requests (until
    the answer's last byte; the client parses it afterwards) and the answer's size in KB."""
    payload: dict[str, object] = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    times, answer = [], b""
    for _ in range(calls):
        began = time.perf_counter()
        answer = post(url, payload)
        times.append((time.perf_counter() - began) * 1000)
    return len(json.loads(answer)["result"]["tools"]), median(times), len(answer) / 1024


def measure(package: Package, calls: int) -> Start:
    """One cold start of `serve --mock` with both adapters on free ports."""
    env: dict[str, str] = {}
    urls = {}
    for kind, variable in package.ports.items():
        port = free_port()
        env[variable] = str(port)
        env[variable.removesuffix("_PORT") + "_HOST"] = HOST
        urls[kind] = f"http://{HOST}:{port}" + ("/openapi.json" if kind == "rest" else "/mcp")
    procs: list[Proc] = []
    with running(procs):
        argv = [str(package.command), "serve", "--mock"]
        proc = start(f"scale-{package.command.name}", argv, env)
        procs.append(proc)
        rest_s = mcp_s = None
        if "rest" in urls:
            rest_s = wait_until(proc, lambda: http_ok(urls["rest"]), timeout=120)
        tools, list_ms, list_kb = 0, math.nan, math.nan
        if "mcp" in urls:
            mcp_s = wait_until(proc, mcp_probe(urls["mcp"], "tools/list"), timeout=120)
        rss = rss_mb(proc.pid)
        if "mcp" in urls:
            tools, list_ms, list_kb = tools_list(urls["mcp"], calls)
        return Start(rest_s, mcp_s, tools, list_ms, list_kb, rss)


def middle(runs: list[Start]) -> Start:
    def of(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return median(known) if known else None

    return Start(
        of([r.rest_ready_s for r in runs]),
        of([r.mcp_ready_s for r in runs]),
        runs[0].tools,
        median([r.tools_list_ms for r in runs]),
        runs[0].tools_list_kb,
        median([r.rss_ready_mb for r in runs]),
    )


def fit(sizes: list[float], values: list[float | None]) -> dict[str, float | None]:
    """Least squares: slope per 100 tools (straight line), and the log-log exponent."""
    pairs = [(x, y) for x, y in zip(sizes, values, strict=True) if y is not None and x > 0]
    if len(pairs) < 3:
        return {"per_100_tools": None, "intercept": None, "loglog_exponent": None}
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    line = statistics.linear_regression(xs, ys)
    power = statistics.linear_regression([math.log(x) for x in xs], [math.log(y) for y in ys])
    return {
        "per_100_tools": round(line.slope * 100, 4),
        "intercept": round(line.intercept, 4),
        "loglog_exponent": round(power.slope, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 start, 3 calls")
    parser.add_argument("--runs", type=int, default=3, help="cold starts per package (median)")
    parser.add_argument("--calls", type=int, default=20, help="tools/list requests per start")
    parser.add_argument(
        "--docs", nargs="+", default=DOCS, help="documents, relative to ../shared/corpus"
    )
    args = parser.parse_args()
    if args.quick:
        args.runs, args.calls = 1, 3
    require(CORPUS)
    if not shutil.which("naftiko-gen"):
        raise SystemExit("naftiko-gen is not on PATH (PATH=.venv/bin:$PATH)")
    rows: list[tuple[Package, Start, list[Start]]] = []
    for number, name in enumerate(args.docs):
        log(f"generating and installing {name}")
        package = prepare(CORPUS / name, WORK / "scale" / str(number))
        measure(package, args.calls)  # discarded: compiles .pyc files, warms the page cache
        runs = [measure(package, args.calls) for _ in range(args.runs)]
        rows.append((package, middle(runs), runs))
        log(f"{package.document}: {rows[-1][1]}")
    sizes = [float(start.tools or package.routes) for package, start, _ in rows]
    measures = ["rest_ready_s", "mcp_ready_s", "tools_list_ms", "tools_list_kb", "rss_ready_mb"]
    fits = {m: fit(sizes, [getattr(start, m) for _, start, _ in rows]) for m in measures}
    headers = ["document", "spec KB", "tools", "routes", "first REST 2xx s"]
    headers += ["first tools/list s", "tools/list ms", "tools/list KB", "RSS at ready MB"]
    table = [
        [p.document, p.spec_bytes / 1024, s.tools, p.routes, s.rest_ready_s, s.mcp_ready_s, *tail]
        for p, s, _ in rows
        for tail in [(s.tools_list_ms, s.tools_list_kb, s.rss_ready_mb)]
    ]
    growth = ["measure", "per 100 tools", "log-log exponent"]
    growth_rows = [[m, f["per_100_tools"], f["loglog_exponent"]] for m, f in fits.items()]
    results = {
        "packages": [
            {**asdict(p), "command": p.command.name, "median": asdict(s)}
            | {"runs": [asdict(x) for x in r]}
            for p, s, r in rows
        ],
        "fits_against_tools": fits,
    }
    title = f"Scale: median of {args.runs} cold start(s) of `serve --mock` (one more discarded)"
    text = f"{title}\n\n{markdown_table(headers, table)}\n\n{markdown_table(growth, growth_rows)}"
    write_results("scale", vars(args), results, text)


if __name__ == "__main__":
    main()
