"""What a capability document says, read straight from its YAML — independently of the generator.

The harness compares generated packages against this model, so it deliberately does not import
the generator's IR or lowering: it re-reads the document and applies SEMANTICS.md directly
(§3 calling an upstream, §4 wiring `call`/`with`, §5 routes, §6 tools and hints). Where the model
cannot tell what a document means it says so (`UNKNOWN`), and the harness skips that check rather
than guess.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
PATH_VARIABLE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}|\{([^{}/]+)\}")
ENV_LIKE = re.compile(r"[A-Z][A-Z0-9_]*")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object")
CALLER_PREFIXES = ("rest.", "tools.", "mcp.")
FORWARD_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")  # what a `forward` resource proxies
AGGREGATE_KEY = "\x00aggregate"  # marks an entry merged from an aggregate function (`ref`)


class _Absent:
    """A value nobody supplies: dropped from queries, headers and JSON objects."""

    def __repr__(self) -> str:
        return "ABSENT"


class _Unknown:
    """A value the model cannot predict: checks that depend on it are skipped."""

    def __repr__(self) -> str:
        return "UNKNOWN"


ABSENT: Any = _Absent()
UNKNOWN: Any = _Unknown()


# -- reading YAML ---------------------------------------------------------------------------


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML 1.1 as the documents are written (libyaml when available); timestamps stay text."""


_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),
)


def load_yaml(path: Path) -> Any:
    """The first YAML document of a file."""
    with path.open(encoding="utf-8") as handle:
        loader = _Loader(handle)
        try:
            return loader.get_data() if loader.check_data() else None
        finally:
            loader.dispose()


def items(value: Any) -> list[Any]:
    """A list field; the map form (`{name: {...}}`) becomes a list of named entries."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [{"name": k, **v} if isinstance(v, dict) else v for k, v in value.items()]
    return []


def mapping(value: Any) -> dict[str, Any]:
    """A mapping field; anything else reads as empty."""
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str:
    """A scalar as text; missing or structured values read as empty."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def norm(name: str) -> str:
    """Names are compared after normalising `-`/`_` (SEMANTICS.md §4) and case."""
    return name.replace("-", "_").lower()


def env_name(name: str) -> str:
    """`sentry-integration` → `SENTRY_INTEGRATION` (SEMANTICS.md §9)."""
    result = "_".join(w.upper() for w in re.split(r"[^0-9A-Za-z]+", name) if w)
    return "_" + result if result[:1].isdigit() else result


def shape(path: str) -> str:
    """A path with its variables blanked: `/a/{x}/b/{{y}}` → `/a/{}/b/{}`."""
    return PATH_VARIABLE.sub("{}", path)


def path_variables(path: str) -> list[str]:
    """The variable names of a path template, in order."""
    return [(m.group(1) or m.group(2)).strip() for m in PATH_VARIABLE.finditer(path)]


def value_text(value: Any) -> str:
    """How a value reads inside text (a URL, a header, a text template): JSON for non-strings."""
    if value is None or value is ABSENT:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def json_fragment(value: Any) -> str:
    """A value inside a raw JSON text template: a string is escaped (the quotes are the
    template's)."""
    if value is ABSENT:
        value = None
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)[1:-1]
    return json.dumps(value, ensure_ascii=False)


# -- the document ---------------------------------------------------------------------------


@dataclass
class ConsumedOp:
    """One consumed operation with its resource and consumes entry."""

    namespace: str
    entry: dict[str, Any]
    resource: dict[str, Any]
    op: dict[str, Any]

    @property
    def method(self) -> str:
        return (text(self.op.get("method")) or "GET").upper()

    @property
    def path(self) -> str:
        """The request path template, without a `?query` written into it (and never a `#fragment`:
        `/#DescribeTable`, AWS's way to tell operations apart, is not part of the request)."""
        return self.full_path.split("?", 1)[0]

    @property
    def path_query(self) -> list[tuple[str, str]]:
        """`/oauth/token?refresh` → `[("refresh", "")]`: query text written into the path."""
        from urllib.parse import parse_qsl

        query = self.full_path.partition("?")[2]
        return parse_qsl(query, keep_blank_values=True) if query else []

    @property
    def full_path(self) -> str:
        path = text(self.resource.get("path"))
        op_path = text(self.op.get("path"))
        if op_path:
            path = path.rstrip("/") + "/" + op_path.lstrip("/") if path else op_path
        if path and not path.startswith("/"):
            path = "/" + path
        return path.split("#", 1)[0]

    @property
    def output_format(self) -> str:
        return (text(self.op.get("outputRawFormat")) or "json").lower()

    def auth_header(self) -> str | None:
        """The header (lower case) the namespace's `authentication` sets, if any."""
        auth = self.entry.get("authentication") or self.entry.get("auth")
        if not isinstance(auth, dict):
            return None
        kind = text(auth.get("type")).lower()
        if kind in ("bearer", "basic", "digest", "oauth2"):
            return "authorization"
        if kind == "apikey" and (text(auth.get("placement")) or "header") == "header":
            return (text(auth.get("key")) or "X-API-Key").lower()
        return None

    def shadowed(self, name: str) -> bool:
        """A header parameter the authentication sets: it is ignored (the generator warns)."""
        header = self.auth_header()
        return header is not None and name.lower() == header

    def params(self) -> dict[str, dict[str, Any]]:
        """Client-level (without `value`), resource- and operation-level parameters by name,
        except header parameters that the namespace's authentication sets."""
        declared: dict[str, dict[str, Any]] = {}
        client = [
            p
            for p in items(self.entry.get("inputParameters"))
            if isinstance(p, dict) and "value" not in p
        ]
        for source in (
            client,
            items(self.resource.get("inputParameters")),
            items(self.op.get("inputParameters")),
        ):
            for param in source:
                if isinstance(param, dict) and text(param.get("name")):
                    declared[text(param["name"])] = param
        return {
            name: param
            for name, param in declared.items()
            if not (text(param.get("in")) == "header" and self.shadowed(name))
        }

    def client_params(self) -> list[dict[str, Any]]:
        """Consumes-level parameters with a `value`: sent with every request."""
        return [
            p
            for p in items(self.entry.get("inputParameters"))
            if isinstance(p, dict) and "value" in p and text(p.get("name"))
        ]


