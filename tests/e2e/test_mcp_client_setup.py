"""The MCP client set-up the seed package's README shows, taken at its word.

Every JSON snippet (Claude Desktop, VS Code, Cursor) and every `claude mcp add` line is extracted
from `generated/sentry-…/README.md` and launched as written, with the package installed as a user
does: stdio entries start `command args` with the entry's `env` (each `...` replaced by a test
value, plus the base URL of a fake upstream); streamable HTTP entries connect to the written URL,
its port swapped for a free one (the server is started with that port). The Node SDK client must
list the three tools. `mcpb validate` accepts every package's `manifest.json`, whose own command
lists the same tools. The Kubernetes Deployment's `<NS>_MCP_ALLOWED_HOSTS` is proven to admit the
Service's DNS names and still refuse others.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
import yaml

from tests.e2e.harness import (
    LOOPBACK,
    MCP_ACCEPT,
    MCP_INITIALIZE,
    MCPB,
    REPO_ROOT,
    FakeUpstream,
    env_var_name,
    free_port,
    port_accepts,
    run_node_client,
    start_service,
)
from tests.e2e.test_sentry_seed import (  # noqa: F401  (fixtures)
    CONSUMED,
    DIST,
    MCP_ADAPTER,
    REST_ADAPTER,
    TOKEN,
    console_script,
    upstream,
)
from tests.golden_record import materialized

PACKAGE = REPO_ROOT / "generated" / DIST
README = (PACKAGE / "README.md").read_text(encoding="utf-8")
TOOLS = {
    "retrieve-custom-integration-issue-links",
    "sentry-create-update-external-issue",
    "sentry-delete-external-issue",
}
SNIPPET = re.compile(
    r"^([^\n]+), (stdio|streamable HTTP), in `([^`]+)`:\n\n```json\n(.*?)```$", re.M | re.S
)
CLAUDE_CODE = re.compile(r"^```sh\n(claude mcp add .*?)\n```$", re.M)
GENERATED_MANIFESTS = (REPO_ROOT / "generated").glob("*/manifest.json")
GOLDEN_MANIFESTS = materialized().glob("*/expected/*/manifest.json")
MANIFESTS = sorted([*GENERATED_MANIFESTS, *GOLDEN_MANIFESTS])


def snippets() -> list[tuple[str, str, str, dict[str, Any]]]:
    return [(c, t, f, json.loads(text)) for c, t, f, text in SNIPPET.findall(README)]


def entry(config: dict[str, Any]) -> dict[str, Any]:
    """The one server of a client configuration (`mcpServers` or VS Code's `servers`)."""
    [(name, server)] = (config.get("mcpServers") or config["servers"]).items()
    assert name == DIST
    assert isinstance(server, dict)
    return server


def filled(env: dict[str, str], base_url: str) -> dict[str, str]:
    """The entry's env with each `...` filled in, on top of what the test process has."""
    assert all(value == "..." for value in env.values()), env
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # the installed script
    return {
        **{name: TOKEN for name in env},
        env_var_name(CONSUMED, "BASE_URL"): base_url,
        "PATH": path,
    }


def tool_names(listed: dict[str, Any]) -> set[str]:
    return {tool["name"] for tool in listed["tools"]}


@pytest.fixture(scope="module")
def mcp_http(console_script: Path, upstream: tuple[FakeUpstream, str]) -> Iterator[int]:  # noqa: F811
    """`serve` with its MCP adapter on a free port (REST too); yields that port."""
    mcp_port = free_port()
    env = {
        "SENTRY_SYSTEM_API_KEY": TOKEN,
        env_var_name(CONSUMED, "BASE_URL"): upstream[1],
        env_var_name(REST_ADAPTER, "PORT"): str(free_port()),
        env_var_name(REST_ADAPTER, "HOST"): LOOPBACK,
        env_var_name(MCP_ADAPTER, "PORT"): str(mcp_port),
        env_var_name(MCP_ADAPTER, "HOST"): LOOPBACK,
    }
    ready = lambda: port_accepts(mcp_port)  # noqa: E731
    with start_service([str(console_script), "serve"], ready=ready, env=env, timeout=60):
        yield mcp_port


def test_readme_has_a_snippet_per_client_and_transport() -> None:
    found = {(client, transport, file) for client, transport, file, _ in snippets()}
    assert found == {
        ("Claude Desktop", "stdio", "claude_desktop_config.json"),
        ("VS Code", "stdio", ".vscode/mcp.json"),
        ("Cursor", "stdio", ".cursor/mcp.json"),
        ("VS Code", "streamable HTTP", ".vscode/mcp.json"),
        ("Cursor", "streamable HTTP", ".cursor/mcp.json"),
    }
    assert len(CLAUDE_CODE.findall(README)) == 2


@pytest.mark.parametrize("index", range(3), ids=["desktop", "vscode", "cursor"])
def test_stdio_snippet_launched_as_written_lists_the_three_tools(
    node_tools: None,
    console_script: Path,  # noqa: F811
    upstream: tuple[FakeUpstream, str],  # noqa: F811
    index: int,
) -> None:
    client, transport, _, config = [s for s in snippets() if s[1] == "stdio"][index]
    server = entry(config)
    assert server.get("type", "stdio") == "stdio"
    command = [server["command"], *server["args"]]
    listed = run_node_client(command, env=filled(server["env"], upstream[1]))
    assert tool_names(listed) == TOOLS, (client, transport)


@pytest.mark.parametrize("index", range(2), ids=["vscode", "cursor"])
def test_http_snippet_connects_as_written_and_lists_the_three_tools(
    node_tools: None, mcp_http: int, index: int
) -> None:
    client, _, _, config = [s for s in snippets() if s[1] == "streamable HTTP"][index]
    server = entry(config)
    assert server["type"] == "http"
    url = urlsplit(server["url"])
    assert (url.scheme, url.hostname, url.port, url.path) == ("http", "localhost", 9090, "/mcp")
    listed = run_node_client(url._replace(netloc=f"localhost:{mcp_http}").geturl())
    assert tool_names(listed) == TOOLS, client


def test_claude_code_lines_launch_as_written(
    node_tools: None,
    console_script: Path,  # noqa: F811
    upstream: tuple[FakeUpstream, str],  # noqa: F811
    mcp_http: int,
) -> None:
    stdio_line, http_line = CLAUDE_CODE.findall(README)
    words = shlex.split(stdio_line)
    assert words[:5] == ["claude", "mcp", "add", "--transport", "stdio"]
    separator = words.index("--")
    options, command = words[5:separator], words[separator + 1 :]
    *pairs, name = options
    assert name == DIST and pairs[::2] == ["--env"] * (len(pairs) // 2)
    env = dict(pair.split("=", 1) for pair in pairs[1::2])
    listed = run_node_client(command, env=filled(env, upstream[1]))
    assert tool_names(listed) == TOOLS

    words = shlex.split(http_line)
    assert words[:6] == ["claude", "mcp", "add", "--transport", "http", DIST]
    url = urlsplit(words[6])
    assert (
        tool_names(run_node_client(url._replace(netloc=f"localhost:{mcp_http}").geturl())) == TOOLS
    )


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.parent.name)
def test_mcpb_validate_accepts_the_bundle_manifest(node_tools: None, manifest: Path) -> None:
    completed = subprocess.run(
        [str(MCPB), "validate", str(manifest)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "passes" in completed.stdout


def test_bundle_command_serves_the_tools_it_declares(
    node_tools: None,
    console_script: Path,  # noqa: F811
    upstream: tuple[FakeUpstream, str],  # noqa: F811
) -> None:
    manifest = json.loads((PACKAGE / "manifest.json").read_text(encoding="utf-8"))
    config = manifest["server"]["mcp_config"]
    user_config = {f"${{user_config.{key}}}": TOKEN for key in manifest["user_config"]}
    env = {name: user_config.get(value, value) for name, value in config["env"].items()}
    env["PYTHONPATH"] = env["PYTHONPATH"].replace("${__dirname}", str(PACKAGE))
    assert TOKEN in env.values()
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    listed = run_node_client(
        [config["command"], *config["args"]],
        env={**env, env_var_name(CONSUMED, "BASE_URL"): upstream[1], "PATH": path},
    )
    assert tool_names(listed) == TOOLS == {tool["name"] for tool in manifest["tools"]}


def test_allowed_hosts_preset_admits_the_service_names_only(
    console_script: Path,  # noqa: F811
    upstream: tuple[FakeUpstream, str],  # noqa: F811
) -> None:
    deployment = yaml.safe_load((PACKAGE / "deploy/kubernetes/deployment.yaml").read_text())
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item.get("value") for item in container["env"]}
    allowed_env = env_var_name(MCP_ADAPTER, "ALLOWED_HOSTS")
    # What Kubernetes does with `$(POD_NAMESPACE)` (declared before it) in the pod `team-a`.
    allowed = env[allowed_env].replace("$(POD_NAMESPACE)", "team-a")
    port = free_port()
    service_env = {
        "SENTRY_SYSTEM_API_KEY": TOKEN,
        env_var_name(CONSUMED, "BASE_URL"): upstream[1],
        env_var_name(REST_ADAPTER, "PORT"): str(free_port()),
        env_var_name(MCP_ADAPTER, "PORT"): str(port),
        allowed_env: allowed,
    }
    service = f"{DIST}-mcp"
    ready = lambda: port_accepts(port)  # noqa: E731
    with start_service([str(console_script), "serve"], ready=ready, env=service_env, timeout=60):
        for host, status in [
            (f"{service}:{port}", 200),
            (f"{service}.team-a:{port}", 200),
            (f"{service}.team-a.svc.cluster.local:{port}", 200),
            (service, 200),
            (f"{service}.team-b.svc:{port}", 421),
            (f"evil.example:{port}", 421),
        ]:
            response = httpx2.post(
                f"http://{LOOPBACK}:{port}/mcp",
                json=MCP_INITIALIZE,
                headers={**MCP_ACCEPT, "Host": host},
                timeout=30,
            )
            assert response.status_code == status, (host, response.text)
