"""Charts of bench/results/*.json: every ratio against the issue's target (results/ratios.png),
and how start-up, tools/list latency and memory grow with a package's size (results/scale.png).

Run after the benchmarks: python bench/chart.py. matplotlib is installed into its own venv
under bench/.work/ on the first run, and the script re-runs itself there.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from _common import RESULTS, ensure_venv

MATPLOTLIB_PINS = ["matplotlib==3.10.3"]

# panel: (title, whether higher is better)
PANELS = {
    "throughput": ("Requests or calls per second, generated ÷ reference", True),
    "latency": ("p99 latency, start-up time and memory, generated ÷ reference", False),
    "generation": ("Generation speed per operation, x openapi-python-client", True),
}
# Issue 14's target for a ratio against each reference (throughput, then latency panels).
THROUGHPUT_TARGETS = {
    "starlette-proxy": 1.0,
    "fastapi-proxy": 1.0,
    "lowlevel-mcp-proxy": 1.0,
    "fastmcp-openapi": 1.5,
}
P99_TARGET = 1.1
LATENCY_TARGET = 1.2  # start-up and memory
CHECK_TARGET = 0.1  # `--check` of an unchanged tree ÷ generating it (results/check.json)
GENERATION_TARGET = 30.0  # x faster per operation than openapi-python-client
# Start-up rows of results/startup.json: (generated, reference).
STARTUP_PAIRS = (
    ("rest: generated, rest only", "rest: starlette-proxy"),
    ("mcp: generated, mcp only", "mcp: lowlevel-mcp-proxy"),
    ("rest: generated, REST and MCP", "rest: starlette-proxy"),
    ("mcp: generated, REST and MCP", "mcp: lowlevel-mcp-proxy"),
)

Bar = tuple[str, float, float]  # label, ratio, target


def load(name: str) -> Any:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text())["results"] if path.exists() else None


def throughput_bars(name: str, kind: str, references: tuple[str, ...]) -> dict[str, list[Bar]]:
    """Generated ÷ each reference: the median rate, the lowest round, and the p99."""
    found: dict[str, list[Bar]] = {"throughput": [], "latency": []}
    rows = load(name) or []
    by = {(r["server"], r["workers"]): r for r in rows if r.get("median")}
    for (server, workers), got in sorted(by.items(), key=lambda item: item[0][1]):
        if server != "generated":
            continue
        for reference in references:
            ref = by.get((reference, workers))
            if not ref:
                continue
            target = THROUGHPUT_TARGETS[reference]
            label = f"{kind} ÷ {reference}, {workers} w"
            found["throughput"].append((label, got["median"]["rps"] / ref["median"]["rps"], target))
            rounds = [r for r in got.get("round_ratios", {}).get(reference, []) if r]
            if rounds:
                found["throughput"].append((f"{label}, lowest round", min(rounds), target))
            if reference in ("starlette-proxy", "lowlevel-mcp-proxy"):
                p99 = got["median"]["p99"] / ref["median"]["p99"]
                found["latency"].append((f"{kind} p99 ÷ {reference}, {workers} w", p99, P99_TARGET))
    return found


def startup_bars() -> list[Bar]:
    """Start-up time and RSS at ready, generated ÷ the hand-written server (bench/startup.py)."""
    startup = load("startup") or {}
    found: list[Bar] = []
    for generated, reference in STARTUP_PAIRS:
        got, ref = startup.get(generated), startup.get(reference)
        if not (isinstance(got, dict) and isinstance(ref, dict)):
            continue
        kind = generated.split(":")[0].upper()
        adapters = "one adapter" if "only" in generated else "both adapters"
        name = reference.split(": ")[1]
        for measure, what in (("ready_s", "start-up"), ("rss_start_mb", "RSS at ready")):
            value = got["median"][measure] / ref["median"][measure]
            found.append((f"{kind} {what} ({adapters}) ÷ {name}", value, LATENCY_TARGET))
    return found


def generation_bars() -> list[Bar]:
    """naftiko-gen's speed per operation x openapi-python-client's (bench/generation.py)."""
    rows = load("generation") or []

    def per_op(row: dict[str, Any]) -> float:
        return float(row["seconds"]) / float(row["operations"])

    reference = next((r for r in rows if r["tool"] == "openapi-python-client"), None)
    if not reference or not reference["generated"]:
        return []
    return [
        (f"{r['tool']}, {r['inputs']}", per_op(reference) / per_op(r), GENERATION_TARGET)
        for r in rows
        if r["tool"] == "naftiko-gen" and r["generated"]  # cold, like the peers
    ]


def bars() -> dict[str, list[Bar]]:
    """(label, ratio, target) per panel, from whichever results exist."""
    found: dict[str, list[Bar]] = {key: [] for key in PANELS}
    for name, kind, references in (
        ("rest_throughput", "REST", ("starlette-proxy", "fastapi-proxy")),
        ("mcp_throughput_wrk", "MCP", ("lowlevel-mcp-proxy", "fastmcp-openapi")),
    ):
        for key, items in throughput_bars(name, kind, references).items():
            found[key] += items
    found["latency"] += startup_bars() + check_bars()
    found["generation"] = generation_bars()
    return found


def check_bars() -> list[Bar]:
    """`--check` of the unchanged whole corpus ÷ generating it (bench/check.py)."""
    rows = load("check")
    if not rows or len(rows) != 2 or not rows[0]["seconds"]:
        return []
    ratio = rows[1]["seconds"] / rows[0]["seconds"]
    return [("--check of an unchanged corpus ÷ generating it", ratio, CHECK_TARGET)]


def draw(found: dict[str, list[Bar]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(key, found[key]) for key in PANELS if found[key]]
    heights = [0.6 + 0.35 * len(items) for _, items in panels]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(11, sum(heights) + 0.5),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    for ax, (key, items) in zip(axes[:, 0], panels, strict=True):
        title, higher = PANELS[key]
        items = items[::-1]
        met = [(v >= t) if higher else (v <= t) for _, v, t in items]
        ax.barh(
            [label for label, _, _ in items],
            [v for _, v, _ in items],
            color=["tab:green" if ok else "tab:red" for ok in met],
        )
        ax.axvline(1.0, color="grey", linewidth=0.8)
        for y, (_, value, target) in enumerate(items):
            ax.plot([target, target], [y - 0.45, y + 0.45], color="black", linestyle="--")
            ax.text(value, y, f" {value:.2f}", va="center", fontsize=8)
        bound = "at least" if higher else "at most"
        ax.set_title(f"{title} (dashed: the target, {bound})", fontsize=10)
        ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=100, metadata={"Software": None})
    print(f"chart written to {out}")


# results/scale.json: (measure, axis label), drawn against the number of tools.
SCALE_MEASURES = (
    ("rest_ready_s", "first REST 2xx (s)"),
    ("mcp_ready_s", "first MCP tools/list (s)"),
    ("tools_list_ms", "tools/list latency (ms)"),
    ("tools_list_kb", "tools/list answer (KB)"),
    ("rss_ready_mb", "RSS at ready (MB)"),
)


def draw_scale(out: Path) -> None:
    """Each measure of bench/scale.py against the tool count (log scale), with its log-log fit."""
    scale = load("scale")
    if not scale:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    packages = sorted(scale["packages"], key=lambda p: p["median"]["tools"])
    tools = [p["median"]["tools"] for p in packages]
    fig, axes = plt.subplots(1, len(SCALE_MEASURES), figsize=(16, 3.4))
    for ax, (measure, label) in zip(axes, SCALE_MEASURES, strict=True):
        ax.semilogx(tools, [p["median"][measure] for p in packages], marker="o")
        ax.set_ylim(bottom=0)
        exponent = scale["fits_against_tools"][measure]["loglog_exponent"]
        ax.set_title(f"{label}\nlog-log exponent {exponent}", fontsize=9)
        ax.set_xlabel("tools", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=100, metadata={"Software": None})
    print(f"chart written to {out}")


def main() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        venv_bin = ensure_venv("chart", MATPLOTLIB_PINS)
        os.execv(venv_bin / "python", [str(venv_bin / "python"), __file__, *sys.argv[1:]])
    draw(bars(), RESULTS / "ratios.png")
    draw_scale(RESULTS / "scale.png")


if __name__ == "__main__":
    main()