@dataclass
class Exposed:
    """An exposed REST operation or MCP tool."""

    kind: str  # rest | mcp
    adapter: dict[str, Any]
    entry: dict[str, Any]
    name: str
    method: str = ""  # rest
    path: str = ""  # rest
    resource: dict[str, Any] = field(default_factory=dict)
    ordinal: int = 0  # how many earlier operations of the adapter call the same name

    @property
    def namespace(self) -> str:
        return text(self.adapter.get("namespace"))

    @property
    def prefixes(self) -> tuple[str, ...]:
        extra = [f"{ns}." for ns in (self.namespace, text(self.entry.get(AGGREGATE_KEY))) if ns]
        return (*CALLER_PREFIXES, *extra)

    def declared_inputs(self) -> list[dict[str, Any]]:
        """Declared inputParameters (resource-level first for REST), minus constants."""
        declared = items(self.resource.get("inputParameters")) + items(
            self.entry.get("inputParameters")
        )
        result, seen = [], set()
        for param in declared:
            if not isinstance(param, dict) or not text(param.get("name")):
                continue
            value = param.get("value")
            if isinstance(value, str) and value and not value.startswith("$"):
                continue  # a constant, not something the caller sends
            if text(param["name"]) in seen:
                continue
            seen.add(text(param["name"]))
            result.append(param)
        return result

    def body_paths(self) -> dict[str, str]:
        """REST inputs read from the request body by JSONPath (`in: body`, `value: $.user.id`)."""
        if self.kind != "rest":
            return {}
        result = {}
        for param in self.declared_inputs():
            value = param.get("value")
            if text(param.get("in")) == "body" and isinstance(value, str) and value.startswith("$"):
                result[text(param["name"])] = value
        return result

    @property
    def has_declared_inputs(self) -> bool:
        return bool(
            items(self.resource.get("inputParameters")) + items(self.entry.get("inputParameters"))
        )


