"""One corpus document, end to end, inside a worker process.

Generate it (into a temp folder), compile every generated `.py`, import the package without
installing it, build every REST app and MCP server against a recording fake upstream, and call
every route and tool once. What the fake upstream receives is compared with what the document
says (`model.py`), not with what the generator decided.

Each worker handles one document at a time; the package's modules are removed from
`sys.modules` afterwards, so documents that produce the same package name never meet.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import re
import sys
import time
import traceback
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from . import model as m

CALL_TIMEOUT = 20.0  # seconds for one route or tool call
DOCUMENT_TIMEOUT = 240.0  # seconds for driving one whole package
BASE_PATH = "/base"
TOKEN = "corpus-oauth-token"
# A small valid upstream body per output format (the generated package converts it to JSON).
SAMPLE_BODIES = {
    "json": ('{"fake": "upstream"}', "application/json"),
    "yaml": ("id: 1\n", "application/yaml"),
    "xml": ("<rows><row><id>1</id></row></rows>", "application/xml"),
    "csv": ("id,name\n1,a\n", "text/csv"),
    "tsv": ("id\tname\n1\ta\n", "text/tab-separated-values"),
    "psv": ("id|name\n1|a\n", "text/plain"),
    "html": ("<table><tr><th>id</th></tr><tr><td>1</td></tr></table>", "text/html"),
    "markdown": ("# Title\n\nSome text.\n", "text/markdown"),
}
PATTERN_CANDIDATES = (
    "abc",
    "a1",
    "123",
    "ABC",
    "a-b",
    "a_b",
    "2024-01-01",
    "2024-01-01T00:00:00Z",
    "00000000-0000-0000-0000-000000000000",
    "a@b.co",
    "https://example.com",
    "1.2.3",
    "A1",
    "ab12",
    "x",
    "1",
)
MAX_PROBLEMS = 60


@dataclass
class Outcome:
    """What a worker reports for one document (plain data: it crosses process boundaries)."""

    path: str
    package: str | None = None
    package_dir: str | None = None
    skipped: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    crashed: bool = False
    calls: int = 0
    compared: int = 0  # upstream requests compared with the document
    unchecked: list[str] = field(default_factory=list)
    seconds: float = 0.0
    plan_seconds: float = 0.0  # of which generating

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append("… more problems not shown")

    def note(self, text: str) -> None:
        if len(self.unchecked) < MAX_PROBLEMS and text not in self.unchecked:
            self.unchecked.append(text)


# -- worker process setup ---------------------------------------------------------------------


class _Collect(logging.Handler):
    """Keeps the log records of the current document (exceptions of failing tool calls)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + "".join(traceback.format_exception(*record.exc_info))
            self.records.append(text)
        except Exception:
            pass


LOG = _Collect()


def init_worker() -> None:
    """Import the heavy libraries once and route every log record into `LOG`."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(LOG)
    root.setLevel(logging.WARNING)
    import httpx2  # noqa: F401
    import jsonschema  # noqa: F401
    import mcp  # noqa: F401
    import naftiko_gen.pipeline  # noqa: F401
    import starlette.applications  # noqa: F401


# -- entry point ------------------------------------------------------------------------------


def process(task: tuple[str, str, str]) -> dict[str, Any]:
    """Generate and check one document; never raises."""
    path, display, workdir = task
    started = time.perf_counter()
    outcome = Outcome(display)
    try:
        _process(Path(path), display, Path(workdir), outcome)
    except Exception:
        outcome.crashed = True
        outcome.problem("harness crash: " + traceback.format_exc(limit=8))
    outcome.seconds = round(time.perf_counter() - started, 3)
    return outcome.__dict__


def _process(path: Path, display: str, workdir: Path, outcome: Outcome) -> None:
    from naftiko_gen.diagnostics import Severity
    from naftiko_gen.pipeline import Options, plan_document

    started = time.perf_counter()
    try:
        result = plan_document(path, display, Options())
    except Exception:
        outcome.crashed = True
        outcome.problem("generator crash: " + _short_traceback())
        return
    finally:
        outcome.plan_seconds = round(time.perf_counter() - started, 3)
    for diagnostic in result.diagnostics:
        item = {
            "code": diagnostic.code,
            "message": diagnostic.message,
            "loc": str(diagnostic.loc) if diagnostic.loc else None,
            "hint": diagnostic.hint,
        }
        (outcome.errors if diagnostic.severity is Severity.ERROR else outcome.warnings).append(item)
    if result.skipped:
        outcome.skipped = True
        return
    if result.files is None or result.name is None:
        return
    outcome.package = result.name
    package_dir = workdir / result.name
    outcome.package_dir = str(package_dir)
    for relative, data in result.files.items():
        target = package_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for relative, data in sorted(result.files.items()):
        if relative.endswith(".py"):
            try:
                compile(data, str(package_dir / relative), "exec", dont_inherit=True)
            except SyntaxError as exc:
                outcome.problem(f"{relative}:{exc.lineno}: does not compile: {exc.msg}")
    if outcome.problems:
        return
    packages = [p for p in (package_dir / "src").iterdir() if (p / "__init__.py").exists()]
    if len(packages) != 1:
        outcome.problem(f"expected one package under src/, found {[p.name for p in packages]}")
        return
    data = m.load_yaml(path)
    model = m.Model(path, data)
    cwd = workdir / "cwd"
    cwd.mkdir(exist_ok=True)
    with _imported(package_dir / "src", packages[0].name) as modules, _chdir(cwd):
        if isinstance(modules, str):
            outcome.problem("import failed: " + modules)
            return
        import anyio

        LOG.records.clear()
        anyio.run(_drive_with_timeout, modules, model, outcome, cwd)


def _short_traceback() -> str:
    """The exception line first (it is what the one-line summary shows), then the traceback."""
    lines = traceback.format_exc().strip().splitlines()
    return "\n".join([lines[-1], *lines[-12:-1]]) if lines else "?"


@contextlib.contextmanager
def _imported(src: Path, package: str) -> Iterator[dict[str, types.ModuleType] | str]:
    """Import the generated package's modules; forget them afterwards."""
    sys.path.insert(0, str(src))
    importlib.invalidate_caches()
    try:
        try:
            modules = {"settings": importlib.import_module(f"{package}.settings")}
            modules["upstream"] = importlib.import_module(f"{package}.upstream")
            for name in ("rest", "mcp_server"):
                if (src / package / f"{name}.py").exists():
                    modules[name] = importlib.import_module(f"{package}.{name}")
        except Exception:
            yield _short_traceback()
            return
        yield modules
    finally:
        sys.path.remove(str(src))
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]


