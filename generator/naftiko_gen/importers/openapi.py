"""Read an OpenAPI document (Swagger 2.0, OpenAPI 3.0 or 3.1) into the few facts an import needs.

`$ref`s, local or to other files next to the document, are resolved with `referencing` (the
library `jsonschema` resolves its own references with). Everything that cannot become part of a
capability is recorded in `Api.left_out`, with the reason, so the written header can say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit
from urllib.request import url2pathname

import yaml
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable

from ..naming import unique, words

METHODS = ("get", "post", "put", "patch", "delete")  # the methods a capability can call
TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object"})
_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")  # what a parameter name may be in a capability
_MAX_REF_DEPTH = 32
_MAX_NAME = 60  # room for a `-2` suffix within the 64 characters of an MCP tool name
# Response media types the generated code converts to JSON (SEMANTICS.md §3, outputRawFormat).
_FORMATS = (
    ("json", ""),
    ("xml", "xml"),
    ("yaml", "yaml"),
    ("csv", "csv"),
    ("tab-separated-values", "tsv"),
    ("html", "html"),
    ("markdown", "markdown"),
)


class NotImportable(Exception):
    """The document cannot be imported at all (message says why)."""


@dataclass(frozen=True, slots=True)
class Param:
    """One request parameter: a path, query or header parameter, or the JSON body."""

    name: str
    location: str  # "path" | "query" | "header" | "body"
    type: str
    description: str
    required: bool
    fixed: str = ""  # a header with a default value: sent as is, not asked for


@dataclass(frozen=True, slots=True)
class Operation:
    """One upstream operation."""

    name: str  # kebab-case, unique in the document
    operation_id: str  # as in the document ("" when it has none)
    method: str  # upper case
    path: str  # as in the document: `/pets/{petId}`
    summary: str
    description: str
    tags: tuple[str, ...]
    params: tuple[Param, ...]
    output_format: str = ""  # outputRawFormat when the response is not JSON


@dataclass(frozen=True, slots=True)
class Auth:
    """How the upstream authenticates requests, from one security scheme."""

    scheme: str  # the scheme's name in the document
    kind: str  # "bearer" | "basic" | "apikey"
    origin: str  # the scheme as declared, e.g. "http bearer", "oauth2"
    key: str = ""  # apikey: header or query parameter name
    placement: str = ""  # apikey: "header" | "query"
    description: str = ""  # the scheme's own description (how the secret is formatted)


@dataclass(slots=True)
class Api:
    """What an OpenAPI document says that a capability can use."""

    source: str  # file name
    dialect: str  # "Swagger 2.0", "OpenAPI 3.1.0"
    title: str
    description: str
    version: str
    base_uri: str
    base_uri_origin: str
    auth: Auth | None
    operations: list[Operation]
    tags: list[str]
    left_out: list[str] = field(default_factory=list)


def kebab(text: str) -> str:
    """`listPets` → `list-pets`; `GET /pets/{id}` → `get-pets-id`."""
    return "-".join(words(text))


def read(path: Path) -> Api:
    """Read the document at `path`; raises NotImportable when it is not an OpenAPI document."""
    try:
        document = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise NotImportable(f"cannot read {path}: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise NotImportable(f"{path}: not an OpenAPI document (no `paths` mapping)")
    swagger = str(document.get("swagger", ""))
    openapi = str(document.get("openapi", ""))
    if not swagger.startswith("2.") and not openapi.startswith("3."):
        raise NotImportable(f"{path}: neither `swagger: 2.0` nor `openapi: 3.x` at the root")
    return _Reader(path, document, swagger=bool(swagger)).api(
        f"Swagger {swagger}" if swagger else f"OpenAPI {openapi}"
    )


def _load_file(uri: str) -> Resource[Any]:
    """A document another one refers to (`other.yaml#/...`), read from disk."""
    parts = urlsplit(uri)
    if parts.scheme != "file":
        raise Unresolvable(uri)
    with open(url2pathname(parts.path), encoding="utf-8") as handle:
        return Resource.opaque(yaml.safe_load(handle))


@dataclass(slots=True)
class _Reader:
    path: Path
    document: dict[str, Any]
    swagger: bool
    left_out: list[str] = field(default_factory=list)
    resolver: Any = field(init=False)  # a referencing.Resolver

    def __post_init__(self) -> None:
        uri = self.path.resolve().as_uri()
        # `retrieve` is Registry's documented hook (an attrs field mypy cannot see)
        registry: Registry[Any] = Registry(retrieve=_load_file).with_resource(  # type: ignore[call-arg]
            uri, Resource.opaque(self.document)
        )
        self.resolver = registry.resolver(base_uri=uri)

    def deref(self, node: Any) -> Any:
        """`node` with `$ref`s at its top followed (nested ones are followed where read)."""
        resolver = self.resolver
        for _ in range(_MAX_REF_DEPTH):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node
            try:
                resolved = resolver.lookup(node["$ref"])
            except Unresolvable as exc:
                raise NotImportable(f"{self.path}: cannot resolve $ref {exc}") from None
            node, resolver = resolved.contents, resolved.resolver
        raise NotImportable(f"{self.path}: $ref chain longer than {_MAX_REF_DEPTH}")

    def api(self, dialect: str) -> Api:
        info = self.deref(self.document.get("info")) or {}
        title = _text(info.get("title")) or self.path.stem
        base_uri, origin = self.base_uri()
        operations = self.operations()
        tags = sorted({tag for operation in operations for tag in operation.tags})
        return Api(
            source=self.path.name,
            dialect=dialect,
            title=title,
            description=_text(info.get("description")) or title,
            version=str(info.get("version") or ""),
            base_uri=base_uri,
            base_uri_origin=origin,
            auth=self.auth(),
            operations=operations,
            tags=tags,
            left_out=self.left_out,
        )

    def base_uri(self) -> tuple[str, str]:
        if self.swagger:
            host = str(self.document.get("host") or "")
            schemes = self.document.get("schemes") or ["https"]
            scheme = "https" if "https" in schemes else str(schemes[0])
            if host:
                base = f"{scheme}://{host}{self.document.get('basePath') or ''}"
                return base.rstrip("/"), "host, basePath and schemes"
        else:
            for server in self.document.get("servers") or []:
                url = _server_url(self.deref(server))
                if url.startswith(("http://", "https://")):
                    return url.rstrip("/"), "servers[0]"
        self.left_out.append(
            "base URI: the document names no absolute server URL; set <NS>_BASE_URL"
        )
        return "https://api.example.invalid", "placeholder"

    def auth(self) -> Auth | None:
        key = "securityDefinitions" if self.swagger else "securitySchemes"
        container = self.document if self.swagger else self.document.get("components") or {}
        schemes = {name: self.deref(scheme) for name, scheme in (container.get(key) or {}).items()}
        if not schemes:
            return None
        wanted = [
            name for requirement in self.document.get("security") or [] for name in requirement
        ]
        name = next((n for n in wanted if n in schemes), sorted(schemes)[0])
        auth = _auth(name, schemes[name], swagger=self.swagger)
        others = sorted(set(schemes) - {name})
        if others:
            self.left_out.append(
                "security schemes " + ", ".join(others) + f" (a capability uses one: '{name}')"
            )
        if auth is None:
            self.left_out.append(f"security scheme '{name}': its type cannot be expressed")
        return auth

    def operations(self) -> list[Operation]:
        result: list[Operation] = []
        taken: set[str] = set()
        for path, item in self.document["paths"].items():
            item = self.deref(item) or {}
            shared = item.get("parameters") or []
            for method in item:
                if method in ("head", "options", "trace"):
                    self.left_out.append(f"{method.upper()} {path}: method not callable")
                if method not in METHODS:
                    continue
                operation = self.operation(path, method, item[method], shared, taken)
                if operation is not None:
                    result.append(operation)
        return result

    def operation(
        self, path: str, method: str, node: Any, shared: list[Any], taken: set[str]
    ) -> Operation | None:
        node = self.deref(node) or {}
        where = f"{method.upper()} {path}"
        declared = self.declared_params(where, [*shared, *(node.get("parameters") or [])])
        if declared is None:
            return None
        params, body = declared
        request_body = self.deref(node.get("requestBody"))
        if isinstance(request_body, dict):
            content = request_body.get("content") or {}
            media = next((m for m in content if m.split(";")[0].strip().endswith("json")), None)
            if media is None:
                self.skip(where, "request body is not JSON (" + ", ".join(content) + ")")
                return None
            body = (
                content[media].get("schema"),
                _text(request_body.get("description")),
                bool(request_body.get("required")),
            )
        if body is not None:
            taken_names = {name for _, name in params}
            params |= {("body", p.name): p for p in self.body_params(*body, taken_names)}
        for variable in re.findall(r"{([^{}]+)}", path):
            if ("path", variable) not in params and _NAME.match(variable):
                self.left_out.append(f"{where}: path variable '{variable}' undeclared (added)")
                params[("path", variable)] = Param(variable, "path", "string", variable, True)
        output_format = self.output_format(node)
        if output_format is None:
            self.skip(where, "response is neither JSON nor a text format the code converts")
            return None
        operation_id = str(node.get("operationId") or "")
        base = kebab(operation_id) or kebab(f"{method} {path}") or method
        # the name is also the MCP tool's: clients refuse more than 64 characters
        name = unique(base[:_MAX_NAME].rstrip("-"), taken, "-")
        return Operation(
            name=name,
            operation_id=operation_id,
            method=method.upper(),
            path=path,
            summary=_text(node.get("summary")),
            description=_text(node.get("description")),
            tags=tuple(str(t) for t in node.get("tags") or ()),
            params=tuple(params.values()),
            output_format=output_format,
        )

    def declared_params(
        self, where: str, raws: list[Any]
    ) -> tuple[dict[tuple[str, str], Param], tuple[Any, str, bool] | None] | None:
        """The parameters by (location, name) and a Swagger 2.0 body (schema, description,
        required); None when one of them makes the operation skipped."""
        params: dict[tuple[str, str], Param] = {}
        body: tuple[Any, str, bool] | None = None
        for raw in raws:
            param = self.deref(raw)
            location = str(param.get("in"))
            name = str(param.get("name"))
            if location in ("cookie", "formData"):
                self.left_out.append(f"{where}: {location} parameter '{name}'")
                if location == "formData":
                    self.skip(where, "form data body")
                    return None
                continue
            if location == "body":  # Swagger 2.0
                body = (
                    param.get("schema"),
                    _text(param.get("description")),
                    bool(param.get("required")),
                )
                continue
            if not _NAME.match(name):
                if param.get("required") or location == "path":
                    self.skip(where, f"parameter name '{name}' cannot be declared")
                    return None
                self.left_out.append(f"{where}: parameter '{name}' (name cannot be declared)")
                continue
            params[(location, name)] = self.param(param, location)
        return params, body

    def output_format(self, node: dict[str, Any]) -> str | None:
        """`""` for JSON (or no content), the outputRawFormat of a text format, else None."""
        responses = self.deref(node.get("responses")) or {}
        success = [
            self.deref(response) or {}
            for code, response in sorted(responses.items(), key=lambda item: str(item[0]))
            if str(code).startswith("2")
        ]
        if self.swagger:
            produces = node.get("produces") or self.document.get("produces") or []
            media = [str(m) for m in produces if any(r.get("schema") for r in success)]
        else:
            media = [str(m) for r in success[:1] for m in r.get("content") or {}]
        if not media:
            return ""
        for marker, output_format in _FORMATS:  # JSON first, whatever order they are listed in
            if any(marker in media_type.lower() for media_type in media):
                return output_format
        return None

    def body_params(
        self, schema: Any, description: str, required: bool, taken: set[str]
    ) -> list[Param]:
        """A JSON object body's top-level properties, each an argument (the generated code
        sends them as one object); any other body is one `body` argument."""
        schema = self.deref(schema) or {}
        properties = schema.get("properties") if _type(schema, "") == "object" else None
        needed = set(schema.get("required") or ()) if required else set()
        if (
            isinstance(properties, dict)
            and properties
            and not schema.get("additionalProperties")
            and all(_NAME.match(str(n)) and n not in taken and n != "body" for n in properties)
        ):
            result = []
            for name, raw in properties.items():
                prop = self.deref(raw) or {}
                if prop.get("readOnly"):
                    continue
                text = _text(prop.get("description")) or str(name)
                result.append(Param(str(name), "body", _type(prop, "string"), text, name in needed))
            return result
        text = description or _text(schema.get("description")) or "JSON body"
        return [Param("body", "body", _type(schema, "object"), text, required)]

    def param(self, param: dict[str, Any], location: str) -> Param:
        schema = self.deref(param.get("schema")) or {}
        if self.swagger and location != "body":
            schema = param
        default = schema.get("default")
        fixed = ""
        if location == "header" and isinstance(default, (str, int, float)):
            fixed = "" if "{" in str(default) else str(default)
        return Param(
            name=str(param["name"]),
            location=location,
            type=_type(schema, "string"),
            description=_text(param.get("description"))
            or _text(schema.get("description"))
            or str(param["name"]),
            required=bool(param.get("required")) or location == "path",
            fixed=fixed,
        )

    def skip(self, where: str, reason: str) -> None:
        self.left_out.append(f"{where}: {reason}")


def _auth(name: str, scheme: dict[str, Any], *, swagger: bool) -> Auth | None:
    kind = str(scheme.get("type", ""))
    described = _text(scheme.get("description"))
    if kind == "http":
        http = str(scheme.get("scheme", "")).lower()
        if http in ("bearer", "basic"):
            return Auth(name, http, f"http {http}", description=described)
        return None
    if kind == "basic" and swagger:
        return Auth(name, "basic", "basic", description=described)
    if kind == "apiKey" and scheme.get("in") in ("header", "query"):
        key, placement = str(scheme.get("name")), str(scheme["in"])
        return Auth(name, "apikey", "apiKey", key, placement, described)
    if kind in ("oauth2", "openIdConnect"):
        # the access token is obtained elsewhere (flows, client credentials) and sent as bearer
        return Auth(name, "bearer", kind, description=described)
    return None


def _server_url(server: Any) -> str:
    """servers[n].url with its variables at their defaults."""
    if not isinstance(server, dict):
        return ""
    url = str(server.get("url") or "")
    for variable, spec in (server.get("variables") or {}).items():
        default = spec.get("default", "") if isinstance(spec, dict) else ""
        url = url.replace("{" + str(variable) + "}", str(default))
    return urldefrag(url).url


def _type(schema: Any, fallback: str) -> str:
    """The JSON type of a schema (3.1 type lists: the first that is not null)."""
    if not isinstance(schema, dict):
        return fallback
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    if declared in TYPES:
        return str(declared)
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return fallback


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str) else ""
