"""Generation speed per operation: naftiko-gen vs OpenAPI generators, cold (fresh process per run).

Peers run on ../shared/bench/openapi/*.yml (operations = path x method); naftiko-gen runs on the
capability documents of ../shared/corpus/ (all of them, and the ones of the same four providers;
operations = exposed REST operations + MCP tools). Each peer lives in its own venv / node folder
under bench/.work/. Needs PyYAML (to count operations).

naftiko-gen is also timed in one warm process (bench/_inprocess.py, run with the interpreter
next to the naftiko-gen command).

Run: python bench/generation.py [--quick] [--runs 5] [--naftiko-cmd naftiko-gen]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml
from _common import (
    BENCH,
    ROOT,
    WORK,
    ensure_node_tools,
    ensure_venv,
    log,
    markdown_table,
    median,
    write_results,
)

# The shared reference material (the corpus, the OpenAPI documents) beside the checkout, as the
# tests expect it; NAFTIKO_BENCH_SHARED names another place (e.g. for a clone elsewhere).
SHARED = Path(os.environ.get("NAFTIKO_BENCH_SHARED") or ROOT.parent / "shared")
OPENAPI_DIR = SHARED / "bench" / "openapi"
CORPUS = SHARED / "corpus"
PROVIDERS = ("sentry-system", "notion", "pagerduty", "netlify")
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
REFERENCE = "openapi-python-client"
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Timing:
    seconds: float
    peak_rss_mb: float
    exit_code: int
    output: str


def timed(
    argv: Sequence[str | Path], env: dict[str, str] | None = None, timeout: float = 600
) -> Timing:
    """Run one fresh process under GNU time: wall seconds, peak RSS (largest process) and exit code.

    GNU time, not getrusage here: a child forked from this (large) Python process starts with our
    RSS as its high-water mark, so only a child of a small parent reports its own peak.
    """
    with tempfile.NamedTemporaryFile("r") as rss:
        started = time.perf_counter()
        proc = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, *map(str, argv)],
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
        seconds = time.perf_counter() - started
        peak_kb = int(rss.read().split()[-1])
    return Timing(seconds, peak_kb / 1024, proc.returncode, output.decode(errors="replace"))


def openapi_operations(doc: Path) -> int:
    paths = yaml.load(doc.read_text(), Loader=Loader).get("paths") or {}
    return sum(1 for item in paths.values() for method in item if method in HTTP_METHODS)


def capability_operations(doc: Path) -> int | None:
    """Exposed REST operations + MCP tools, or None when the file is not a capability document."""
    data = yaml.load(doc.read_text(), Loader=Loader)
    if not isinstance(data, dict) or not isinstance(data.get("capability"), dict):
        return None
    count = 0
    for adapter in data["capability"].get("exposes") or []:
        if not isinstance(adapter, dict):
            continue
        if adapter.get("type") == "rest":
            resources = [r for r in adapter.get("resources") or [] if isinstance(r, dict)]
            count += sum(len(r.get("operations") or []) for r in resources)
        elif adapter.get("type") == "mcp":
            count += len(adapter.get("tools") or [])
    return count


# ---------------------------------------------------------------- peers


@dataclass(frozen=True)
class Peer:
    name: str
    pins: tuple[str, ...]
    argv: Callable[[Path, Path, Path], list[str | Path]]  # (bin dir, document, output dir)
    npm: bool = False

    def install(self) -> Path | None:
        return ensure_node_tools() if self.npm else ensure_venv(self.name, self.pins)


PEERS = [
    # With ruff: openapi-python-client runs `ruff check --fix` and `ruff format` by default.
    Peer(
        "openapi-python-client",
        ("openapi-python-client==0.29.1", "ruff==0.17.6"),
        lambda b, doc, out: [
            b / "openapi-python-client",
            "generate",
            "--path",
            doc,
            "--output-path",
            out,
        ],
    ),
    Peer(
        "fastapi-codegen",
        ("fastapi-code-generator==0.8.1",),
        lambda b, doc, out: [b / "fastapi-codegen", "--input", doc, "--output", out],
    ),
    Peer(
        "openapi-mcp-generator",
        ("openapi-mcp-generator@4.0.1",),
        lambda b, doc, out: [b / "openapi-mcp-generator", "--input", doc, "--output", out],
        npm=True,
    ),
]


@dataclass
class Summary:
    """One row of the summary table: a tool over a set of documents."""

    tool: str
    inputs: str
    documents: int
    generated: int
    operations: int
    seconds: float  # sum over generated documents of the median cold run
    peak_rss_mb: float
    note: str = ""
    per_document: dict[str, float | str] = field(default_factory=dict)

    @property
    def ms_per_op(self) -> float:
        return 1000 * self.seconds / self.operations if self.operations else float("nan")


def short(output: str) -> str:
    return " ".join(output.split())[:180]


def measure_peer(peer: Peer, docs: dict[Path, int], runs: int, tmp: Path) -> Summary:
    summary = Summary(peer.name, "OpenAPI", len(docs), 0, 0, 0.0, 0.0, note=" ".join(peer.pins))
    bin_dir = peer.install()
    if bin_dir is None:
        summary.note = "not available: install failed"
        return summary
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
    for doc, ops in docs.items():
        timings = []
        for run in range(runs):
            timing = timed(
                peer.argv(bin_dir, doc, tmp / f"{peer.name}-{doc.stem}-{run}"), env, timeout=300
            )
            if timing.exit_code != 0:
                summary.per_document[doc.name] = (
                    f"rejected (exit {timing.exit_code}): {short(timing.output)}"
                )
                break
            timings.append(timing)
        if len(timings) == runs:
            seconds = median([t.seconds for t in timings])
            summary.per_document[doc.name] = seconds
            summary.generated += 1
            summary.operations += ops
            summary.seconds += seconds
            summary.peak_rss_mb = max(summary.peak_rss_mb, *(t.peak_rss_mb for t in timings))
        log(f"{peer.name} {doc.name}: {summary.per_document[doc.name]}")
    return summary


# ---------------------------------------------------------------- naftiko-gen (the hook)


def measure_naftiko(
    cmd: str, label: str, docs: dict[Path, int], runs: int, tmp: Path
) -> list[Summary]:
    """HOOK for naftiko-gen: `<cmd> <docs> -o <tmpdir>` cold, then `--check` on that tree."""
    argv = shlex.split(cmd)
    ops = sum(docs.values())
    rows = [
        Summary(f"naftiko-gen{suffix}", label, len(docs), 0, ops, 0.0, 0.0)
        for suffix in ("", " --check")
    ]
    if not shutil.which(argv[0]):
        for row in rows:
            row.note = f"not available: {argv[0]} not on PATH"
        return rows
    out = tmp / ("naftiko-" + "".join(c for c in label if c.isalnum()))
    for row, extra in zip(rows, ([], ["--check"]), strict=True):
        timings = []
        for run in range(runs):
            if not extra:
                shutil.rmtree(out, ignore_errors=True)
            timings.append(timed([*argv, *docs, "-o", out, *extra]))
            last = timings[-1]
            log(f"{row.tool} {label} run {run + 1}: {last.seconds:.2f} s, exit {last.exit_code}")
        row.generated = len(docs)
        row.seconds = median([t.seconds for t in timings])
        row.peak_rss_mb = max(t.peak_rss_mb for t in timings)
        codes = sorted({t.exit_code for t in timings})
        if codes != [0]:
            row.note = f"exit codes {codes}: {short(timings[-1].output[-400:])}"
    rows[1].note = " ".join(
        [f"check ÷ generation = {rows[1].seconds / rows[0].seconds:.2f}.", rows[1].note]
    ).strip()
    return rows


def measure_naftiko_in_process(
    cmd: str, label: str, docs: dict[Path, int], runs: int, tmp: Path
) -> list[Summary]:
    """naftiko-gen in one warm process (`_inprocess.py` under naftiko-gen's interpreter)."""
    ops = sum(docs.values())
    rows = [
        Summary(f"naftiko-gen{suffix}, in-process", label, len(docs), 0, ops, 0.0, 0.0)
        for suffix in ("", " --check")
    ]
    found = shutil.which(shlex.split(cmd)[0])
    python = Path(found).parent / "python" if found else None
    if python is None or not python.exists():
        for row in rows:
            row.note = f"not available: no interpreter next to {cmd}"
        return rows
    out = tmp / ("in-process-" + "".join(c for c in label if c.isalnum()))
    timing = timed([python, BENCH / "_inprocess.py", str(runs), out, *docs], timeout=7200)
    if timing.exit_code != 0:
        for row in rows:
            row.note = f"exit {timing.exit_code}: {short(timing.output[-400:])}"
        return rows
    result = json.loads(timing.output.strip().splitlines()[-1])
    log(f"naftiko-gen in-process {label}: {result}")
    for row, key in zip(rows, ("generate", "check"), strict=True):
        row.generated = len(docs)
        row.seconds = median(result[key])
        row.peak_rss_mb = timing.peak_rss_mb
    rows[0].note = f"one process, warm; the first run (not counted) took {result['first']:.1f} s."
    rows[1].note = f"check ÷ generation = {rows[1].seconds / rows[0].seconds:.2f}."
    return rows


def require(folder: Path) -> None:
    """Stop with one clear message when the shared material is not where it is looked for."""
    if not folder.is_dir():
        raise SystemExit(f"{folder} not found: set NAFTIKO_BENCH_SHARED to the shared folder")


def corpus_documents() -> tuple[dict[Path, int], dict[Path, int]]:
    """All capability documents of the corpus, and those of the OpenAPI documents' providers."""
    require(CORPUS)
    everything: dict[Path, int] = {}
    for doc in sorted([*CORPUS.rglob("*.yaml"), *CORPUS.rglob("*.yml")]):
        ops = capability_operations(doc)
        if ops is not None:
            everything[doc] = ops
    prefixes = tuple(f"api-evangelist__{p}" for p in PROVIDERS)
    providers = {
        d: n for d, n in everything.items() if d.relative_to(CORPUS).parts[0].startswith(prefixes)
    }
    return everything, providers


# ---------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 run per tool and document"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="cold runs per tool and document; median"
    )
    parser.add_argument("--naftiko-cmd", default="naftiko-gen", help="how to invoke naftiko-gen")
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    require(OPENAPI_DIR)
    openapi_docs = {doc: openapi_operations(doc) for doc in sorted(OPENAPI_DIR.glob("*.yml"))}
    everything, providers = corpus_documents()
    WORK.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK, prefix="generation-") as tmp_name:
        tmp = Path(tmp_name)
        rows = [measure_peer(peer, openapi_docs, args.runs, tmp) for peer in PEERS]
        rows += measure_naftiko(args.naftiko_cmd, "corpus, 4 providers", providers, args.runs, tmp)
        rows += measure_naftiko(args.naftiko_cmd, "corpus, all", everything, args.runs, tmp)
        for label, docs in (("corpus, 4 providers", providers), ("corpus, all", everything)):
            rows += measure_naftiko_in_process(args.naftiko_cmd, label, docs, args.runs, tmp)
    reference = next(r for r in rows if r.tool == REFERENCE)
    headers = ["tool", "input", "docs generated", "operations", "total s", "ms / op", "peak RSS MB"]
    headers += [f"x faster per op than {REFERENCE}", "note"]
    summary = [
        [
            r.tool,
            r.inputs,
            f"{r.generated}/{r.documents}",
            r.operations,
            r.seconds if r.generated else None,
            r.ms_per_op if r.generated else None,
            r.peak_rss_mb or None,
            round(reference.ms_per_op / r.ms_per_op, 2)
            if r.generated and reference.generated
            else None,
            r.note,
        ]
        for r in rows
    ]
    peers = rows[: len(PEERS)]
    detail = [
        [doc.name, ops, *(fmt_cell(p.per_document.get(doc.name)) for p in peers)]
        for doc, ops in openapi_docs.items()
    ]
    table = (
        f"Cold generation, median of {args.runs} run(s) per tool and document\n\n"
        + markdown_table(headers, summary)
        + "\n\nPer OpenAPI document (median seconds of a cold run):\n\n"
        + markdown_table(["document", "operations", *(p.tool for p in peers)], detail)
    )
    write_results("generation", vars(args), [asdict(r) for r in rows], table)


def fmt_cell(value: float | str | None) -> object:
    return value.split(":")[0] if isinstance(value, str) else value


if __name__ == "__main__":
    main()
