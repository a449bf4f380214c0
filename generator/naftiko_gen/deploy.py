"""What a generated package ships around its code: container, Kubernetes, MCP client set-up.

`Deployment.of` decides, once per capability, the names and values the Dockerfile, the
`deploy/kubernetes/` manifests, `compose.yaml`, the README's client snippets and the MCP Bundle
manifest (`manifest.json`) share, so they always agree with each other and with `settings.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .ir import Capability, Setting

K8S_NAME_LIMIT = 63  # a DNS-1035 label: Service names, and every name derived from one
_ZONES = ("", ".$(POD_NAMESPACE)", ".$(POD_NAMESPACE).svc", ".$(POD_NAMESPACE).svc.cluster.local")


@dataclass(frozen=True, slots=True)
class Port:
    """One HTTP adapter's port, published by its own Service."""

    service: str  # the Service name (a DNS-1035 label)
    name: str  # the container port's name (≤ 15 characters)
    number: int
    env: str  # the variable that moves it
    kind: str  # rest | mcp | skill | control


@dataclass(frozen=True, slots=True)
class Probe:
    """How the platform tells the process is alive: an HTTP path, or a TCP connect when None."""

    port: Port
    live: str | None
    ready: str | None


@dataclass(frozen=True, slots=True)
class AllowedHosts:
    """The Host values an MCP endpoint must accept to be reached through its Service."""

    env: str
    service: str

    @property
    def value(self) -> str:
        """The Service's names (short, namespaced, fully qualified), any port, and loopback for
        `kubectl port-forward`; `$(POD_NAMESPACE)` is expanded by Kubernetes."""
        names = [f"{self.service}{zone}" for zone in _ZONES]
        names += ["localhost", "127.0.0.1"]
        return ",".join(f"{name},{name}:*" for name in names)


@dataclass(frozen=True, slots=True)
class Deployment:
    """Names and values shared by every deployment file of one package."""

    name: str  # the Deployment, ConfigMap, Secret, HPA and PDB name, and the image name
    ports: tuple[Port, ...]
    probe: Probe | None  # None: nothing listens (stdio only)
    config: tuple[tuple[Setting, str], ...]  # non-secret settings with their ConfigMap value
    secrets: tuple[Setting, ...]
    allowed_hosts: tuple[AllowedHosts, ...]
    mcp_url: str | None  # the streamable HTTP endpoint on this machine, if any
    stdio: bool  # whether `serve --stdio` serves an MCP adapter
    required: tuple[Setting, ...]  # what an MCP client must pass (secrets and required values)

    @classmethod
    def of(cls, capability: Capability) -> Deployment:
        """Derive the deployment of `capability`."""
        name = k8s_name(capability.dist_name)
        env_of = {s.attr: s.env for s in capability.settings}
        ports: list[Port] = []
        used: set[str] = set()
        for kind, adapters in (
            ("rest", capability.rest),
            ("mcp", [a for a in capability.mcp if not a.stdio]),
            ("skill", capability.skills),
            ("control", capability.control),
        ):
            for adapter in adapters:
                number = next(s.default for s in capability.settings if s.attr == adapter.port_attr)
                service = _unique(k8s_name(adapter.namespace), used)
                label = kind if not any(p.kind == kind for p in ports) else f"{kind}-{len(ports)}"
                env = env_of[adapter.port_attr or ""]
                ports.append(Port(service, label, int(number), env, kind))
        probe = None
        http = [p for p in ports if p.kind in ("rest", "control")]
        if http:
            probe = Probe(http[0], "/health/live", "/health/ready")
        elif ports:
            probe = Probe(ports[0], None, None)
        allowed = tuple(
            AllowedHosts(env_of[adapter.allowed_hosts_attr], p.service)
            for adapter, p in zip(
                [a for a in capability.mcp if not a.stdio],
                [p for p in ports if p.kind == "mcp"],
                strict=True,
            )
        )
        allowed_envs = {a.env for a in allowed}
        mcp_port = next((p for p in ports if p.kind == "mcp"), None)
        return cls(
            name=name,
            ports=tuple(ports),
            probe=probe,
            config=tuple(
                (s, _config_value(s))
                for s in capability.settings
                if not s.secret and s.env not in allowed_envs
            ),
            secrets=tuple(s for s in capability.settings if s.secret),
            allowed_hosts=allowed,
            mcp_url=f"http://localhost:{mcp_port.number}/mcp" if mcp_port else None,
            stdio=bool(capability.mcp),
            required=tuple(s for s in capability.settings if s.secret or s.required),
        )

    @property
    def healthcheck(self) -> str:
        """Python source the image's HEALTHCHECK runs: the probe, on the port the env sets."""
        assert self.probe is not None
        port = f"int(os.environ.get({self.probe.port.env!r}) or {self.probe.port.number})"
        if self.probe.live is None:
            return f"import os, socket; socket.create_connection(('127.0.0.1', {port}), 3)"
        url = f"'http://127.0.0.1:%d{self.probe.live}' % {port}"
        return f"import os, urllib.request; urllib.request.urlopen({url}, timeout=3)"

    def client_configs(self, capability: Capability) -> list[tuple[str, str, str, Any]]:
        """(client, transport, file, JSON) of every MCP client configuration the README shows."""
        name = capability.dist_name
        env = {s.env: "..." for s in self.required}
        stdio = {"command": name, "args": ["serve", "--stdio"], "env": env}
        configs: list[tuple[str, str, str, Any]] = []
        servers, typed = {name: stdio}, {"type": "stdio", **stdio}
        if self.stdio:
            configs += [
                ("Claude Desktop", "stdio", "claude_desktop_config.json", {"mcpServers": servers}),
                ("VS Code", "stdio", ".vscode/mcp.json", {"servers": {name: typed}}),
                ("Cursor", "stdio", ".cursor/mcp.json", {"mcpServers": servers}),
            ]
        if self.mcp_url:
            http = {"type": "http", "url": self.mcp_url}
            configs += [
                ("VS Code", "streamable HTTP", ".vscode/mcp.json", {"servers": {name: http}}),
                ("Cursor", "streamable HTTP", ".cursor/mcp.json", {"mcpServers": {name: http}}),
            ]
        return configs


