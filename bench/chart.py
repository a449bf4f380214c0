"""Chart of the ratios in bench/results/*.json against the issue's targets: results/ratios.png.

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
    "latency": ("p99 latency and start-up time, generated ÷ reference", False),
}
# The target for a ratio against each reference (throughput, then latency panels).
THROUGHPUT_TARGETS = {
    "starlette-proxy": 0.9,
    "fastapi-proxy": 0.9,
    "lowlevel-mcp-proxy": 0.9,
    "fastmcp-openapi": 1.5,
}
LATENCY_TARGET = 1.2
CHECK_TARGET = 0.1  # `--check` of an unchanged tree ÷ generating it (results/check.json)

Bar = tuple[str, float, float]  # label, ratio, target


def load(name: str) -> Any:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text())["results"] if path.exists() else None


def medians(rows: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, float]]:
    return {(r["server"], r["workers"]): r["median"] for r in rows if r.get("median")}


def bars() -> dict[str, list[Bar]]:
    """(label, ratio, target) per panel, from whichever results exist."""
    found: dict[str, list[Bar]] = {"throughput": [], "latency": []}
    for name, kind, references in (
        ("rest_throughput", "REST", ("starlette-proxy", "fastapi-proxy")),
        ("mcp_throughput_wrk", "MCP", ("lowlevel-mcp-proxy", "fastmcp-openapi")),
    ):
        rows = load(name)
        if not rows:
            continue
        by = medians(rows)
        for (server, workers), got in sorted(by.items(), key=lambda item: item[0][1]):
            if server != "generated":
                continue
            for reference in references:
                ref = by.get((reference, workers))
                if ref:
                    found["throughput"].append(
                        (
                            f"{kind} ÷ {reference}, {workers} w",
                            got["rps"] / ref["rps"],
                            THROUGHPUT_TARGETS[reference],
                        )
                    )
                    found["latency"].append(
                        (
                            f"{kind} p99 ÷ {reference}, {workers} w",
                            got["p99"] / ref["p99"],
                            LATENCY_TARGET,
                        )
                    )
    startup = load("startup")
    if startup:
        for generated, reference in (
            ("rest: generated, rest only", "rest: starlette-proxy"),
            ("rest: generated, rest only", "rest: fastapi-proxy"),
            ("mcp: generated, mcp only", "mcp: lowlevel-mcp-proxy"),
            ("rest: generated, REST and MCP", "rest: starlette-proxy"),
            ("mcp: generated, REST and MCP", "mcp: lowlevel-mcp-proxy"),
        ):
            started, ref_started = startup.get(generated), startup.get(reference)
            if isinstance(started, dict) and isinstance(ref_started, dict):
                kind = generated.split(":")[0].upper()
                adapters = "one adapter" if "only" in generated else "both adapters"
                found["latency"].append(
                    (
                        f"{kind} start-up ({adapters}) ÷ {reference.split(': ')[1]}",
                        started["median"]["ready_s"] / ref_started["median"]["ready_s"],
                        LATENCY_TARGET,
                    )
                )
    found["latency"] += check_bars()
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
        figsize=(9, sum(heights) + 0.5),
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


def main() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        venv_bin = ensure_venv("chart", MATPLOTLIB_PINS)
        os.execv(venv_bin / "python", [str(venv_bin / "python"), __file__, *sys.argv[1:]])
    draw(bars(), RESULTS / "ratios.png")


if __name__ == "__main__":
    main()
