"""Diagnostics as data: every problem found in a document, with a stable code and a location.

Nothing deep in the pipeline raises for a problem in the *input*: it records a `Diagnostic` in the
document's `Diagnostics` and carries on, so one run reports every problem at once, compiler-style.
"""

from __future__ import annotations

import dataclasses
import enum
import os
from dataclasses import dataclass, field
from pathlib import Path


class Severity(enum.Enum):
    """How bad a diagnostic is: errors stop generation of their document, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class SourceLoc:
    """A 1-based line and column in a source file, as the user typed its path."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


def one_line(text: str) -> str:
    """`text` as one printable line: newlines and other control characters escaped.

    Messages quote document text; a newline copied into one would forge further lines (or
    GitHub workflow commands) in the output.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    return named or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def display_path(path: Path) -> str:
    """A path as diagnostics and headers show it: as typed, but one printable line.

    Bytes that are not UTF-8 (a file name from another system) print as `\\xNN`.
    """
    raw = os.fsencode(path.as_posix()).decode("utf-8", "backslashreplace")
    return one_line(raw)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: what, where, and (optionally) how to fix it."""

    severity: Severity
    code: str
    message: str
    loc: SourceLoc | None
    hint: str | None = None

    def format(self) -> str:
        """Render as `file:line:col: error[NG101]: message` plus an indented hint line."""
        where = f"{self.loc}: " if self.loc else ""
        text = f"{where}{self.severity.value}[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def format_github(self) -> str:
        """Render as a GitHub Actions workflow command, so CI annotates the pull request.

        Values are escaped by the workflow-command rules (`%`, CR, LF; and `,`, `:` in
        properties), so no document text can end the command and start another.
        """
        kind = "error" if self.severity is Severity.ERROR else "warning"
        properties = []
        if self.loc:
            file = _github_property(self.loc.file)
            properties = [f"file={file}", f"line={self.loc.line}", f"col={self.loc.col}"]
        properties.append(f"title={self.code}")
        message = self.message + (f" (hint: {self.hint})" if self.hint else "")
        return f"::{kind} {','.join(properties)}::{_github_data(message)}"


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


# Every code the generator can emit, with a one-line title. Codes are stable: tests and users'
# CI filters rely on them, so a code is never reused for a different problem.
CODES: dict[str, str] = {
    "NG001": "the file cannot be read or is not valid YAML",
    "NG002": "not a Naftiko capability document",
    "NG003": "unknown Naftiko spec version",
    "NG004": "shared consumes file: an import source, not a capability",
    "NG005": "duplicate key in a YAML mapping",
    "NG010": "the document deviates from the Naftiko JSON Schema",
    "NG020": "bad [tool.naftiko-gen] configuration",
    "NG021": "two documents of one run would write the same package",
    "NG030": "import: not a readable OpenAPI document, or nothing to import",
    "NG101": "a call names an operation that does not exist",
    "NG102": "a name is defined twice",
    "NG103": "a value the upstream needs is not a declared input (it is added)",
    "NG104": "unsupported JSONPath expression",
    "NG105": "the capability exposes nothing that can be generated",
    "NG106": "invalid or unusable base URI",
    "NG107": "construct that cannot be generated",
    "NG108": "an imported consumes file cannot be resolved",
    "NG109": "a required field is missing or has the wrong type",
    "NG110": "a skill cannot be served (its tool names no sibling adapter or action)",
    "NG111": "a name cannot be made safe (an environment variable name)",
    "NG112": "two exposed adapters of one type share a namespace (and so their settings)",
    "NG201": "feature not applied by the generated code",
    "NG202": "MCP tool name that some clients reject",
    "NG203": "adapter type not generated",
    "NG204": "a template names a variable that nothing binds",
    "NG205": "exposed adapters of different types share a namespace (and so their settings)",
    "NG301": "the output package folder was not written by naftiko-gen, or by another spec",
    "NG302": "the output cannot be read or written (a file system error)",
    "NG900": "internal error of the generator",
}


@dataclass(slots=True)
class Diagnostics:
    """The diagnostics of one document, deduplicated by (severity, code, message)."""

    items: list[Diagnostic] = field(default_factory=list)
    _seen: dict[tuple[Severity, str, str], int] = field(default_factory=dict)
    _repeats: dict[int, int] = field(default_factory=dict)

    def add(self, diagnostic: Diagnostic) -> None:
        """Record a diagnostic; a repeat of the same message only bumps a counter."""
        hint = one_line(diagnostic.hint) if diagnostic.hint else diagnostic.hint
        diagnostic = dataclasses.replace(
            diagnostic, message=one_line(diagnostic.message), hint=hint
        )
        key = (diagnostic.severity, diagnostic.code, diagnostic.message)
        index = self._seen.get(key)
        if index is not None:
            self._repeats[index] = self._repeats.get(index, 0) + 1
            # A repeat is shown at its first place in the document, whatever order it came in.
            if _place(diagnostic) < _place(self.items[index]):
                self.items[index] = diagnostic
            return
        self._seen[key] = len(self.items)
        self.items.append(diagnostic)

    def error(
        self, code: str, message: str, loc: SourceLoc | None, hint: str | None = None
    ) -> None:
        """Record an error: the document will produce no output."""
        self.add(Diagnostic(Severity.ERROR, code, message, loc, hint))

    def warning(
        self, code: str, message: str, loc: SourceLoc | None, hint: str | None = None
    ) -> None:
        """Record a warning: generation goes on."""
        self.add(Diagnostic(Severity.WARNING, code, message, loc, hint))

    @property
    def has_errors(self) -> bool:
        """Whether any error was recorded."""
        return any(d.severity is Severity.ERROR for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        """The diagnostics in source order, repeats folded into the message."""
        result = []
        for index, diagnostic in enumerate(self.items):
            repeats = self._repeats.get(index, 0)
            if repeats:
                more = "1 more place" if repeats == 1 else f"{repeats} more places"
                diagnostic = Diagnostic(
                    diagnostic.severity,
                    diagnostic.code,
                    f"{diagnostic.message} (and {more})",
                    diagnostic.loc,
                    diagnostic.hint,
                )
            result.append(diagnostic)

        return sorted(result, key=lambda d: (*_place(d), d.code))


def _place(diagnostic: Diagnostic) -> tuple[str, int, int]:
    """Where a diagnostic sits, for source order (no location first)."""
    loc = diagnostic.loc or SourceLoc("", 0, 0)
    return (loc.file, loc.line, loc.col)
