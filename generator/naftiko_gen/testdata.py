"""What the generated package's own tests send and expect, decided from the IR.

Each exposed operation gets one request with a sample value per input, and the expectation that
the fake upstream receives the consumed method on the consumed path (or nothing, for mocks).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from .ir import Capability, Input, McpAdapter, Operation, RestAdapter, SkillAdapter, Upstream
from .urlpath import request_path, sent_path

TEST_BASE_PATH = "/base"
# A small valid upstream body per non-JSON output format.
SAMPLE_BODIES = {
    "yaml": "id: 1\n",
    "xml": "<rows><row><id>1</id></row></rows>",
    "csv": "id,name\n1,a\n",
    "tsv": "id\tname\n1\ta\n",
    "psv": "id|name\n1|a\n",
    "html": "<table><tr><th>id</th></tr><tr><td>1</td></tr></table>",
    "markdown": "# Title\n\nSome text.\n",
    "binary": "GIF89a, or any bytes",
}
_SETTING = re.compile(r"^settings\.(\w+)$")


def sample(item: Input) -> Any:
    """A value that passes the input's declared type."""
    kind = item.json_type
    if kind == "integer":
        return 7
    if kind == "number":
        return 2.5
    if kind == "boolean":
        return True
    if kind == "array":
        return ["a", "b"]
    if kind == "object" or (kind is None and item.location in ("body", "argument")):
        return {"key": "value"}
    return f"sample-{item.py_name.replace('_', '-')}"


def test_environ(capability: Capability) -> dict[str, str]:
    """Environment for the generated tests: every required value, base URLs on a fake host."""
    environ = {
        s.env: f"test-{s.env.lower().replace('_', '-')}"
        for s in capability.settings
        if s.secret or s.required
    }
    for upstream in capability.upstreams:
        environ[upstream.base_url_env] = f"http://upstream.test{TEST_BASE_PATH}"
    return environ


@dataclass(frozen=True, slots=True)
class Case:
    """One call of an exposed operation in a generated test."""

    name: str
    expectation: str
    upstream_method: str | None
    upstream_prefix: str
    passthrough: bool
    required: tuple[str, ...] = ()
    method: str = ""
    url: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    tool: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)
    upstream_headers: tuple[tuple[str, str], ...] = ()
    upstream_content: str | None = None
    upstream_calls: int = 1
    loops: bool = False  # forEach steps make a data-dependent number of extra calls
    binary_block: str | None = None  # the MCP content type of a binary answer


def _expectation(
    capability: Capability, operation: Operation
) -> tuple[str | None, str, bool, tuple[tuple[str, str], ...], str | None]:
    calls = [operation.call] if operation.call else [s.call for s in operation.steps if s.call]
    if not calls:
        return None, "", False, (), None
    call = calls[0]
    upstream = next(u for u in capability.upstreams if u.attr == call.upstream_attr)
    consumed = next(o for o in upstream.operations if o.method_name == call.method_name)
    literal = ""
    first = consumed.path_parts[0]
    if first.startswith(('"', "'")) and "\\" not in first:
        literal = sent_path(first[1:-1])
    content = SAMPLE_BODIES.get(consumed.output_format)
    return (
        consumed.http_method,
        TEST_BASE_PATH + literal,
        operation.mapper is None and content is None and not operation.steps,
        _auth_headers(capability, upstream),
        content,
    )


def _auth_headers(capability: Capability, upstream: Upstream) -> tuple[tuple[str, str], ...]:
    auth = upstream.auth
    if auth is None:
        return ()
    environ = test_environ(capability)
    envs = {s.attr: s.env for s in capability.settings}

    def value_of(code: str | None) -> str | None:
        match = _SETTING.match(code or "")
        return environ.get(envs.get(match.group(1), "")) if match else None

    if auth.kind == "bearer" and (token := value_of(auth.token)):
        return (("authorization", f"Bearer {token}"),)
    if auth.kind == "apikey" and auth.placement == "header" and auth.key:
        value = value_of(auth.value)
        if value:
            return ((auth.key.lower(), value),)
    return ()


# The access token the generated tests' `conftest.py` accepts in place of the authorization server.
TEST_ACCESS_TOKEN = "test-access-token"