class Model:
    """A capability document as SEMANTICS.md reads it."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self.capability: dict[str, Any] = data.get("capability") or {}
        self.notes: list[str] = []  # what the model could not interpret
        self.binds: dict[str, str] = {}  # VAR -> environment variable
        self.bind_namespaces: set[str] = {"env"}
        self._read_binds()
        self.consumes: dict[str, dict[str, Any]] = {}
        self.operations: dict[str, ConsumedOp] = {}
        self.candidates: dict[str, list[ConsumedOp]] = {}  # every operation of a name
        self._read_consumes()
        self.aggregates: dict[str, dict[str, Any]] = {}
        self._read_aggregates()

    # -- binds ------------------------------------------------------------------------------

    def _read_binds(self) -> None:
        entries = items(self.data.get("binds")) + items(self.capability.get("binds"))
        for entry in entries:
            if isinstance(entry, str):
                self.binds.setdefault(entry, entry)
                continue
            if not isinstance(entry, dict):
                continue
            namespace = text(entry.get("namespace"))
            if namespace:
                self.bind_namespaces.add(namespace)
            keys = entry.get("keys")
            if not isinstance(keys, dict):
                continue
            file_bound = bool(text(entry.get("location")))
            for var, source in keys.items():
                # Values from a bind file can be overridden by the variable of the same name.
                env = str(var) if file_bound else (text(source) or str(var))
                self.binds.setdefault(str(var), env)

    def bind_env(self, name: str) -> str | None:
        """The environment variable behind `VAR`, `env.VAR` or `<bind-namespace>.VAR`."""
        if name in self.binds:
            return self.binds[name]
        prefix, _, rest = name.partition(".")
        if rest and prefix in self.bind_namespaces and rest in self.binds:
            return self.binds[rest]
        return None

    def implicit_env(self, name: str) -> str | None:
        """An undeclared `{{VAR}}` / `{{env.VAR}}` (UPPER_SNAKE): read from the variable VAR."""
        var = name.partition(".")[2] if name.startswith("env.") else name
        return var if ENV_LIKE.fullmatch(var) else None

    # -- consumes ---------------------------------------------------------------------------

    def _read_consumes(self) -> None:
        for entry in items(self.capability.get("consumes")):
            if not isinstance(entry, dict):
                continue
            if "import" in entry or (
                ("location" in entry or "from" in entry) and "baseUri" not in entry
            ):
                entry = self._import(entry)
                if entry is None:
                    continue
            namespace = text(entry.get("namespace"))
            if not namespace or namespace in self.consumes:
                continue
            if (text(entry.get("type")) or "http") != "http":
                continue
            self.consumes[namespace] = entry
            for resource in items(entry.get("resources")):
                if not isinstance(resource, dict):
                    continue
                for op in items(resource.get("operations")):
                    # `id:` instead of `name:` (some catalog documents): the same intent.
                    name = (
                        text(op.get("name")) or text(op.get("id")) if isinstance(op, dict) else ""
                    )
                    if not name:
                        continue
                    key = f"{namespace}.{name}"
                    found = ConsumedOp(namespace, entry, resource, op)
                    self.operations.setdefault(key, found)
                    self.candidates.setdefault(key, []).append(found)

    def _import(self, entry: dict[str, Any]) -> dict[str, Any] | None:
        location = (text(entry.get("location")) or text(entry.get("from"))).removeprefix("file://")
        wanted = text(entry.get("import"))
        if not location:
            return None
        try:
            data = load_yaml(self.path.parent / location)
        except (OSError, yaml.YAMLError):
            return None
        candidates = []
        if isinstance(data, dict):
            # A shared file holds `consumes` at its root, or (older catalogs) under `capability`.
            nested = mapping(data.get("capability"))
            candidates = items(data.get("consumes")) + items(nested.get("consumes"))
        for candidate in candidates:
            if isinstance(candidate, dict) and (
                not wanted or text(candidate.get("namespace")) == wanted
            ):
                imported = dict(candidate)
                alias = text(entry.get("as"))
                if alias or not imported.get("namespace"):
                    imported["namespace"] = alias or wanted
                return imported
        return None

    def _read_aggregates(self) -> None:
        for aggregate in items(self.capability.get("aggregates")):
            if not isinstance(aggregate, dict):
                continue
            namespace = text(aggregate.get("namespace"))
            for function in items(aggregate.get("functions")) + items(aggregate.get("flows")):
                if isinstance(function, dict) and text(function.get("name")):
                    self.aggregates[f"{namespace}.{text(function['name'])}"] = function

    # -- exposes ----------------------------------------------------------------------------

    def adapters(self, kind: str) -> list[dict[str, Any]]:
        return [
            e
            for e in items(self.capability.get("exposes"))
            if isinstance(e, dict) and text(e.get("type")) == kind
        ]

    def routes(self, adapter: dict[str, Any]) -> list[Exposed]:
        """The REST routes a `rest` adapter serves (first definition of a route wins)."""
        result: list[Exposed] = []
        seen: set[tuple[str, str]] = set()
        for resource in items(adapter.get("resources")):
            if not isinstance(resource, dict):
                continue
            path = text(resource.get("path")) or "/"
            if not path.startswith("/"):
                path = "/" + path
            forward = resource.get("forward")
            if isinstance(forward, dict):
                served = {
                    (text(op.get("method")) or "GET").upper()
                    for op in items(resource.get("operations"))
                    if isinstance(op, dict)
                }
                for method in FORWARD_METHODS:
                    if method not in served and (method, shape(path)) not in seen:
                        seen.add((method, shape(path)))
                        result.append(
                            Exposed(
                                "forward",
                                adapter,
                                forward,
                                f"forward {path}",
                                method,
                                path,
                                resource,
                            )
                        )
            for op in items(resource.get("operations")):
                if not isinstance(op, dict):
                    continue
                method = (text(op.get("method")) or "GET").upper()
                if method not in METHODS:
                    self.notes.append(f"route {method} {path}: method cannot be served")
                    continue
                if (method, shape(path)) in seen:
                    continue
                op = self.merge_ref(op)
                if not self.does_something(op):
                    continue
                seen.add((method, shape(path)))
                name = text(op.get("name")) or f"{method} {path}"
                result.append(Exposed("rest", adapter, op, name, method, path, resource))
        return self._numbered(result)

    def tools(self, adapter: dict[str, Any]) -> list[Exposed]:
        """The tools of an `mcp` adapter (first definition of a name wins)."""
        result: list[Exposed] = []
        seen: set[str] = set()
        for tool in items(adapter.get("tools")):
            if not isinstance(tool, dict):
                continue
            tool = self.merge_ref(tool)
            if not text(tool.get("name")):
                continue
            name = text(tool["name"])
            if name in seen or not self.does_something(tool):
                continue
            seen.add(name)
            result.append(Exposed("mcp", adapter, tool, name))
        return self._numbered(result)

    def _numbered(self, exposed: list[Exposed]) -> list[Exposed]:
        """Set each operation's `ordinal` among the adapter's calls of the same name."""
        counts: dict[str, int] = {}
        for item in exposed:
            call = self.call_of(item) if item.kind != "forward" else None
            if call:
                item.ordinal = counts.get(call[0], 0)
                counts[call[0]] = item.ordinal + 1
        return exposed

    def merge_ref(self, entry: dict[str, Any]) -> dict[str, Any]:
        """An operation or tool with `ref: ns.fn` seen as the function it refers to (engine §1.5):
        it inherits name, description and inputs when it has none, and hints from `semantics`;
        its own `hints` override them field by field."""
        if "ref" not in entry:
            return entry
        ref = text(entry.get("ref"))
        function = self.aggregates.get(ref)
        if function is None:
            return entry
        merged = {k: v for k, v in function.items() if k not in ("semantics", "hints")}
        for key, value in entry.items():
            if key in ("ref", "hints"):
                continue
            if key in ("name", "description") and not text(value):
                continue
            if key == "outputParameters" and function.get("outputParameters"):
                continue
            merged[key] = value
        hints: dict[str, Any] = {}
        semantics = mapping(function.get("semantics"))
        if semantics.get("safe") is True:
            hints.update(readOnly=True, destructive=False)
        elif semantics.get("safe") is False:
            hints["readOnly"] = False
        if isinstance(semantics.get("idempotent"), bool):
            hints["idempotent"] = semantics["idempotent"]
        if isinstance(entry.get("hints"), dict):
            hints.update(entry["hints"])
        if hints:
            merged["hints"] = hints
        merged[AGGREGATE_KEY] = ref.rpartition(".")[0]
        return merged

    def does_something(self, entry: dict[str, Any]) -> bool:
        """Whether an exposed operation calls, orchestrates, refers or mocks (else: nothing)."""
        if any(key in entry for key in ("call", "steps", "ref")):
            return True
        return any(
            isinstance(p, dict) and "value" in p for p in items(entry.get("outputParameters"))
        )

    # -- wiring -----------------------------------------------------------------------------

    def call_of(self, exposed: Exposed) -> tuple[str, dict[str, Any]] | None:
        """The `call` target and `with` map of an exposed operation (through `ref` too)."""
        entry = exposed.entry
        call = entry.get("call")
        withs = mapping(entry.get("with"))
        if isinstance(call, dict):
            withs = {**withs, **(call.get("with") or {})}
            call = call.get("operation")
        call = text(call)
        return (call, withs) if call else None

    def steps_of(self, exposed: Exposed) -> list[dict[str, Any]] | None:
        entry = exposed.entry
        steps = entry.get("steps")
        if not isinstance(steps, (list, dict)):
            return None
        return [s for s in items(steps) if isinstance(s, dict)]  # the map form names each step

    def consumed(self, exposed: Exposed) -> ConsumedOp | None:
        call = self.call_of(exposed)
        if not call:
            return None
        candidates = self.candidates.get(call[0], [])
        if len(candidates) <= 1:
            return self.operations.get(call[0])
        return self._disambiguate(exposed, candidates)

    def _disambiguate(self, exposed: Exposed, candidates: list[ConsumedOp]) -> ConsumedOp | None:
        """Several consumed operations share the called name (per-tag catalog documents name them
        all `post`): the one the exposed operation plainly means has its description, or its
        resource's name, or its HTTP method; else the n-th call of that name means the n-th one."""
        description = text(exposed.entry.get("description"))
        same = [
            c for c in candidates if description and text(c.op.get("description")) == description
        ]
        if len(same) == 1:
            return same[0]

        def squash(name: Any) -> str:
            return re.sub(r"[^0-9a-z]", "", text(name).lower())

        names = {squash(exposed.resource.get("name"))} - {""}
        same = [c for c in candidates if squash(c.resource.get("name")) in names]
        if len(same) == 1:
            return same[0]
        same = [c for c in candidates if exposed.method and c.method == exposed.method]
        if len(same) == 1:
            return same[0]
        if exposed.ordinal < len(candidates):
            return candidates[exposed.ordinal]
        return None


