"""The measuring loop shared by rest_throughput.py and mcp_throughput.py.

All servers run side by side against one upstream; each round loads every server once in turn
(so machine noise hits all of them alike), and the table shows medians over the rounds.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from _common import (
    Load,
    Proc,
    cpu_seconds,
    group_pids,
    inspector_load,
    log,
    markdown_table,
    median_load,
    ratio,
    rss_mb,
    running,
    wait_until,
    write_results,
    wrk,
)
from _servers import (
    ITEM_ID,
    TOOL,
    TOOL_ARGS,
    Server,
    add_generated_options,
    call_probe,
    generated_server,
    start_upstream,
    wrk_mcp_script,
)


@dataclass
class Row:
    name: str
    workers: int
    url: str = ""
    tool: str = TOOL
    proc: Proc | None = None
    runs: list[Load] = field(default_factory=list)
    rss_warm_mb: float | None = None
    rss_load_mb: float | None = None
    processes: int | None = None
    note: str = ""


def parse_args(kind: str, description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 round of 3 s, 1 s warm-up"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="rounds; the table shows medians (default 5)"
    )
    parser.add_argument(
        "--duration", type=int, default=10, help="seconds of load per server per round"
    )
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up load per server")
    parser.add_argument(
        "--connections",
        type=int,
        default=16 if kind == "rest" else 8,
        help="concurrent connections",
    )
    parser.add_argument("--workers", default="1", help="comma-separated worker counts, e.g. 1,2")
    if kind == "mcp":
        parser.add_argument(
            "--loader",
            choices=["inspector", "wrk"],
            default="inspector",
            help="inspector: MCP Inspector CLI --load (a real MCP client); "
            "wrk: raw JSON-RPC tools/call POSTs (lighter client, HTTP status checked only)",
        )
    add_generated_options(parser)
    args = parser.parse_args()
    if args.quick:
        args.runs, args.duration, args.warmup = 1, 3, 1
    args.worker_counts = [int(n) for n in args.workers.split(",")]
    return args


def loader(kind: str, args: argparse.Namespace) -> Callable[[str, str, int], Load]:
    """A function (url, tool, seconds) -> Load for this kind of server and the chosen load tool."""
    if kind == "rest":
        return lambda url, tool, seconds: wrk(url, seconds, args.connections)
    if args.loader == "wrk":
        return lambda url, tool, seconds: wrk(url, seconds, args.connections, wrk_mcp_script(tool))
    return lambda url, tool, seconds: inspector_load(
        url, tool, TOOL_ARGS, seconds, args.connections
    )


def measured_load(load: Callable[[str, str, int], Load], row: Row, seconds: int) -> Load:
    """One load of `row`'s server, with the CPU time its processes spent per request."""
    if row.proc is None:
        return load(row.url, row.tool, seconds)
    before = cpu_seconds(row.proc.pid)
    got = load(row.url, row.tool, seconds)
    spent = cpu_seconds(row.proc.pid) - before
    got.cpu_ms = round(spent * 1000 / (got.rps * seconds), 4) if got.rps else None
    return got


def round_ratios(row: Row, base: Row | None) -> list[float | None]:
    """Round by round (each round loads every server once in turn), row's rate ÷ base's."""
    if base is None:
        return []
    return [ratio(a.rps, b.rps) for a, b in zip(row.runs, base.runs, strict=False)]


def run(
    kind: str, name: str, baselines: list[Server], references: list[str], description: str
) -> None:
    """Measure the baselines and the generated package; ratios are against `references`."""
    args = parse_args(kind, description)
    load = loader(kind, args)
    generated = generated_server(args)
    rows: list[Row] = []
    procs: list[Proc] = []
    with running(procs):
        upstream = start_upstream(procs)
        if kind == "rest":
            rows.append(Row("upstream direct (nginx)", 1, f"{upstream}/items/{ITEM_ID}"))
        for workers in args.worker_counts:
            for server in [*baselines, generated]:
                if isinstance(server, str):
                    rows.append(Row("generated", workers, note=server))
                    continue
                proc, url = server.launch(upstream, kind, workers)
                procs.append(proc)
                wait_until(proc, call_probe(kind, url, server.tool))
                rows.append(Row(server.name, workers, url, server.tool, proc))
        live = [row for row in rows if row.url]
        for row in live:
            log(f"warm-up {row.name} w{row.workers}")
            load(row.url, row.tool, args.warmup)
            if row.proc:
                row.rss_warm_mb = rss_mb(row.proc.pid)
        for round_no in range(args.runs):
            for row in live:
                row.runs.append(measured_load(load, row, args.duration))
                log(f"round {round_no + 1}/{args.runs} {row.name} w{row.workers}: {row.runs[-1]}")
        for row in live:
            if row.proc:
                row.rss_load_mb = rss_mb(row.proc.pid)
                row.processes = len(group_pids(row.proc.pid))
    one = {row.name: row.processes for row in rows if row.workers == 1}
    for row in rows:
        if row.workers > 1 and row.processes is not None and row.processes == one.get(row.name):
            row.note = f"same process count as with 1 worker: {row.workers} workers not honoured?"
    if kind == "mcp" and args.loader == "wrk":
        name += "_wrk"
    report(kind, name, args, rows, references)


def report(
    kind: str, name: str, args: argparse.Namespace, rows: list[Row], references: list[str]
) -> None:
    unit = "req/s" if kind == "rest" else "calls/s"
    medians = {(row.name, row.workers): median_load(row.runs) for row in rows if row.runs}
    by_key = {(row.name, row.workers): row for row in rows}
    headers = ["server", "workers", "processes", unit, "p50 ms", "p99 ms", "errors"]
    headers += ["server CPU ms / req", "RSS warm MB", "RSS after load MB"]
    for ref in references:
        headers += [f"{unit} ÷ {ref}", f"lowest round ÷ {ref}", f"p99 ÷ {ref}", f"CPU ÷ {ref}"]
    headers.append("note")
    table_rows: list[list[object]] = []
    results = []
    for row in rows:
        got = medians.get((row.name, row.workers))
        cells: list[object] = [row.name, row.workers, row.processes]
        cells += (
            [got.rps, got.p50, got.p99, got.errors, got.cpu_ms]
            if got
            else ["not available", None, None, None, None]
        )
        cells += [row.rss_warm_mb, row.rss_load_mb]
        rounds = {ref: round_ratios(row, by_key.get((ref, row.workers))) for ref in references}
        for ref in references:
            base = medians.get((ref, row.workers))
            known = [r for r in rounds[ref] if r is not None]
            if got and base:
                cells += [ratio(got.rps, base.rps), min(known) if known else None]
                cells += [ratio(got.p99, base.p99), ratio(got.cpu_ms, base.cpu_ms)]
            else:
                cells += [None, None, None, None]
        cells.append(row.note)
        table_rows.append(cells)
        results.append(
            {
                "server": row.name,
                "workers": row.workers,
                "processes": row.processes,
                "rss_warm_mb": row.rss_warm_mb,
                "rss_load_mb": row.rss_load_mb,
                "note": row.note,
                "median": asdict(got) if got else None,
                "runs": [asdict(r) for r in row.runs],
                "round_ratios": rounds,
            }
        )
    loader_name = "wrk -t1" if kind == "rest" or args.loader == "wrk" else "MCP Inspector --load"
    title = (
        f"{unit}, median of {args.runs} round(s) of {args.duration} s, {loader_name}, "
        f"{args.connections} connections, loopback"
    )
    write_results(name, vars(args), results, f"{title}\n\n{markdown_table(headers, table_rows)}")
