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


def parse_document(
    text: str, path: Path, display: str, diagnostics: Diagnostics
) -> Document | None:
    """Parse YAML text; the first document of a multi-document stream is the one used."""
    loader = _Loader(text)
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
    except yaml.YAMLError as exc:
        diagnostics.error("NG001", f"invalid YAML: {exc}", SourceLoc(display, 1, 1))
        return None
    finally:
        loader.dispose()
    if node is None:
        return Document(path, display, None, {})
    positions: dict[Pointer, tuple[int, int]] = {}
    try:
        data = _construct(loader, node, (), positions, display, diagnostics)
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        diagnostics.error("NG001", f"invalid YAML: {exc}", SourceLoc(display, 1, 1))
        return None
    return Document(path, display, data, positions)


def _first_node(loader: _Loader) -> yaml.Node | None:
    """Compose the first document; later documents in the stream are ignored."""
    if loader.check_node():
        node: yaml.Node = loader.get_node()
        return node
    return None


def _construct(
    loader: _Loader,
    node: yaml.Node,
    pointer: Pointer,
    positions: dict[Pointer, tuple[int, int]],
    display: str,
    diagnostics: Diagnostics,
) -> Any:
    positions[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<` merge keys
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key = key if isinstance(key, str) else str(key)
            if key in result:
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                diagnostics.warning(
                    "NG005",
                    f"duplicate key '{key}': the last value wins",
                    SourceLoc(display, line, col),
                )
            child = (*pointer, key)
            result[key] = _construct(loader, value_node, child, positions, display, diagnostics)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(loader, item, (*pointer, index), positions, display, diagnostics)
            for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)
