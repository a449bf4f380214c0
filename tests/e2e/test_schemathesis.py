"""Issue 3, proof 3: schemathesis fuzzes every committed package's REST adapter and finds nothing.

Each package in `generated/` with a REST adapter runs as a process (`python -m <package> serve`,
its `src/` on PYTHONPATH) on free loopback ports, its upstreams pointed at a fake that answers
every request with 200 and a JSON object, except the consumed operations whose document declares
another `outputRawFormat` (found through the package's manifest and `specs/`): those get a small
body in that format, since a JSON body there is rightly a 502 (SEMANTICS.md §5). The package's
README is the source of the variables it reads (SEMANTICS.md §9). schemathesis then runs every
check (bounded, seeded) against the served `/openapi.json`.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.harness import (
    LOOPBACK,
    REPO_ROOT,
    FakeUpstream,
    SchemathesisRun,
    free_port,
    http_answers,
    port_accepts,
    run_schemathesis,
    start_service,
)

GENERATED = REPO_ROOT / "generated"
SPECS = REPO_ROOT / "specs"
MAX_EXAMPLES = 20

# `| `NAME` | default | meaning |` rows of the generated README's "Environment variables" table.
VARIABLE_ROW = re.compile(
    r"^\| `(?P<name>[A-Z0-9_]+)` \| (?P<default>[^|]*) \| (?P<meaning>.*) \|$"
)
REST_SECTION = re.compile(r"^## REST routes of `(?P<namespace>[^`]+)`", re.MULTILINE)


@dataclass(frozen=True)
class PackageUnderTest:
    dist: str
    package: str  # import name
    rest_namespace: str
    variables: list[tuple[str, str, str]]  # name, default, meaning

    @property
    def src(self) -> Path:
        return GENERATED / self.dist / "src"


def packages_with_a_rest_adapter() -> list[PackageUnderTest]:
    found = []
    for readme in sorted(GENERATED.glob("*/README.md")):
        text = readme.read_text()
        rest = REST_SECTION.search(text)
        if rest is None:
            continue
        (package_dir,) = (p.parent for p in (readme.parent / "src").glob("*/__main__.py"))
        rows = [VARIABLE_ROW.match(line.strip()) for line in text.splitlines()]
        variables = [(m["name"], m["default"].strip(), m["meaning"].strip()) for m in rows if m]
        found.append(
            PackageUnderTest(readme.parent.name, package_dir.name, rest["namespace"], variables)
        )
    return found


PACKAGES = packages_with_a_rest_adapter()

# A small well-formed upstream body per raw format (anything else is answered with JSON).
SAMPLE_BODIES = {
    "xml": ("application/xml", "<root><item><id>1</id><name>a</name></item></root>"),
    "yaml": ("application/yaml", "id: 1\nname: a\n"),
    "csv": ("text/csv", "id,name\n1,a\n"),
    "tsv": ("text/tab-separated-values", "id\tname\n1\ta\n"),
    "psv": ("text/plain", "id|name\n1|a\n"),
    "html": ("text/html", "<table><tr><th>id</th></tr><tr><td>1</td></tr></table>"),
    "markdown": ("text/markdown", "| id |\n| --- |\n| 1 |\n"),
}


def consumed_raw_formats(package: PackageUnderTest) -> list[tuple[str, str, str]]:
    """(method, upstream path regex, format) of each consumed operation that is not JSON."""
    manifest = json.loads((GENERATED / package.dist / ".naftiko-gen" / "manifest.json").read_text())
    spec_file = SPECS / manifest["spec"]
    if not spec_file.is_file():
        return []
    document: dict[str, Any] = yaml.safe_load(spec_file.read_text())
    found = []
    for consumed in document.get("capability", {}).get("consumes", []):
        for resource in consumed.get("resources", []):
            for operation in resource.get("operations", []):
                raw_format = str(operation.get("outputRawFormat", "json")).lower()
                if raw_format in SAMPLE_BODIES:
                    path = resource.get("path", "") + operation.get("path", "")
                    found.append((operation["method"], path_regex(path), raw_format))
    return found


def path_regex(template: str) -> str:
    """`/odata/{database}/x` or `/a/{{b}}` as a regex over the percent-encoded path sent."""
    parts = re.split(r"\{\{?[^}]+\}\}?", template)
    return "[^/]+".join(re.escape(part) for part in parts)


def environment(
    package: PackageUnderTest, upstream_url: str
) -> tuple[dict[str, str], int, list[int]]:
    """The package's variables for this run, its REST port, and every port it listens on."""
    env: dict[str, str] = {}
    rest_port, ports = 0, []
    for name, default, meaning in package.variables:
        if meaning.startswith("base URL of"):
            env[name] = upstream_url
        elif meaning.startswith("bind address of"):
            env[name] = LOOPBACK
        elif meaning.startswith("port of"):
            port = free_port()
            env[name] = str(port)
            ports.append(port)
            if meaning == f"port of '{package.rest_namespace}'":
                rest_port = port
        elif default == "required":  # a bound secret or setting: any value will do
            env[name] = upstream_url if name.endswith("_URL") else f"e2e-{name.lower()}"
    env["PYTHONPATH"] = str(package.src)
    assert rest_port, f"{package.dist}: README names no port for {package.rest_namespace}"
    return env, rest_port, ports


def test_every_generated_package_has_a_rest_adapter_to_fuzz() -> None:
    # Guards the parametrization below against silently fuzzing nothing.
    assert PACKAGES, "no package in generated/ has a REST adapter"
    assert "sentry-integration-platform-external-issues" in [p.dist for p in PACKAGES]


@dataclass(frozen=True)
class Fuzzed:
    run: SchemathesisRun
    upstream_requests: int


def fuzz(package: PackageUnderTest) -> Fuzzed:
    """Serve `package` against a fake upstream and run schemathesis on its REST adapter."""
    upstream = FakeUpstream()
    for method, pattern, raw_format in consumed_raw_formats(package):
        media_type, body = SAMPLE_BODIES[raw_format]
        upstream.respond_matching(
            pattern, method=method, text=body, headers={"content-type": media_type}
        )
    upstream.respond_to_anything(status=200, json_body={})
    with upstream.serve() as upstream_url:
        env, rest_port, ports = environment(package, upstream_url)
        base = f"http://{LOOPBACK}:{rest_port}"

        def ready() -> bool:
            return http_answers(f"{base}/health/ready") and all(port_accepts(p) for p in ports)

        command = [sys.executable, "-m", package.package, "serve"]
        with start_service(command, ready=ready, env=env, timeout=60):
            run = run_schemathesis(f"{base}/openapi.json", max_examples=MAX_EXAMPLES, timeout=300)
    return Fuzzed(run, len(upstream.requests))


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[dict[str, Future[Fuzzed]]]:
    """Every package fuzzed, two at a time (the runs are independent, and mostly waiting)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {package.dist: pool.submit(fuzz, package) for package in PACKAGES}


@pytest.mark.parametrize("package", PACKAGES, ids=[p.dist for p in PACKAGES])
def test_schemathesis_finds_no_failure_in_the_rest_adapter(
    package: PackageUnderTest, fuzzed: dict[str, Future[Fuzzed]]
) -> None:
    result = fuzzed[package.dist].result(timeout=600)

    assert result.run.exit_code == 0, result.run.output
    assert result.run.tested_operations > 0, result.run.output
    assert result.upstream_requests, "schemathesis never got a request through to the upstream"
