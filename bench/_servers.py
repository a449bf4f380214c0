"""The servers under test: the static upstream, the hand-written baselines, the generated package.

Every server implements bench/capability/bench-items.yaml: REST `GET /v1/items/{id}` and MCP tool
`get-item` {id}, both proxying `GET {upstream}/items/{id}` with a bearer token.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from _common import (
    BENCH,
    HOST,
    MCP_HEADERS,
    RUNTIME_PINS,
    WORK,
    Proc,
    ensure_venv,
    free_port,
    http_ok,
    log,
    mcp_probe,
    pip_install,
    runtime_bin,
    start,
    wait_until,
)

CAPABILITY = BENCH / "capability" / "bench-items.yaml"
TOKEN = "bench-token"
ITEM_ID = "42"
REST_PATH = f"/v1/items/{ITEM_ID}"
TOOL = "get-item"
TOOL_ARGS = {"id": ITEM_ID}

# The environment the generated package reads (SEMANTICS.md §9, namespaces of bench-items.yaml).
# `{...}` fields are filled per start. BENCH_ITEMS_WORKERS is an assumption (see README, hooks).
GENERATED_ENV = {
    "BENCH_UPSTREAM_BASE_URL": "{upstream}",
    "BENCH_API_KEY": TOKEN,
    "BENCH_ITEMS_REST_HOST": HOST,
    "BENCH_ITEMS_REST_PORT": "{rest_port}",
    "BENCH_ITEMS_MCP_HOST": HOST,
    "BENCH_ITEMS_MCP_PORT": "{mcp_port}",
    "BENCH_ITEMS_WORKERS": "{workers}",
}
GENERATED_PINS = [*RUNTIME_PINS, "jsonschema==4.26.0"]

# A realistic ~1 KB JSON object, the same bytes for every path.
ITEM = {
    "id": ITEM_ID,
    "object": "item",
    "title": "Benchmark item",
    "status": "active",
    "tags": ["bench", "static", "upstream"],
    "owner": {"id": "u-1", "name": "Bench Owner", "email": "owner@example.invalid"},
    "created_time": "2026-01-01T00:00:00Z",
    "properties": {
        f"field_{n}": {"type": "rich_text", "value": f"value number {n}"} for n in range(12)
    },
}

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/tmp;
    proxy_temp_path {work}/tmp;
    fastcgi_temp_path {work}/tmp;
    uwsgi_temp_path {work}/tmp;
    scgi_temp_path {work}/tmp;
    types {{ application/json json; }}
    keepalive_requests 1000000;
    server {{
        listen {host}:{port};
        root {work};
        location / {{ rewrite ^ /item.json break; }}
    }}
}}
"""


def start_upstream(procs: list[Proc]) -> str:
    """Start nginx (else a uvicorn+uvloop static app) on loopback; return its base URL."""
    work = WORK / "upstream"
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    (work / "item.json").write_text(json.dumps(ITEM))
    port = free_port()
    nginx = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if nginx:
        conf = work / "nginx.conf"
        conf.write_text(NGINX_CONF.format(work=work, host=HOST, port=port))
        proc = start("upstream-nginx", [nginx, "-p", str(work), "-c", str(conf)])
    else:
        log("nginx not found: falling back to a uvicorn+uvloop static Starlette upstream")
        proc = start(
            "upstream-starlette",
            f"{runtime_bin()}/python -m uvicorn static_upstream:app "
            f"--app-dir {BENCH / 'baselines'} --host {HOST} --port {port} "
            "--loop uvloop --http httptools --no-access-log --log-level warning",
            {"BENCH_ITEM_FILE": str(work / "item.json")},
        )
    procs.append(proc)
    url = f"http://{HOST}:{port}"
    wait_until(proc, lambda: http_ok(f"{url}/items/{ITEM_ID}"))
    return url


@dataclass
class Server:
    """How to start one server under test; `{port}`-style fields are filled by `launch`."""

    name: str
    cmd: str
    env: dict[str, str] = field(default_factory=dict)
    tool: str = TOOL

    def launch(self, upstream: str, kind: str, workers: int = 1) -> tuple[Proc, str]:
        """Start it; return the process and the URL to load (the REST route or the MCP endpoint)."""
        fields = {
            "upstream": upstream,
            "rest_port": str(free_port()),
            "mcp_port": str(free_port()),
            "workers": str(workers),
            "bin": str(runtime_bin()),
        }
        fields["port"] = fields["rest_port" if kind == "rest" else "mcp_port"]
        env = {key: value.format(**fields) for key, value in self.env.items()}
        proc = start(f"{self.name}-w{workers}", self.cmd.format(**fields), env)
        return proc, f"http://{HOST}:{fields['port']}" + (REST_PATH if kind == "rest" else "/mcp")


def ready_probe(kind: str, url: str) -> Callable[[], bool]:
    """REST: a 2xx from the route. MCP: a tools/list result."""
    return (lambda: http_ok(url)) if kind == "rest" else mcp_probe(url, "tools/list")