def listens(capability: Capability) -> bool:
    """Whether the package serves over the network (else it has nothing to deploy)."""
    return bool(
        capability.rest
        or capability.control
        or capability.skills
        or any(not a.stdio for a in capability.mcp)
    )


def k8s_name(text: str) -> str:
    """`text` as a DNS-1035 label: lower-case letters, digits and `-`, a letter first, ≤ 63."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    if not name[:1].isalpha():
        name = f"x-{name}"
    return name[:K8S_NAME_LIMIT].rstrip("-")


def _unique(name: str, used: set[str]) -> str:
    candidate, index = name, 2
    while candidate in used:
        suffix = f"-{index}"
        candidate, index = name[: K8S_NAME_LIMIT - len(suffix)] + suffix, index + 1
    used.add(candidate)
    return candidate


def _config_value(setting: Setting) -> str:
    """The ConfigMap value: the default as `settings.py` would read it, or empty for 'use the
    computed default' (an empty variable counts as unset) or 'required: fill in'."""
    if setting.default is None or setting.type == "items":
        return ""
    if isinstance(setting.default, bool):
        return "true" if setting.default else "false"
    return str(setting.default)


def mcpb_manifest(capability: Capability, deployment: Deployment, spec_name: str) -> Any:
    """The MCP Bundle manifest (`@anthropic-ai/mcpb`, manifest version 0.3): `serve --stdio`
    from the dependencies installed into `lib/` by `pip install --target lib .`."""
    keys = {s.env: s.env.lower() for s in deployment.required}
    env = {"PYTHONPATH": "${__dirname}/lib"}
    env.update({name: f"${{user_config.{key}}}" for name, key in keys.items()})
    manifest: dict[str, Any] = {
        "manifest_version": "0.3",
        "name": capability.dist_name,
        "display_name": capability.title,
        "version": "1.0.0",
        "description": capability.title,
        "author": {"name": f"naftiko-gen (from {spec_name})"},
        "server": {
            "type": "python",
            "entry_point": f"lib/{capability.package}/__main__.py",
            "mcp_config": {
                "command": "python3",
                "args": ["-m", capability.package, "serve", "--stdio"],
                "env": env,
            },
        },
        "tools": [
            {"name": tool.name, "description": tool.description}
            for adapter in capability.mcp[:1]
            for tool in adapter.tools
        ],
        "compatibility": {"runtimes": {"python": ">=3.11"}},
    }
    if capability.description:
        manifest["long_description"] = capability.description
    if keys:
        manifest["user_config"] = {
            key: {
                "type": "string",
                "title": name,
                "description": setting.description,
                "required": True,
                "sensitive": setting.secret,
            }
            for setting in deployment.required
            for name, key in [(setting.env, keys[setting.env])]
        }
    return manifest
