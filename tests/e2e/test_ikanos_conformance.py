"""Issue 9: conformance with the Ikanos engine's own end-to-end plan, all eleven beta5 steps.

The beta5 tutorial folder (with `shared/`, which the steps import and read secrets from) is
copied to a temporary directory, each step is generated there with `naftiko-gen`, and each package
is served as a process with the copied folder as its working directory, so the binds' `location:
file:///./shared/secrets.yaml` resolves to `tutorial/shared/secrets.yaml`. The upstreams are the two
shipyard mock APIs of `ikanos/mocks/`, served by Prism.

Every entry of the engine's plan `ikanos/mocks/tests.yml` is sent as the engine's CI sends it: an
MCP tool call with the Node SDK client posted to the adapter's root path (`http://host:port/`,
where the engine serves MCP), or an HTTP request to the REST adapter. As in the engine's CI, a
result with `isError` fails, the validations run on `JSON.parse(content[0].text)` (MCP) or the
response body (REST), and each validation is evaluated by the real `jq` program: it passes when jq
exits 0 and prints only `true`.

Deviations from the engine are listed below with their reasons; there is no other.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

from tests.e2e.harness import (
    LOOPBACK,
    entered_together,
    env_var_name,
    free_port,
    generate_in_copy,
    port_accepts,
    run_node_client,
    run_node_client_calls,
    start_prism,
    start_service,
)
from tests.shared_material import SHARED, skip_module_without

IKANOS = SHARED / "ikanos"
TUTORIAL = IKANOS / "tutorial"
MOCKS = IKANOS / "mocks"
PLAN = MOCKS / "tests.yml"
skip_module_without(TUTORIAL / "shared" / "secrets.yaml", PLAN)
STEPS = sorted(path.stem for path in TUTORIAL.glob("step-*.yml"))
SECRETS = yaml.safe_load((TUTORIAL / "shared" / "secrets.yaml").read_text())
# The MCP adapters of steps 3-11 require `Bearer {{MCP_SERVER_TOKEN}}`; like the engine's CI the
# test sends it everywhere (steps 1-2 ignore it).
MCP_HEADERS = {"Authorization": f"Bearer {SECRETS['mcp-server-token']}"}
# The adapters of the tutorial, by the port the plan addresses them on (the same in every step
# that has them, except that steps 10 and 11 swap the REST and skill ports).
MCP_NAMESPACE, REST_NAMESPACE, SKILL_NAMESPACE = "shipyard-tools", "shipyard-api", "shipyard-skills"

# Validations that Prism cannot reproduce, with the reason.
NOT_REPRODUCIBLE_WITH_PRISM = {
    # The engine's CI upstream (Microcks) answers `?status=active` with its "?status=active"
    # example; Prism always answers the first example (both ships, one in maintenance).
    # tests/e2e/test_tutorial_conformance.py asserts that the query reaches the upstream.
    ("step2-list-ships-filter", 'all(.[]; .status == "active")'),
}


def plan_entries() -> list[dict[str, Any]]:
    """Every entry of the engine's plan, with the step (file stem) it addresses."""
    entries: list[dict[str, Any]] = yaml.safe_load(PLAN.read_text())["tests"]
    for entry in entries:
        entry["step"] = Path(entry["file"]).stem
        assert entry["step"] in STEPS, entry["file"]
    return entries


PLAN_ENTRIES = plan_entries()


def jq_passes(expression: str, value: Any) -> bool:
    """Whether the real `jq` says `expression` holds for `value`: exit 0, every output `true`."""
    completed = subprocess.run(
        ["jq", "-c", expression],
        input=json.dumps(value),
        capture_output=True,
        text=True,
        timeout=10,
    )
    outputs = completed.stdout.split()
    return completed.returncode == 0 and outputs != [] and all(out == "true" for out in outputs)


def test_the_plan_covers_every_step_with_33_entries() -> None:
    assert len(PLAN_ENTRIES) == 33
    assert {entry["step"] for entry in PLAN_ENTRIES} == set(STEPS)
    assert len(STEPS) == 11


def test_jq_is_the_real_program() -> None:
    assert jq_passes('.[0] | has("imo")', [{"imo": "A"}])
    assert not jq_passes('.[0] | has("imo")', {"imo": "A"})  # jq: cannot index object with number
    assert jq_passes('.tools[] | has("name")', {"tools": [{"name": "a"}, {"name": "b"}]})
    assert not jq_passes('.tools[] | has("name")', {"tools": [{"name": "a"}, {}]})
    assert not jq_passes('.tools[] | has("name")', {"tools": []})  # no output proves nothing


# -- fixtures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """The loopback ports of one step's adapters."""

    mcp: int
    rest: int
    skill: int


