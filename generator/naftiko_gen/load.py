"""Load a YAML document into plain Python data, keeping the line and column of every node.

PyYAML's composer gives positions; we construct the data ourselves from the node tree so that
each value's JSON pointer maps to where it was written. Timestamps stay strings (`created:
2026-05-19` is text in a capability document, not a `date`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostics, SourceLoc

Pointer = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Document:
    """A loaded YAML file: its data and where each value came from."""

    path: Path
    display: str
    data: Any
    positions: Mapping[Pointer, tuple[int, int]]

    def loc(self, pointer: Pointer) -> SourceLoc:
        """The location of the value at `pointer`, or of its nearest located ancestor."""
        while pointer not in self.positions and pointer:
            pointer = pointer[:-1]
        line, col = self.positions.get(pointer, (1, 1))
        return SourceLoc(self.display, line, col)


# libyaml's parser when PyYAML was built with it (about 10x faster on large documents).
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that keeps YAML 1.1 timestamps as the text the user wrote."""


_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),
)


def load_document(path: Path, display: str, diagnostics: Diagnostics) -> Document | None:
    """Read and parse `path`; on failure record NG001 and return None."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        diagnostics.error("NG001", f"cannot read file: {exc}", SourceLoc(display, 1, 1))
        return None
    return parse_document(text, path, display, diagnostics)


MAX_DEPTH = 100  # nesting levels; real documents use about 15


class _Rejected(Exception):
    """A document that cannot be read as data, with where and why."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.line, self.col = line, col


def _position(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of character `index` of `text`."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _code_point(character: str | int) -> int:
    """The offending character of a reader error (libyaml gives a number, PyYAML a str)."""
    return character if isinstance(character, int) else ord(character)


def parse_document(
    text: str, path: Path, display: str, diagnostics: Diagnostics
) -> Document | None:
    """Parse YAML text; the first document of a multi-document stream is the one used."""
    try:
        loader = _Loader(text)  # PyYAML's pure-Python reader checks the characters here
    except yaml.reader.ReaderError as exc:
        _reader_error(text, exc, display, diagnostics)
        return None
    try:
        node = _first_node(loader)
    except yaml.MarkedYAMLError as exc:
        # The context mark is where the broken construct starts (an unclosed quote, say);
        # the problem mark is often just the end of the file.
        mark = exc.context_mark or exc.problem_mark
        loc = SourceLoc(display, mark.line + 1, mark.column + 1) if mark else None
        problem = ", ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        diagnostics.error("NG001", f"invalid YAML: {problem}", loc)
        return None
    except yaml.reader.ReaderError as exc:
        _reader_error(text, exc, display, diagnostics)
        return None
    except yaml.YAMLError as exc:
        diagnostics.error("NG001", f"invalid YAML: {exc}", SourceLoc(display, 1, 1))
        return None
    except RecursionError:  # PyYAML's pure-Python composer, without libyaml
        message = f"invalid YAML: nested deeper than {MAX_DEPTH} levels"
        diagnostics.error("NG001", message, SourceLoc(display, 1, 1))
        return None
    finally:
        loader.dispose()
    if node is None:
        return Document(path, display, None, {})
    positions: dict[Pointer, tuple[int, int]] = {}
    builder = _Builder(loader, positions, display, diagnostics, budget=len(text) + 10_000)
    try:
        data = builder.construct(node, ())
    except _Rejected as exc:
        diagnostics.error("NG001", str(exc), SourceLoc(display, exc.line, exc.col))
        return None
    return Document(path, display, data, positions)


def _reader_error(
    text: str, exc: yaml.reader.ReaderError, display: str, diagnostics: Diagnostics
) -> None:
    """NG001 at the character the YAML reader refuses (a control character, say)."""
    line, col = _position(text, exc.position)
    diagnostics.error(
        "NG001",
        f"invalid YAML: character U+{_code_point(exc.character):04X} is not allowed",
        SourceLoc(display, line, col),
    )


def _first_node(loader: _Loader) -> yaml.Node | None:
    """Compose the first document; later documents in the stream are ignored."""
    if loader.check_node():
        node: yaml.Node = loader.get_node()
        return node
    return None


@dataclass(slots=True)
class _Builder:
    """Builds plain data from the node tree, within bounds.

    Aliases are expanded (the data is a tree), so a document of nested aliases (a "billion
    laughs") would take exponential time and memory: at most `budget` nodes are built, a few
    more than a document without aliases of this size can have.
    """

    loader: _Loader
    positions: dict[Pointer, tuple[int, int]]
    display: str
    diagnostics: Diagnostics
    budget: int

    def construct(self, node: yaml.Node, pointer: Pointer) -> Any:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        self.budget -= 1
        if self.budget < 0:
            raise _Rejected("invalid YAML: aliases expand to too large a document", line, col)
        if len(pointer) > MAX_DEPTH:
            raise _Rejected(f"invalid YAML: nested deeper than {MAX_DEPTH} levels", line, col)
        self.positions[pointer] = (line, col)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, pointer)
        if isinstance(node, yaml.SequenceNode):
            return [self.construct(item, (*pointer, i)) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, pointer: Pointer) -> dict[str, Any]:
        try:
            self.loader.flatten_mapping(node)  # resolves `<<` merge keys
        except yaml.MarkedYAMLError as exc:
            raise _rejected(exc, node) from None
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Rejected("invalid YAML: a mapping key must be a plain value", line, col)
            key = self._scalar(key_node)
            key = key if isinstance(key, str) else str(key)
            if key in result:
                self.diagnostics.warning(
                    "NG005",
                    f"duplicate key '{key}': the last value wins",
                    SourceLoc(self.display, line, col),
                )
            result[key] = self.construct(value_node, (*pointer, key))
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            raise _rejected(exc, node) from None
        except (ValueError, TypeError, LookupError, ArithmeticError):
            raise _Rejected(
                f"invalid YAML: {node.value!r} is not a valid {node.tag.rpartition(':')[2]}",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            ) from None
        if isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value):
            raise _Rejected(
                "invalid YAML: a string with an unpaired surrogate (not Unicode text)",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        if not isinstance(value, (str, int, float, bool, type(None))):
            raise _Rejected(
                f"invalid YAML: tag {node.tag} does not give a JSON value",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        return value


def _rejected(exc: yaml.MarkedYAMLError, node: yaml.Node) -> _Rejected:
    """A constructor error as a located rejection (its mark, or the node's)."""
    mark = exc.problem_mark or exc.context_mark or node.start_mark
    problem = ", ".join(p for p in (exc.context, exc.problem) if p) or "invalid value"
    return _Rejected(f"invalid YAML: {problem}", mark.line + 1, mark.column + 1)
