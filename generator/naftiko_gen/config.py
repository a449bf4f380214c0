"""Project configuration: `[tool.naftiko-gen]` in `pyproject.toml`, merged with the command line.

The nearest `pyproject.toml` with a `[tool.naftiko-gen]` table (walking up from the working
folder), or the file given with `--config`, supplies defaults; options given on the command line
win. Paths in the file are relative to the file's folder. A bad key or value is a located
diagnostic (`pyproject.toml:LINE:COL: error[NG020]: ...`), never a silent default.
"""

from __future__ import annotations

import difflib
import glob
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import packages
from .diagnostics import Diagnostic, Severity, SourceLoc, display_path

TABLE = "naftiko-gen"
FORMATS = ("text", "github")
_DIST = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@dataclass(slots=True)
class Config:
    """What `[tool.naftiko-gen]` says, paths made absolute; None for a key it does not set."""

    path: Path
    display: str
    explicit: bool  # given with --config (rather than found)
    specs: list[Path] | None = None
    output: Path | None = None
    strict: bool | None = None
    jobs: int | None = None
    diagnostics_format: str | None = None
    quiet: bool | None = None
    packages: dict[Path, str] = field(default_factory=dict)


class ConfigError(Exception):
    """The configuration cannot be used; carries located diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("\n".join(d.format() for d in diagnostics))
        self.diagnostics = diagnostics


def find(start: Path) -> Path | None:
    """The nearest `pyproject.toml` at or above `start` that has a `[tool.naftiko-gen]` table."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _mentions_table(candidate):
            return candidate
    return None


def _mentions_table(path: Path) -> bool:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return bool(re.search(r"^\s*\[\s*tool\s*\.\s*\"?naftiko-gen\"?\s*[\].]", text, re.M))


