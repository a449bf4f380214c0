"""Structural validation against the bundled Naftiko JSON Schema of the document's version.

Real catalogs bend the schema (SEMANTICS.md §1), so deviations are warnings (NG010) unless the
run is `--strict`. Whether a document can be *generated* is decided by lowering, not here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any
from urllib.parse import unquote

import jsonschema
from jsonschema.exceptions import ValidationError

from .diagnostics import Diagnostics, Severity
from .load import Document

SCHEMA_FILES = {
    "1.0.0-alpha1": "naftiko-schema-alpha1.json",
    "1.0.0-alpha2": "naftiko-schema-alpha2.json",
    "1.0.0-alpha3": "naftiko-schema-alpha3.json",
    "0.4": "naftiko-schema-v0.4.json",
    "0.5": "naftiko-schema-v0.5.json",
}
# Ikanos (`ikanos:` root key): the betas only add constructs, so the beta5 schema judges them all.
IKANOS_SCHEMA_FILES = {f"1.0.0-beta{n}": "ikanos-schema-beta5.json" for n in range(1, 6)}
LATEST = "1.0.0-alpha3"
IKANOS_LATEST = "1.0.0-beta5"


@functools.cache
def _validator(version: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_inline_refs(schema_of(version)))


def schema_of(version: str) -> dict[str, Any]:
    """The bundled schema of `version` as published (a fresh copy), but for the version string."""
    dialect, files = _dialect(version)
    text = resources.files("naftiko_gen").joinpath("schemas", files[version]).read_text()
    schema: dict[str, Any] = json.loads(text)
    # The engine never checks the version string (reference §0.1): accept any string here.
    schema["properties"][dialect] = {"type": "string"}
    return schema


# Beside a `$ref`, these only annotate: the reference alone decides what validates.
_ANNOTATIONS = frozenset({"$ref", "description", "title", "$comment"})


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with each local `{"$ref": "#/..."}` replaced by the very schema it names.

    The same validation and the same errors (jsonschema leaves `$ref` out of error paths), but
    without a registry lookup and a pointer walk each time a reference is met: a third of the
    time of validating a large document.
    """

    def named(node: Any) -> Any:
        seen: set[str] = set()
        while isinstance(node, dict) and str(node.get("$ref", "")).startswith("#/"):
            if not set(node) <= _ANNOTATIONS or node["$ref"] in seen:
                break
            seen.add(node["$ref"])
            node = _pointer(schema, node["$ref"])
        return node

    visited: set[int] = set()
    pending: list[Any] = [schema]
    while pending:
        node = pending.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, dict):
            keys: Iterable[Any] = list(node)
        elif isinstance(node, list):
            keys = range(len(node))
        else:
            continue
        for key in keys:
            node[key] = named(node[key])
            pending.append(node[key])
    return schema


def _pointer(schema: dict[str, Any], ref: str) -> Any:
    """The part of `schema` a local reference (`#/$defs/name`, RFC 6901) names."""
    node: Any = schema
    for part in ref.removeprefix("#/").split("/"):
        part = unquote(part).replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _dialect(version: str) -> tuple[str, dict[str, str]]:
    """The version's root key (`naftiko` or `ikanos`) and the schema files of that dialect."""
    return (
        ("ikanos", IKANOS_SCHEMA_FILES)
        if version in IKANOS_SCHEMA_FILES
        else (
            "naftiko",
            SCHEMA_FILES,
        )
    )


def schema_version(document: Document, diagnostics: Diagnostics) -> str:
    """The schema version to validate against; an unknown version value warns (NG003).

    A document with an `ikanos` root key is an Ikanos document; any other is a Naftiko one.
    """
    data = document.data if isinstance(document.data, dict) else {}
    key, files, latest = (
        ("ikanos", IKANOS_SCHEMA_FILES, IKANOS_LATEST)
        if "ikanos" in data
        else ("naftiko", SCHEMA_FILES, LATEST)
    )
    version = data.get(key)
    if isinstance(version, str) and version.strip() in files:
        return version.strip()
    name = key.capitalize()
    diagnostics.warning(
        "NG003",
        f"unknown {name} version {_short(version)}; validating against {latest}",
        document.loc((key,)),
        hint="supported versions: " + ", ".join(files),
    )
    return latest


def validate_schema(document: Document, diagnostics: Diagnostics, *, strict: bool) -> str:
    """Record one NG010 diagnostic per schema deviation (errors when `strict`).

    Returns the spec version the document was validated against.
    """
    version = schema_version(document, diagnostics)
    severity = Severity.ERROR if strict else Severity.WARNING
    found = []
    for leaf in (
        leaf for error in _validator(version).iter_errors(document.data) for leaf in leaves(error)
    ):
        pointer = tuple(leaf.absolute_path)
        message, key = _describe(leaf)
        if key is not None:
            pointer = (*pointer, key)
        found.append((document.loc(pointer), f"{message} (schema {version})"))
    # jsonschema walks some keywords (additionalProperties) in set order, which varies with
    # PYTHONHASHSEED: report in source order so the same document gives the same diagnostics.
    for loc, text in sorted(found, key=lambda item: (item[0].line, item[0].col, item[1])):
        if severity is Severity.ERROR:
            diagnostics.error("NG010", text, loc)
        else:
            diagnostics.warning("NG010", text, loc)
    return version


def leaves(error: ValidationError) -> list[ValidationError]:
    """The errors that explain `error`: for a failed oneOf/anyOf, those of the closest branch.

    The closest branch is the one whose discriminator (`type`) matches, then the one whose
    errors sit deepest (its top level fits), then the one with the fewest errors, then the
    first one; so an MCP adapter is judged as an MCP adapter, not as a REST one.
    """
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(int(sub.schema_path[0]), []).append(sub)

    def rank(item: tuple[int, list[ValidationError]]) -> tuple[int, int, int, int]:
        index, subs = item
        wrong_kind = any(
            e.validator in ("const", "enum") and list(e.path) == ["type"] for e in subs
        )
        shallowest = min(len(e.path) for e in subs)
        return (wrong_kind, -shallowest, len(subs), index)

    _, best = min(branches.items(), key=rank)
    return [leaf for sub in best for leaf in leaves(sub)]


def _describe(error: ValidationError) -> tuple[str, str | None]:
    """A short message for a schema error, and the offending key when it is a property name."""
    if error.validator == "additionalProperties":
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        extra = sorted(set(instance) - set(schema.get("properties", {})))
        if len(extra) == 1:
            return f"unexpected property '{extra[0]}'", extra[0]
        return "unexpected properties " + ", ".join(f"'{x}'" for x in extra), None
    if error.validator == "required":
        return error.message, None
    field = f"`{error.path[-1]}`" if error.path else "the document"
    if error.validator in ("oneOf", "anyOf"):
        return f"{field} matches none of the allowed forms", None
    if error.validator == "pattern":
        return f"{field} does not match {error.validator_value}", None
    if error.validator in ("const", "enum"):
        allowed = error.validator_value
        allowed_text = _short(allowed if error.validator == "enum" else [allowed])
        return f"{field} is not one of {allowed_text}", None
    if error.validator == "type":
        return f"{field} is not of type {_short(error.validator_value)}", None
    return error.message if len(error.message) < 160 else error.message[:157] + "...", None


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
