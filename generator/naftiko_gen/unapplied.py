"""Constructs of a valid Ikanos document that the generated code does not apply: each one warns.

The beta5 schema is loaded with a marker on every property listed in `UNAPPLIED`; validating a
document against it finds exactly the places where a document uses one, however deeply nested or
whichever `oneOf` branch it sits in. Every other property of the schema is applied by lowering,
or is documentation (`DOCUMENTATION`), or is refused by lowering with its own diagnostic
(`REPORTED_BY_LOWERING`); tests/unit/test_ikanos_coverage.py proves the four sets cover the
schema.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from .diagnostics import Diagnostics
from .load import Document
from .validate import IKANOS_LATEST, leaves, schema_of

MARKER = "x-naftiko-gen-unapplied"
UNLESS = "x-naftiko-gen-applied-value"  # a value that is what the package does anyway
SCRIPTING = "script steps are not generated, so there is nothing to configure"

# `$defs` entry → property → why the generated code does not apply it.
UNAPPLIED: dict[str, dict[str, str]] = {
    "ConsumesHttp": {
        "tunnel": "the package calls the upstream directly at its base URL, not through the "
        "tunnel (route it through the tunnel outside the package)",
    },
    "ConsumedHttpOperation": {
        "outputSchema": "the whole body is converted (no schema file, no selector)",
    },
    "AggregateFlow": {
        "outputMediaType": "a flow's answer is typed by the consumed operation it calls",
    },
    "ControlManagementSpec": {
        "health": "/health/live and /health/ready are always served",
        "reload": "the package has no reload endpoint: restart it to apply a new document",
        "validate": "the package has no validate endpoint: run naftiko-gen on the document",
        "logs": "the package has no log endpoint: it logs to stderr",
        "scripting": SCRIPTING,
    },
    "ObservabilitySpec": {
        "traces": "the package records no traces",
        "exporters": "the package exports no telemetry: /metrics is scraped",
    },
}

# Properties with no behaviour: they describe the document to its readers.
DOCUMENTATION: dict[str, tuple[str, ...]] = {
    "Info": ("created", "modified", "stakeholders"),
    "Person": ("fullName", "email", "role"),
    "Aggregate": ("display",),
    "ExposedResource": ("display",),
    "ConsumedHttpResource": ("display", "tags"),
    "ConsumedHttpOperation": ("tags",),
    "ImportEntry": ("description",),
}

# Constructs that lowering refuses or skips as a whole, with its own diagnostic (so their
# properties need no second one): script steps (NG107), exposed OAuth 2.1 resource servers
# (NG107), tunnel settings (under `tunnel`).
REPORTED_BY_LOWERING: tuple[str, ...] = (
    "OperationStepScript",
    "AuthOAuth2",
    "TunnelConfig",
    "TunnelZiti",
    "ScriptingManagementSpec",
    "ControlLogsEndpointSpec",
    "ObservabilityTracesSpec",
    "ObservabilityTracesLocalSpec",
    "ObservabilityExportersSpec",
    "ObservabilityOtlpExporterSpec",
)


# Properties of `UNAPPLIED` that warn only when their value differs from what the package does.
APPLIED_VALUES: dict[tuple[str, str], Any] = {("ControlManagementSpec", "health"): True}


def _marked(validator: Any, reason: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if UNLESS not in schema or instance != schema[UNLESS]:
        yield ValidationError(reason)


def definition_parts(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The parts of a `$defs` entry that declare properties: itself and its `allOf` members."""
    parts = [definition, *(p for p in definition.get("allOf", []) if isinstance(p, dict))]
    return [part for part in parts if isinstance(part.get("properties"), dict)]


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = schema_of(IKANOS_LATEST)
    for name, properties in UNAPPLIED.items():
        for part in definition_parts(schema["$defs"][name]):
            for key, reason in properties.items():
                if key in part["properties"]:
                    part["properties"][key] = {**part["properties"][key], MARKER: reason}
                    if (name, key) in APPLIED_VALUES:
                        part["properties"][key][UNLESS] = APPLIED_VALUES[name, key]
    checker: type[jsonschema.Draft202012Validator] = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        jsonschema.Draft202012Validator, {MARKER: _marked}
    )
    return checker(schema)


def report_unapplied(document: Document, diagnostics: Diagnostics) -> None:
    """One NG201 warning for each place the document uses a construct of `UNAPPLIED`."""
    seen: set[tuple[str | int, ...]] = set()
    found = (leaf for e in _validator().iter_errors(document.data) for leaf in leaves(e))
    for error in (leaf for leaf in found if leaf.validator == MARKER):
        pointer = tuple(error.absolute_path)
        if pointer in seen:
            continue
        seen.add(pointer)
        diagnostics.warning(
            "NG201",
            f"`{pointer[-1]}` is not applied: {error.message}",
            document.loc(pointer),
        )
