"""`capability.consumes`: upstream HTTP APIs become client classes (SEMANTICS.md §3)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..code import Code, call_code, py_str, steps_code
from ..ir import Auth, Body, Setting, Upstream, UpstreamOperation, UpstreamParam
from ..jsonpath import JsonPathError, compile_jsonpath
from ..load import Document, Pointer
from ..naming import class_name, env_name, identifier, normalized
from ..source import is_consumes_import
from .access import upstream_tls
from .binary import binary_size
from .binds import Binds, valid_env
from .context import Context, as_list, label, text
from .imports import resolve_import
from .templates import PATH_VARIABLE, PLACEHOLDER, placeholders, split, template_code

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
JSON_TYPES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "list[Any]",
    "object": "dict[str, Any]",
}
CALLER_PREFIXES = ("rest.", "tools.", "mcp.")
FORMATS = frozenset({"json", "yaml", "xml", "csv", "tsv", "psv", "html", "markdown"})
UNSUPPORTED_FORMATS = frozenset({"protobuf", "avro"})


@dataclass(slots=True)
class ConsumedOperation:
    """A consumed operation as wiring sees it: its IR and how to address it from Python."""

    upstream_attr: str
    namespace: str
    ir: UpstreamOperation
    pointer: Pointer
    document: Document

    def param(self, name: str) -> UpstreamParam | None:
        """The keyword parameter for a document name, compared as SEMANTICS.md §4 says."""
        for param in self.ir.params:
            if normalized(param.name) == normalized(name) or param.py_name == name:
                return param
        return None


@dataclass(slots=True)
class Consumes:
    """All upstreams of a capability and an index of their operations by `namespace.name`."""

    upstreams: list[Upstream] = field(default_factory=list)
    operations: dict[str, ConsumedOperation] = field(default_factory=dict)
    formats: set[str] = field(default_factory=set)
    unresolved: set[str] = field(default_factory=set)  # namespaces whose import failed
    # Every operation of a call key, with its folded resource name: catalogs reuse one
    # operation name (`post`) in every resource.
    candidates: dict[str, list[tuple[str, ConsumedOperation]]] = field(default_factory=dict)

    def find(
        self,
        call: str,
        *,
        resource: str | None = None,
        description: str = "",
        method: str | None = None,
        ordinal: int = 0,
    ) -> ConsumedOperation | None:
        """The operation `call` names. Among same-named ones, the one the caller plainly means:
        the same description, else its resource's name (case and punctuation aside), else the
        same HTTP method; else the n-th call of that name in an adapter means the n-th one.
        """
        candidates = self.candidates.get(call, [])
        if len(candidates) <= 1:
            return self.operations.get(call)
        tests: list[Callable[[str, ConsumedOperation], bool]] = [
            lambda name, c: bool(description) and c.ir.description == description,
            lambda name, c: bool(resource) and name == _folded(resource or ""),
            lambda name, c: bool(method) and c.ir.http_method == method,
        ]
        for test in tests:
            same = [c for name, c in candidates if test(name, c)]
            if len(same) == 1:
                return same[0]
        return candidates[ordinal][1] if ordinal < len(candidates) else candidates[0][1]


def lower_consumes(ctx: Context, binds: Binds) -> Consumes:
    """Lower every consumes entry, resolving `import` entries from sibling files."""
    result = Consumes()
    capability = ctx.document.data.get("capability") or {}
    taken_attrs: set[str] = {"settings"}
    namespaces: set[str] = set()
    for index, entry in enumerate(as_list(capability.get("consumes"))):
        pointer: Pointer = ("capability", "consumes", index)
        if not isinstance(entry, dict):
            continue
        entry_ctx, entry_pointer = ctx, pointer
        if is_consumes_import(entry):
            imported = resolve_import(ctx, entry, pointer, "consumes")
            if imported is None:
                result.unresolved.add(text(entry.get("as")) or text(entry.get("import")))
                continue
            entry_ctx, entry_pointer, entry = imported
        namespace = text(entry.get("namespace"))
        if not namespace:
            entry_ctx.error("NG109", "a consumes entry needs a `namespace`", entry_pointer)
            continue
        if namespace in namespaces:
            entry_ctx.warning(
                "NG102",
                f"consumes namespace '{namespace}' is defined twice; the first one is used",
                (*entry_pointer, "namespace"),
            )
            continue
        namespaces.add(namespace)
        kind = text(entry.get("type")) or "http"
        if kind != "http":
            entry_ctx.warning(
                "NG203",
                f"consumes type '{kind}' is not supported; namespace '{namespace}' is skipped",
                (*entry_pointer, "type"),
            )
            continue
        _UpstreamLowering(entry_ctx, binds, entry, entry_pointer, namespace, result).run(
            identifier(
                "api" if env_name(namespace) == ctx.env_prefix else env_name(namespace),
                taken_attrs,
            )
        )
    return result


def _folded(name: str) -> str:
    """A name without case or punctuation (`2-files-copy_batch_v2` ~ `2filescopybatchv2`)."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


