"""The totals line printed at the end of a run over several documents."""

from __future__ import annotations

from dataclasses import dataclass

from .diagnostics import Diagnostic, Severity
from .emit import Change


@dataclass(slots=True)
class Totals:
    """Counts of documents by outcome, diagnostics by severity, and files written."""

    generated: int = 0  # documents whose package changed (or would change)
    unchanged: int = 0
    skipped: int = 0  # shared consumes files
    failed: int = 0
    warnings: int = 0
    errors: int = 0
    written: int = 0  # files written (with --check/--dry-run: that would be)
    removed: int = 0  # stale files removed (or that would be)

    def count_diagnostics(self, diagnostics: list[Diagnostic]) -> None:
        """Add one document's diagnostics."""
        for diagnostic in diagnostics:
            if diagnostic.severity is Severity.ERROR:
                self.errors += 1
            else:
                self.warnings += 1

    def count_changes(self, changes: list[Change]) -> None:
        """Add one emitted document and its changed files."""
        if changes:
            self.generated += 1
        else:
            self.unchanged += 1
        self.removed += sum(1 for change in changes if change.kind == "removed")
        self.written += sum(1 for change in changes if change.kind != "removed")

    def line(self, *, check: bool, dry_run: bool) -> str:
        """`4 documents: 1 generated, ...; 3 warnings, 0 errors; 12 files written, 0 removed`."""
        documents = self.generated + self.unchanged + self.skipped + self.failed
        verb = "out of date" if check else "to generate" if dry_run else "generated"
        would = " would be" if check or dry_run else ""
        return (
            f"{documents} documents: {self.generated} {verb}, {self.unchanged} unchanged, "
            f"{self.skipped} skipped, {self.failed} failed; "
            f"{_plural(self.warnings, 'warning')}, {_plural(self.errors, 'error')}; "
            f"{_plural(self.written, 'file')}{would} written, {self.removed}{would} removed"
        )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
