"""`naftiko-gen import openapi API.yaml -o capability.yaml`: the import command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .capability import BETA5, DIALECTS, Selection, select, write
from .openapi import NotImportable, kebab, read


@click.group("import", context_settings={"help_option_names": ["-h", "--help"]})
def import_group() -> None:
    """Start a capability document from another API description."""


def _names(values: tuple[str, ...]) -> frozenset[str]:
    """Repeatable, comma-separated option values."""
    return frozenset(v.strip() for value in values for v in value.split(",") if v.strip())


@import_group.command("openapi")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Capability document to write (default: standard output).",
)
@click.option("--namespace", help="Namespace of the consumed API (default: from the file name).")
@click.option(
    "--spec-version",
    type=click.Choice(DIALECTS),
    default=BETA5,
    show_default=True,
    help="Spec of the written document.",
)
@click.option("--include-tags", multiple=True, help="Only operations with one of these tags.")
@click.option("--exclude-tags", multiple=True, help="No operation with one of these tags.")
@click.option("--operations", multiple=True, help="Only these operations (operationId or name).")
def openapi(
    source: Path,
    output: Path | None,
    namespace: str | None,
    spec_version: str,
    include_tags: tuple[str, ...],
    exclude_tags: tuple[str, ...],
    operations: tuple[str, ...],
) -> None:
    """Turn the OpenAPI document SOURCE (Swagger 2.0, OpenAPI 3.0/3.1) into a capability."""
    try:
        api = read(source)
    except NotImportable as exc:
        click.echo(f"{source.as_posix()}:1:1: error[NG030]: {exc}", err=True)
        sys.exit(2)
    selection = Selection(_names(include_tags), _names(exclude_tags), _names(operations))
    try:
        kept = select(api, selection)
    except ValueError as exc:
        raise click.UsageError(f"--operations: {exc}") from None
    if not kept:
        click.echo(f"{source.as_posix()}:1:1: error[NG030]: no operation to import", err=True)
        sys.exit(2)
    text = write(api, kept, kebab(namespace or source.stem) or "api", spec_version)
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, "utf-8")
    click.echo(f"{output.as_posix()}: {len(kept)} operations imported", err=True)
