"""The command line: parse options, run the pipeline per document, print, set the exit code.

Exit codes: 0 success (nothing to change under --check), 1 --check found differences,
2 any error (bad usage, a document with errors). Diagnostics and progress go to stderr,
diffs to stdout.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from . import __version__, config, emit
from .diagnostics import Diagnostic, Severity, one_line
from .importers.command import import_group
from .pipeline import DocumentResult, Options, plan_document
from .totals import Totals

EXIT_OK, EXIT_DIFF, EXIT_ERROR = 0, 1, 2


def _print_diagnostics(diagnostics: list[Diagnostic], fmt: str) -> None:
    for diagnostic in diagnostics:
        text = diagnostic.format_github() if fmt == "github" else diagnostic.format()
        click.echo(text, err=True)


def _strict_failures(result: DocumentResult) -> bool:
    """Under --strict a warning (other than a skipped shared file) fails the document."""
    return any(d.severity is Severity.WARNING and d.code != "NG004" for d in result.diagnostics)


class _GenerateOrImport(click.Command):
    """`naftiko-gen SPECS...`, or `naftiko-gen import ...` (a spec file named import: ./import)."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if argv[:1] == ["import"]:
            extra.setdefault("prog_name", "naftiko-gen import")
            return import_group.main(argv[1:], *rest, **extra)
        return super().main(argv, *rest, **extra)


@click.command(cls=_GenerateOrImport, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument(
    "specs",
    nargs=-1,
    type=click.Path(path_type=Path, dir_okay=False),
)
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder that receives one package per document.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Read [tool.naftiko-gen] from this file (default: the nearest pyproject.toml with one).",
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
    out: Path | None,
    config_file: Path | None,
    check: bool,
    dry_run: bool,
    strict: bool,
    diagnostics_format: str,
    force: bool,
    quiet: bool,
    jobs: int | None,
) -> None:
    """Generate a REST + MCP Python package from each Naftiko capability document in SPECS.

    Without SPECS, the specs and options come from [tool.naftiko-gen] in pyproject.toml.
    To start a document from an OpenAPI description: naftiko-gen import openapi --help.
    """
    if check and dry_run:
        raise click.UsageError("--check and --dry-run cannot be combined")
    run = _configured_run(
        specs,
        out,
        config_file,
        strict=strict,
        jobs=jobs,
        diagnostics_format=diagnostics_format,
        quiet=quiet,
    )
    strict, diagnostics_format, quiet, out = run.strict, run.diagnostics_format, run.quiet, run.out
    failed = differs = False
    totals = Totals()
    total = len(run.specs)
    for index, (spec, result) in enumerate(
        zip(
            run.specs,
            _plans(run.specs, strict, run.jobs, out if check or dry_run else None),
            strict=True,
        ),
        start=1,
    ):
        display = spec.display
        _reject_unusable(result, run.conflicts_of(spec), strict)
        _print_diagnostics(result.diagnostics, diagnostics_format)
        totals.count_diagnostics(result.diagnostics)
        if result.files is None or result.name is None:
            if result.skipped:
                totals.skipped += 1
                _progress(quiet, index, total, display, "skipped (shared consumes file)")
            else:
                failed = True
                totals.failed += 1
                _progress(quiet, index, total, display, "error: no output")
            continue
        target = f"{out.as_posix()}/{result.name}"
        try:
            changes = _emit(
                out, result.name, result.files, check=check, dry_run=dry_run, force=force
            )
        except emit.EmitError as exc:
            click.echo(f"{display}: error[{exc.code}]: {one_line(str(exc))}", err=True)
            failed = True
            totals.failed += 1
            _progress(quiet, index, total, display, "error: no output")
            continue
        differs = differs or bool(changes)
        totals.count_changes(changes)
        _progress(
            quiet, index, total, display, f"-> {target} ({_summary(changes, len(result.files))})"
        )
    if total > 1 and not quiet:
        click.echo(totals.line(check=check, dry_run=dry_run), err=True)
    if failed:
        sys.exit(EXIT_ERROR)
    if check and differs:
        click.echo(f"generated code is out of date; run: {run.command}", err=True)
        sys.exit(EXIT_DIFF)
    sys.exit(EXIT_OK)


def _configured_run(
    specs: tuple[Path, ...], out: Path | None, config_file: Path | None, **options: Any
) -> config.Run:
    """The run: command-line options over [tool.naftiko-gen] over the defaults (exit 2 if bad)."""
    context = click.get_current_context()
    given = {
        name: value
        for name, value in options.items()
        if context.get_parameter_source(name) is not ParameterSource.DEFAULT
    }
    found = config_file or config.find(Path.cwd())
    try:
        settings = config.load(found, explicit=config_file is not None) if found else None
        return config.resolve(settings, specs, out, given, options)
    except config.ConfigError as exc:
        _print_diagnostics(exc.diagnostics, options["diagnostics_format"])
        sys.exit(EXIT_ERROR)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _reject_unusable(result: DocumentResult, conflicts: list[Diagnostic], strict: bool) -> None:
    """Drop the output of a document whose package name another spec of the run also takes,
    or that has warnings under --strict."""
    if conflicts:
        result.diagnostics += conflicts
        result.files = None
    if strict and result.files is not None and _strict_failures(result):
        result.files = None


def _emit(
    out: Path, name: str, files: dict[str, bytes], *, check: bool, dry_run: bool, force: bool
) -> list[emit.Change]:
    """Write one package, or under --check / --dry-run print its diff or its list of changes.

    A folder naftiko-gen did not write, or wrote from another spec, is refused unless `force`
    (raises emit.EmitError, as do file-system errors)."""
    if not force:
        emit.check_owner(out, name, files)
    if not (check or dry_run):
        changes = emit.write(out, name, files)
        for change in changes:
            if change.hand_edited:
                click.echo(
                    f"{out.as_posix()}/{change.path}: warning: it was edited by hand; "
                    "the edit is overwritten",
                    err=True,
                )
        return changes
    changes = emit.compare(out, name, files)
    for change in changes:
        if check:
            click.echo(change.diff(), nl=False)
        else:
            click.echo(f"{change.kind:8} {out.as_posix()}/{change.path}")
    return changes


def _plans(
    specs: list[config.Spec], strict: bool, jobs: int | None, reuse: Path | None
) -> Iterator[DocumentResult]:
    """Each document's plan, in argument order; planned in worker processes when there are many.

    With `reuse` (the output folder, under --check and --dry-run) an up-to-date package is read
    back instead of rendered (see provenance.py)."""
    workers = min(jobs or os.cpu_count() or 1, len(specs))
    paths = [spec.path for spec in specs]
    displays = [spec.display for spec in specs]
    options = [
        Options(strict, spec.package, reuse / spec.package if reuse else None) for spec in specs
    ]
    if workers <= 1:
        yield from map(plan_document, paths, displays, options)
        return
    with ProcessPoolExecutor(workers) as pool:
        yield from pool.map(plan_document, paths, displays, options, chunksize=4)


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
