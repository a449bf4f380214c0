"""The intermediate representation: a capability with every name, type and decision made.

Lowering builds it from a loaded document; templates only iterate over it and print. Fields that
hold document text keep the raw text (templates print it through the `py`/`comment` filters of
`code.py`); values computed at run time are expressions (`expr.py`), which only `printer.py`
turns into Python. No field holds Python source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, assert_never

from .expr import Expr, Projection

AuthKind = Literal["bearer", "apikey", "basic", "digest", "oauth2"]
# Where an upstream receives a value.
ParamLocation = Literal["path", "query", "header", "cookie", "body"]
# Where a caller supplies an input: REST request parts (`body`: the whole body, `body-field`: a
# property of it, `body-path`: a JSONPath into it) or an MCP tool `argument`.
InputLocation = Literal[
    "path", "query", "header", "cookie", "body", "body-field", "body-path", "argument"
]
# How a request body is built: a JSON value, JSON fields, a JSON text template, text content,
# a form, multipart parts.
BodyKind = Literal["json", "json-fields", "json-text", "content", "form", "multipart"]
# The type of a setting's or an input's value: a JSON type, `any` JSON value, or `items` (a
# setting's comma-separated list of text). Only printer.py spells them in Python.
ValueType = Literal["string", "integer", "number", "boolean", "array", "object", "any", "items"]


@dataclass(frozen=True, slots=True)
class Setting:
    """One environment variable the generated package reads at startup."""

    env: str
    attr: str
    type: ValueType  # "string", "integer", "number", "boolean" or "items"
    default: Any  # a literal default, or None when `default_code` or `required` applies
    description: str
    required: bool = False
    secret: bool = False
    default_code: Expr | None = None  # a default computed from other settings (templated baseUri)
    fallback: Expr | None = None  # where a bind file provides the value
    common: bool = False  # one of every package's serving and limit settings, read by the runtime
    minimum: int | None = None  # bounds an "integer" setting is checked against at startup
    maximum: int | None = None


@dataclass(frozen=True, slots=True)
class BindFile:
    """A `binds` entry with `location: file://…`: a flat JSON/YAML file read at startup."""

    var: str  # the local name the file's map is read into
    path: str
    envs: tuple[str, ...]  # the variables it provides; set in the environment, they win

    @property
    def yaml(self) -> bool:
        """Whether the file is read as YAML (by its extension, as the engine does)."""
        return self.path.endswith((".yaml", ".yml"))


@dataclass(frozen=True, slots=True)
class Auth:
    """How an upstream client authenticates; the expressions read settings."""

    kind: AuthKind
    token: Expr | None = None
    key: str | None = None
    value: Expr | None = None
    placement: Literal["header", "query"] = "header"
    username: Expr | None = None
    password: Expr | None = None
    token_url: Expr | None = None
    scopes: tuple[str, ...] = ()
    audience: str | None = None


@dataclass(frozen=True, slots=True)
class UpstreamParam:
    """A keyword argument of an upstream operation method (a value the caller must supply)."""

    name: str
    py_name: str
    required: bool
    json_type: str | None
    description: str
    is_body: bool = False
    location: ParamLocation = "query"  # where the upstream receives it
    any_json: bool = False  # a JSON body template inserts it whole: any JSON value fits


@dataclass(frozen=True, slots=True)
class Body:
    """The request body of an upstream operation."""

    kind: BodyKind
    value: Any  # json, json-fields, form: a JSON-like structure with Expr leaves; multipart: parts
    media_type: str | None = None


@dataclass(frozen=True, slots=True)
class UpstreamOperation:
    """One consumed operation: a method of the upstream client class."""

    key: str  # "namespace.operation"
    name: str
    method_name: str
    http_method: str
    description: str
    params: tuple[UpstreamParam, ...]
    path_parts: tuple[Expr, ...]
    query: tuple[tuple[str, Expr], ...]
    headers: tuple[tuple[str, Expr], ...]
    cookies: tuple[tuple[str, Expr], ...]
    body: Body | None
    output_format: str
    idempotent: bool
    projection: Projection | None = None  # consumed outputParameters, applied to step results
    max_binary: int | None = None  # `maxBinarySize` in bytes (output_format "binary")
    media_type: str | None = None  # `outputMediaType`: overrides the upstream Content-Type


@dataclass(frozen=True, slots=True)
class Upstream:
    """One consumed HTTP API: a client class with one method per operation."""

    namespace: str
    class_name: str
    attr: str
    base_url_attr: str
    base_url_env: str
    description: str
    auth: Auth | None
    headers: tuple[tuple[str, Expr], ...]
    query: tuple[tuple[str, Expr], ...]
    operations: tuple[UpstreamOperation, ...]
    tls_attrs: tuple[str, str, str] = ("", "", "")  # settings: CA bundle, client cert and key


@dataclass(frozen=True, slots=True)
class Input:
    """A caller-facing input of an exposed operation or tool."""

    name: str  # the wire name: path variable, query/header name, JSON property
    py_name: str
    location: InputLocation
    json_type: str | None  # None: any JSON value
    type: ValueType  # a REST path, query, header or cookie input is a scalar
    description: str
    required: bool
    pattern: str | None = None
    body_path: tuple[str | int, ...] | None = None  # REST "body-path": JSONPath into the body


@dataclass(frozen=True, slots=True)
class Call:
    """One upstream call made by an exposed operation."""

    upstream_attr: str
    method_name: str
    args: tuple[tuple[str, Expr], ...]  # (keyword, expression over the operation's inputs)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of an orchestrated operation; its result is stored under `name`."""

    name: str
    call: Call | None  # a call step
    lookup: Expr | None  # a lookup step: an expression over `context`
    for_each: Expr | None = None  # a call repeated for each `item` of this list


