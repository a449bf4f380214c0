"""The corpus harness: every document of a folder generated, linted, imported, built and called.

    python -m tests.corpus ../shared/corpus [--json report.json] [--jobs N]

One line per document (`ok`, `ok with N warnings`, `skipped`, `rejected: CODE …`, `FAILED: …`),
totals by outcome and by diagnostic code, and the wall time. The run fails (exit 1) when a
document FAILS, when a document is rejected that `rejections.tsv` does not list, or when a listed
document is no longer rejected (with the listed code).
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import worker

HERE = Path(__file__).resolve().parent
REJECTIONS = HERE / "rejections.tsv"
RUFF_BATCH = 800  # files per ruff invocation (keeps command lines short)
INTERNAL_CODES = frozenset({"NG900"})  # errors that are generator bugs, never rejections


@dataclass
class Listed:
    """One line of rejections.tsv."""

    path: str
    code: str
    reason: str


@dataclass
class Report:
    corpus: str
    documents: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    list_problems: list[str] = field(default_factory=list)

    def outcome_totals(self) -> dict[str, int]:
        counts = collections.Counter(d["outcome"] for d in self.documents)
        order = ("ok", "ok with warnings", "skipped", "rejected", "FAILED")
        return {k: counts.get(k, 0) for k in order}

    def code_totals(self) -> dict[str, dict[str, int]]:
        occurrences: collections.Counter[str] = collections.Counter()
        documents: collections.Counter[str] = collections.Counter()
        for doc in self.documents:
            seen = set()
            for item in doc["errors"] + doc["warnings"]:
                key = f"{item['code']} {'error' if item in doc['errors'] else 'warning'}"
                occurrences[key] += 1
                seen.add(key)
            documents.update(seen)
        return {
            k: {"occurrences": occurrences[k], "documents": documents[k]}
            for k in sorted(occurrences)
        }

    @property
    def passed(self) -> bool:
        return not self.list_problems and all(d["outcome"] != "FAILED" for d in self.documents)

    def as_json(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus,
            "passed": self.passed,
            "seconds": round(self.seconds, 1),
            "totals": self.outcome_totals(),
            "codes": self.code_totals(),
            "rejection_list_problems": self.list_problems,
            "documents": self.documents,
        }


# -- discovery ----------------------------------------------------------------------------------


def discover(root: Path) -> list[Path]:
    """Every `*.yaml` / `*.yml` under `root`, largest first (balances the worker pool)."""
    found = [p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    return sorted(found, key=lambda p: (-p.stat().st_size, p.as_posix()))


def read_rejections(path: Path = REJECTIONS) -> dict[str, Listed]:
    listed: dict[str, Listed] = {}
    if not path.exists():
        return listed
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if parts[0] == "path" and len(parts) > 1 and parts[1] == "code":
            continue  # the header
        listed[parts[0]] = Listed(
            parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""
        )
    return listed


def write_rejections(
    documents: Iterable[dict[str, Any]], old: dict[str, Listed], path: Path = REJECTIONS
) -> None:
    """Rewrite the list from this run, keeping the written reasons of entries that still hold."""
    lines = [
        "# Corpus documents naftiko-gen rejects, and why that is the document's fault"
        " (see README.md).",
        "# The harness fails when a document is rejected that is not listed here, or when a listed",
        "# document is no longer rejected with the listed code.",
        "path\tcode\treason",
    ]
    for doc in sorted(documents, key=lambda d: d["path"]):
        if doc["outcome"] != "rejected":
            continue
        code, message = doc["rejection"]
        previous = old.get(doc["path"])
        reason = (
            previous.reason if previous and previous.code == code and previous.reason else message
        )
        lines.append(f"{doc['path']}\t{code}\t{' '.join(reason.split())}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- ruff over every generated package at once ----------------------------------------------------


def ruff_problems(files: Sequence[Path], first_party: Iterable[str] = ()) -> dict[Path, list[str]]:
    """`ruff check` and `ruff format --check` (isolated: no project configuration) per file.

    Each package's own import name is first-party, as it is in the package's own checkout.
    """
    from ruff import find_ruff_bin

    ruff = find_ruff_bin()
    found: dict[Path, list[str]] = collections.defaultdict(list)
    known = json.dumps(sorted(set(first_party)))
    common = ["--isolated", "--no-cache", "--target-version=py311"]
    lint = [*common, "--config", f"lint.isort.known-first-party = {known}"]
    for start in range(0, len(files), RUFF_BATCH):
        batch = [str(f) for f in files[start : start + RUFF_BATCH]]
        check = subprocess.run(
            [ruff, "check", *lint, "--output-format=json", "--exit-zero", *batch],
            capture_output=True,
            text=True,
            check=False,
        )
        try:
            for item in json.loads(check.stdout or "[]"):
                location = item.get("location") or {}
                code = item.get("code") or "error"
                found[Path(item["filename"])].append(
                    f"ruff {code} line {location.get('row')}: {item.get('message')}"
                )
        except ValueError:
            raise RuntimeError(f"ruff check failed: {check.stderr.strip()[:500]}") from None
        fmt = subprocess.run(
            [ruff, "format", *common, "--check", "--output-format=json", *batch],
            capture_output=True,
            text=True,
            check=False,
        )
        if fmt.returncode not in (0, 1):
            raise RuntimeError(f"ruff format failed: {fmt.stderr.strip()[:500]}")
        for item in json.loads(fmt.stdout or "[]"):
            found[Path(item["filename"])].append("ruff format would reformat it")
    return found


# -- the run --------------------------------------------------------------------------------------


def classify(doc: dict[str, Any]) -> None:
    """Set `outcome` (and `rejection`) from a worker's result."""
    errors = doc["errors"]
    # Warnings are worth reading (issue 4): one line each, with a location, not repeated.
    seen = set()
    for item in doc["warnings"] + errors:
        key = (item["code"], item["message"])
        if not item["loc"]:
            doc["problems"].append(f"diagnostic {item['code']} has no location: {item['message']}")
        if "\n" in item["message"]:
            doc["problems"].append(f"diagnostic {item['code']} spans several lines")
        if key in seen:
            doc["problems"].append(f"diagnostic {item['code']} repeated: {item['message']}")
        seen.add(key)
    internal = [e for e in errors if e["code"] in INTERNAL_CODES]
    for e in internal:
        doc["problems"].insert(0, f"{e['code']}: {e['message']}")
    if doc["crashed"] or doc["problems"]:
        doc["outcome"] = "FAILED"
    elif doc["skipped"]:
        doc["outcome"] = "skipped"
    elif errors:
        doc["outcome"] = "rejected"
        doc["rejection"] = (errors[0]["code"], errors[0]["message"])
    elif doc["warnings"]:
        doc["outcome"] = "ok with warnings"
    else:
        doc["outcome"] = "ok"


