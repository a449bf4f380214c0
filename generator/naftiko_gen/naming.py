"""Names: from the document's kebab-case, camelCase and free text to Python and env names."""

from __future__ import annotations

import keyword
import re
import sys

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^0-9A-Za-z]+")

# Names the generated operation functions use themselves; an input with one of these names
# gets a trailing underscore.
RESERVED = frozenset(
    {
        "clients",
        "fields",
        "max_bytes",
        "outcome",
        "payload",
        "read",
        "request",
        "response",
        "rt",
        "self",
        "settings",
        "web",
    }
)


# Top-level modules of the generated packages' dependencies.
TAKEN_MODULES = frozenset(
    {
        "fastapi",
        "httpx2",
        "jsonschema",
        "jwt",
        "mcp",
        "mcp_types",
        "pydantic",
        "starlette",
        "uvicorn",
        "yaml",
    }
)


def words(name: str) -> list[str]:
    """Split a name into lower-case words at `-`, `_`, spaces, punctuation and camelCase humps."""
    spaced = _CAMEL_BOUNDARY.sub(" ", name)
    return [w.lower() for w in _NON_WORD.split(spaced) if w]


def snake(name: str) -> str:
    """`issue-id`, `issueId`, `Issue ID` → `issue_id` (may be a keyword or start with a digit)."""
    return "_".join(words(name))


def normalized(name: str) -> str:
    """The form two names are compared in: case and `-`/`_` differences do not count."""
    return name.replace("-", "_").lower()


def identifier(name: str, taken: set[str], *, avoid: frozenset[str] = frozenset()) -> str:
    """A valid, unused Python identifier for `name`; the result is added to `taken`."""
    base = snake(name) or "value"
    if base[0].isdigit():
        base = "n" + base
    if keyword.iskeyword(base) or keyword.issoftkeyword(base) or base in avoid:
        base += "_"
    return unique(base, taken)


def unique(base: str, taken: set[str], separator: str = "_") -> str:
    """`base`, or `base_2`, `base_3`... whichever is not in `taken`; it is added to `taken`."""
    candidate = base
    counter = 2
    while candidate in taken:
        candidate = f"{base}{separator}{counter}"
        counter += 1
    taken.add(candidate)
    return candidate


def class_name(name: str) -> str:
    """`sentry-integration` → `SentryIntegration`."""
    result = "".join(w.capitalize() for w in words(name)) or "Value"
    return "N" + result if result[0].isdigit() else result


def short_attr(env: str, prefix: str) -> str:
    """`MY_CAP_REST_PORT` with prefix `MY_CAP` → `rest_port` (the prefix says nothing inside)."""
    stripped = env.removeprefix(prefix + "_") if prefix and env != prefix else env
    return stripped.lower()


def env_name(name: str) -> str:
    """`sentry-integration-platform` → `SENTRY_INTEGRATION_PLATFORM` (SEMANTICS.md §9)."""
    result = "_".join(w.upper() for w in _NON_WORD.split(name) if w)
    return "_" + result if result[:1].isdigit() else result


def dist_name(stem: str) -> str:
    """The distribution and folder name for a spec file stem (lower-case, PEP 503 normal form)."""
    return "-".join(w for w in re.split(r"[^0-9a-z]+", stem.lower()) if w) or "capability"


def package_name(dist: str) -> str:
    """The import package of a distribution: `my-cap` → `my_cap`.

    A name that a standard-library or dependency module already has (`numbers`, `mcp`) would
    shadow it, so it gets a `_capability` suffix.
    """
    name = dist.replace("-", "_")
    if name[0].isdigit() or keyword.iskeyword(name):
        name = "cap_" + name
    if name in sys.stdlib_module_names or name in TAKEN_MODULES:
        name += "_capability"
    return name
