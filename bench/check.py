"""`--check` of an unchanged tree against generating it: the whole corpus, cold, same run.

naftiko-gen generates every capability document of ../shared/corpus/ into a fresh folder
`--runs` times, then checks the unchanged tree `--runs` times (`generation.measure_naftiko`);
the medians and their ratio are reported (issue 14's target: check ÷ generation ≤ 0.1).

Run: python bench/check.py [--quick] [--runs 3] [--naftiko-cmd naftiko-gen]
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import asdict
from pathlib import Path

from _common import WORK, markdown_table, write_results
from generation import corpus_documents, measure_naftiko


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 run over the 4 providers' documents"
    )
    parser.add_argument("--runs", type=int, default=3, help="cold runs of each command; median")
    parser.add_argument("--naftiko-cmd", default="naftiko-gen", help="how to invoke naftiko-gen")
    args = parser.parse_args()
    everything, providers = corpus_documents()
    label, documents = ("corpus, all", everything)
    if args.quick:
        args.runs, label, documents = 1, "corpus, 4 providers", providers
    WORK.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK, prefix="check-") as tmp:
        rows = measure_naftiko(args.naftiko_cmd, label, documents, args.runs, Path(tmp))
    headers = ["command", "docs", "operations", "median s", "peak RSS MB", "note"]
    table = markdown_table(
        headers,
        [[r.tool, r.documents, r.operations, r.seconds, r.peak_rss_mb, r.note] for r in rows],
    )
    write_results("check", vars(args), [asdict(r) for r in rows], table)


if __name__ == "__main__":
    main()