@dataclass(frozen=True, slots=True)
class Called:
    """An operation that makes one upstream call and answers its result."""

    call: Call
    mapper: Expr | None  # expression over `body`; None: the upstream JSON passes through
    binary: str | None = None  # the media type of a binary answer (the upstream's bytes)


@dataclass(frozen=True, slots=True)
class Mocked:
    """An operation that answers a static value (templates over its inputs), calling nothing."""

    answer: Expr


@dataclass(frozen=True, slots=True)
class Orchestrated:
    """An operation that runs steps in order, their results kept in `context`."""

    steps: tuple[Step, ...]
    result: Expr | None  # `mappings`: the answer, built from `context`
    mapper: Expr | None  # else the last call's body shaped by outputParameters


Behaviour = Called | Mocked | Orchestrated


@dataclass(frozen=True, slots=True)
class Operation:
    """What an exposed REST operation or MCP tool does, shared by both adapters."""

    py_name: str
    description: str
    inputs: tuple[Input, ...]
    behaviour: Behaviour
    output_schema: Any  # JSON Schema of a definite object result, else None
    http_method: str  # of the called upstream operation (for hints), "GET" for mocks

    @property
    def calls(self) -> tuple[Call, ...]:
        """The upstream calls the operation makes, in order."""
        behaviour = self.behaviour
        if isinstance(behaviour, Called):
            return (behaviour.call,)
        if isinstance(behaviour, Mocked):
            return ()
        if isinstance(behaviour, Orchestrated):
            return tuple(step.call for step in behaviour.steps if step.call is not None)
        assert_never(behaviour)

    # What the templates read; each is None (or empty) for the behaviours it does not apply to.
    @property
    def call(self) -> Call | None:
        """The one call of a called operation."""
        return self.behaviour.call if isinstance(self.behaviour, Called) else None

    @property
    def mapper(self) -> Expr | None:
        """How the answer is shaped from `body`."""
        return None if isinstance(self.behaviour, Mocked) else self.behaviour.mapper

    @property
    def mock(self) -> Expr | None:
        """The static answer of a mock operation."""
        return self.behaviour.answer if isinstance(self.behaviour, Mocked) else None

    @property
    def steps(self) -> tuple[Step, ...]:
        """The steps of an orchestrated operation."""
        return self.behaviour.steps if isinstance(self.behaviour, Orchestrated) else ()

    @property
    def result(self) -> Expr | None:
        """The `mappings` answer of an orchestrated operation."""
        return self.behaviour.result if isinstance(self.behaviour, Orchestrated) else None

    @property
    def binary(self) -> str | None:
        """The media type of a binary answer."""
        return self.behaviour.binary if isinstance(self.behaviour, Called) else None


@dataclass(frozen=True, slots=True)
class Route:
    """One REST route."""

    method: str
    path: str  # the Starlette path, variables renamed to their Python names
    doc_path: str  # the path as the document wrote it
    name: str
    summary: str
    operation: Operation
    tags: tuple[str, ...] = ()  # of the exposed resource, then of the operation
    cache_control: str | None = None  # from `semantics.cacheable` of the operation's flow
    # A path variable written twice: (name of the repeat, Python name of the first).
    repeated_path_params: tuple[tuple[str, str], ...] = ()
    responses: Any = None  # OpenAPI responses the document declares (`responses`/`responseBinary`)

    @property
    def variable_count(self) -> int:
        """Path variables: routes with fewer are registered first, so `/a/b` beats `/a/{x}`."""
        return self.path.count("{")

    @property
    def order(self) -> tuple[int, bool]:
        """Registration order: by `variable_count`, and a HEAD operation before the GET of
        the same path, which Starlette also answers HEAD with."""
        return (self.variable_count, self.method != "HEAD")