# -- the caller's values and the evaluation of `with` and templates --------------------------


@dataclass
class Scope:
    """What names resolve to while one exposed operation is evaluated."""

    model: Model
    exposed: Exposed
    inputs: Mapping[str, Any]  # caller values by wire name
    environ: Mapping[str, str]
    opaque: frozenset[str] = frozenset()  # step names (and `item`): their values are not modelled

    def strip(self, name: str) -> tuple[str, bool]:
        for prefix in self.exposed.prefixes:
            if name.startswith(prefix):
                return name[len(prefix) :], True
        return name, False

    def caller(self, name: str) -> Any:
        """A caller input by name: exact, then `-`/`_`-insensitive, then case-insensitive."""
        if name in self.inputs:
            return self.inputs[name]
        dashless = name.replace("-", "_")
        for key, value in self.inputs.items():
            if key.replace("-", "_") == dashless:
                return value
        for key, value in self.inputs.items():
            if norm(key) == norm(name):
                return value
        return ABSENT

    def bound(self, name: str) -> Any:
        env = self.model.bind_env(name)
        if env is None:
            return ABSENT
        return self.environ.get(env, UNKNOWN)

    def implicit(self, name: str) -> Any:
        var = self.model.implicit_env(name)
        if var is None:
            return ABSENT
        return self.environ.get(var, UNKNOWN)

    # exposed side: `with` values and their templates

    def exposed_name(self, name: str) -> Any:
        if name.split(".", 1)[0] in self.opaque or name.startswith("$"):
            return UNKNOWN
        bare, _ = self.strip(name)
        value = self.caller(bare)
        if value is ABSENT:
            value = self.bound(bare)
        if value is ABSENT:
            value = self.bound(name)
        return value

    def with_value(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, (dict, list)):
            return structure(value, self.exposed_name)
        value = str(value)
        stripped = value.strip()
        bare, prefixed = self.strip(stripped)
        if prefixed and "{{" not in stripped:
            return self.caller(bare)
        if PLACEHOLDER.search(value):
            return render(value, self.exposed_name)
        return value


def render(template: str, resolve: Callable[[str], Any]) -> Any:
    """A template: exactly one placeholder keeps the value's type; otherwise text."""
    parts = _split(template)
    if len(parts) == 1 and parts[0][1]:
        value = resolve(parts[0][0])
        return "" if value is ABSENT else value
    pieces = []
    for piece, is_var in parts:
        if not is_var:
            pieces.append(piece)
            continue
        value = resolve(piece)
        if value is UNKNOWN:
            return UNKNOWN
        pieces.append(value_text(value))
    return "".join(pieces)


def structure(value: Any, resolve: Callable[[str], Any]) -> Any:
    """A JSON structure whose string leaves are templates (type-safe, SEMANTICS.md §3)."""
    if isinstance(value, str):
        return render(value, resolve) if PLACEHOLDER.search(value) else value
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            filled = structure(item, resolve)
            if filled is not ABSENT:
                result[str(key)] = filled
        return result
    if isinstance(value, list):
        return [structure(v, resolve) for v in value]
    return value


