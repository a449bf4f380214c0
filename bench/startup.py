"""Start-up and memory: seconds from process launch to the first successful REST response / MCP
tools/list, and RSS then and after a short load, for the generated package vs the hand-written ones.

Run: python bench/startup.py [--quick] [--runs 5] [--load-seconds 3] [--generated-cmd CMD]
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass

from _common import (
    Proc,
    markdown_table,
    median,
    ratio,
    rss_mb,
    running,
    wait_until,
    write_results,
    wrk,
)
from _servers import (
    FASTAPI_PROXY,
    FASTMCP_OPENAPI,
    LOWLEVEL_MCP,
    STARLETTE_PROXY,
    Server,
    add_generated_options,
    call_probe,
    generated_server,
    ready_probe,
    start_upstream,
    wrk_mcp_script,
)

# (kind, server, reference row for the ratio). A string names a generated package: "both"
# adapters in one process (bench-items.yaml), or the variant exposing only that kind.
CASES: list[tuple[str, Server | str, str]] = [
    ("rest", STARLETTE_PROXY, "starlette-proxy"),
    ("rest", FASTAPI_PROXY, "starlette-proxy"),
    ("rest", "rest", "starlette-proxy"),
    ("rest", "both", "starlette-proxy"),
    ("mcp", LOWLEVEL_MCP, "lowlevel-mcp-proxy"),
    ("mcp", FASTMCP_OPENAPI, "lowlevel-mcp-proxy"),
    ("mcp", "mcp", "lowlevel-mcp-proxy"),
    ("mcp", "both", "lowlevel-mcp-proxy"),
]


@dataclass
class Start:
    """One cold start, or the medians of several."""

    ready_s: float
    rss_start_mb: float
    rss_load_mb: float


def measure(server: Server, kind: str, upstream: str, load_seconds: int) -> Start:
    """One cold start: seconds to ready, RSS at ready, RSS after a short wrk load."""
    procs: list[Proc] = []
    with running(procs):
        proc, url = server.launch(upstream, kind)
        procs.append(proc)
        ready_s = wait_until(proc, ready_probe(kind, url))
        rss_start = rss_mb(proc.pid)
        wait_until(proc, call_probe(kind, url, server.tool))
        wrk(url, load_seconds, 8, None if kind == "rest" else wrk_mcp_script(server.tool))
        return Start(ready_s, rss_start, rss_mb(proc.pid))


def label(kind: str, server: Server | str) -> str:
    if isinstance(server, Server):
        return f"{kind}: {server.name}"
    return f"{kind}: generated, {'REST and MCP' if server == 'both' else server + ' only'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 start per server, 1 s load"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="cold starts per server (after 1 discarded)"
    )
    parser.add_argument(
        "--load-seconds", type=int, default=3, help="seconds of wrk load before RSS"
    )
    add_generated_options(parser)
    args = parser.parse_args()
    if args.quick:
        args.runs, args.load_seconds = 1, 1
    generated = {
        variant: generated_server(args, None if variant == "both" else variant)
        for variant in ("both", "rest", "mcp")
    }
    medians: dict[str, Start | str] = {}
    raw: dict[str, object] = {}
    procs: list[Proc] = []
    with running(procs):
        upstream = start_upstream(procs)
        for kind, server, _ in CASES:
            key = label(kind, server)
            target = server if isinstance(server, Server) else generated[server]
            if isinstance(target, str):
                medians[key] = raw[key] = target
                continue
            # The first start is discarded: it compiles .pyc files and warms the page cache.
            measure(target, kind, upstream, args.load_seconds)
            runs = [measure(target, kind, upstream, args.load_seconds) for _ in range(args.runs)]
            middle = Start(
                median([r.ready_s for r in runs]),
                median([r.rss_start_mb for r in runs]),
                median([r.rss_load_mb for r in runs]),
            )
            medians[key] = middle
            raw[key] = {"median": asdict(middle), "runs": [asdict(r) for r in runs]}
    headers = [
        "server",
        "ready s",
        "RSS at ready MB",
        "RSS after load MB",
        "ready ÷ reference",
        "reference",
    ]
    rows: list[list[object]] = []
    for kind, server, reference in CASES:
        got, ref = medians[label(kind, server)], medians[f"{kind}: {reference}"]
        if isinstance(got, str):
            rows.append([label(kind, server), f"not available: {got}", None, None, None, reference])
        else:
            base = ref.ready_s if isinstance(ref, Start) else None
            rows.append(
                [
                    label(kind, server),
                    got.ready_s,
                    got.rss_start_mb,
                    got.rss_load_mb,
                    ratio(got.ready_s, base),
                    reference,
                ]
            )
    title = (
        f"Start-up: median of {args.runs} cold start(s) (one more discarded); ready = first 2xx "
        f"REST response / first MCP tools/list result; load = wrk {args.load_seconds} s, 8 conns"
    )
    write_results("startup", vars(args), raw, f"{title}\n\n{markdown_table(headers, rows)}")


if __name__ == "__main__":
    main()
