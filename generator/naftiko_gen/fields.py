"""Safe readers of document values: a missing or malformed field reads as empty.

Shared by the source stage (which finds import directives) and lowering.
"""

from __future__ import annotations

from typing import Any


def as_list(value: Any) -> list[Any]:
    """A list field; the map form of later dialects (`{name: {...}}`) becomes a list of entries."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [
            {"name": key, **item} if isinstance(item, dict) else item for key, item in value.items()
        ]
    return []


def mapping(value: Any) -> dict[str, Any]:
    """A mapping field; missing or malformed values read as empty."""
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str:
    """A text field; missing or non-text values read as empty."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