def _split(template: str) -> list[tuple[str, bool]]:
    parts: list[tuple[str, bool]] = []
    pos = 0
    for match in PLACEHOLDER.finditer(template):
        if match.start() > pos:
            parts.append((template[pos : match.start()], False))
        parts.append((match.group(1), True))
        pos = match.end()
    if pos < len(template):
        parts.append((template[pos:], False))
    return parts


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


# -- expected inputs ------------------------------------------------------------------------


@dataclass
class ExpectedInput:
    name: str
    required: bool | None  # None: not checked
    json_type: str | None  # None: not checked
    location: str | None = None  # rest: path | query | header | cookie | body; None: not checked
    description: str | None = None  # None: not checked


def expected_inputs(model: Model, exposed: Exposed) -> list[ExpectedInput] | None:
    """The caller-facing inputs the document gives an exposed operation (§4, §6); None: unknown."""
    path_vars = path_variables(exposed.path) if exposed.kind == "rest" else []
    result: list[ExpectedInput] = []

    def has(name: str) -> bool:
        return any(norm(i.name) == norm(name) for i in result)

    if exposed.has_declared_inputs:
        for param in exposed.declared_inputs():
            name = text(param["name"])
            if has(name):
                continue
            json_type = text(param.get("type")) or None
            json_type = json_type if json_type in JSON_TYPES else None
            if exposed.kind == "mcp":
                required = param.get("required", True) is not False
                result.append(
                    ExpectedInput(
                        name, required, json_type, None, text(param.get("description")) or None
                    )
                )
            else:
                where = text(param.get("in")) or ("path" if name in path_vars else "query")
                if where == "path" and norm(name) not in {norm(v) for v in path_vars}:
                    where = "query"  # `in: path` but the path has no such variable
                result.append(ExpectedInput(name, True if where == "path" else None, None, where))
        for var in path_vars:
            if not has(var):
                result.append(ExpectedInput(var, True, None, "path"))
        # A required consumed value that nothing feeds becomes a required input too (the call
        # cannot be made without it; the generator warns, NG103).
        call = model.call_of(exposed)
        consumed = model.consumed(exposed)
        if call is not None and consumed is not None and model.steps_of(exposed) is None:
            params = consumed.params()
            fed = {norm(str(k)) for k in call[1]}
            consumed_vars = {norm(v) for v in path_variables(consumed.path)}
            for name in consumed_free_names(model, consumed, params):
                param = params.get(name) or {}
                required = (
                    norm(name) in consumed_vars
                    or text(param.get("in")) == "path"
                    or param.get("required") is True
                )
                if required and norm(name) not in fed and not has(name):
                    result.append(ExpectedInput(name, True, None, None))
        return result
    for var in path_vars:
        if not has(var):
            result.append(ExpectedInput(var, True, None, "path"))
    if model.steps_of(exposed) is not None:
        return None  # inputs of orchestrated operations are derived from every step: not modelled
    call = model.call_of(exposed)
    consumed = model.consumed(exposed)
    if call is None or consumed is None:
        return result if call is None else None
    withs = call[1]
    params = consumed.params()
    for key, value in withs.items():
        if consumed.shadowed(str(key)) and not any(norm(str(key)) == norm(n) for n in params):
            continue  # feeds a header the authentication sets: ignored
        for name in referenced_names(value, exposed.prefixes):
            if not has(name) and model.bind_env(name) is None:
                result.append(ExpectedInput(name, None, None, None))
    fed = {norm(str(k)) for k in withs}
    for name in consumed_free_names(model, consumed, params):
        if norm(name) in fed or has(name):
            continue
        param = params.get(name) or {}
        where = text(param.get("in")) or "query"
        is_path = name in path_variables(consumed.path) or where == "path"
        required = True if is_path else param.get("required") is True
        result.append(ExpectedInput(name, required, None, None))
    return result


def referenced_names(value: Any, prefixes: tuple[str, ...]) -> list[str]:
    """Caller inputs a `with` value names (`rest.x`, `{{x}}`, `{{tools.x}}`)."""
    if isinstance(value, str):
        stripped = value.strip()
        for prefix in prefixes:
            if stripped.startswith(prefix) and "{{" not in stripped:
                return [stripped[len(prefix) :]]
        names = []
        for name in PLACEHOLDER.findall(stripped):
            for prefix in prefixes:
                if name.startswith(prefix):
                    names.append(name[len(prefix) :])
                    break
            else:
                if "." not in name:
                    names.append(name)
        return names
    if isinstance(value, dict):
        return [n for v in value.values() for n in referenced_names(v, prefixes)]
    if isinstance(value, list):
        return [n for v in value for n in referenced_names(v, prefixes)]
    return []


def consumed_free_names(
    model: Model, consumed: ConsumedOp, params: dict[str, dict[str, Any]]
) -> list[str]:
    """Consumed-side values a caller must supply: params without `value`, unbound path variables,
    and the placeholders of value/body templates that no bind provides."""
    names: list[str] = []

    def add(name: str) -> None:
        if norm(name) not in {norm(n) for n in names}:
            names.append(name)

    by_norm = {norm(n): p for n, p in params.items()}
    for var in path_variables(consumed.path):
        param = by_norm.get(norm(var))
        if param is not None and "value" in param:
            for ph in _body_names(param.get("value")):
                _add_template_name(model, ph, add)
        elif model.bind_env(var) is None:
            add(var)
    for name, param in params.items():
        where = text(param.get("in")) or "query"
        if where in ("path", "environment"):
            continue
        if "value" in param:
            for ph in _body_names(param.get("value")):
                _add_template_name(model, ph, add)
        else:
            add(name)
    body = consumed.op.get("body")
    for ph in _body_names(body):
        _add_template_name(model, ph, add)
    return names


