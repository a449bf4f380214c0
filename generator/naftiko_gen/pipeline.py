"""The pipeline for one document: load → validate → lower → render. No I/O beyond reading.

`plan_document` is the one entry point the CLI, the tests and the corpus harness share.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .code import name_text
from .diagnostics import Diagnostic, Diagnostics, SourceLoc
from .emit import with_manifest
from .formatting import FormatterError, format_python
from .load import Document, load_document
from .lower import lower_capability
from .lower.context import Context
from .lower.limits import COMMON_ATTRS
from .provenance import record, recorded
from .render import plan
from .source import read_sources
from .unapplied import report_unapplied
from .validate import IKANOS_SCHEMA_FILES, validate_schema
from .views import is_runtime

# Ikanos standalone section files besides `consumes` (which is read like a shared consumes file).
SECTION_FILES = ("exposes", "aggregates", "binds")


@dataclass(frozen=True, slots=True)
class Options:
    """How documents are judged."""

    strict: bool = False
    package: str | None = None  # the distribution name; None: from the spec's file name
    # --check / --dry-run: the package folder that stands in for rendering when up to date
    reuse: Path | None = None


@dataclass(slots=True)
class DocumentResult:
    """The outcome of one document: a package plan, or the reasons there is none."""

    display: str
    name: str | None = None
    files: dict[str, bytes] | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    skipped: bool = False  # a shared consumes file: nothing to generate, not an error

    @property
    def failed(self) -> bool:
        """Whether the document has errors (and so produces no output)."""
        return self.files is None and not self.skipped


def _kind(document: Document, diagnostics: Diagnostics) -> str | None:
    """`capability`, `consumes` (a shared consumes file), a section of `SECTION_FILES` (an Ikanos
    standalone section file), or None with NG002 recorded."""
    data = document.data
    if isinstance(data, dict) and isinstance(data.get("capability"), dict):
        capability = data["capability"]
        if "exposes" not in capability and capability.get("consumes"):
            return "consumes"  # a consumes-only capability: an import source, like a shared file
        return "capability"
    if isinstance(data, dict) and "consumes" in data and "capability" not in data:
        return "consumes"
    if isinstance(data, dict) and "ikanos" in data and "capability" not in data:
        section = next((key for key in SECTION_FILES if key in data), None)
        if section is not None:
            return section  # an Ikanos standalone section file: an import source
    loc = document.loc(("capability",) if isinstance(data, dict) else ())
    if not isinstance(data, dict):
        diagnostics.error("NG002", "not a Naftiko document: the YAML root is not a mapping", loc)
    elif "ikanos" in data:
        diagnostics.error(
            "NG002",
            "this is an Ikanos document (`ikanos:` root key), not a Naftiko capability",
            loc,
            hint="naftiko-gen reads Naftiko documents (`naftiko:` + `capability:`)",
        )
    else:
        keys = ", ".join(sorted(map(str, data)))[:120]
        diagnostics.error(
            "NG002",
            f"not a Naftiko capability: no `capability` mapping (root keys: {keys})",
            loc,
            hint="a capability document has `naftiko: <version>` and `capability:` at its root",
        )
    return None


def plan_document(path: Path, display: str, options: Options) -> DocumentResult:
    """Everything needed to emit one document: its package plan or its diagnostics.

    A generator bug never escapes as a traceback: it becomes an NG900 diagnostic for this
    document (set NAFTIKO_GEN_DEBUG=1 to see the traceback instead).
    """
    diagnostics = Diagnostics()
    result = DocumentResult(display)
    if options.reuse is not None and options.package is not None:
        files, warnings = recorded(path, display, options.package, options.reuse, options.strict)
        if files:
            return DocumentResult(display, options.package, files, warnings)
    try:
        _plan(path, display, options, diagnostics, result)
    except Exception as exc:
        if os.environ.get("NAFTIKO_GEN_DEBUG") == "1":
            raise
        result.files = None
        diagnostics.error(
            "NG900",
            f"internal error: {type(exc).__name__}: {exc}",
            SourceLoc(display, 1, 1),
            hint="this is a naftiko-gen bug; please report it with the document",
        )
    result.diagnostics = diagnostics.sorted()
    return result


def _plan(
    path: Path,
    display: str,
    options: Options,
    diagnostics: Diagnostics,
    result: DocumentResult,
) -> None:
    document = load_document(path, display, diagnostics)
    kind = _kind(document, diagnostics) if document is not None else None
    if document is not None and kind == "consumes":
        diagnostics.warning(
            "NG004",
            "a shared consumes file (it consumes APIs but exposes nothing): nothing to generate",
            SourceLoc(display, 1, 1),
            hint="capabilities import it with `location:`; generate those instead",
        )
        result.skipped = True
    elif document is not None and kind in SECTION_FILES:
        validate_schema(document, diagnostics, strict=options.strict)
        diagnostics.warning(
            "NG004",
            f"a standalone `{kind}` section file: nothing to generate",
            SourceLoc(display, 1, 1),
            hint="capabilities import its entries with `from:` and `import:`; generate those",
        )
        result.skipped = True
    elif document is not None and kind == "capability":
        version = validate_schema(document, diagnostics, strict=options.strict)
        if version in IKANOS_SCHEMA_FILES:
            report_unapplied(document, diagnostics)
        sources = read_sources(document, diagnostics, strict=options.strict)
        ctx = Context(document, diagnostics, sources, options.strict, set(COMMON_ATTRS))
        capability = lower_capability(ctx, version, options.package)
        if capability is not None and not diagnostics.has_errors:
            spec_name = name_text(PurePosixPath(display).name)
            try:
                planned = plan(capability, spec_name)
                files = format_python(planned, laid_out={p for p in planned if is_runtime(p)})
            except FormatterError as exc:
                diagnostics.error(
                    "NG900",
                    f"internal error: generated code does not parse: {exc}",
                    SourceLoc(display, 1, 1),
                    hint="this is a naftiko-gen bug; please report it with the document",
                )
            else:
                result.name = capability.dist_name
                inputs = record(path, display, result.name, sources.inputs, diagnostics.sorted())
                result.files = with_manifest(files, spec_name, path.read_bytes(), inputs)
