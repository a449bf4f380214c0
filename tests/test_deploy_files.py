"""What every generated package ships to run in a container and on Kubernetes.

Over every package in `generated/` and in the golden trees: each Kubernetes manifest validates
with `kubernetes-validate` (strict, against its latest Kubernetes version) and the manifests agree
with each other and with the package (every variable `settings.py` reads is in the ConfigMap or
the Secret, the secrets only in the Secret; probes, Services, HPA and PDB point at what exists);
`compose.yaml` publishes the same ports. There is no Docker engine here, so the Dockerfile is
checked structurally (dependencies installed before the source is copied, the `speed` extra, a
non-root user, `.dockerignore` keeping tests out) and its HEALTHCHECK command is run for real
against a server answering the liveness route on the port its variable names.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from .golden_record import materialized

REPO = Path(__file__).resolve().parents[1]
PACKAGES = sorted(
    p.parent
    for p in [
        *(REPO / "generated").glob("*/pyproject.toml"),
        *materialized().glob("*/expected/*/pyproject.toml"),
    ]
)
DEPLOYED = [p for p in PACKAGES if (p / "deploy" / "kubernetes").is_dir()]
KUBERNETES = kubernetes_validate.latest_version()


def ids(path: Path) -> str:
    return path.name


def manifests(package: Path) -> dict[str, list[dict[str, Any]]]:
    """kind → the resources of that kind in `deploy/kubernetes/`."""
    found: dict[str, list[dict[str, Any]]] = {}
    for file in sorted((package / "deploy" / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(file.read_text(encoding="utf-8")):
            found.setdefault(document["kind"], []).append(document)
    return found


def settings_variables(package: Path) -> tuple[set[str], set[str]]:
    """(every variable, the secrets) that the package reads: settings.py, and the runtime's
    serving and limit settings."""
    [settings] = (package / "src").glob("*/settings.py")
    text = settings.read_text(encoding="utf-8")
    [prefix] = re.findall(r'^PREFIX = "([A-Z0-9_]+)"$', text, re.MULTILINE)

    def names(source: str, reader: str, prefix_name: str) -> set[str]:
        pattern = rf'env\.{reader}\(\s*({prefix_name} \+ )?"([A-Z0-9_]+)"'
        return {(prefix if plus else "") + name for plus, name in re.findall(pattern, source)}

    # The serving and limit settings are read by the runtime, from the package's prefix.
    runtime = settings.with_name("_settings.py").read_text(encoding="utf-8")
    read = names(text, r"\w+", "PREFIX") | names(runtime, r"\w+", "prefix")
    return read, names(text, "secret", "PREFIX")


def test_every_listening_package_has_its_manifests() -> None:
    assert {p.name for p in (REPO / "generated").iterdir()} <= {p.name for p in DEPLOYED}
    for package in PACKAGES:
        readme = (package / "README.md").read_text(encoding="utf-8")
        listens = " on port " in readme
        assert ((package / "deploy" / "kubernetes").is_dir()) == listens, package
        assert (package / "compose.yaml").is_file() == listens, package


@pytest.mark.parametrize("package", DEPLOYED, ids=ids)
def test_manifests_validate_with_kubernetes_validate(package: Path) -> None:
    for kind, resources in manifests(package).items():
        for resource in resources:
            kubernetes_validate.validate(resource, KUBERNETES, strict=True)
            assert kind in {
                "ConfigMap",
                "Secret",
                "Deployment",
                "Service",
                "HorizontalPodAutoscaler",
                "PodDisruptionBudget",
            }


@pytest.mark.parametrize("package", DEPLOYED, ids=ids)
def test_manifests_agree_with_each_other_and_the_package(package: Path) -> None:
    found = manifests(package)
    [config], [secret], [deployment] = found["ConfigMap"], found["Secret"], found["Deployment"]
    [hpa], [pdb] = found["HorizontalPodAutoscaler"], found["PodDisruptionBudget"]
    read, secrets = settings_variables(package)
    pod = deployment["spec"]["template"]
    [container] = pod["spec"]["containers"]
    explicit = {item["name"] for item in container.get("env", [])} - {"POD_NAMESPACE"}

    assert set(secret["stringData"]) == secrets
    assert set(config["data"]) | secrets | explicit == read
    assert not set(config["data"]) & secrets
    assert all(isinstance(value, str) for value in config["data"].values())
    assert {
        ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in container["envFrom"]
    } == {
        config["metadata"]["name"],
        secret["metadata"]["name"],
    }
    assert explicit == {v for v in read if v.endswith("_ALLOWED_HOSTS")}

    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert pod["spec"]["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert set(container["resources"]) == {"requests", "limits"}

    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    for probe in ("livenessProbe", "readinessProbe"):
        action = container[probe].get("httpGet") or container[probe]["tcpSocket"]
        assert action["port"] in ports
    services = found["Service"]
    assert len(services) == len(ports)
    for service in services:
        [port] = service["spec"]["ports"]
        assert service["spec"]["selector"].items() <= labels.items()
        assert ports[port["targetPort"]] == port["port"]
    names = {service["metadata"]["name"] for service in services}
    for item in container.get("env", []):
        if item["name"] in explicit:  # an MCP endpoint's allowed hosts: its Service's names
            hosts = item["value"].split(",")
            assert any(f"{name}.$(POD_NAMESPACE).svc:*" in hosts for name in names), item

    compose = yaml.safe_load((package / "compose.yaml").read_text(encoding="utf-8"))
    [(_, local)] = compose["services"].items()
    assert local["build"] == "."
    assert sorted(local["ports"]) == sorted(f"{n}:{n}" for n in ports.values())
    required = set(local.get("environment", {}))
    assert secrets <= required <= read


def dockerfile(package: Path) -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = (package / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


@pytest.mark.parametrize("package", PACKAGES, ids=ids)
def test_dockerfile_installs_dependencies_before_the_source_and_runs_unprivileged(
    package: Path,
) -> None:
    steps = dockerfile(package)
    kinds = [kind for kind, _ in steps]
    project = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["speed"]]

    first_copy = kinds.index("COPY")
    install = next(args for kind, args in steps[:first_copy] if kind == "RUN" and "pip" in args)
    assert re.findall(r'"([^"]+)"', install) == wanted  # runtime and `speed` deps, one layer
    copied = [args.split()[0] for kind, args in steps if kind == "COPY"]
    ignore = (package / ".dockerignore").read_text(encoding="utf-8").split()
    assert ignore[ignore.index("*") + 1 :][:3] == ["!pyproject.toml", "!README.md", "!src/"]
    assert {c.rstrip("/") for c in copied} <= {"pyproject.toml", "README.md", "src"}
    assert "tests" not in " ".join(copied)
    user = next(args for kind, args in steps if kind == "USER")
    assert user.split(":")[0].isdigit() and int(user.split(":")[0]) != 0
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k == "RUN")
    assert kinds[-1] == "ENTRYPOINT"
    assert ("HEALTHCHECK" in kinds) == (package / "deploy").is_dir()


class _Live(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health/live" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def live_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Live)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("package", DEPLOYED, ids=ids)
def test_healthcheck_command_probes_the_liveness_route(package: Path, live_server: int) -> None:
    [healthcheck] = [args for kind, args in dockerfile(package) if kind == "HEALTHCHECK"]
    command = json.loads(healthcheck.split("CMD", 1)[1])
    assert command[:2] == ["python", "-c"]
    variable = re.search(r"os\.environ\.get\('([A-Z0-9_]+)'\)", command[2])
    assert variable, command

    def run(port: int) -> int:
        env = {**os.environ, variable.group(1): str(port)}
        args = [sys.executable, *command[1:]]
        return subprocess.run(args, env=env, capture_output=True, timeout=30).returncode

    assert run(live_server) == 0
    unused = socket.socket()
    unused.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
    try:
        assert run(unused.getsockname()[1]) != 0
    finally:
        unused.close()