def _add_template_name(model: Model, name: str, add: Callable[[str], None]) -> None:
    if model.bind_env(name) is not None:
        return
    for prefix in CALLER_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    if model.implicit_env(name) is not None:
        return
    add(name)


def _body_names(body: Any) -> Iterator[str]:
    if isinstance(body, str):
        yield from PLACEHOLDER.findall(body)
    elif isinstance(body, dict):
        for value in body.values():
            yield from _body_names(value)
    elif isinstance(body, list):
        for value in body:
            yield from _body_names(value)


# -- hints ------------------------------------------------------------------------------------


HINTS = (
    ("readOnly", "read_only_hint"),
    ("destructive", "destructive_hint"),
    ("idempotent", "idempotent_hint"),
    ("openWorld", "open_world_hint"),
)


def expected_hints(model: Model, exposed: Exposed) -> dict[str, bool | None]:
    """Annotation values: the document's hints, else derived from the called method (§6)."""
    stated = mapping(exposed.entry.get("hints"))
    consumed = model.consumed(exposed)
    if consumed is not None:
        method = consumed.method
    elif "call" not in exposed.entry and "steps" not in exposed.entry:
        method = "GET"  # a mock
    else:
        method = None
    derived: dict[str, bool] = {}
    if method in ("GET", "HEAD", "OPTIONS"):
        derived = {"read_only_hint": True, "destructive_hint": False, "idempotent_hint": True}
    elif method in ("PUT", "DELETE"):
        derived = {"read_only_hint": False, "destructive_hint": True, "idempotent_hint": True}
    elif method in ("POST", "PATCH"):
        derived = {"read_only_hint": False, "destructive_hint": True, "idempotent_hint": False}
    result: dict[str, bool | None] = {}
    for key, attr in HINTS:
        if isinstance(stated.get(key), bool):
            result[attr] = stated[key]
        elif attr in derived:
            result[attr] = derived[attr]
        elif method is None and attr != "open_world_hint":
            result[attr] = UNKNOWN
    return result


# -- the expected upstream request ----------------------------------------------------------


@dataclass
class Expected:
    """What the fake upstream must receive for one call."""

    namespace: str
    method: str
    segments: list[str] | Any  # decoded path segments after the base path, or UNKNOWN
    query: list[tuple[str, str]] | Any  # pairs, or UNKNOWN
    headers: dict[str, str] = field(
        default_factory=dict
    )  # lower-case name -> value (UNKNOWN skips)
    body: Any = ABSENT  # ABSENT: no body; UNKNOWN: not checked; else ("json"|"text"|"form", value)
    auth: str = "checked"  # "checked" or a reason the auth header is not checked


class ConsumedScope:
    """Names on the consumed side: binds, then `with`, then the caller (SEMANTICS.md §3/§4)."""

    def __init__(self, scope: Scope, consumed: ConsumedOp, withs: dict[str, Any]) -> None:
        self.scope = scope
        self.consumed = consumed
        self.withs = {norm(str(k)): v for k, v in withs.items()}
        self.with_values: dict[str, Any] = {}

    def fed(self, name: str) -> Any:
        """The value for a consumed parameter name: `with`, else the caller by name."""
        key = norm(name)
        if key in self.withs:
            if key not in self.with_values:
                self.with_values[key] = self.scope.with_value(self.withs[key])
            return self.with_values[key]
        return self.scope.caller(name)

    def resolve(self, name: str) -> Any:
        """A placeholder in a consumed template."""
        value = self.scope.bound(name)
        if value is not ABSENT:
            return value
        bare = name
        for prefix in CALLER_PREFIXES:
            if bare.startswith(prefix):
                bare = bare[len(prefix) :]
                break
        value = self.fed(bare)
        if value is ABSENT and self.scope.model.implicit_env(bare) is not None:
            return self.scope.implicit(bare)
        return value


def expected_request(
    model: Model,
    exposed: Exposed,
    inputs: Mapping[str, Any],
    environ: Mapping[str, str],
    opaque: frozenset[str] = frozenset(),
) -> Expected | None:
    """The request a single-call operation (or one call step) sends upstream; None when it calls
    nothing. Names in `opaque` (earlier steps, `item`) make what depends on them UNKNOWN."""
    call = model.call_of(exposed)
    if call is None:
        return None
    consumed = model.consumed(exposed)
    if consumed is None:
        return None
    scope = Scope(model, exposed, inputs, environ, opaque)
    cs = ConsumedScope(scope, consumed, call[1])
    params = consumed.params()
    by_norm = {norm(n): p for n, p in params.items()}

    # path
    segments: list[str] | Any = _segments(consumed.path, by_norm, cs)
    # parameters
    query: list[tuple[str, str]] | Any = list(consumed.path_query)
    headers: dict[str, str] = {}
    body_params: list[tuple[str, dict[str, Any]]] = []
    for param in consumed.client_params():
        where = text(param.get("in")) or "query"
        value = render(text(param.get("value")), cs.resolve)
        _place(where, text(param["name"]), value, query, headers)
    for name, param in params.items():
        where = text(param.get("in")) or "query"
        if where in ("path", "environment"):
            continue
        if where == "body":
            body_params.append((name, param))
            continue
        value = render(text(param.get("value")), cs.resolve) if "value" in param else cs.fed(name)
        query = _place(where, name, value, query, headers)
    body = _expected_body(consumed, body_params, cs)
    expected = Expected(consumed.namespace, consumed.method, segments, query, headers, body)
    _auth(model, consumed.entry, scope, expected)
    return expected


