"""The Mermaid flowchart each generated README opens with, parsed by `mermaid` itself.

Every diagram in `generated/` and the golden trees must parse as a flowchart; for `generated/`,
the names to find are read from the spec (not from the generator's IR): every REST route
(`METHOD path`), every MCP tool and every consumed operation (`namespace.name`), and each route
and tool has an edge towards the consumed operation its `call` names. Labels made of hostile text
must come out of the parser exactly as the document wrote them (after whitespace folding).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from naftiko_gen.code import mermaid_label

from tests.e2e.harness import REPO_ROOT, ensure_node_modules
from tests.golden_record import materialized

CHECKER = Path(__file__).with_name("mermaid_check.mjs")
GENERATED = sorted((REPO_ROOT / "generated").glob("*/README.md"))
GOLDEN = sorted(materialized().glob("*/expected/*/README.md"))
FENCE = re.compile(r"\A<!--[^\n]*-->\n# [^\n]*\n\n```mermaid\n(.*?)\n```\n", re.DOTALL)


def parse(sources: list[str]) -> list[dict[str, Any]]:
    """Run every source through mermaid's own parser in one Node process."""
    ensure_node_modules()
    completed = subprocess.run(
        ["node", str(CHECKER)],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=True,
    )
    results: list[dict[str, Any]] = json.loads(completed.stdout)
    return results


def diagram(readme: Path) -> str:
    """The diagram the README opens with (right under its title)."""
    match = FENCE.match(readme.read_text(encoding="utf-8"))
    assert match, f"{readme} does not open with a mermaid diagram"
    return match.group(1)


@pytest.fixture(scope="module")
def parsed() -> dict[Path, dict[str, Any]]:
    readmes = GENERATED + GOLDEN
    return dict(zip(readmes, parse([diagram(r) for r in readmes]), strict=True))


def test_every_diagram_parses_as_a_flowchart(parsed: dict[Path, dict[str, Any]]) -> None:
    assert len(parsed) >= len(GENERATED) + len(GOLDEN) > 4
    for readme, result in parsed.items():
        assert result.get("type") == "flowchart-v2", (readme, result)


def expected_names(spec: Path) -> tuple[list[str], list[str], list[str], list[tuple[str, str]]]:
    """Routes, tools, consumed operations and (route or tool, called operation), from the spec."""
    capability = yaml.safe_load(spec.read_text(encoding="utf-8"))["capability"]
    consumed = [
        f"{api['namespace']}.{op['name']}"
        for api in capability.get("consumes", [])
        for resource in api.get("resources", [])
        for op in resource.get("operations", [])
    ]
    routes, tools, calls = [], [], []
    for adapter in capability["exposes"]:
        if adapter["type"] == "rest":
            for resource in adapter.get("resources", []):
                for op in resource.get("operations", []):
                    route = f"{op['method']} {resource['path']}"
                    routes.append(route)
                    if "call" in op:
                        calls.append((route, op["call"]))
        if adapter["type"] == "mcp":
            for tool in adapter.get("tools", []):
                tools.append(f"tool {tool['name']}")
                if "call" in tool:
                    calls.append((f"tool {tool['name']}", tool["call"]))
    return routes, tools, consumed, calls


@pytest.mark.parametrize("readme", GENERATED, ids=lambda p: p.parent.name)
def test_diagram_names_every_route_tool_and_consumed_operation(
    readme: Path, parsed: dict[Path, dict[str, Any]]
) -> None:
    spec = REPO_ROOT / "specs" / f"{readme.parent.name}.yaml"
    routes, tools, consumed, calls = expected_names(spec)
    nodes: dict[str, str] = parsed[readme]["nodes"]
    labels = set(nodes.values())
    for name in routes + tools:
        assert name in labels, (readme, name)
    for key in consumed:
        assert any(label.endswith(f" {key}") for label in labels), (readme, key)
    by_label = {label: node for node, label in nodes.items()}
    edges = {(start, end) for start, end, _ in parsed[readme]["edges"]}
    for source, call in calls:
        target = next(n for n, label in nodes.items() if label.endswith(f" {call}"))
        assert (by_label[source], target) in edges, (readme, source, call)


def test_seed_diagram_shows_its_three_routes_tools_and_operations(
    parsed: dict[Path, dict[str, Any]],
) -> None:
    readme = REPO_ROOT / "generated" / "sentry-integration-platform-external-issues" / "README.md"
    labels = list(parsed[readme]["nodes"].values())
    assert sum(label.startswith(("GET /", "POST /", "DELETE /")) for label in labels) == 3
    assert sum(label.startswith("tool ") for label in labels) == 3
    assert (
        sum(
            ".createexternalissue" in label
            or ".deleteexternalissue" in label
            or ".listissueexternallinks" in label
            for label in labels
        )
        == 3
    )
    assert "sentry.io" in labels


HOSTILE = [
    'say "hi" <script>alert(1)</script> & #quot; `code` [x] {y} |z| ;',
    "line\nbreak\ttab\\back ```fence",
    "\u2028unicode — ünïcødé 🚀 %% comment -->|x| end",
]


def test_labels_survive_the_parser_unchanged() -> None:
    nodes = "\n".join(
        f"  n{i}[{mermaid_label(t)}] -->|{mermaid_label(t)}| m{i}" for i, t in enumerate(HOSTILE)
    )
    [result] = parse([f"flowchart LR\n{nodes}"])
    assert result.get("type") == "flowchart-v2", result
    for i, text in enumerate(HOSTILE):
        folded = " ".join(text.split())
        assert result["nodes"][f"n{i}"] == folded
        assert [e[2] for e in result["edges"] if e[0] == f"n{i}"] == [folded]