@contextlib.contextmanager
def _chdir(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


# -- settings ---------------------------------------------------------------------------------


def _resolver(values: Mapping[str, str]) -> Callable[[str], Any]:
    """Placeholders resolved from `values`; an unknown name is absent."""
    return lambda name: values.get(name, m.ABSENT)


class _Recording(dict[str, str]):
    """An environment that remembers every variable the settings loader asks for."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.asked: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self.asked:
            self.asked.append(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        if key not in self.asked:
            self.asked.append(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str) and key not in self.asked:
            self.asked.append(key)
        return super().__contains__(key)


MISSING = re.compile(r"^\s*-\s*([A-Za-z_][A-Za-z0-9_]*)\s+is not set")
BIND_FILE = re.compile(r"bind file (.+?) cannot be read")


def make_environ(
    settings_module: types.ModuleType, cwd: Path, outcome: Outcome
) -> tuple[dict[str, str], Any]:
    """An environment under which `load_settings` succeeds, and the loaded settings.

    Every base URL points at a distinct fake host; every other variable that has no default gets
    `value-<name>`. Bind files the package cannot find are created (empty) in the working folder.
    """
    error_type = getattr(
        sys.modules[f"{settings_module.__package__}._errors"], "SettingsError", Exception
    )
    probe = _Recording({})
    try:
        settings_module.load_settings(probe)
        message = ""
    except error_type as exc:
        message = str(exc)
    environ: dict[str, str] = {}
    for index, name in enumerate(n for n in probe.asked if n.endswith("_BASE_URL")):
        environ[name] = f"http://u{index + 1}.upstream.test{BASE_PATH}"
    for line in message.splitlines():
        found = MISSING.match(line)
        if found and found.group(1) not in environ:
            environ[found.group(1)] = f"value-{found.group(1).lower().replace('_', '-')}"
        bind_file = BIND_FILE.search(line)
        if bind_file:
            target = Path(bind_file.group(1))
            if cwd in target.parents:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("{}\n", encoding="utf-8")
    # Every variable asked for but left at its default keeps it (ports, timeouts...).
    settings = settings_module.load_settings(environ)
    return environ, settings


# -- the fake upstream ------------------------------------------------------------------------


class FakeUpstream:
    """Records every request; answers with a small body in the called operation's format."""

    def __init__(self, token_urls: set[tuple[str, str]]) -> None:
        self.requests: list[tuple[Any, bytes]] = []
        self.token_requests: list[Any] = []
        self.token_urls = token_urls
        self.body = SAMPLE_BODIES["json"]

    def handle(self, request: Any) -> Any:
        import httpx2

        content = request.read()
        if (request.url.host, request.url.path) in self.token_urls:
            self.token_requests.append(request)
            return httpx2.Response(
                200,
                json={"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600},
            )
        self.requests.append((request, content))
        text, media = self.body
        return httpx2.Response(200, content=text.encode(), headers={"content-type": media})


# -- driving the package ----------------------------------------------------------------------


async def _drive_with_timeout(
    modules: dict[str, types.ModuleType], model: m.Model, outcome: Outcome, cwd: Path
) -> None:
    import anyio

    try:
        with anyio.fail_after(DOCUMENT_TIMEOUT):
            await Driver(modules, model, outcome, cwd).run()
    except TimeoutError:
        outcome.problem(f"driving the package took more than {DOCUMENT_TIMEOUT:.0f}s")


class Driver:
    """Builds the apps and servers of one package and calls everything once."""

    def __init__(
        self, modules: dict[str, types.ModuleType], model: m.Model, outcome: Outcome, cwd: Path
    ) -> None:
        self.modules = modules
        self.model = model
        self.outcome = outcome
        self.cwd = cwd
        self.hosts: dict[str, str] = {}  # consumes namespace -> fake host

    async def run(self) -> None:
        import httpx2

        try:
            self.environ, settings = make_environ(self.modules["settings"], self.cwd, self.outcome)
        except Exception:
            self.outcome.problem("settings cannot be loaded: " + _short_traceback())
            return
        self._map_hosts()
        token_urls = set()
        for entry in self.model.consumes.values():
            auth = entry.get("authentication")
            if isinstance(auth, dict) and m.text(auth.get("tokenEndpoint")):
                url = httpx2.URL(m.text(auth.get("tokenEndpoint")))
                token_urls.add((url.host, url.path))
        self.fake = FakeUpstream(token_urls)
        try:
            clients = self.modules["upstream"].Clients(
                settings, httpx2.MockTransport(self.fake.handle)
            )
        except Exception:
            self.outcome.problem("Clients(settings, transport) failed: " + _short_traceback())
            return
        try:
            await self._rest(clients)
            await self._mcp(clients)
        finally:
            with contextlib.suppress(Exception):
                await clients.aclose()

    def _map_hosts(self) -> None:
        """Each consumed namespace's fake host, found through `<NS>_BASE_URL` (SEMANTICS.md §9)."""
        taken: set[str] = set()
        for namespace in self.model.consumes:
            env = f"{m.env_name(namespace)}_BASE_URL"
            candidate, counter = env, 2
            while candidate in taken:
                candidate = f"{env.removesuffix('_BASE_URL')}_BASE_URL_{counter}"
                counter += 1
            taken.add(candidate)
            url = self.environ.get(env)
            if url is None:
                self.outcome.problem(f"consumes '{namespace}': the package does not read {env}")
                continue
            self.hosts[namespace] = url.split("//", 1)[1].split("/", 1)[0]

    # -- REST -----------------------------------------------------------------------------

    async def _rest(self, clients: Any) -> None:
        import httpx2

        adapters = self.model.adapters("rest")
        rest = self.modules.get("rest")
        if not adapters:
            return
        if rest is None:
            self.outcome.problem("the document exposes a rest adapter but there is no rest.py")
            return
        from starlette.routing import Route

        factories = [
            n
            for n in sorted(vars(rest))
            if n.startswith("create_app") and callable(getattr(rest, n))
        ]
        apps: dict[str, Any] = {}
        documents: dict[str, Any] = {}
        for name in factories:
            try:
                apps[name] = getattr(rest, name)(clients)
                # The OpenAPI document the app serves says what each route reads.
                openapi = f"openapi{name.removeprefix('create_app')}.json"
                folder = Path(str(rest.__file__)).parent
                documents[name] = json.loads((folder / openapi).read_text())
            except Exception:
                self.outcome.problem(f"rest.{name}(clients) failed: " + _short_traceback())
                apps.pop(name, None)
        actual: dict[str, dict[tuple[str, str], Any]] = {}
        for name, app in apps.items():
            table: dict[tuple[str, str], Any] = {}
            for route in app.routes:
                if not isinstance(route, Route) or not route.include_in_schema:
                    continue
                methods = route.methods or set()
                for method in methods:
                    if method == "HEAD" and "GET" in methods:
                        continue  # Starlette answers HEAD wherever it answers GET
                    operation = documents[name]["paths"].get(route.path, {}).get(method.lower())
                    table[(method, m.shape(route.path))] = (route, operation or {})
            actual[name] = table
        unpaired = dict(actual)
        for adapter in adapters:
            expected = self.model.routes(adapter)
            keys = {(e.method, m.shape(e.path)) for e in expected}
            if not unpaired:
                self.outcome.problem(
                    f"rest adapter '{m.text(adapter.get('namespace'))}': no app factory"
                )
                continue
            name = max(unpaired, key=lambda n: (len(keys & set(unpaired[n])), -factories.index(n)))
            table = unpaired.pop(name)
            ns = m.text(adapter.get("namespace"))
            for key in sorted(keys - set(table)):
                self.outcome.problem(f"rest '{ns}': route {key[0]} {key[1]} missing from the app")
            for key in sorted(set(table) - keys):
                self.outcome.problem(f"rest '{ns}': unexpected route {key[0]} {key[1]}")
            credentials = m.exposed_credentials(self.model, adapter, self.environ)
            if credentials is m.UNKNOWN:
                self.outcome.note(
                    f"rest '{ns}': exposed authentication not modelled; routes not called"
                )
                continue
            first = True
            transport = httpx2.ASGITransport(app=apps[name])
            async with httpx2.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as http:
                for exposed in expected:
                    entry = table.get((exposed.method, m.shape(exposed.path)))
                    if entry is None:
                        continue
                    route, operation = entry
                    if exposed.kind == "forward":
                        await self._call_forward(http, route, exposed, credentials)
                    else:
                        fields = _route_inputs(operation)
                        await self._call_route(
                            http, route, fields, exposed, credentials, check_auth=first
                        )
                        first = False

    async def _call_route(
        self,
        http: Any,
        route: Any,
        fields: list[tuple[str, RouteInput]],
        exposed: m.Exposed,
        credentials: dict[str, str] | None,
        *,
        check_auth: bool,
    ) -> None:
        import anyio

        where = f"rest {exposed.method} {exposed.path}"
        self._check_rest_inputs(exposed, route.path, fields, where)
        inputs: dict[str, Any] = {}
        url = _quote_literals(route.path)
        params: list[tuple[str, str]] = []
        headers: dict[str, str] = dict(credentials or {})
        cookies: dict[str, str] = {}
        body_fields: list[tuple[Any, Any]] = []
        for index, (location, fld) in enumerate(fields):
            value = _sample_for_type(fld.annotation, fld.alias, index, in_path=location == "path")
            pattern = fld.pattern
            if pattern is not None:
                value = _pattern_sample(pattern)
                if value is None:
                    self.outcome.note(f"{where}: no sample matches pattern {pattern!r}; not called")
                    return
            repeat = re.fullmatch(r"(.+)_repeat\d+", fld.alias)
            if location == "path" and repeat and repeat.group(1) in inputs:
                value = inputs[repeat.group(1)]  # a variable written twice takes one value
            inputs[fld.alias] = value
            if location == "path":
                url = url.replace("{" + fld.alias + "}", quote(m.value_text(value), safe=""))
            elif location == "query":
                values = value if isinstance(value, list) else [value]
                params += [(fld.alias, _query_text(v)) for v in values]
            elif location == "header":
                headers[fld.alias] = m.value_text(value)
            elif location == "cookie":
                cookies[fld.alias] = m.value_text(value)
            else:
                body_fields.append((fld, value))
        for doc_var, route_var in zip(
            m.path_variables(exposed.path), m.path_variables(route.path), strict=False
        ):
            inputs.setdefault(doc_var, inputs.get(route_var))
        paths = exposed.body_paths()
        if paths and len(body_fields) == 1:
            extracted = {name: _string_sample(name, in_path=False) for name in paths}
            built = m.body_for_paths(paths, extracted)
            if built is None:
                self.outcome.note(
                    f"{where}: body JSONPaths {sorted(paths.values())} not modelled; not called"
                )
                return
            body_fields = [(body_fields[0][0], built)]
            inputs.pop(body_fields[0][0].alias, None)
            inputs.update(extracted)
        json_body: Any = None
        has_body = bool(body_fields)
        if len(body_fields) == 1 and not body_fields[0][0].embed:
            json_body = body_fields[0][1]
        elif body_fields:
            json_body = {fld.alias: value for fld, value in body_fields}
        self._set_response_format(exposed)
        if check_auth and credentials:
            self.fake.requests.clear()
            try:
                with anyio.fail_after(CALL_TIMEOUT):
                    denied = await http.request(
                        exposed.method, url, params=params, json=json_body if has_body else None
                    )
            except Exception:
                self.outcome.problem(f"{where}: unauthenticated call raised: " + _short_traceback())
                return
            if denied.status_code not in (401, 403):
                self.outcome.problem(
                    f"{where}: without credentials the status is {denied.status_code}, not 401/403"
                )
        self.fake.requests.clear()
        LOG.records.clear()
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        try:
            with anyio.fail_after(CALL_TIMEOUT):
                response = await http.request(
                    exposed.method,
                    url,
                    params=params,
                    headers=headers,
                    json=json_body if has_body else None,
                )
        except Exception:
            self.outcome.problem(f"{where}: the call raised: " + _short_traceback())
            return
        self.outcome.calls += 1
        if not 200 <= response.status_code < 300:
            if self._format_unsupported(exposed):
                self.outcome.note(f"{where}: {response.status_code} (unsupported output format)")
                return
            log = ("; log: " + LOG.records[-1][-600:]) if LOG.records else ""
            self.outcome.problem(
                f"{where}: status {response.status_code}: {response.text[:300]}{log}"
            )
            return
        try:
            answer = response.json() if response.content else None
        except ValueError:
            answer = m.ABSENT
        self._check_upstream(exposed, inputs, where, answer)

    async def _call_forward(
        self, http: Any, route: Any, exposed: m.Exposed, credentials: dict[str, str] | None
    ) -> None:
        """A `forward` route: path remainder, query, body and trusted headers go upstream."""
        import anyio

        where = f"rest {exposed.method} {exposed.path} (forward)"
        prefix = m.PATH_VARIABLE.split(route.path, maxsplit=1)[0]
        remainder = ["a b", "c&d"]
        query = [("x", "1"), ("y", "a b/c")]
        trusted = [str(h) for h in m.items(exposed.entry.get("trustedHeaders"))]
        sent_headers = {h: f"trusted-{i}" for i, h in enumerate(trusted)}
        sent_headers["X-Corpus-Untrusted"] = "secret"
        body = b'{"forwarded": true}' if exposed.method != "GET" else b""
        if body:
            sent_headers["Content-Type"] = "application/json"
        url = prefix + "/".join(quote(s, safe="") for s in remainder)
        self.fake.body = SAMPLE_BODIES["json"]
        self.fake.requests.clear()
        LOG.records.clear()
        try:
            with anyio.fail_after(CALL_TIMEOUT):
                response = await http.request(
                    exposed.method,
                    url,
                    params=query,
                    headers={**(credentials or {}), **sent_headers},
                    content=body or None,
                )
        except Exception:
            self.outcome.problem(f"{where}: the call raised: " + _short_traceback())
            return
        self.outcome.calls += 1
        if not 200 <= response.status_code < 300:
            log = ("; log: " + LOG.records[-1][-600:]) if LOG.records else ""
            self.outcome.problem(
                f"{where}: status {response.status_code}: {response.text[:300]}{log}"
            )
            return
        expected = m.forward_request(
            self.model, exposed, remainder, query, sent_headers, body, self.environ
        )
        if expected is None:
            self.outcome.note(f"{where}: forward target not modelled")
            return
        if len(self.fake.requests) != 1:
            self.outcome.problem(
                f"{where}: expected 1 upstream request, got {len(self.fake.requests)}"
            )
            if not self.fake.requests:
                return
        request, content = self.fake.requests[0]
        self.outcome.compared += 1
        for problem in compare_request(expected, request, content, self.hosts):
            self.outcome.problem(f"{where}: {problem}")

    def _check_rest_inputs(
        self,
        exposed: m.Exposed,
        route_path: str,
        fields: list[tuple[str, RouteInput]],
        where: str,
    ) -> None:
        expected = m.expected_inputs(self.model, exposed)
        if expected is None:
            return
        # Path variables are matched by position (the route shape is checked already); Starlette
        # needs identifiers there, so their names may differ from the document's.
        actual = {m.norm(f.alias): (loc, f) for loc, f in fields if loc != "path"}
        wanted = {m.norm(e.name): e for e in expected if e.location != "path"}
        route_vars = m.path_variables(route_path)
        for var in route_vars:
            if not any(loc == "path" and f.alias == var for loc, f in fields):
                self.outcome.problem(
                    f"{where}: path variable {{{var}}} is not a parameter of the route"
                )
        # A single non-embedded body parameter is the whole body: its name is not on the wire.
        bodies = [f for loc, f in fields if loc == "body"]
        missing = sorted(set(wanted) - set(actual))
        extra = sorted(set(actual) - set(wanted))
        if len(bodies) == 1 and not bodies[0].embed:
            body_name = m.norm(bodies[0].alias)
            if (
                body_name in extra
                and len(missing) == 1
                and wanted[missing[0]].location in (None, "body")
            ):
                extra.remove(body_name)
                missing = []
        paths = exposed.body_paths()
        if paths and len(bodies) == 1:
            # Inputs read from the body by JSONPath: the route takes the body as one document.
            missing = [k for k in missing if k not in {m.norm(n) for n in paths}]
            extra = [k for k in extra if k != m.norm(bodies[0].alias)]
        if missing:
            self.outcome.problem(
                f"{where}: inputs {missing} of the document are not parameters of the route"
            )
        if extra:
            self.outcome.problem(
                f"{where}: route parameters {extra} are not inputs of the document"
            )
        for key, item in wanted.items():
            if key not in actual:
                continue
            location, fld = actual[key]
            if (
                item.location
                and item.location != location
                and not (item.location == "body" and location == "body")
            ):
                self.outcome.problem(
                    f"{where}: input '{item.name}' is a {location} parameter, "
                    f"the document says {item.location}"
                )
            if item.required is True and not fld.required:
                self.outcome.problem(f"{where}: input '{item.name}' should be required")

    # -- MCP ------------------------------------------------------------------------------

    async def _mcp(self, clients: Any) -> None:
        adapters = self.model.adapters("mcp")
        server_module = self.modules.get("mcp_server")
        if not adapters:
            return
        if server_module is None:
            self.outcome.problem(
                "the document exposes an mcp adapter but there is no mcp_server.py"
            )
            return
        from mcp import Client

        factories = [
            n
            for n in sorted(vars(server_module))
            if n.startswith("create_server") and callable(getattr(server_module, n))
        ]
        listed: dict[str, list[Any]] = {}
        servers: dict[str, Any] = {}
        for name in factories:
            try:
                servers[name] = getattr(server_module, name)(clients)
                async with Client(servers[name]) as client:
                    listed[name] = list((await client.list_tools()).tools)
            except Exception:
                self.outcome.problem(f"mcp_server.{name}: tools/list failed: " + _short_traceback())
        unpaired = dict(listed)
        for adapter in adapters:
            ns = m.text(adapter.get("namespace"))
            expected = self.model.tools(adapter)
            names = [e.name for e in expected]
            if not unpaired:
                self.outcome.problem(f"mcp '{ns}': no server factory")
                continue
            name = max(
                unpaired,
                key=lambda n: (
                    len(set(names) & {t.name for t in unpaired[n]}),
                    -factories.index(n),
                ),
            )
            tools = unpaired.pop(name)
            got = [t.name for t in tools]
            if sorted(got) != sorted(names):
                missing = sorted(set(names) - set(got))
                extra = sorted(set(got) - set(names))
                if missing:
                    self.outcome.problem(f"mcp '{ns}': tools {missing[:8]} missing from tools/list")
                if extra:
                    self.outcome.problem(f"mcp '{ns}': unexpected tools {extra[:8]}")
            elif got != names:
                self.outcome.problem(f"mcp '{ns}': tools/list order differs from the document")
            by_name = {t.name: t for t in tools}
            async with Client(servers[name]) as client:
                for exposed in expected:
                    tool = by_name.get(exposed.name)
                    if tool is not None:
                        await self._call_tool(client, tool, exposed)
                if m.items(adapter.get("resources")):
                    await self._resources(client, adapter, ns)
                if m.items(adapter.get("prompts")):
                    await self._prompts(client, adapter, ns)

    async def _resources(self, client: Any, adapter: dict[str, Any], ns: str) -> None:
        """resources/list and resources/templates/list as declared; call-backed ones read once."""
        import anyio

        declared = [
            r
            for r in m.items(adapter.get("resources"))
            if isinstance(r, dict) and m.text(r.get("name"))
        ]
        static = {
            (m.text(r["name"]), m.text(r.get("uri")))
            for r in declared
            if "{" not in m.text(r.get("uri"))
        }
        templated = {
            (m.text(r["name"]), m.text(r.get("uri")))
            for r in declared
            if "{" in m.text(r.get("uri"))
        }
        try:
            listed = {(r.name, str(r.uri)) for r in (await client.list_resources()).resources}
            listed_templates = {
                (t.name, t.uri_template)
                for t in (await client.list_resource_templates()).resource_templates
            }
        except Exception:
            self.outcome.problem(f"mcp '{ns}': resources/list failed: " + _short_traceback())
            return
        if listed != static:
            self.outcome.problem(
                f"mcp '{ns}': resources/list {sorted(listed)}, expected {sorted(static)}"
            )
        if listed_templates != templated:
            self.outcome.problem(
                f"mcp '{ns}': resources/templates/list {sorted(listed_templates)}, "
                f"expected {sorted(templated)}"
            )
        for resource in declared:
            if "call" not in resource:
                self.outcome.note(
                    f"mcp '{ns}': resource {resource['name']} is not call-backed; not read"
                )
                continue
            uri = m.text(resource.get("uri"))
            inputs = {v: f"v{i}" for i, v in enumerate(re.findall(r"\{([^{}]+)\}", uri))}
            for var, value in inputs.items():
                uri = uri.replace("{" + var + "}", value)
            where = f"resource {resource['name']}"
            exposed = m.Exposed("mcp", adapter, resource, m.text(resource["name"]))
            self._set_response_format(exposed)
            self.fake.requests.clear()
            try:
                with anyio.fail_after(CALL_TIMEOUT):
                    result = await client.read_resource(uri)
            except Exception:
                self.outcome.problem(f"{where}: resources/read {uri} raised: " + _short_traceback())
                continue
            self.outcome.calls += 1
            if not result.contents:
                self.outcome.problem(f"{where}: resources/read {uri} returned no contents")
            self._check_upstream(exposed, inputs, where)

    async def _prompts(self, client: Any, adapter: dict[str, Any], ns: str) -> None:
        """prompts/list as declared; each prompt rendered once with every argument."""
        import anyio

        declared = [
            p
            for p in m.items(adapter.get("prompts"))
            if isinstance(p, dict) and m.text(p.get("name"))
        ]
        try:
            listed = {p.name: p for p in (await client.list_prompts()).prompts}
        except Exception:
            self.outcome.problem(f"mcp '{ns}': prompts/list failed: " + _short_traceback())
            return
        if sorted(listed) != sorted(m.text(p["name"]) for p in declared):
            self.outcome.problem(
                f"mcp '{ns}': prompts/list {sorted(listed)}, "
                f"expected {sorted(m.text(p['name']) for p in declared)}"
            )
        for prompt in declared:
            name = m.text(prompt["name"])
            got = listed.get(name)
            if got is None:
                continue
            where = f"prompt {name}"
            arguments = [
                a
                for a in m.items(prompt.get("arguments"))
                if isinstance(a, dict) and m.text(a.get("name"))
            ]
            want_args = {m.text(a["name"]): a.get("required") is True for a in arguments}
            got_args = {a.name: bool(a.required) for a in (got.arguments or [])}
            if got_args != want_args:
                self.outcome.problem(f"{where}: arguments {got_args}, expected {want_args}")
            values = {a: f"{a} value" for a in want_args}
            try:
                with anyio.fail_after(CALL_TIMEOUT):
                    result = await client.get_prompt(name, values)
            except Exception:
                self.outcome.problem(f"{where}: prompts/get raised: " + _short_traceback())
                continue
            self.outcome.calls += 1
            template = [t for t in m.items(prompt.get("template")) if isinstance(t, dict)]
            want = [
                (
                    m.text(t.get("role")) or "user",
                    m.render(m.text(t.get("content")), _resolver(values)),
                )
                for t in template
            ]
            have = [
                (str(getattr(msg.role, "value", msg.role)), getattr(msg.content, "text", None))
                for msg in result.messages
            ]
            if template and have != want:
                self.outcome.problem(f"{where}: messages {have!r:.300}, expected {want!r:.300}")

    async def _call_tool(self, client: Any, tool: Any, exposed: m.Exposed) -> None:
        import anyio
        import jsonschema

        where = f"tool {exposed.name}"
        schema = tool.input_schema
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            self.outcome.problem(
                f"{where}: inputSchema is not a valid 2020-12 schema: {exc.message}"
            )
            return
        if getattr(tool, "output_schema", None) is not None:
            try:
                jsonschema.Draft202012Validator.check_schema(tool.output_schema)
            except jsonschema.SchemaError as exc:
                self.outcome.problem(
                    f"{where}: outputSchema is not a valid 2020-12 schema: {exc.message}"
                )
        if schema.get("type") != "object":
            self.outcome.problem(
                f"{where}: inputSchema type is {schema.get('type')!r}, not 'object'"
            )
        self._check_tool_schema(exposed, schema, where)
        self._check_annotations(exposed, tool, where)
        description = m.text(exposed.entry.get("description")) or m.text(exposed.entry.get("label"))
        if description and (tool.description or "") != description:
            self.outcome.problem(
                f"{where}: description {tool.description!r:.80} is not the document's "
                f"{description!r:.80}"
            )
        arguments: dict[str, Any] = {}
        for index, (name, prop) in enumerate((schema.get("properties") or {}).items()):
            value = _sample_for_schema(prop if isinstance(prop, dict) else {}, name, index)
            if value is None:
                self.outcome.note(f"{where}: no sample for '{name}' ({prop}); not called")
                return
            arguments[name] = value
        try:
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(arguments))
        except Exception:
            errors = []
        if errors:
            self.outcome.note(
                f"{where}: sample arguments do not validate ({errors[0].message[:80]}); not called"
            )
            return
        self._set_response_format(exposed)
        self.fake.requests.clear()
        LOG.records.clear()
        try:
            with anyio.fail_after(CALL_TIMEOUT):
                result = await client.call_tool(exposed.name, arguments)
        except Exception:
            self.outcome.problem(f"{where}: tools/call raised: " + _short_traceback())
            return
        self.outcome.calls += 1
        if result.is_error:
            if self._format_unsupported(exposed):
                self.outcome.note(f"{where}: isError (unsupported output format)")
                return
            text = " ".join(getattr(c, "text", "") for c in result.content)[:300]
            log = ("; log: " + LOG.records[-1][-600:]) if LOG.records else ""
            self.outcome.problem(f"{where}: isError: {text}{log}")
            return
        answer: Any = m.ABSENT
        texts = [getattr(c, "text", None) for c in result.content]
        if len(texts) == 1 and isinstance(texts[0], str):
            with contextlib.suppress(ValueError):
                answer = json.loads(texts[0])
        self._check_upstream(exposed, arguments, where, answer)

    def _check_tool_schema(self, exposed: m.Exposed, schema: dict[str, Any], where: str) -> None:
        expected = m.expected_inputs(self.model, exposed)
        if expected is None:
            return
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        actual = {m.norm(n): n for n in properties}
        wanted = {m.norm(e.name): e for e in expected}
        missing = sorted(set(wanted) - set(actual))
        extra = sorted(set(actual) - set(wanted))
        if missing:
            self.outcome.problem(
                f"{where}: inputs {missing} of the document are not in the inputSchema"
            )
        if extra:
            self.outcome.problem(
                f"{where}: inputSchema properties {extra} are not inputs of the document"
            )
        for key, item in wanted.items():
            if key not in actual:
                continue
            name = actual[key]
            prop = properties[name] if isinstance(properties[name], dict) else {}
            if item.required is not None and (name in required) != item.required:
                self.outcome.problem(
                    f"{where}: '{name}' is {'' if name in required else 'not '}required, "
                    f"the document says {'required' if item.required else 'optional'}"
                )
            if item.json_type and prop.get("type") != item.json_type:
                self.outcome.problem(
                    f"{where}: '{name}' has type {prop.get('type')!r}, "
                    f"the document says {item.json_type!r}"
                )
            if item.description and prop.get("description") != item.description:
                self.outcome.problem(f"{where}: '{name}' description differs from the document")

    def _check_annotations(self, exposed: m.Exposed, tool: Any, where: str) -> None:
        expected = m.expected_hints(self.model, exposed)
        annotations = tool.annotations
        for attr, value in expected.items():
            if value is m.UNKNOWN:
                continue
            got = getattr(annotations, attr, None) if annotations is not None else None
            if got != value:
                self.outcome.problem(f"{where}: {attr} is {got}, expected {value}")

    # -- what the fake upstream received --------------------------------------------------

    def _set_response_format(self, exposed: m.Exposed) -> None:
        consumed = self.model.consumed(exposed)
        fmt = consumed.output_format if consumed else "json"
        self.fake.body = SAMPLE_BODIES.get(fmt, SAMPLE_BODIES["json"])

    def _format_unsupported(self, exposed: m.Exposed) -> bool:
        consumed = self.model.consumed(exposed)
        return consumed is not None and consumed.output_format not in SAMPLE_BODIES

    def _check_upstream(
        self, exposed: m.Exposed, inputs: Mapping[str, Any], where: str, answer: Any = m.ABSENT
    ) -> None:
        requests = self.fake.requests
        steps = self.model.steps_of(exposed)
        if steps is not None and self.model.call_of(exposed) is None:
            self._check_steps(exposed, inputs, where)
            return
        expected = m.expected_request(self.model, exposed, inputs, self.environ)
        if expected is None:
            if self.model.call_of(exposed) is None:
                if requests:
                    self.outcome.problem(
                        f"{where}: a mock operation called the upstream ({len(requests)} requests)"
                    )
                mock = m.mock_body(exposed, inputs)
                if answer is not m.ABSENT and not m.loosely_equal(mock, answer):
                    self.outcome.problem(
                        f"{where}: mock answer {json.dumps(answer)[:200]}, "
                        f"expected {json.dumps(mock, default=repr)[:200]}"
                    )
                return
            self.outcome.note(f"{where}: call target not modelled")
            return
        if len(requests) != 1:
            self.outcome.problem(f"{where}: expected 1 upstream request, got {len(requests)}")
            if not requests:
                return
        request, content = requests[0]
        self.outcome.compared += 1
        problems = compare_request(expected, request, content, self.hosts)
        for problem in problems:
            self.outcome.problem(f"{where}: {problem}")
        if expected.auth != "checked":
            self.outcome.note(f"{where}: {expected.auth} not checked")

    def _check_steps(self, exposed: m.Exposed, inputs: Mapping[str, Any], where: str) -> None:
        """Orchestrated: the call steps' requests in order (a `forEach` step: zero or more)."""
        calls = m.step_calls(self.model, exposed)
        if calls is None:
            self.outcome.note(f"{where}: a step's call is not modelled")
            return
        opaque = m.step_names(self.model, exposed)
        requests = list(self.fake.requests)
        position = 0
        for step in calls:
            matched = 0
            while position < len(requests) and self._matches(step.consumed, requests[position][0]):
                request, content = requests[position]
                if not step.repeated or matched == 0:
                    expected = m.expected_request(
                        self.model, step.exposed, inputs, self.environ, opaque
                    )
                    if expected is not None:
                        self.outcome.compared += 1
                        for problem in compare_request(expected, request, content, self.hosts):
                            self.outcome.problem(f"{where}: step '{step.name}': {problem}")
                position += 1
                matched += 1
                if not step.repeated:
                    break
            if not step.repeated and matched == 0:
                got = requests[position][0] if position < len(requests) else None
                shown = f"{got.method} {got.url.path}" if got is not None else "nothing"
                self.outcome.problem(
                    f"{where}: step '{step.name}' should call {step.consumed.method} "
                    f"{step.consumed.path}; next request: {shown}"
                )
                return
        for request, _ in requests[position:]:
            self.outcome.problem(
                f"{where}: unexpected upstream request {request.method} {request.url.path}"
            )

    def _matches(self, consumed: m.ConsumedOp, request: Any) -> bool:
        if request.method != consumed.method:
            return False
        host = self.hosts.get(consumed.namespace)
        if host is not None and request.url.host != host:
            return False
        pattern = re.escape(m.shape(consumed.path)).replace(re.escape("{}"), "[^/]*")
        raw = request.url.raw_path.decode("ascii", "replace").split("?", 1)[0]
        return re.fullmatch(re.escape(BASE_PATH) + pattern, raw) is not None


def compare_request(
    expected: m.Expected, request: Any, content: bytes, hosts: Mapping[str, str]
) -> list[str]:
    """Differences between what the document says the upstream gets and what it got."""
    problems: list[str] = []
    if request.method != expected.method:
        problems.append(f"method {request.method}, expected {expected.method}")
    host = hosts.get(expected.namespace)
    if host is not None and request.url.host != host:
        problems.append(
            f"sent to host {request.url.host}, expected {host} (namespace '{expected.namespace}')"
        )
    raw = request.url.raw_path.decode("ascii", "replace").split("?", 1)[0]
    if " " in raw:
        problems.append(f"path {raw!r} is not percent-encoded")
    parts = raw.split("/")
    if parts[:2] != ["", BASE_PATH.strip("/")]:
        problems.append(f"path {raw!r} does not start with the base URL path {BASE_PATH}")
    elif expected.segments is not m.UNKNOWN:
        got = [unquote(p) for p in parts[2:]]
        want = list(expected.segments)
        if got != want:
            problems.append(f"path {raw!r}: segments {got}, expected {want}")
    if expected.query is not m.UNKNOWN:
        got_query = sorted(
            parse_qsl(
                request.url.query.decode()
                if isinstance(request.url.query, bytes)
                else request.url.query,
                keep_blank_values=True,
            )
        )
        want_query = sorted((k, v) for k, v in expected.query if v is not m.UNKNOWN)
        unknown = {k for k, v in expected.query if v is m.UNKNOWN}
        got_cmp = [(k, v) for k, v in got_query if k not in unknown]
        if got_cmp != want_query:
            problems.append(f"query {got_query}, expected {want_query}")
    for name, value in expected.headers.items():
        if value is m.UNKNOWN:
            continue
        got_value = request.headers.get(name)
        if value is m.ABSENT:
            if got_value is not None:
                problems.append(f"header {name} was forwarded, it is not a trusted header")
        elif got_value != value:
            problems.append(f"header {name}: {got_value!r}, expected {value!r}")
    problems += _compare_body(expected.body, request, content)
    return problems


def _compare_body(body: Any, request: Any, content: bytes) -> list[str]:
    if body is m.UNKNOWN:
        return []
    if body is m.ABSENT:
        if content:
            return [f"a body was sent ({content[:80]!r}), the document defines none"]
        return []
    kind, value = body
    if m.contains_unknown(value):
        return []
    if kind == "bytes":
        return [] if content == value else [f"body {content[:120]!r}, expected {value[:120]!r}"]
    if kind == "json" or kind == "text-json":
        if kind == "text-json":
            try:
                value = json.loads(value)
            except ValueError:
                got_text = content.decode("utf-8", "replace")
                return (
                    []
                    if got_text == value
                    else [f"body {got_text[:120]!r}, expected {value[:120]!r}"]
                )
        try:
            got = json.loads(content) if content else m.ABSENT
        except ValueError:
            return [f"body is not JSON: {content[:120]!r}"]
        if got is m.ABSENT and value is None:
            return []
        if got != value:
            shown = json.dumps(got)[:200] if got is not m.ABSENT else "absent"
            return [f"JSON body {shown}, expected {json.dumps(value)[:200]}"]
        return []
    if kind == "text":
        got_text = content.decode("utf-8", "replace")
        return (
            []
            if got_text == m.value_text(value)
            else [f"body {got_text[:120]!r}, expected {m.value_text(value)[:120]!r}"]
        )
    if kind == "form":
        got_pairs = sorted(parse_qsl(content.decode("utf-8", "replace"), keep_blank_values=True))
        want = sorted((str(k), _query_text(v)) for k, v in value.items() if v is not None)
        return [] if got_pairs == want else [f"form body {got_pairs}, expected {want}"]
    return []


# -- sample values ----------------------------------------------------------------------------


def _quote_literals(path: str) -> str:
    """A route path as a URL: literal text percent-encoded (`#` in a path is not a fragment)."""
    pieces = []
    pos = 0
    for match in m.PATH_VARIABLE.finditer(path):
        pieces.append(quote(path[pos : match.start()], safe="/:@!$&'()*+,;=-._~"))
        pieces.append(match.group(0))
        pos = match.end()
    pieces.append(quote(path[pos:], safe="/:@!$&'()*+,;=-._~"))
    return "".join(pieces)


def _ascii(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:24] or "v"


def _string_sample(name: str, *, in_path: bool) -> str:
    """A string that needs encoding wherever it goes (a REST path value cannot hold `/`)."""
    return f"{_ascii(name)} 1&x=y" if in_path else f"{_ascii(name)} 1/2&x=y"


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return m.value_text(value)


@dataclass(frozen=True)
class RouteInput:
    """One input of a REST route, as the OpenAPI document the app serves declares it."""

    alias: str
    annotation: Any
    required: bool
    pattern: str | None = None
    embed: bool = False  # a member of a JSON-object body (else the whole body)


SCHEMA_TYPES: dict[Any, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list,
    "object": dict,
}


def _route_inputs(operation: dict[str, Any]) -> list[tuple[str, RouteInput]]:
    """The (location, input) pairs of one OpenAPI operation, parameters first, then the body."""
    fields: list[tuple[str, RouteInput]] = []
    for param in operation.get("parameters", []):
        schema = param.get("schema", {})
        # A URL or header carries one text value: arrays there are read as text.
        kind = str if schema.get("type") == "array" else SCHEMA_TYPES.get(schema.get("type"), str)
        fields.append(
            (
                param["in"],
                RouteInput(param["name"], kind, bool(param.get("required")), schema.get("pattern")),
            )
        )
    body = operation.get("requestBody")
    if body is None:
        return fields
    schema = body["content"]["application/json"]["schema"]
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if "properties" in schema:
        required = set(schema.get("required", []))
        for name, prop in schema["properties"].items():
            annotation = SCHEMA_TYPES.get(prop.get("type"), Any)
            item = RouteInput(name, annotation, name in required, prop.get("pattern"), embed=True)
            fields.append(("body", item))
    elif schema.get("description", "").startswith("Inputs are read from"):
        fields.append(("body", RouteInput("payload", dict, True)))
    else:
        annotation = SCHEMA_TYPES.get(kind, Any)
        fields.append(("body", RouteInput("body", annotation, bool(body.get("required")))))
    return fields


def _sample_for_type(annotation: Any, name: str, index: int, *, in_path: bool) -> Any:
    origin = typing.get_origin(annotation) or annotation
    if annotation is bool:
        return True
    if annotation is int:
        return 7 + index
    if annotation is float:
        return 2.5 + index
    if origin in (list, tuple, set):
        return [f"{_ascii(name)}-a", f"{_ascii(name)}-b"]
    if origin in (dict, Mapping):
        return {"key": _ascii(name)}
    if annotation is str:
        return _string_sample(name, in_path=in_path)
    return {"key": _ascii(name)}  # Any: a JSON value


def _sample_for_schema(prop: dict[str, Any], name: str, index: int) -> Any:
    if isinstance(prop.get("enum"), list) and prop["enum"]:
        return prop["enum"][0]
    if "const" in prop:
        return prop["const"]
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "integer":
        return 7 + index
    if kind == "number":
        return 2.5 + index
    if kind == "boolean":
        return True
    if kind == "array":
        return [f"{_ascii(name)}-a", f"{_ascii(name)}-b"]
    if kind == "object":
        return {"key": _ascii(name)}
    if isinstance(prop.get("pattern"), str):
        return _pattern_sample(prop["pattern"])
    return _string_sample(name, in_path=False)


def _pattern_sample(pattern: str) -> str | None:
    try:
        compiled = re.compile(pattern)
    except re.error:
        return None
    for candidate in PATTERN_CANDIDATES:
        if compiled.search(candidate):
            return candidate
    return None