def _place(where: str, name: str, value: Any, query: Any, headers: dict[str, str]) -> Any:
    if value is ABSENT or value is None:
        return query
    if where == "query":
        if query is UNKNOWN or contains_unknown(value):
            return UNKNOWN
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if item is None or item is ABSENT:
                continue
            query.append(
                (name, "true" if item is True else "false" if item is False else value_text(item))
            )
    elif where == "header":
        headers[name.lower()] = UNKNOWN if contains_unknown(value) else _header_text(value)
    return query


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(value_text(v) for v in value)  # not asserted: lists in headers are rare
    return value_text(value)


def _segments(path: str, by_norm: dict[str, dict[str, Any]], cs: ConsumedScope) -> list[str] | Any:
    """Decoded path segments: literal `/` separates, a value is always inside one segment."""
    segments = [""]
    pos = 0
    for match in PATH_VARIABLE.finditer(path):
        literal = path[pos : match.start()].split("/")
        segments[-1] += literal[0]
        segments.extend(literal[1:])
        name = (match.group(1) or match.group(2)).strip()
        param = by_norm.get(norm(name))
        if param is not None and "value" in param:
            value = render(text(param.get("value")), cs.resolve)
        else:
            value = cs.fed(name)
            if value is ABSENT:
                value = cs.scope.bound(name)
        if value is UNKNOWN or value is ABSENT:
            return UNKNOWN
        segments[-1] += value_text(value)
        pos = match.end()
    literal = path[pos:].split("/")
    segments[-1] += literal[0]
    segments.extend(literal[1:])
    return segments[1:] if segments and segments[0] == "" else segments


def _expected_body(
    consumed: ConsumedOp, body_params: list[tuple[str, dict[str, Any]]], cs: ConsumedScope
) -> Any:
    template = consumed.op.get("body")
    if isinstance(template, str):
        return ("text-json", _json_text(template, cs))
    if isinstance(template, dict):
        kind = text(template.get("type")) or "json"
        data = template.get("data")
        if data is not None:
            if kind == "json":
                if isinstance(data, str):
                    return ("text-json", _json_text(data, cs))
                return ("json", structure(data, cs.resolve))
            if kind in ("text", "xml", "sparql"):
                return ("text", render(text(data), cs.resolve))
            if kind == "formUrlEncoded" and isinstance(data, dict):
                return ("form", structure(data, cs.resolve))
            return UNKNOWN
    if not body_params:
        return ABSENT
    if len(body_params) == 1 and body_params[0][0] == "body":
        name, param = body_params[0]
        if "value" in param:
            return ("json", structure(param["value"], cs.resolve))
        value = cs.fed(name)
        return ABSENT if value is ABSENT else ("json", value)
    fields: dict[str, Any] = {}
    for name, param in body_params:
        value = structure(param["value"], cs.resolve) if "value" in param else cs.fed(name)
        if value is not ABSENT and value is not None:
            fields[name] = value
    return ("json", fields)


def _json_text(template: str, cs: ConsumedScope) -> Any:
    pieces = []
    for piece, is_var in _split(template):
        if not is_var:
            pieces.append(piece)
            continue
        value = cs.resolve(piece)
        if value is UNKNOWN:
            return UNKNOWN
        pieces.append(json_fragment(None if value is ABSENT else value))
    return "".join(pieces)


def forward_request(
    model: Model,
    exposed: Exposed,
    remainder: list[str],
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
    environ: Mapping[str, str],
) -> Expected | None:
    """What a `forward` resource sends: the request as received, plus the namespace's own
    parameters and authentication; only `trustedHeaders` (and Content-Type) pass."""
    namespace = text(exposed.entry.get("targetNamespace"))
    entry = model.consumes.get(namespace)
    if entry is None:
        return None
    trusted = {
        "content-type",
        *(str(h).lower() for h in items(exposed.entry.get("trustedHeaders"))),
    }
    scope = Scope(model, exposed, {}, environ)
    expected = Expected(namespace, exposed.method, list(remainder), list(query))
    for name, value in headers.items():
        expected.headers[name.lower()] = value if name.lower() in trusted else ABSENT
    for param in items(entry.get("inputParameters")):
        if isinstance(param, dict) and "value" in param and text(param.get("name")):
            value = render(text(param.get("value")), lambda n: _secret_value(scope, n))
            expected.query = _place(
                text(param.get("in")) or "query",
                text(param["name"]),
                value,
                expected.query,
                expected.headers,
            )
    expected.body = ("bytes", body) if body else ABSENT
    _auth(model, entry, scope, expected)
    return expected


def _auth(model: Model, entry: dict[str, Any], scope: Scope, expected: Expected) -> None:
    auth = entry.get("authentication")
    if auth is None:
        auth = entry.get("auth")  # the same intent, written short in some catalog documents
    if not isinstance(auth, dict):
        return
    kind = text(auth.get("type")).lower()

    def secret(key: str) -> Any:
        return render(text(auth.get(key)), lambda n: _secret_value(scope, n))

    if kind == "bearer":
        token = secret("token")
        expected.headers["authorization"] = (
            UNKNOWN if token is UNKNOWN else "Bearer " + value_text(token)
        )
    elif kind == "apikey":
        placement = text(auth.get("placement")) or "header"
        key = text(auth.get("key")) or "X-API-Key"
        value = secret("value")
        if placement == "header":
            expected.headers[key.lower()] = UNKNOWN if value is UNKNOWN else value_text(value)
        elif placement == "query" and expected.query is not UNKNOWN:
            expected.query.append(
                (key, value_text(value)) if value is not UNKNOWN else (key, UNKNOWN)
            )
        else:
            expected.auth = f"apikey placement '{placement}'"
    elif kind == "basic":
        user, password = secret("username"), secret("password")
        if UNKNOWN in (user, password):
            expected.headers["authorization"] = UNKNOWN
        else:
            raw = f"{value_text(user)}:{value_text(password)}".encode()
            expected.headers["authorization"] = "Basic " + base64.b64encode(raw).decode()
    elif kind == "oauth2" and text(auth.get("tokenEndpoint")):
        expected.headers["authorization"] = "Bearer corpus-oauth-token"
    else:
        expected.auth = f"'{kind}' authentication"