@pytest.fixture(scope="module")
def tutorial_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where `packages` copies the tutorial folder whole, so imports and secrets resolve."""
    return tmp_path_factory.mktemp("ikanos") / "tutorial"


@pytest.fixture(scope="module")
def packages(tutorial_copy: Path) -> Path:
    """The eleven steps generated by `naftiko-gen`, with no version or schema warning."""
    output, diagnostics = generate_in_copy(TUTORIAL, tutorial_copy, [f"{s}.yml" for s in STEPS])
    for code in ("NG003", "NG010"):
        assert code not in diagnostics, diagnostics
    return output


@pytest.fixture(scope="module")
def served(tutorial_copy: Path, packages: Path, node_tools: None) -> Iterator[dict[str, Served]]:
    """Prism serving both mock APIs, and every step's package serving all its adapters."""
    ports = {step: Served(free_port(), free_port(), free_port()) for step in STEPS}
    prisms = [
        start_prism(MOCKS / "naftiko-shipyard-maritime-registry-api.yaml", anonymous_access=True),
        start_prism(MOCKS / "naftiko-shipyard-legacy-dockyard-api.yaml", anonymous_access=True),
    ]
    with entered_together(prisms) as (registry_url, legacy_url):
        services = [
            start_service(
                [sys.executable, "-m", step.replace("-", "_"), "serve"],
                ready=lambda port=ports[step].mcp: port_accepts(port),  # type: ignore[misc]
                env={
                    "PYTHONPATH": str(packages / step / "src"),
                    env_var_name("registry", "BASE_URL"): registry_url,
                    env_var_name("legacy", "BASE_URL"): legacy_url,
                    **{
                        env_var_name(namespace, suffix): value
                        for namespace, port in (
                            (MCP_NAMESPACE, ports[step].mcp),
                            (REST_NAMESPACE, ports[step].rest),
                            (SKILL_NAMESPACE, ports[step].skill),
                        )
                        for suffix, value in (("HOST", LOOPBACK), ("PORT", str(port)))
                    },
                },
                cwd=tutorial_copy,
                timeout=90,
            )
            for step in STEPS
        ]
        with entered_together(services):
            yield ports


@pytest.fixture(scope="module")
def mcp_results(served: dict[str, Served]) -> dict[str, dict[str, Any]]:
    """The result of every MCP entry of the plan, by name: one Node client per step, at `/`."""
    results: dict[str, dict[str, Any]] = {}
    for step, ports in served.items():
        entries = [e for e in PLAN_ENTRIES if e["step"] == step and e.get("type", "mcp") == "mcp"]
        calls = [(entry["tool"], entry["args"]) for entry in entries]
        url = f"http://{LOOPBACK}:{ports.mcp}/"
        output = run_node_client_calls(url, calls, headers=MCP_HEADERS)
        results.update(zip((e["name"] for e in entries), output["results"], strict=True))
    return results


def _http_port(entry: dict[str, Any], ports: Served) -> int:
    """The adapter a `type: rest` entry addresses: the skill catalog on `/skills`, else REST."""
    return ports.skill if entry["path"].startswith("/skills") else ports.rest


# -- the plan -------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", PLAN_ENTRIES, ids=[entry["name"] for entry in PLAN_ENTRIES])
def test_the_engine_plan_entry_gets_an_answer_passing_its_jq_validations(
    entry: dict[str, Any],
    served: dict[str, Served],
    mcp_results: dict[str, dict[str, Any]],
) -> None:
    ports = served[entry["step"]]
    if entry.get("type", "mcp") == "mcp":
        result = mcp_results[entry["name"]]
        assert result.get("isError") is not True, result
        answer = json.loads(result["content"][0]["text"])
    else:
        response = httpx2.request(
            entry["method"],
            f"http://{LOOPBACK}:{_http_port(entry, ports)}{entry['path']}",
            json=entry.get("body"),
            timeout=30,
        )
        assert response.is_success, response.text
        answer = response.json()
    failed = [
        check["jq"]
        for check in entry["validations"]
        if (entry["name"], check["jq"]) not in NOT_REPRODUCIBLE_WITH_PRISM
        and not jq_passes(check["jq"], answer)
    ]
    assert failed == [], f"{entry['name']}: {json.dumps(answer)}"


def test_mcp_answers_at_the_root_path_and_at_mcp_alike(served: dict[str, Served]) -> None:
    port = served["step-7-shipyard-orchestrated-lookup"].mcp
    arguments = {"imo": "IMO-9321483"}

    at_root = run_node_client(
        f"http://{LOOPBACK}:{port}/", "get-ship-with-crew", arguments, headers=MCP_HEADERS
    )
    at_mcp = run_node_client(
        f"http://{LOOPBACK}:{port}/mcp", "get-ship-with-crew", arguments, headers=MCP_HEADERS
    )

    assert at_root == at_mcp
    ship = json.loads(at_root["result"]["content"][0]["text"])
    # The beta5 mapping `target` names the fields (before the fix: one empty-named field).
    assert "" not in ship and ship["imo"] == "IMO-9321483"
    assert [member["fullName"] for member in ship["crew"]] != []