def check_rejections(
    docs: list[dict[str, Any]], listed: dict[str, Listed], complete: bool
) -> list[str]:
    problems = []
    by_path = {d["path"]: d for d in docs}
    for doc in docs:
        entry = listed.get(doc["path"])
        if doc["outcome"] == "rejected":
            code = doc["rejection"][0]
            codes = {e["code"] for e in doc["errors"]}
            if entry is None:
                problems.append(
                    f"{doc['path']}: rejected ({code}) but not listed in rejections.tsv"
                )
            elif entry.code not in codes:
                problems.append(
                    f"{doc['path']}: rejected with {sorted(codes)}, listed with {entry.code}"
                )
        elif entry is not None:
            problems.append(
                f"{doc['path']}: listed in rejections.tsv ({entry.code}) but {doc['outcome']}"
            )
    if complete:
        for path in sorted(set(listed) - set(by_path)):
            problems.append(f"{path}: listed in rejections.tsv but not in the corpus")
    return problems


def run(
    corpus: Path,
    *,
    jobs: int | None = None,
    only: Sequence[str] = (),
    keep: Path | None = None,
    progress: bool = True,
    rejections: Path = REJECTIONS,
) -> Report:
    started = time.perf_counter()
    corpus = corpus.resolve()
    paths = discover(corpus)
    if only:
        paths = [p for p in paths if any(s in p.relative_to(corpus).as_posix() for s in only)]
    root = Path(tempfile.mkdtemp(prefix="naftiko-corpus-")) if keep is None else keep
    root.mkdir(parents=True, exist_ok=True)
    root = root.resolve()
    tasks = []
    for index, path in enumerate(paths):
        workdir = root / f"{index:04d}"
        workdir.mkdir(exist_ok=True)
        tasks.append((str(path), path.relative_to(corpus).as_posix(), str(workdir)))
    jobs = jobs or os.cpu_count() or 1
    docs: list[dict[str, Any]] = []
    try:
        if jobs == 1:
            worker.init_worker()
            results: Iterable[dict[str, Any]] = map(worker.process, tasks)
            pool = None
        else:
            context = multiprocessing.get_context()
            pool = context.Pool(jobs, initializer=worker.init_worker, maxtasksperchild=60)
            results = pool.imap_unordered(worker.process, tasks, chunksize=1)
        for done, doc in enumerate(results, start=1):
            docs.append(doc)
            if progress and (done % 50 == 0 or done == len(tasks)):
                print(
                    f"  … {done}/{len(tasks)} documents ({time.perf_counter() - started:.0f}s)",
                    file=sys.stderr,
                    flush=True,
                )
        if pool is not None:
            pool.close()
            pool.join()
        files = sorted(
            f
            for d in docs
            if d["package_dir"] and not d["problems"]
            for f in Path(d["package_dir"]).rglob("*.py")
        )
        by_package = {Path(d["package_dir"]): d for d in docs if d["package_dir"]}
        first_party = [
            p.name
            for d in docs
            if d["package_dir"]
            for p in (Path(d["package_dir"]) / "src").glob("*/")
        ]
        for file, problems in ruff_problems(files, first_party).items():
            for parent in file.parents:
                if parent in by_package:
                    rel = file.relative_to(parent).as_posix()
                    by_package[parent]["problems"] += [f"{rel}: {p}" for p in problems]
                    break
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
    for doc in docs:
        classify(doc)
    docs.sort(key=lambda d: d["path"])
    report = Report(corpus.as_posix(), docs)
    report.list_problems = check_rejections(docs, read_rejections(rejections), complete=not only)
    report.seconds = time.perf_counter() - started
    return report