def load(path: Path, *, explicit: bool) -> Config:
    """Read and check `[tool.naftiko-gen]` of `path` (given with --config when `explicit`)."""
    display = _display(path, explicit)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([_diagnostic(display, 1, 1, f"cannot read the file: {exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, col = (int(where[1]), int(where[2])) if where else (1, 1)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError([_diagnostic(display, line, col, f"invalid TOML: {message}")]) from None
    table = data.get("tool", {}).get(TABLE)
    if not isinstance(table, dict):
        raise ConfigError(
            [_diagnostic(display, 1, 1, f"no [tool.{TABLE}] table", "see README: Configuration")]
        )
    return _Reader(path, display, text).read(table, explicit)


def _diagnostic(
    display: str, line: int, col: int, message: str, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(Severity.ERROR, "NG020", message, SourceLoc(display, line, col), hint)


@dataclass(slots=True)
class _Reader:
    """Checks the table key by key, collecting every problem before failing."""

    path: Path
    display: str
    text: str
    problems: list[Diagnostic] = field(default_factory=list)

    def read(self, table: dict[str, Any], explicit: bool) -> Config:
        root = self.path.parent
        config = Config(self.path, self.display, explicit)
        readers: dict[str, Callable[[Any], None]] = {
            "specs": lambda v: setattr(config, "specs", self._specs(root, v)),
            "output": lambda v: setattr(config, "output", root / self._typed("output", v, str)),
            "strict": lambda v: setattr(config, "strict", self._typed("strict", v, bool)),
            "quiet": lambda v: setattr(config, "quiet", self._typed("quiet", v, bool)),
            "jobs": lambda v: setattr(config, "jobs", self._jobs(v)),
            "diagnostics-format": lambda v: setattr(config, "diagnostics_format", self._format(v)),
            "packages": lambda v: setattr(config, "packages", self._packages(root, v)),
        }
        for key, value in table.items():
            reader = readers.get(key)
            if reader is None:
                close = difflib.get_close_matches(key.replace("_", "-"), readers, n=1)
                self._problem(
                    key,
                    f"unknown key '{key}' in [tool.{TABLE}]",
                    f"did you mean '{close[0]}'?" if close else "keys: " + ", ".join(readers),
                )
                continue
            try:
                reader(value)
            except _BadValue:
                continue
        if self.problems:
            raise ConfigError(self.problems)
        return config

    def _typed(self, key: str, value: Any, kind: type) -> Any:
        if type(value) is not kind:
            names = {str: "a string", bool: "true or false", int: "an integer"}
            self._problem(key, f"'{key}' must be {names[kind]}, not {_toml_type(value)}")
            raise _BadValue
        return value

    def _jobs(self, value: Any) -> int:
        jobs: int = self._typed("jobs", value, int)
        if jobs < 1:
            self._problem("jobs", "'jobs' must be at least 1")
            raise _BadValue
        return jobs

    def _format(self, value: Any) -> str:
        fmt: str = self._typed("diagnostics-format", value, str)
        if fmt not in FORMATS:
            self._problem("diagnostics-format", f"'diagnostics-format' must be one of {FORMATS}")
            raise _BadValue
        return fmt

    def _specs(self, root: Path, value: Any) -> list[Path]:
        patterns = [value] if isinstance(value, str) else value
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            self._problem("specs", "'specs' must be a glob or a list of globs (strings)")
            raise _BadValue
        found: list[Path] = []
        for pattern in patterns:
            matches = sorted(glob.glob(pattern, root_dir=root, recursive=True))
            files = [root / m for m in matches if (root / m).is_file()]
            if not files:
                self._problem("specs", f"'{pattern}' matches no file (relative to {root})")
            found += [f for f in files if f not in found]
        return found

    def _packages(self, root: Path, value: Any) -> dict[Path, str]:
        if not isinstance(value, dict):
            self._problem("packages", "'packages' must be a table: spec path = package name")
            raise _BadValue
        result: dict[Path, str] = {}
        for spec, name in value.items():
            if not isinstance(name, str) or not _DIST.fullmatch(name):
                self._problem(
                    spec,
                    f"package name for '{spec}' must be lower-case words joined by '-'",
                    "for example 'billing-orders'",
                )
            elif not (root / spec).is_file():
                self._problem(spec, f"'{spec}' in 'packages' is not a file (relative to {root})")
            else:
                result[(root / spec).resolve()] = name
        return result

    def _problem(self, key: str, message: str, hint: str | None = None) -> None:
        line, col = self._locate(key)
        self.problems.append(_diagnostic(self.display, line, col, message, hint))

    def _locate(self, key: str) -> tuple[int, int]:
        """Where `key` is set inside the table (its header line when it cannot be found)."""
        header = (1, 1)
        inside = False
        quoted = re.escape(key)
        pattern = re.compile(rf"^(\s*)(\"{quoted}\"|'{quoted}'|{quoted})\s*=")
        for number, line in enumerate(self.text.splitlines(), start=1):
            stripped = line.strip()
            if stripped.startswith("["):
                inside = bool(re.match(rf"\[\s*tool\s*\.\s*\"?{TABLE}\"?\s*[\].]", stripped))
                if inside and header == (1, 1):
                    header = (number, 1)
                continue
            match = pattern.match(line) if inside else None
            if match:
                return number, len(match[1]) + 1
        return header


class _BadValue(Exception):
    """A value was reported as a problem; the key is skipped."""


def _toml_type(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return names.get(type(value), type(value).__name__)


@dataclass(frozen=True, slots=True)
class Spec:
    """One document of a run: its path, how it is shown, and its package name."""

    path: Path
    display: str
    package: str


@dataclass(slots=True)
class Run:
    """Everything one run needs, command line merged over configuration."""

    specs: list[Spec]
    out: Path
    strict: bool
    jobs: int | None
    diagnostics_format: str
    quiet: bool
    command: str  # how to rerun it, for the `--check` hint
    conflicts: dict[str, list[str]]  # package name → the displays of the specs sharing it

    def conflicts_of(self, spec: Spec) -> list[Diagnostic]:
        """NG021 when another document of the run has the same package name."""
        if spec.package not in self.conflicts:
            return []
        others = ", ".join(d for d in self.conflicts[spec.package] if d != spec.display)
        return [
            Diagnostic(
                Severity.ERROR,
                "NG021",
                f"package '{spec.package}' is also the package of {others}",
                SourceLoc(spec.display, 1, 1),
                "give one of them another name in [tool.naftiko-gen.packages]",
            )
        ]


def resolve(
    config: Config | None,
    specs: tuple[Path, ...],
    out: Path | None,
    given: dict[str, Any],
    defaults: dict[str, Any],
) -> Run:
    """Merge: a command-line option wins, then the configuration, then the default.

    `given` holds the options the user typed (`strict`, `jobs`, ...); `defaults` the others.
    Raises ValueError for a missing SPECS or output folder.
    """
    from_file = {
        "strict": config.strict if config else None,
        "jobs": config.jobs if config else None,
        "diagnostics_format": config.diagnostics_format if config else None,
        "quiet": config.quiet if config else None,
    }
    merged: dict[str, Any] = {
        key: given[key] if key in given else default if from_file[key] is None else from_file[key]
        for key, default in defaults.items()
    }
    paths = list(specs) or (config.specs if config and config.specs else [])
    target = out or (config.output if config else None)
    if not paths:
        raise ValueError("no SPECS given and no `specs` in [tool.naftiko-gen]")
    if target is None:
        raise ValueError("missing option '-o' / '--output' (or `output` in [tool.naftiko-gen])")
    root = config.path.parent.resolve() if config else Path.cwd()
    unique: dict[Path, Path] = {}
    for path in paths:
        unique.setdefault(path.resolve(), path)
    names, conflicts = packages.assign(list(unique), root, config.packages if config else {})
    run_specs = [
        Spec(path, _display(path, bool(specs)), names[resolved])
        for resolved, path in unique.items()
    ]
    shown = {s.path.resolve(): s.display for s in run_specs}
    if specs:
        command = (
            "naftiko-gen " + " ".join(s.as_posix() for s in specs) + f" -o {target.as_posix()}"
        )
    else:
        command = "naftiko-gen" + (
            f" --config {config.display}" if config and config.explicit else ""
        )
    return Run(
        run_specs,
        target if out else Path(_display(target, False)),
        bool(merged["strict"]),
        merged["jobs"],
        str(merged["diagnostics_format"]),
        bool(merged["quiet"]),
        command,
        {name: [shown[p] for p in users] for name, users in conflicts.items()},
    )


def _display(path: Path, typed: bool) -> str:
    """A path as the user typed it, or relative to the working folder when it came from a file
    (one printable line: see `diagnostics.display_path`)."""
    if typed:
        return display_path(path)
    try:
        return display_path(Path(os.path.relpath(path)))
    except ValueError:  # another drive (Windows)
        return display_path(path)