class _UpstreamLowering:
    """Lowers one consumes entry; split into methods by the parts of the entry."""

    def __init__(
        self,
        ctx: Context,
        binds: Binds,
        entry: dict[str, Any],
        pointer: Pointer,
        namespace: str,
        result: Consumes,
    ) -> None:
        self.ctx = ctx
        self.binds = binds
        self.entry = entry
        self.pointer = pointer
        self.namespace = namespace
        self.result = result
        self.env = env_name(namespace)
        self.has_auth = isinstance(entry.get("authentication", entry.get("auth")), dict)

    def run(self, attr: str) -> None:
        base_url_attr, base_url_env = self._base_url()
        client_params = as_list(self.entry.get("inputParameters"))
        static_headers, static_query, client_free = self._client_params(client_params)
        operations: list[UpstreamOperation] = []
        seen: set[str] = set()
        taken_methods: set[str] = {"send", "aclose", "settings", "http", "retries"}
        for r_index, resource in enumerate(as_list(self.entry.get("resources"))):
            if not isinstance(resource, dict):
                continue
            r_pointer = (*self.pointer, "resources", r_index)
            for o_index, op in enumerate(as_list(resource.get("operations"))):
                o_pointer = (*r_pointer, "operations", o_index)
                if not isinstance(op, dict):
                    continue
                name = text(op.get("name"))
                if not name and text(op.get("id")):
                    name = text(op.get("id"))
                    op = {**op, "name": name}
                if not name:
                    self.ctx.warning(
                        "NG109",
                        "a consumed operation without a `name` cannot be called; skipped",
                        o_pointer,
                    )
                    continue
                key = f"{self.namespace}.{name}"
                if name in seen:
                    self.ctx.warning(
                        "NG102",
                        f"operation '{key}' is defined more than once; a call picks the one "
                        "whose resource has the caller's resource name, else the first",
                        (*o_pointer, "name"),
                    )
                seen.add(name)
                method_name = identifier(
                    f"{name} {text(resource.get('name'))}"
                    if key in self.result.operations
                    else name,
                    taken_methods,
                )
                lowered = _OperationLowering(self, resource, r_pointer, op, o_pointer).run(
                    method_name, client_free
                )
                operations.append(lowered)
                consumed = ConsumedOperation(
                    attr, self.namespace, lowered, o_pointer, self.ctx.document
                )
                self.result.operations.setdefault(key, consumed)
                folded = _folded(text(resource.get("name")))
                self.result.candidates.setdefault(key, []).append((folded, consumed))
        self.result.upstreams.append(
            Upstream(
                namespace=self.namespace,
                class_name=class_name(self.namespace) + "Client",
                attr=attr,
                base_url_attr=base_url_attr,
                base_url_env=base_url_env,
                description=text(self.entry.get("description")),
                auth=self._auth(),
                headers=tuple(static_headers),
                query=tuple(static_query),
                operations=tuple(operations),
                tls_attrs=upstream_tls(self.ctx, self.binds, self.env, self.namespace),
            )
        )

    # -- settings-level parts ------------------------------------------------------------

    def settings_ref(self, name: str, pointer: Pointer, *, prefix: str) -> Code | None:
        """A bound variable as code (`prefix` + attribute); implicit env binds warn."""
        attr = self.binds.lookup(name) or self.binds.implicit(self.ctx, name, pointer)
        return Code(prefix + attr) if attr else None

    def _base_url(self) -> tuple[str, str]:
        env = self.ctx_env(f"{self.env}_BASE_URL")
        attr = self.ctx.setting_attr(env)
        pointer = (*self.pointer, "baseUri")
        base = text(self.entry.get("baseUri")).strip()
        description = f"base URL of the '{self.namespace}' API"
        if base.endswith("/") and base.count("/") > 2:
            self.ctx.warning(
                "NG106",
                f"baseUri '{base}' ends with '/'; the trailing slash is dropped",
                pointer,
            )
            base = base.rstrip("/")
        unresolved = [v or w for v, w in re.findall(r"\{\{([^{}]*)\}\}|\{([^{}]*)\}", base)]
        unbound = [v for v in unresolved if not base.count("{{") or not self._bindable(v, pointer)]
        literal_start = base.split("{", 1)[0]
        if not base or (literal_start and not re.match(r"^https?://", base)) or unbound:
            reason = (
                "is empty"
                if not base
                else f"has unresolved variables {unbound}"
                if unbound
                else "is not an http(s) URL"
            )
            self.ctx.warning(
                "NG106",
                f"baseUri of '{self.namespace}' {reason}; the package requires {env} at startup",
                pointer,
            )
            setting = Setting(env, attr, "str", None, description, required=True)
        elif "{{" in base:
            code = template_code(base, lambda n: self.settings_ref(n, pointer, prefix=""))
            setting = Setting(env, attr, "str", None, description, default_code=code)
        else:
            setting = Setting(env, attr, "str", base, description)
        self.binds.settings.append(setting)
        return attr, env

    def _bindable(self, name: str, pointer: Pointer) -> bool:
        return self.settings_ref(name, pointer, prefix="") is not None

    def ctx_env(self, env: str) -> str:
        """Reserve an environment variable name (a second upstream with the same name gets _2)."""
        candidate, counter = env, 2
        while candidate in self.ctx.taken_envs:
            candidate = f"{env}_{counter}"
            counter += 1
        self.ctx.taken_envs.add(candidate)
        return candidate

    def _client_params(
        self, params: list[Any]
    ) -> tuple[list[tuple[str, Code]], list[tuple[str, Code]], list[dict[str, Any]]]:
        """Client-level parameters: fixed headers/query sent on every call, or per-call values."""
        headers: list[tuple[str, Code]] = []
        query: list[tuple[str, Code]] = []
        free: list[dict[str, Any]] = []
        for index, param in enumerate(params):
            if not isinstance(param, dict) or not text(param.get("name")):
                continue
            pointer = (*self.pointer, "inputParameters", index)
            where = text(param.get("in")) or "query"
            if "value" not in param:
                if where == "environment":
                    name = text(param["name"])
                    if valid_env(self.ctx, name, (*pointer, "name")):
                        self.binds.add_env(
                            self.ctx, name, name, "read by an `in: environment` param"
                        )
                    continue
                free.append(param)
                continue
            code = template_code(
                text(param.get("value")),
                functools.partial(self.settings_ref, pointer=pointer, prefix="settings."),
            )
            if where == "header":
                headers.append((text(param["name"]), code))
            elif where == "query":
                query.append((text(param["name"]), code))
            elif where == "environment":
                if valid_env(self.ctx, text(param["name"]), (*pointer, "name")):
                    self.binds.add_env(self.ctx, text(param["name"]), text(param["name"]), "env")
            else:
                self.ctx.warning(
                    "NG201",
                    f"client-level parameter in '{where}' is not applied",
                    pointer,
                )
        return headers, query, free

    def _auth(self) -> Auth | None:
        # `auth:` is a catalog spelling of `authentication:` (the schema already warned).
        auth = self.entry.get("authentication", self.entry.get("auth"))
        if not isinstance(auth, dict):
            return None
        pointer = (*self.pointer, "authentication")
        kind = text(auth.get("type")).lower()

        def code(key: str) -> Code:
            return template_code(
                text(auth.get(key)),
                lambda n: self.settings_ref(n, (*pointer, key), prefix="settings."),
            )

        if kind == "bearer":
            return Auth("bearer", token=code("token"))
        if kind == "apikey":
            placement = text(auth.get("placement")) or "header"
            if placement not in ("header", "query"):
                self.ctx.warning(
                    "NG201",
                    f"apikey placement '{placement}' is not supported; the key is sent as a header",
                    (*pointer, "placement"),
                )
                placement = "header"
            return Auth(
                "apikey",
                key=text(auth.get("key")) or "X-API-Key",
                value=code("value"),
                placement=placement,
            )
        if kind in ("basic", "digest"):
            return Auth(kind, username=code("username"), password=code("password"))
        if kind == "oauth2" and text(auth.get("tokenEndpoint")):
            client_id = self.binds.add_env(
                self.ctx, f"{self.env}_CLIENT_ID", f"{self.env}_CLIENT_ID", "OAuth2 client id"
            )
            client_secret = self.binds.add_env(
                self.ctx,
                f"{self.env}_CLIENT_SECRET",
                f"{self.env}_CLIENT_SECRET",
                "OAuth2 client secret",
            )
            return Auth(
                "oauth2",
                token_url=template_code(
                    text(auth.get("tokenEndpoint")),
                    lambda n: self.settings_ref(n, pointer, prefix="settings."),
                ),
                username=Code("settings." + client_id),
                password=Code("settings." + client_secret),
                scopes=tuple(str(s) for s in as_list(auth.get("scopes"))),
                audience=text(auth.get("audience")) or None,
            )
        self.ctx.warning(
            "NG201",
            f"'{kind or 'untyped'}' authentication of '{self.namespace}' is not applied "
            "by the generated client"
            + (" (oauth2 needs a `tokenEndpoint`)" if kind == "oauth2" else ""),
            pointer,
        )
        return None