@dataclass(frozen=True, slots=True)
class ForwardRoute:
    """A `forward` resource: requests under a path are proxied to a consumed namespace."""

    path: str  # Starlette path, the remainder captured by `{path:path}`
    doc_path: str
    handler: str
    methods: tuple[str, ...]
    upstream_attr: str
    namespace: str
    trusted_headers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OAuth2:
    """An OAuth 2.1 resource server (exposed `oauth2`): tokens checked against the issuer."""

    issuer: str  # `authorizationServerUri`: its metadata names the JWKS or introspection URI
    resource: str  # this server's canonical URI (RFC 8707), served in RFC 9728 metadata
    audience: str  # the `aud` a JWT must carry (`audience`, else `resource`)
    scopes: tuple[str, ...]  # the scopes this resource server recognises
    introspection: bool  # `tokenValidation: introspection` (RFC 7662) instead of JWKS
    scopes_attr: str  # setting: scopes every request must carry
    operation_scopes_attr: str  # setting (REST): `operation=scope` pairs
    client_id_attr: str  # settings: this server's credentials at the introspection endpoint
    client_secret_attr: str


@dataclass(frozen=True, slots=True)
class ExposedAuth:
    """Credentials every request to an exposed HTTP adapter must carry (SEMANTICS.md §5)."""

    check: Expr | None  # a boolean over `headers`, `query` and `settings`; None for oauth2
    challenge: str  # the WWW-Authenticate value of a 401
    scheme: Any  # the OpenAPI security scheme
    secrets: tuple[Expr, ...] = ()  # the expected token, key value, or username and password
    oauth2: OAuth2 | None = None  # set for `oauth2`: `check` is unused, tokens are verified


@dataclass(frozen=True, slots=True)
class RestAdapter:
    """An exposed `rest` adapter: one Starlette app."""

    namespace: str
    factory: str  # name of the app factory function
    host_attr: str
    port_attr: str
    max_body_attr: str  # the setting bounding a request body, in bytes
    description: str
    routes: tuple[Route, ...]
    auth: ExposedAuth | None = None
    forwards: tuple[ForwardRoute, ...] = ()
    read_only_attr: str | None = None  # setting: serve only GET routes
    pass_headers_attr: str | None = None  # setting: caller headers passed upstream


@dataclass(frozen=True, slots=True)
class Hints:
    """MCP tool annotations (SEMANTICS.md §6); None: not stated."""

    read_only: bool | None
    destructive: bool | None
    idempotent: bool | None
    open_world: bool | None
    derived: tuple[str, ...] = ()  # which hints were derived from the HTTP method


@dataclass(frozen=True, slots=True)
class Tool:
    """One MCP tool."""

    name: str
    title: str | None
    description: str
    input_schema: Any
    hints: Hints
    operation: Operation
    tags: tuple[str, ...] = ()  # matched by the tool filter settings


@dataclass(frozen=True, slots=True)
class McpResource:
    """An MCP resource read through an upstream call; `{x}` in its URI makes it a template."""

    name: str
    title: str | None
    uri: str
    description: str
    mime_type: str
    variables: tuple[str, ...]
    operation: Operation


@dataclass(frozen=True, slots=True)
class PromptArgument:
    """An argument of an MCP prompt."""

    name: str
    title: str | None
    description: str
    required: bool


@dataclass(frozen=True, slots=True)
class McpPrompt:
    """An MCP prompt: messages whose `{{argument}}` placeholders are filled on prompts/get."""

    name: str
    title: str | None
    description: str
    arguments: tuple[PromptArgument, ...]
    messages: tuple[tuple[str, str], ...]  # (role, content template)


@dataclass(frozen=True, slots=True)
class ToolFilter:
    """The settings narrowing an MCP adapter's tools at run time."""

    include_attr: str
    exclude_attr: str
    read_only_attr: str
    confirm_attr: str  # destructive tools that run only once the user confirmed (elicitation)
    scopes_attr: str | None = None  # oauth2 adapters: the scopes each tool needs


@dataclass(frozen=True, slots=True)
class McpAdapter:
    """An exposed `mcp` adapter: one low-level MCP server."""

    namespace: str
    factory: str
    host_attr: str | None
    port_attr: str | None
    allowed_hosts_attr: str
    allowed_origins_attr: str
    stdio: bool
    description: str
    tools: tuple[Tool, ...]
    auth: ExposedAuth | None = None
    resources: tuple[McpResource, ...] = ()
    prompts: tuple[McpPrompt, ...] = ()
    cache: tuple[int, str] | None = None  # `ttlMs`, `cacheScope`: hints on list/read results
    access: ToolFilter | None = None
    pass_headers_attr: str | None = None  # HTTP transport: caller headers passed upstream

    @property
    def tags(self) -> dict[str, tuple[str, ...]]:
        """The tags of the tools that have some."""
        return {tool.name: tool.tags for tool in self.tools if tool.tags}