def credentials(
    capability: Capability, adapter: RestAdapter | SkillAdapter
) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and query parameters that pass the adapter's authentication in the tests."""
    auth = adapter.auth
    if auth is None:
        return {}, {}
    if auth.oauth2:
        return {"Authorization": f"Bearer {TEST_ACCESS_TOKEN}"}, {}
    environ = test_environ(capability)
    envs = {s.attr: s.env for s in capability.settings}
    values = []
    for secret in auth.secrets:
        match = _SETTING.match(secret)
        values.append(environ.get(envs.get(match.group(1), ""), "") if match else "")
    scheme = auth.scheme
    if scheme.get("scheme") == "bearer":
        return {"Authorization": f"Bearer {values[0]}"}, {}
    if scheme.get("scheme") == "basic":
        token = base64.b64encode(f"{values[0]}:{values[1]}".encode()).decode()
        return {"Authorization": f"Basic {token}"}, {}
    if scheme.get("in") == "query":
        return {}, {scheme["name"]: values[0]}
    return {scheme["name"]: values[0]}, {}


def _case(capability: Capability, operation: Operation, **request: Any) -> Case:
    """A case for `operation` with the given request, and what the fake upstream must see."""
    method, prefix, passthrough, headers, content = _expectation(capability, operation)
    return Case(
        name=operation.py_name,
        expectation="calls_upstream" if method else "answers_mock",
        upstream_method=method,
        upstream_prefix=prefix,
        passthrough=passthrough,
        upstream_headers=headers,
        upstream_content=content,
        upstream_calls=_calls(operation),
        loops=any(step.for_each for step in operation.steps),
        binary_block=_binary_block(operation.binary),
        **request,
    )


def _binary_block(media_type: str | None) -> str | None:
    """The MCP content block a binary answer of this media type becomes."""
    if media_type is None:
        return None
    kind = media_type.split("/", 1)[0].lower()
    return kind if kind in ("image", "audio") else "resource"


def _calls(operation: Operation) -> int:
    """How many upstream requests one call of the operation makes."""
    if operation.call:
        return 1
    return sum(1 for step in operation.steps if step.call and not step.for_each)


def _testable(operation: Operation) -> bool:
    """Inputs with a pattern have no sample we can promise to match; they are not called."""
    return not any(item.pattern for item in operation.inputs)


def first_calling(cases: list[Case]) -> Case | None:
    """The first case that reaches the upstream (error-path tests reuse its request)."""
    return next((case for case in cases if case.upstream_method), None)


def _place(document: dict[str, Any], path: tuple[str | int, ...] | None, value: Any) -> None:
    """Set `value` at `path` in a JSON document, creating the objects on the way."""
    if not path:
        return
    *parents, leaf = path
    for step in parents:
        document = document.setdefault(str(step), {})
    document[str(leaf)] = value


def rest_cases(capability: Capability, adapter: RestAdapter) -> list[Case]:
    """One request per REST route."""
    cases = []
    auth_headers, auth_params = credentials(capability, adapter)
    for route in adapter.routes:
        operation = route.operation
        if not _testable(operation):
            continue
        url = request_path(route.path)
        params: dict[str, Any] = dict(auth_params)
        sent_headers: dict[str, str] = dict(auth_headers)
        body: Any = None
        fields: dict[str, Any] = {}
        for item in operation.inputs:
            value = sample(item)
            if item.location == "path":
                url = url.replace("{" + item.py_name + "}", str(value))
            elif item.location == "query":
                params[item.name] = value
            elif item.location == "header":
                sent_headers[item.name] = str(value)
            elif item.location == "body":
                body = value
            elif item.location == "body-field":
                fields[item.name] = value
            elif item.location == "body-path":
                _place(fields, item.body_path, value)
        cases.append(
            _case(
                capability,
                operation,
                method=route.method,
                url=url,
                params=params,
                headers=sent_headers,
                json=fields or body,
            )
        )
    return cases


def tool_cases(capability: Capability, adapter: McpAdapter) -> list[Case]:
    """One call per MCP tool."""
    cases = []
    for tool in adapter.tools:
        operation = tool.operation
        if not _testable(operation):
            continue
        cases.append(
            _case(
                capability,
                operation,
                required=tuple(i.name for i in operation.inputs if i.required),
                tool=tool.name,
                arguments={i.name: sample(i) for i in operation.inputs},
            )
        )
    return cases
