"""The OpenAPI document of a REST adapter, built from the IR.

The generated app serves this very document (it is committed as `openapi.json` in the package),
so what clients and fuzzers read is exactly what the code validates.
"""

from __future__ import annotations

from typing import Any

from .ir import Capability, Input, RestAdapter, Route
from .urlpath import request_path

PROBLEM = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem document.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "required": ["title", "status", "detail"],
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM}},
    }


RESPONSES = {
    "default": {
        "description": "The upstream status; on success the mapped upstream JSON, otherwise "
        "the upstream body unchanged.",
        "content": {"application/json": {"schema": {}}, "*/*": {"schema": {}}},
    },
    "422": _problem("Invalid input: the problem names each field."),
    "502": _problem("The upstream cannot be reached or answered an unusable body."),
    "504": _problem("The upstream did not answer in time."),
}
UNAUTHORIZED = _problem("Missing or invalid credentials.")
TOO_LARGE = _problem("The request body is over the adapter's size limit.")
HEALTH = {
    "get": {
        "operationId": "",
        "responses": {
            "200": {
                "description": "The service is up.",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"status": {"type": "string"}},
                        }
                    }
                },
            }
        },
    }
}


def _schema(item: Input) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    if item.json_type:
        schema["type"] = item.json_type
    if item.json_type == "array":
        schema["items"] = {} if item.location.startswith("body") else {"type": "string"}
    if item.pattern:
        schema["pattern"] = item.pattern
    if item.description:
        schema["description"] = item.description
    return schema


def _route_operation(route: Route, authenticated: bool) -> dict[str, Any]:
    """The OpenAPI operation object of one route."""
    inputs = route.operation.inputs
    operation: dict[str, Any] = {"operationId": route.name, "summary": route.summary}
    if route.tags:
        operation["tags"] = list(route.tags)
    if route.operation.description and route.operation.description != route.summary:
        operation["description"] = route.operation.description
    parameters = [
        {
            "name": item.py_name if item.location == "path" else item.name,
            "in": item.location,
            "required": item.required,
            "schema": _schema(item),
        }
        for item in inputs
        if item.location in ("path", "query", "header", "cookie")
    ]
    parameters += [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name, _ in route.repeated_path_params
    ]
    if parameters:
        operation["parameters"] = parameters
    body = _request_body(inputs)
    responses = _responses(route)
    if body:
        operation["requestBody"] = body
        responses = {**responses, "413": TOO_LARGE}
    if authenticated:
        operation["security"] = [{"adapter": []}]
        responses = {**responses, "401": UNAUTHORIZED}
    operation["responses"] = responses
    return operation


def openapi_document(capability: Capability, adapter: RestAdapter) -> dict[str, Any]:
    """OpenAPI 3.1 for one adapter: its routes, health endpoints and error responses."""
    paths: dict[str, dict[str, Any]] = {}
    for route in adapter.routes:
        operation = _route_operation(route, adapter.auth is not None)
        paths.setdefault(request_path(route.path), {})[route.method.lower()] = operation
    for forward in adapter.forwards:
        prefix = forward.path.removesuffix("{path:path}")
        operations = {
            method.lower(): {
                "operationId": f"{forward.handler}_{method.lower()}",
                "summary": f"Forwarded to the '{forward.namespace}' API",
                "parameters": [
                    {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "default": RESPONSES["default"],
                    "413": TOO_LARGE,
                    "502": RESPONSES["502"],
                },
            }
            for method in forward.methods
        }
        paths[prefix + "{path}"] = operations
    for name in ("live", "ready"):
        health = {"get": {**HEALTH["get"], "operationId": f"health_{name}"}}
        paths[f"/health/{name}"] = health
    info: dict[str, Any] = {"title": capability.title, "version": capability.version}
    if adapter.description or capability.description:
        info["description"] = adapter.description or capability.description
    components: dict[str, Any] = {"schemas": {"Problem": PROBLEM_SCHEMA}}
    if adapter.auth is not None:
        components["securitySchemes"] = {"adapter": adapter.auth.scheme}
    document: dict[str, Any] = {"openapi": "3.1.0", "info": info}
    named = dict.fromkeys((*capability.tags, *(tag for r in adapter.routes for tag in r.tags)))
    if named:
        document["tags"] = [{"name": tag} for tag in named]
    return {**document, "paths": paths, "components": components}


def _responses(route: Route) -> dict[str, Any]:
    """The route's responses: those the document declares, or its binary answer, then errors."""
    declared = route.responses
    if declared is None and route.operation.binary:
        content = {route.operation.binary: {"schema": {"type": "string", "format": "binary"}}}
        declared = {"200": {"description": "The bytes of the upstream answer.", "content": content}}
    if not declared:
        return RESPONSES
    return {**declared, **{code: r for code, r in RESPONSES.items() if code not in declared}}


def _request_body(inputs: tuple[Input, ...]) -> dict[str, Any] | None:
    whole = [i for i in inputs if i.location == "body"]
    fields = [i for i in inputs if i.location == "body-field"]
    if any(i.location == "body-path" for i in inputs):
        schema: dict[str, Any] = {
            "type": "object",
            "description": "Inputs are read from this JSON document.",
        }
        return {"required": True, "content": {"application/json": {"schema": schema}}}
    if whole:
        item = whole[0]
        schema = _schema(item)
        if not item.required and "type" in schema:
            # An optional body may be sent as JSON null: it means "no body", as its absence does.
            schema["type"] = [schema["type"], "null"]
        return {
            "required": item.required,
            "content": {"application/json": {"schema": schema}},
        }
    if not fields:
        return None
    schema = {
        "type": "object",
        "properties": {item.name: _schema(item) for item in fields},
    }
    required = [item.name for item in fields if item.required]
    if required:
        schema["required"] = required
    return {"required": bool(required), "content": {"application/json": {"schema": schema}}}