class _OperationLowering:
    """Lowers one consumed operation into a client method."""

    def __init__(
        self,
        upstream: _UpstreamLowering,
        resource: dict[str, Any],
        r_pointer: Pointer,
        op: dict[str, Any],
        pointer: Pointer,
    ) -> None:
        self.up = upstream
        self.ctx = upstream.ctx
        self.resource = resource
        self.r_pointer = r_pointer
        self.op = op
        self.pointer = pointer
        self.params: dict[str, UpstreamParam] = {}
        self.taken = {"self"}

    def kwarg(
        self,
        name: str,
        *,
        required: bool,
        declared: dict[str, Any] | None = None,
        body: bool = False,
        location: str = "query",
    ) -> Code:
        """The keyword parameter for a caller-supplied value, created on first use."""
        key = normalized(name)
        if key not in self.params:
            declared = declared or {}
            json_type = text(declared.get("type")) or None
            if json_type not in JSON_TYPES:
                json_type = None if body else json_type
            if "required" in declared:
                required = declared.get("required") is True
            annotation = "Any" if body else "rt.ParamValue"
            if not required:
                annotation = "Any" if body else "rt.ParamValue | None"
            self.params[key] = UpstreamParam(
                name=name,
                py_name=identifier(name, self.taken),
                annotation=annotation,
                required=required,
                json_type=json_type if json_type in JSON_TYPES else None,
                description=text(declared.get("description")),
                is_body=body,
                location="body" if body else location,
            )
        return Code(self.params[key].py_name)

    def resolve(self, name: str, pointer: Pointer) -> Code | None:
        """A placeholder on the consumed side: a bind, else a value the caller supplies."""
        attr = self.up.binds.lookup(name)
        if attr:
            return Code("self.settings." + attr)
        for prefix in CALLER_PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix) :]
                break
        if (
            re.fullmatch(r"[A-Z][A-Z0-9_]*", name.removeprefix("env."))
            and normalized(name) not in self.params
        ):
            implicit = self.up.binds.implicit(self.ctx, name, pointer)
            if implicit:
                return Code("self.settings." + implicit)
        return self.kwarg(name, required=False)

    def _environment_param(self, name: str, pointer: Pointer) -> None:
        """An `in: environment` parameter: bound to the environment variable of its name."""
        if valid_env(self.ctx, name, (*pointer, "name")):
            self.up.binds.add_env(self.ctx, name, name, "read by an `in: environment` param")

    def _param_value(self, name: str, param: dict[str, Any], where: str, pointer: Pointer) -> Code:
        """A query, header or cookie parameter's value: its `value` template, else an argument."""
        if "value" in param:
            return template_code(
                text(param.get("value")), functools.partial(self.resolve, pointer=pointer)
            )
        return self.kwarg(
            name, required=param.get("required") is True, declared=param, location=where
        )

    def run(self, method_name: str, client_free: list[dict[str, Any]]) -> UpstreamOperation:
        http_method = (text(self.op.get("method")) or "GET").upper()
        path = self._path()
        declared = self._declared_params(client_free)
        path_parts = self._path_parts(path, declared)
        query: list[tuple[str, Code]] = []
        headers: list[tuple[str, Code]] = []
        cookies: list[tuple[str, Code]] = []
        body_params: list[tuple[str, dict[str, Any]]] = []
        path_names = {
            normalized((m.group(1) or m.group(2)).strip()) for m in PATH_VARIABLE.finditer(path)
        }
        for name, (param, pointer) in declared.items():
            where = text(param.get("in")) or "query"
            if where == "path":
                if normalized(name) not in path_names:
                    self.ctx.warning(
                        "NG103",
                        f"path parameter '{name}' does not appear in the path '{path}'; "
                        "it is not sent",
                        pointer,
                    )
                continue
            if where == "body":
                body_params.append((name, param))
                continue
            if where == "environment":
                self._environment_param(name, pointer)
                continue
            if where == "header" and name.lower() == "authorization" and self.up.has_auth:
                # The consumed `authentication` sets this header; a caller must not override it.
                self.ctx.warning(
                    "NG201",
                    "header parameter 'Authorization' is ignored: the namespace's "
                    "`authentication` sets it",
                    pointer,
                )
                continue
            target = {"query": query, "header": headers, "cookie": cookies}.get(where)
            if target is None:
                self.ctx.warning("NG201", f"parameter location '{where}' is not supported", pointer)
                continue
            target.append((name, self._param_value(name, param, where, pointer)))
        body = self._body(body_params)
        fmt = self._output_format()
        if fmt != "binary":  # bytes are passed through, not converted
            self.up.result.formats.add(fmt)
        params = tuple(self.params.values())
        projection = self._projection()
        return UpstreamOperation(
            key=f"{self.up.namespace}.{text(self.op.get('name'))}",
            name=text(self.op.get("name")),
            method_name=method_name,
            http_method=http_method,
            description=text(self.op.get("description")) or label(self.op),
            params=params,
            path_parts=path_parts,
            query=tuple(query),
            headers=tuple(headers),
            cookies=tuple(cookies),
            body=body,
            output_format=fmt,
            idempotent=http_method in IDEMPOTENT,
            projection=projection,
            max_binary=binary_size(self.ctx, self.op, self.pointer),
            media_type=text(self.op.get("outputMediaType")) or None,
        )

    def _path(self) -> str:
        """The operation's path below the base URI: the resource's path, then the operation's."""
        path = text(self.resource.get("path"))
        op_path = text(self.op.get("path"))
        if op_path:
            path = path.rstrip("/") + "/" + op_path.lstrip("/") if path else op_path
        if path and not path.startswith("/"):
            path = "/" + path
        return path

    def _output_format(self) -> str:
        """`outputRawFormat`, lowercased (`binary`: bytes passed through); an unknown one warns and
        is read as JSON."""
        fmt = (text(self.op.get("outputRawFormat")) or "json").lower()
        if fmt in UNSUPPORTED_FORMATS:
            self.ctx.warning(
                "NG201",
                f"outputRawFormat '{fmt}' is not supported; calls answer a 502 that says so",
                (*self.pointer, "outputRawFormat"),
            )
        elif fmt not in FORMATS and fmt != "binary":
            self.ctx.warning(
                "NG201",
                f"outputRawFormat '{fmt}' is unknown; the body is read as JSON",
                (*self.pointer, "outputRawFormat"),
            )
            fmt = "json"
        return fmt

    def _projection(self) -> Code | None:
        """Consumed outputParameters (`{name, value: $.path}`): how a step result is projected.

        The catalog idiom `{name: result, value: $.}` alone means "the whole body" and is left
        out, so that mappings read `$.step.field` as the document's author intended.
        """
        pairs: list[str] = []
        params = [p for p in as_list(self.op.get("outputParameters")) if isinstance(p, dict)]
        for index, param in enumerate(params):
            path = param.get("mapping", param.get("value"))
            name = text(param.get("name"))
            if not name or not isinstance(path, str) or not path.strip().startswith("$"):
                continue
            try:
                steps = compile_jsonpath(path)
            except JsonPathError as exc:
                self.ctx.warning(
                    "NG104",
                    f"{exc}; this output parameter is ignored",
                    (*self.pointer, "outputParameters", index),
                )
                continue
            if steps == () and len(params) == 1:
                return None
            pairs.append(f"({py_str(name)}, {steps_code(steps)})")
        return Code("(" + ", ".join(pairs) + ",)") if pairs else None

    def _declared_params(
        self, client_free: list[dict[str, Any]]
    ) -> dict[str, tuple[dict[str, Any], Pointer]]:
        """Client-, resource- and operation-level parameters; later levels win by name."""
        declared: dict[str, tuple[dict[str, Any], Pointer]] = {}
        sources = [
            (client_free, (*self.up.pointer, "inputParameters")),
            (as_list(self.resource.get("inputParameters")), (*self.r_pointer, "inputParameters")),
            (as_list(self.op.get("inputParameters")), (*self.pointer, "inputParameters")),
        ]
        for params, base in sources:
            for index, param in enumerate(params):
                if isinstance(param, dict) and text(param.get("name")):
                    declared[text(param["name"])] = (param, (*base, index))
        return declared

    def _path_parts(
        self, path: str, declared: dict[str, tuple[dict[str, Any], Pointer]]
    ) -> tuple[Code, ...]:
        """Literal text and percent-encoded segment values of the request path."""
        parts: list[Code] = []
        pos = 0
        by_name = {normalized(n): v for n, v in declared.items()}
        for match in PATH_VARIABLE.finditer(path):
            if match.start() > pos:
                parts.append(Code(py_str(path[pos : match.start()])))
            name = (match.group(1) or match.group(2)).strip()
            param, pointer = by_name.get(normalized(name), ({}, self.pointer))
            if "value" in param:
                value = template_code(
                    text(param["value"]), functools.partial(self.resolve, pointer=pointer)
                )
            elif self.up.binds.lookup(name):
                value = Code("self.settings." + str(self.up.binds.lookup(name)))
            else:
                value = self.kwarg(
                    name, required=True, declared={**param, "required": True}, location="path"
                )
            parts.append(Code(f"rt.segment({value})"))
            pos = match.end()
        if pos < len(path):
            parts.append(Code(py_str(path[pos:])))
        return tuple(parts) or (Code(py_str("")),)

    def _body(self, body_params: list[tuple[str, dict[str, Any]]]) -> Body | None:
        template = self.op.get("body")
        pointer = (*self.pointer, "body")
        if isinstance(template, str):
            return Body("json-text", self._json_text(template, pointer), "application/json")
        if isinstance(template, dict):
            kind = text(template.get("type")) or "json"
            data = template.get("data")
            if data is not None:
                return self._typed_body(kind, data, pointer)
        if not body_params:
            return None
        if len(body_params) == 1 and body_params[0][0] == "body":
            name, param = body_params[0]
            if "value" in param:
                return Body("json", self._json_value(param["value"], pointer))
            return Body(
                "json",
                self.kwarg(name, required=param.get("required") is True, declared=param, body=True),
            )
        fields: dict[str, Any] = {}
        for name, param in body_params:
            if "value" in param:
                fields[name] = self._json_value(param["value"], pointer)
            else:
                fields[name] = self.kwarg(
                    name, required=param.get("required") is True, declared=param, body=True
                )
        return Body("json-fields", fields)

    def _typed_body(self, kind: str, data: Any, pointer: Pointer) -> Body:
        if kind == "json":
            if isinstance(data, str):
                return Body("json-text", self._json_text(data, pointer), "application/json")
            return Body("json", self._json_value(data, pointer))
        if kind in ("text", "xml", "sparql"):
            media = {
                "text": "text/plain",
                "xml": "application/xml",
                "sparql": "application/sparql-query",
            }[kind]
            escape = "rt.xml_text" if kind == "xml" else None
            code = template_code(text(data), lambda n: self.resolve(n, pointer), escape=escape)
            return Body("content", code, media)
        if kind == "formUrlEncoded":
            if isinstance(data, dict):
                return Body("form", self._json_value(data, pointer))
            code = template_code(
                text(data), lambda n: self.resolve(n, pointer), escape="rt.form_value"
            )
            return Body("content", code, "application/x-www-form-urlencoded")
        if kind == "multipartForm":
            parts = []
            for part in as_list(data):
                if isinstance(part, dict):
                    parts.append(
                        {
                            "name": text(part.get("name")),
                            "value": template_code(
                                text(part.get("value")), lambda n: self.resolve(n, pointer)
                            ),
                            "filename": text(part.get("filename")) or None,
                            "content_type": text(part.get("contentType")) or None,
                        }
                    )
            return Body("multipart", parts)
        self.ctx.warning("NG201", f"body type '{kind}' is not supported; sent as JSON", pointer)
        return Body("json", self._json_value(data, pointer))

    def _json_value(self, data: Any, pointer: Pointer) -> Any:
        """A JSON template with placeholders filled type-safely (SEMANTICS.md §3)."""
        if isinstance(data, str):
            if not placeholders(data):
                return data
            code = template_code(data, lambda n: self.resolve(n, pointer))
            if [is_var for _, is_var in split(data.strip())] == [True]:
                self._any_json(code)  # exactly one placeholder: the value keeps its JSON type
            return code
        if isinstance(data, dict):
            return {str(k): self._json_value(v, pointer) for k, v in data.items()}
        if isinstance(data, list):
            return [self._json_value(v, pointer) for v in data]
        return data

    def _any_json(self, value: Code) -> None:
        """A caller value that a JSON template inserts as a JSON value takes any JSON value
        (an object record, a list, a number), not only text."""
        for key, param in self.params.items():
            if param.py_name == value and not param.is_body and param.json_type is None:
                self.params[key] = replace(
                    param,
                    annotation=param.annotation.replace("rt.ParamValue", "Any"),
                    any_json=True,
                )

    def _json_text(self, template: str, pointer: Pointer) -> Code:
        """A raw JSON text template: each value inserted as JSON text (`{{crewIds}}` → `[..]`)."""
        pieces: list[str] = []
        pos = 0
        for match in PLACEHOLDER.finditer(template):
            if match.start() > pos:
                pieces.append(py_str(template[pos : match.start()]))
            value = self.resolve(match.group(1), pointer) or Code("None")
            # Inside quotes the value is string content; elsewhere it is a JSON value.
            quoted = template[match.start() - 1 : match.start()] == '"' and (
                template[match.end() : match.end() + 1] == '"'
            )
            helper = "rt.json_string_content" if quoted else "rt.json_fragment"
            if not quoted:
                self._any_json(value)
            pieces.append(f"{helper}({value})")
            pos = match.end()
        if pos < len(template):
            pieces.append(py_str(template[pos:]))
        return call_code("rt.join_text", pieces)
