"""The command line: parse options, run the pipeline per document, print, set the exit code.

Exit codes: 0 success (nothing to change under --check), 1 --check found differences,
2 any error (bad usage, a document with errors). Diagnostics and progress go to stderr,
diffs to stdout.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click

from . import __version__, emit
from .diagnostics import Diagnostic, Severity, display_path, one_line
from .pipeline import DocumentResult, Options, plan_document

EXIT_OK, EXIT_DIFF, EXIT_ERROR = 0, 1, 2


def _print_diagnostics(diagnostics: list[Diagnostic], fmt: str) -> None:
    for diagnostic in diagnostics:
        text = diagnostic.format_github() if fmt == "github" else diagnostic.format()
        click.echo(text, err=True)


def _strict_failures(result: DocumentResult) -> bool:
    """Under --strict a warning (other than a skipped shared file) fails the document."""
    return any(d.severity is Severity.WARNING and d.code != "NG004" for d in result.diagnostics)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument(
    "specs",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
)
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder that receives one package per document.",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 with a diff if output would change."
)
@click.option(
    "--dry-run", is_flag=True, help="Write nothing; list what would be written or removed."
)
@click.option(
    "--strict", is_flag=True, help="Treat warnings (schema deviations included) as errors."
)
@click.option(
    "--diagnostics-format",
    type=click.Choice(["text", "github"]),
    default="text",
    show_default=True,
    help="`github` prints workflow commands that annotate pull requests.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace an output package folder naftiko-gen did not write, or another spec's.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only diagnostics and diffs.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Documents planned in parallel (default: the number of CPUs).",
)
@click.version_option(__version__, prog_name="naftiko-gen")
def main(
    specs: tuple[Path, ...],
    out: Path,
    check: bool,
    dry_run: bool,
    strict: bool,
    diagnostics_format: str,
    force: bool,
    quiet: bool,
    jobs: int | None,
) -> None:
    """Generate a REST + MCP Python package from each Naftiko capability document in SPECS."""
    if check and dry_run:
        raise click.UsageError("--check and --dry-run cannot be combined")
    options = Options(strict=strict)
    failed = differs = False
    packages: dict[str, str] = {}
    total = len(specs)
    for index, (spec, result) in enumerate(
        zip(specs, _plans(specs, options, jobs), strict=True), start=1
    ):
        display = display_path(spec)
        _print_diagnostics(result.diagnostics, diagnostics_format)
        if result.name and result.name in packages:
            click.echo(
                f"{display}: error[NG102]: writes package '{result.name}' already written "
                f"from {packages[result.name]}; rename one of the files",
                err=True,
            )
            result.files = None
        if strict and result.files is not None and _strict_failures(result):
            result.files = None
        if result.files is None or result.name is None:
            if result.skipped:
                _progress(quiet, index, total, display, "skipped (shared consumes file)")
            else:
                failed = True
                _progress(quiet, index, total, display, "error: no output")
            continue
        packages[result.name] = display
        target = f"{out.as_posix()}/{result.name}"
        try:
            changes = _emit(out, result.name, result.files, check or dry_run, force)
        except emit.EmitError as exc:
            click.echo(f"{display}: error[{exc.code}]: {one_line(str(exc))}", err=True)
            failed = True
            _progress(quiet, index, total, display, "error: no output")
            continue
        if check or dry_run:
            differs = differs or bool(changes)
            for change in changes:
                if check:
                    click.echo(change.diff(), nl=False)
                else:
                    click.echo(f"{change.kind:8} {out.as_posix()}/{change.path}")
        else:
            for change in changes:
                if change.hand_edited:
                    click.echo(
                        f"{out.as_posix()}/{change.path}: warning: it was edited by hand; "
                        "the edit is overwritten",
                        err=True,
                    )
        _progress(
            quiet, index, total, display, f"-> {target} ({_summary(changes, len(result.files))})"
        )
    if failed:
        sys.exit(EXIT_ERROR)
    if check and differs:
        click.echo(
            "generated code is out of date; run: naftiko-gen "
            + " ".join(s.as_posix() for s in specs)
            + f" -o {out.as_posix()}",
            err=True,
        )
        sys.exit(EXIT_DIFF)
    sys.exit(EXIT_OK)


def _emit(
    out: Path, name: str, files: dict[str, bytes], compare: bool, force: bool
) -> list[emit.Change]:
    """Compare or write one package (raises emit.EmitError)."""
    if not force:
        emit.check_owner(out, name, files)
    return emit.compare(out, name, files) if compare else emit.write(out, name, files)


def _plans(specs: tuple[Path, ...], options: Options, jobs: int | None) -> Iterator[DocumentResult]:
    """Each document's plan, in argument order; planned in worker processes when there are many."""
    workers = min(jobs or os.cpu_count() or 1, len(specs))
    displays = [display_path(spec) for spec in specs]
    if workers <= 1:
        yield from map(plan_document, specs, displays, [options] * len(specs))
        return
    with ProcessPoolExecutor(workers) as pool:
        yield from pool.map(plan_document, specs, displays, [options] * len(specs), chunksize=4)


def _summary(changes: list[emit.Change], count: int) -> str:
    if not changes:
        return f"{count} files, unchanged"
    kinds = {
        kind: sum(1 for c in changes if c.kind == kind) for kind in ("changed", "added", "removed")
    }
    parts = [f"{n} {kind}" for kind, n in kinds.items() if n]
    return f"{count} files: " + ", ".join(parts)


def _progress(quiet: bool, index: int, total: int, display: str, message: str) -> None:
    if not quiet:
        click.echo(f"[{index}/{total}] {display} {message}", err=True)