def _secret_value(scope: Scope, name: str) -> Any:
    value = scope.bound(name)
    if value is ABSENT:
        value = scope.implicit(name)
    return UNKNOWN if value is ABSENT else value


def exposed_credentials(
    model: Model, adapter: dict[str, Any], environ: Mapping[str, str]
) -> dict[str, str] | Any | None:
    """Headers satisfying an adapter's `authentication` (None: open; UNKNOWN: not modelled)."""
    auth = adapter.get("authentication")
    if not isinstance(auth, dict):
        return None
    kind = text(auth.get("type")).lower()
    scope = Scope(model, Exposed("rest", adapter, {}, ""), {}, environ)

    def secret(key: str) -> Any:
        return render(text(auth.get(key)), lambda n: _secret_value(scope, n))

    if kind == "bearer":
        token = secret("token")
        return UNKNOWN if token is UNKNOWN else {"Authorization": "Bearer " + value_text(token)}
    if kind == "apikey" and (text(auth.get("placement")) or "header") == "header":
        value = secret("value")
        key = text(auth.get("key")) or "X-API-Key"
        return UNKNOWN if value is UNKNOWN else {key: value_text(value)}
    if kind == "basic":
        user, password = secret("username"), secret("password")
        if UNKNOWN in (user, password):
            return UNKNOWN
        raw = f"{value_text(user)}:{value_text(password)}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    return UNKNOWN


# -- orchestration and mocks --------------------------------------------------------------------


@dataclass
class StepCall:
    """One `call` step: which consumed operation, and whether it runs once or per item."""

    name: str
    exposed: Exposed  # the step seen as an exposed operation (its `call` and `with`)
    consumed: ConsumedOp
    repeated: bool  # forEach: zero or more requests


def step_calls(model: Model, exposed: Exposed) -> list[StepCall] | None:
    """The call steps of an orchestrated operation, in order (None if a call is not modelled)."""
    steps = model.steps_of(exposed) or []
    result = []
    for step in steps:
        call = step.get("call")
        if not call:
            continue
        entry = {**step, AGGREGATE_KEY: exposed.entry.get(AGGREGATE_KEY)}
        step_exposed = Exposed(exposed.kind, exposed.adapter, entry, text(step.get("name")))
        consumed = model.consumed(step_exposed)
        if consumed is None:
            return None
        result.append(
            StepCall(text(step.get("name")), step_exposed, consumed, bool(step.get("forEach")))
        )
    return result


def step_names(model: Model, exposed: Exposed) -> frozenset[str]:
    return frozenset(
        text(s.get("name")) for s in (model.steps_of(exposed) or []) if text(s.get("name"))
    ) | {"item"}


def mock_body(exposed: Exposed, inputs: Mapping[str, Any]) -> Any:
    """The answer of a mock operation: `{name (or "value"): value}`, objects and arrays built
    from their properties and items (engine `buildMockData`); UNKNOWN where not modelled."""
    scope = Scope(Model.__new__(Model), exposed, inputs, {})

    def resolve(name: str) -> Any:
        bare, _ = scope.strip(name)
        return scope.caller(bare)

    def node(param: dict[str, Any]) -> Any:
        if "value" in param:
            value = param["value"]
            return render(value, resolve) if isinstance(value, str) else value
        kind = text(param.get("type"))
        if kind == "object" and isinstance(param.get("properties"), dict):
            result = {}
            for key, prop in param["properties"].items():
                if isinstance(prop, dict):
                    result[str(key)] = node(prop)
            return result
        if kind == "array" and isinstance(param.get("items"), dict):
            return [node(param["items"])]
        return UNKNOWN

    body = {}
    for param in items(exposed.entry.get("outputParameters")):
        if isinstance(param, dict):
            body[text(param.get("name")) or "value"] = node(param)
    return body


def loosely_equal(expected: Any, got: Any) -> bool:
    """JSON equality where UNKNOWN matches anything and scalars compare as text (mock values are
    strings in the engine; typed in ours)."""
    if expected is UNKNOWN:
        return True
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(
            k in got and loosely_equal(v, got[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(loosely_equal(e, g) for e, g in zip(expected, got, strict=True))
        )
    return value_text(expected) == value_text(got)


def body_for_paths(paths: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any] | None:
    """A JSON body in which each `$.a.b` path finds its value (None: a path is not that simple)."""
    body: dict[str, Any] = {}
    for name, path in paths.items():
        keys = re.findall(r"\.([A-Za-z0-9_-]+)|\['([^']+)'\]", path[1:])
        rebuilt = "$" + "".join(f".{a}" if a else f"['{b}']" for a, b in keys)
        if not keys or rebuilt != path:
            return None
        node = body
        names = [a or b for a, b in keys]
        for key in names[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                return None
            node = child
        node[names[-1]] = values[name]
    return body