@dataclass(frozen=True, slots=True)
class ControlAdapter:
    """An exposed `control` adapter: health, status and metrics of the running capability."""

    namespace: str
    host_attr: str
    port_attr: str
    status: bool  # `management.info`: serve /status
    metrics: bool  # observability not disabled: serve /metrics


@dataclass(frozen=True, slots=True)
class SkillTool:
    """A tool of a skill: derived from a sibling adapter's action, or an instruction file."""

    name: str
    description: str
    source: str | None = None  # the sibling adapter's namespace (a derived tool)
    action: str | None = None  # its operation (rest) or tool (mcp) name
    mode: str | None = None  # rest | mcp
    invocation: str | None = None  # how to call it: `tool x on MCP adapter y`, `GET /path`
    instruction: str | None = None  # a file path relative to the skill's location


@dataclass(frozen=True, slots=True)
class Skill:
    """One skill of a skill adapter (Agent Skills frontmatter plus its tools)."""

    name: str
    description: str
    frontmatter: tuple[tuple[str, Any], ...]  # license, compatibility, metadata, ... as written
    location: str | None  # the directory of its supporting files (from a file:/// URI)
    tools: tuple[SkillTool, ...]

    @property
    def summary(self) -> dict[str, Any]:
        """Its entry in the engine's catalog answer (`GET /skills`)."""
        return {
            "name": self.name,
            "description": self.description,
            **{key: value for key, value in self.frontmatter if key == "license"},
            "tools": [tool.name for tool in self.tools],
        }

    @property
    def detail(self) -> dict[str, Any]:
        """The engine's detail answer (`GET /skills/{name}`)."""
        tools: list[dict[str, Any]] = []
        for tool in self.tools:
            entry: dict[str, Any] = {"name": tool.name, "description": tool.description}
            if tool.instruction is None:
                entry["type"] = "derived"
                entry["invocationRef"] = {
                    "targetNamespace": tool.source,
                    "action": tool.action,
                    "mode": tool.mode,
                }
            else:
                entry["type"] = "instruction"
                entry["instruction"] = tool.instruction
            tools.append(entry)
        return {
            "name": self.name,
            "description": self.description,
            **dict(self.frontmatter),
            "tools": tools,
        }


@dataclass(frozen=True, slots=True)
class SkillAdapter:
    """An exposed `skill` adapter: the catalog of skills the engine serves under /skills."""

    namespace: str
    factory: str
    host_attr: str
    port_attr: str
    description: str
    skills: tuple[Skill, ...]
    auth: ExposedAuth | None = None

    @property
    def catalog(self) -> dict[str, Any]:
        """The engine's catalog answer (`GET /skills`)."""
        return {"count": len(self.skills), "skills": [skill.summary for skill in self.skills]}


@dataclass(frozen=True, slots=True)
class Capability:
    """Everything the templates need to write one package."""

    spec_path: str
    spec_version: str
    dist_name: str
    package: str
    env_prefix: str
    title: str
    description: str
    settings: tuple[Setting, ...]
    bind_files: tuple[BindFile, ...]
    upstreams: tuple[Upstream, ...]
    rest: tuple[RestAdapter, ...]
    mcp: tuple[McpAdapter, ...]
    control: tuple[ControlAdapter, ...] = ()
    skills: tuple[SkillAdapter, ...] = ()
    output_formats: frozenset[str] = field(default_factory=frozenset)
    version: str = "1.0.0"  # `info.version`: OpenAPI info.version and MCP serverInfo.version
    tags: tuple[str, ...] = ()  # `info.tags`

    @property
    def needs_yaml(self) -> bool:
        """Whether the package reads YAML at run time (a format or a bind file)."""
        return bool({"yaml", "markdown"} & self.output_formats) or any(
            f.yaml for f in self.bind_files
        )

    @property
    def needs_oauth2(self) -> bool:
        """Whether an adapter is an OAuth 2.1 resource server (`_auth.py`, PyJWT)."""
        adapters: tuple[RestAdapter | McpAdapter | SkillAdapter, ...] = (
            *self.rest,
            *self.mcp,
            *self.skills,
        )
        return any(a.auth and a.auth.oauth2 for a in adapters)

    @property
    def needs_formats(self) -> bool:
        """Whether any operation converts a non-JSON upstream body."""
        return bool(self.output_formats - {"json"})
