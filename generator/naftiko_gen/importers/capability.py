"""Write an imported API as a capability document: consumes, a REST adapter and an MCP server.

Two dialects: the current Ikanos spec (`ikanos: "1.0.0-beta5"`, maps keyed by name, `{{x}}` path
variables) and Naftiko `1.0.0-alpha2` (lists of named entries, `{x}`). The output is a pure
function of the API and the options: same input, same bytes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..naming import env_name, unique
from .openapi import Api, Auth, Operation, Param, kebab

BETA5 = "1.0.0-beta5"
ALPHA2 = "naftiko-1.0.0-alpha2"
DIALECTS = (BETA5, ALPHA2)
REST_PORT, MCP_PORT = 8080, 9090

# MCP hints from the HTTP method (RFC 9110 §9.2): GET is safe; PUT and DELETE are idempotent;
# DELETE and PUT (which replaces the whole resource) may destroy data.
HINTS = {
    "GET": {"readOnly": True, "destructive": False, "idempotent": True},
    "PUT": {"readOnly": False, "destructive": True, "idempotent": True},
    "DELETE": {"readOnly": False, "destructive": True, "idempotent": True},
    "POST": {"readOnly": False, "destructive": False, "idempotent": False},
    "PATCH": {"readOnly": False, "destructive": False, "idempotent": False},
}


@dataclass(frozen=True, slots=True)
class Selection:
    """Which operations to import; empty means no filter."""

    include_tags: frozenset[str] = frozenset()
    exclude_tags: frozenset[str] = frozenset()
    operations: frozenset[str] = frozenset()  # operationIds or imported names

    def keeps(self, operation: Operation) -> bool:
        """Whether `operation` passes every filter."""
        tags = set(operation.tags)
        if self.include_tags and not tags & self.include_tags:
            return False
        if tags & self.exclude_tags:
            return False
        names = {operation.name, operation.operation_id}
        return not self.operations or bool(names & self.operations)


def select(api: Api, selection: Selection) -> list[Operation]:
    """The operations kept; raises ValueError naming `--operations` entries that match none."""
    known = {n for op in api.operations for n in (op.name, op.operation_id) if n}
    unknown = sorted(selection.operations - known)
    if unknown:
        raise ValueError("no operation named " + ", ".join(unknown))
    return [op for op in api.operations if selection.keeps(op)]


@dataclass(slots=True)
class _Writer:
    api: Api
    operations: list[Operation]
    namespace: str
    dialect: str
    secrets: dict[str, str] = field(default_factory=dict)  # variable → description

    @property
    def beta5(self) -> bool:
        return self.dialect == BETA5

    def variable(self, suffix: str, what: str) -> str:
        """`{{NAME}}` (beta5) or `{{env.NAME}}` (alpha2) for a secret the binds declare."""
        name = f"{env_name(self.namespace)}_{suffix}"
        self.secrets[name] = what
        return "{{" + name + "}}" if self.beta5 else "{{env." + name + "}}"

    def authentication(self, auth: Auth) -> dict[str, Any]:
        if auth.kind == "bearer":
            return {"type": "bearer", "token": self.variable("TOKEN", "bearer token")}
        if auth.kind == "basic":
            return {
                "type": "basic",
                "username": self.variable("USERNAME", "user name"),
                "password": self.variable("PASSWORD", "password"),
            }
        return {
            "type": "apikey",
            "key": auth.key,
            "value": self.variable("API_KEY", f"API key ({auth.placement} {auth.key})"),
            "placement": auth.placement,
        }

    def entries(self, items: dict[str, dict[str, Any]]) -> Any:
        """Named entries: a map in beta5, a list of `name:` entries in alpha2."""
        if self.beta5:
            return items
        return [{"name": name, **item} for name, item in items.items()]

    def path(self, path: str) -> str:
        return path.replace("{", "{{").replace("}", "}}") if self.beta5 else path

    def document(self) -> dict[str, Any]:
        consumes: dict[str, Any] = {
            "type": "http",
            "namespace": self.namespace,
            "description": self.api.description,
            "baseUri": self.api.base_uri,
        }
        if self.api.auth is not None:
            consumes["authentication"] = self.authentication(self.api.auth)
        consumes["resources"] = self.resources(self.consumed)
        info: dict[str, Any] = {
            "display" if self.beta5 else "label": self.api.title,
            "description": self.api.description,
        }
        tags = sorted({t for op in self.operations for t in op.tags})
        if tags:
            info["tags"] = tags
        document: dict[str, Any] = {"ikanos" if self.beta5 else "naftiko": self.version}
        document["info"] = info
        if self.secrets:
            document["binds"] = [
                {
                    "namespace": f"{self.namespace}-secrets",
                    "description": "Credentials of "
                    + self.api.title
                    + ", from the environment: "
                    + "; ".join(f"{k}: {v}" for k, v in self.secrets.items())
                    + (
                        f". {auth.description}"
                        if (auth := self.api.auth) and auth.description
                        else ""
                    ),
                    "keys": {name: name for name in self.secrets},
                }
            ]
        document["capability"] = {
            "consumes": [consumes],
            "exposes": [self.rest(), self.mcp()],
        }
        return document

    @property
    def version(self) -> str:
        return BETA5 if self.beta5 else ALPHA2.removeprefix("naftiko-")

    def resources(self, operation: Callable[[Operation], dict[str, Any]]) -> Any:
        """One resource per path (named after it), holding `operation(op)` for each of its ops."""
        resources: dict[str, dict[str, Any]] = {}
        names: dict[str, str] = {}
        taken: set[str] = set()
        for op in self.operations:
            if op.path not in names:
                names[op.path] = unique(kebab(op.path) or "root", taken, "-")
            resource = resources.setdefault(
                names[op.path], {"path": self.path(op.path), "operations": {}}
            )
            resource["operations"][op.name] = operation(op)
        for resource in resources.values():
            resource["operations"] = self.entries(resource["operations"])
        return self.entries(resources)

    def consumed(self, op: Operation) -> dict[str, Any]:
        operation: dict[str, Any] = {"method": op.method, **self.described(op)}
        if self.beta5 and op.tags:
            operation["tags"] = list(op.tags)
        if op.output_format:
            operation["outputRawFormat"] = op.output_format
        if op.params:
            operation["inputParameters"] = self.entries(
                {
                    p.name: {"in": p.location, **({"value": p.fixed} if p.fixed else {})}
                    for p in op.params
                }
            )
        return operation

    def exposed_params(self, op: Operation, *, rest: bool) -> dict[str, dict[str, Any]]:
        params: dict[str, dict[str, Any]] = {}
        for p in _asked(op):
            entry: dict[str, Any] = {"in": p.location} if rest else {}
            entry |= {"type": p.type, "description": p.description}
            if not rest and not p.required:
                entry["required"] = False
            params[p.name] = entry
        return params

    def rest(self) -> dict[str, Any]:
        namespace = f"{self.namespace}-rest"
        return {
            "type": "rest",
            "namespace": namespace,
            "port": REST_PORT,
            "resources": self.resources(
                lambda op: {
                    "method": op.method,
                    **self.described(op),
                    **self.wiring(op, namespace, rest=True),
                }
            ),
        }

    def mcp(self) -> dict[str, Any]:
        namespace = f"{self.namespace}-mcp"
        tools: dict[str, dict[str, Any]] = {}
        for op in self.operations:
            tool: dict[str, Any] = {}
            if op.summary:
                tool["display" if self.beta5 else "label"] = op.summary
            tool["description"] = op.description or op.summary or f"{op.method} {op.path}"
            if self.beta5 and op.tags:
                tool["tags"] = list(op.tags)
            tool["hints"] = {**HINTS[op.method], "openWorld": True}
            tool |= self.wiring(op, namespace, rest=False)
            tools[op.name] = tool
        return {
            "type": "mcp",
            "namespace": namespace,
            "port": MCP_PORT,
            "transport": "http",
            "description": f"MCP tools for {self.api.title}: one per imported operation.",
            "tools": self.entries(tools),
        }

    def wiring(self, op: Operation, namespace: str, *, rest: bool) -> dict[str, Any]:
        """`inputParameters`, `call` and `with` of a route or tool calling `op`."""
        asked = _asked(op)
        wiring: dict[str, Any] = {}
        if asked:
            wiring["inputParameters"] = self.entries(self.exposed_params(op, rest=rest))
        wiring["call"] = f"{self.namespace}.{op.name}"
        if asked:
            wiring["with"] = {p.name: f"{namespace}.{p.name}" for p in asked}
        return wiring

    def described(self, op: Operation) -> dict[str, Any]:
        text = op.summary or op.description
        return {"description": text} if text else {}


def _asked(op: Operation) -> list[Param]:
    """The parameters a caller gives (headers with a default are sent as is)."""
    return [p for p in op.params if not p.fixed]


def header(api: Api, operations: list[Operation], dialect: str, secrets: list[str]) -> str:
    """The comment opening the document: where it comes from and what was derived how."""
    auth = api.auth
    derived = [
        f"baseUri from {api.base_uri_origin}.",
        *(
            [
                f"{auth.kind} authentication from security scheme '{auth.scheme}' ({auth.origin});"
                " its secrets are bound from the environment: " + ", ".join(secrets) + "."
            ]
            if auth
            else []
        ),
        f"{len(operations)} of {len(api.operations)} operations: each one a consumed operation,"
        " a REST route on the same path and an MCP tool, named after its operationId.",
        "Tool hints from the HTTP method: GET read-only; PUT and DELETE idempotent and"
        " destructive; POST and PATCH neither.",
        "Descriptions from summaries and descriptions; tags from the operations' tags.",
        "Headers with a default value (API versions, media types) are sent with that value,"
        " not asked for.",
    ]
    lines = textwrap.wrap(
        f"Imported by naftiko-gen from {api.source} ({api.dialect}, {api.title!r}"
        f"{' ' + api.version if api.version else ''}) as {dialect}. A starting point to curate:"
        " names, descriptions and which operations to expose are yours to decide.",
        width=96,
    )
    lines.append("Derived:")
    for item in derived:
        lines += textwrap.wrap(item, width=96, initial_indent="- ", subsequent_indent="  ")
    if api.left_out:
        lines.append("Left out:")
        for item in sorted(set(api.left_out)):
            lines += textwrap.wrap(item, width=96, initial_indent="- ", subsequent_indent="  ")
    # text from the document must stay inside the comment: no line break of any kind survives
    return "".join(
        "# " + "".join(c if c.isprintable() else " " for c in line) + "\n" for line in lines
    )


def write(api: Api, operations: list[Operation], namespace: str, dialect: str) -> str:
    """The capability document for `operations` of `api`, as YAML text with its header."""
    writer = _Writer(api, operations, namespace, dialect)
    body = yaml.safe_dump(
        writer.document(),
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return header(api, operations, dialect, list(writer.secrets)) + body