def call_probe(kind: str, url: str, tool: str) -> Callable[[], bool]:
    """REST: a 2xx from the route. MCP: a tools/call of `tool` that is not an error."""
    if kind == "rest":
        return lambda: http_ok(url)
    return mcp_probe(url, "tools/call", {"name": tool, "arguments": TOOL_ARGS})


def wrk_mcp_script(tool: str) -> Path:
    """A wrk script whose every request is one MCP tools/call of `tool` (legacy era, no session:
    fine for stateless servers; checked with `call_probe` before each load)."""
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": TOOL_ARGS},
    }
    script = WORK / f"wrk-mcp-{tool}.lua"
    WORK.mkdir(parents=True, exist_ok=True)
    script.write_text(
        'wrk.method = "POST"\n'
        + "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in MCP_HEADERS.items())
        + f"wrk.body = '{json.dumps(call)}'\n"
    )
    return script


def uvicorn_baseline(name: str, module: str) -> Server:
    return Server(
        name,
        "{bin}/python -m uvicorn " + f"{module}:app --app-dir {BENCH / 'baselines'} --host {HOST} "
        "--port {port} --workers {workers} --no-access-log --log-level warning",
        {"BENCH_UPSTREAM_BASE_URL": "{upstream}", "BENCH_API_KEY": TOKEN},
    )


STARLETTE_PROXY = uvicorn_baseline("starlette-proxy", "starlette_proxy")
FASTAPI_PROXY = uvicorn_baseline("fastapi-proxy", "fastapi_proxy")
LOWLEVEL_MCP = uvicorn_baseline("lowlevel-mcp-proxy", "lowlevel_mcp_proxy")
FASTMCP_OPENAPI = replace(uvicorn_baseline("fastmcp-openapi", "fastmcp_openapi"), tool="get_item")


# ---------------------------------------------------------------- the generated package (hook)


def add_generated_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--generated-cmd",
        default=os.environ.get("NAFTIKO_BENCH_GENERATED_CMD"),
        help="command that starts the generated bench-items package (e.g. 'bench-items serve'); "
        "default: $NAFTIKO_BENCH_GENERATED_CMD, else generate bench/capability/bench-items.yaml "
        "with naftiko-gen if it is on PATH",
    )
    parser.add_argument(
        "--generated-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra or overriding environment for the generated package; VALUE may use "
        "{upstream} {rest_port} {mcp_port} {workers}",
    )


def single_adapter(kind: str) -> str:
    """bench-items.yaml with only its `kind` adapter exposed (PyYAML: see README, Set-up)."""
    import yaml

    document = yaml.safe_load(CAPABILITY.read_text(encoding="utf-8"))
    exposes = document["capability"]["exposes"]
    document["capability"]["exposes"] = [a for a in exposes if a["type"] == kind]
    return yaml.safe_dump(document, sort_keys=False)


def generated_server(args: argparse.Namespace, only: str | None = None) -> Server | str:
    """The generated package as a Server, or the reason it is not available.

    With `only` ("rest" or "mcp") the package is generated from a variant of the document that
    exposes just that adapter, as the single-adapter hand-written servers do.
    """
    stem = CAPABILITY.stem if only is None else f"{CAPABILITY.stem}-{only}"
    # Adapter settings are named after the adapters' namespaces, package-wide ones after the stem.
    env = {**GENERATED_ENV, f"{stem.upper().replace('-', '_')}_WORKERS": "{workers}"}
    env.update(item.split("=", 1) for item in args.generated_env)
    name = "generated" if only is None else f"generated, {only} only"
    if args.generated_cmd:
        if only is not None:
            return "single-adapter variants are generated with naftiko-gen, not --generated-cmd"
        return Server(name, args.generated_cmd, env)
    naftiko_gen = shutil.which("naftiko-gen")
    if not naftiko_gen:
        return "naftiko-gen not on PATH and no --generated-cmd"
    out = WORK / "generated" / stem
    WORK.mkdir(parents=True, exist_ok=True)  # a fresh clone has no bench/.work yet
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        document = CAPABILITY
        if only is not None:
            document = Path(tmp) / f"{stem}.yaml"
            document.write_text(single_adapter(only), encoding="utf-8")
        done = subprocess.run(
            [naftiko_gen, str(document), "-o", f"{tmp}/out"], capture_output=True, text=True
        )
        if done.returncode != 0:
            return f"naftiko-gen exit {done.returncode}: {done.stderr.strip()[-300:]}"
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(f"{tmp}/out/{stem}", out)
    venv_bin = install_generated(out)
    return Server(name, f"{shlex.quote(str(venv_bin / stem))} serve", env)


def install_generated(package: Path) -> Path:
    """Install a generated package into `.work/venvs/generated`; return the venv's bin folder."""
    venv_bin = ensure_venv("generated", GENERATED_PINS)
    pip_install(venv_bin, str(package))  # its dependencies
    pip_install(venv_bin, "--no-deps", "--force-reinstall", str(package))  # this tree's code
    return venv_bin