# -- printing -------------------------------------------------------------------------------------


def line(doc: dict[str, Any]) -> str:
    outcome = doc["outcome"]
    if outcome == "ok with warnings":
        n = len(doc["warnings"])
        return f"{doc['path']}: ok with {n} warning{'s' if n != 1 else ''}"
    if outcome == "rejected":
        code, message = doc["rejection"]
        return f"{doc['path']}: rejected: {code} {message}"
    if outcome == "FAILED":
        first = doc["problems"][0].splitlines()[0] if doc["problems"] else "?"
        more = len(doc["problems"]) - 1
        return f"{doc['path']}: FAILED: {first}" + (f" (+{more} more)" if more > 0 else "")
    if outcome == "skipped":
        return f"{doc['path']}: skipped (shared consumes file)"
    return f"{doc['path']}: ok"


def print_report(report: Report, *, verbose: bool = False, out: Any = sys.stdout) -> None:
    for doc in report.documents:
        print(line(doc), file=out)
        if doc["outcome"] == "FAILED":
            shown = doc["problems"] if verbose else doc["problems"][:8]
            for problem in shown:
                print("    " + problem.replace("\n", "\n    "), file=out)
            if len(shown) < len(doc["problems"]):
                print(
                    f"    … {len(doc['problems']) - len(shown)} more (see --json or --verbose)",
                    file=out,
                )
        if verbose and doc["outcome"] != "FAILED":
            for item in doc["warnings"]:
                print(f"    {item['loc']}: warning[{item['code']}]: {item['message']}", file=out)
    print("", file=out)
    print("totals:", file=out)
    for outcome, count in report.outcome_totals().items():
        print(f"  {outcome:18} {count}", file=out)
    print(f"  {'documents':18} {len(report.documents)}", file=out)
    print("diagnostics by code (occurrences / documents):", file=out)
    for code, counts in report.code_totals().items():
        print(f"  {code:18} {counts['occurrences']:6} / {counts['documents']}", file=out)
    calls = sum(d["calls"] for d in report.documents)
    compared = sum(d["compared"] for d in report.documents)
    print(
        f"calls: {calls} REST routes and MCP tools called, {compared} upstream requests compared",
        file=out,
    )
    if report.list_problems:
        print("rejections.tsv is out of date:", file=out)
        for problem in report.list_problems:
            print("  " + problem, file=out)
    verdict = "PASSED" if report.passed else "FAILED"
    print(f"corpus {verdict} in {report.seconds:.1f}s", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.corpus", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "corpus", type=Path, help="folder of capability documents (e.g. ../shared/corpus)"
    )
    parser.add_argument("--json", type=Path, help="write the report as JSON to this file")
    parser.add_argument(
        "--jobs", "-j", type=int, default=None, help="worker processes (default: CPU count)"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="only documents whose path contains this (repeatable)",
    )
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument(
        "--rejections",
        type=Path,
        default=REJECTIONS,
        help="the list of rejected documents (default: tests/corpus/rejections.tsv)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="every problem and warning")
    parser.add_argument(
        "--write-rejections",
        action="store_true",
        help="rewrite rejections.tsv from this run (keeps the reasons already written)",
    )
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        parser.error(f"{args.corpus} is not a folder")
    report = run(
        args.corpus, jobs=args.jobs, only=args.only, keep=args.keep, rejections=args.rejections
    )
    if args.write_rejections:
        if args.only:
            parser.error("--write-rejections needs the whole corpus (no --only)")
        write_rejections(report.documents, read_rejections(args.rejections), args.rejections)
        listed = read_rejections(args.rejections)
        report.list_problems = check_rejections(report.documents, listed, complete=True)
    print_report(report, verbose=args.verbose)
    if args.json:
        args.json.write_text(
            json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return 0 if report.passed else 1
