"""The skill adapter: the engine's catalog over HTTP, SKILL.md files and MCP skill resources."""

from __future__ import annotations

import importlib
import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

import httpx2
import mcp
import mcp_types
import pytest

from tests.generation import generate, imported
from tests.shared_material import SHARED, needs_shared

from .conftest import PROBLEM_JSON, Builder, Capability

pytestmark = pytest.mark.anyio


def document(location: Path, *, skill_auth: str = "", extra_tool: str = "") -> str:
    """A REST and an MCP adapter over one upstream, and a skill adapter over both."""
    return f"""
naftiko: "1.0.0-alpha3"
info:
  label: Fleet
  description: skill adapter test
capability:
  consumes:
    - type: http
      namespace: registry
      baseUri: "https://registry.example.com"
      resources:
        - name: ships
          path: /ships
          operations:
            - name: list-ships
              method: GET
  exposes:
    - type: rest
      port: 8080
      namespace: fleet-api
      resources:
        - path: /ships
          operations:
            - method: GET
              name: list-ships
              call: registry.list-ships
    - type: mcp
      port: 9090
      namespace: fleet-tools
      tools:
        - name: list-ships
          description: List the ships
          call: registry.list-ships
    - type: skill
      port: 9091
      namespace: fleet-skills
      description: Fleet skills{skill_auth}
      skills:
        - name: fleet-ops
          description: "Fleet management: list and inspect ships"
          license: Apache-2.0
          allowed-tools: list-ships
          metadata:
            owner: "ops: \\"fleet\\" team"
          location: "file://{location}"
          tools:
            - name: list-ships
              description: List ships through MCP
              from:
                sourceNamespace: fleet-tools
                action: list-ships
            - name: list-ships-rest
              description: List ships through REST
              from:
                sourceNamespace: fleet-api
                action: list-ships
            - name: ship-guide
              description: How to read a ship record
              instruction: guide.md{extra_tool}
        - name: onboarding
          description: A purely descriptive skill
"""


@pytest.fixture
def location(tmp_path: Path) -> Path:
    """A skill directory with an instruction file and a nested file."""
    root = tmp_path / "fleet-ops"
    (root / "docs").mkdir(parents=True)
    (root / "guide.md").write_text("# Ship records\n", encoding="utf-8")
    (root / "docs" / "codes.json").write_text('{"IMO": "ship id"}', encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not part of the skill", encoding="utf-8")
    return root


def skill_client(cap: Capability) -> httpx2.AsyncClient:
    """An HTTP client of the skill adapter's app."""
    app = cap.modules["skill"].create_skill_app(cap.settings)
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://t")


async def get(cap: Capability, path: str, **headers: str) -> httpx2.Response:
    async with skill_client(cap) as http:
        return await http.get(path, headers=headers)


async def test_catalog_lists_skills_as_the_engine_does(build: Builder, location: Path) -> None:
    cap = build(document(location))
    response = await get(cap, "/skills")
    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "skills": [
            {
                "name": "fleet-ops",
                "description": "Fleet management: list and inspect ships",
                "license": "Apache-2.0",
                "tools": ["list-ships", "list-ships-rest", "ship-guide"],
            },
            {"name": "onboarding", "description": "A purely descriptive skill", "tools": []},
        ],
    }


async def test_detail_resolves_each_tool_to_its_adapter(build: Builder, location: Path) -> None:
    cap = build(document(location))
    detail = (await get(cap, "/skills/fleet-ops")).json()
    assert detail["allowed-tools"] == "list-ships"
    assert detail["metadata"] == {"owner": 'ops: "fleet" team'}
    assert detail["tools"] == [
        {
            "name": "list-ships",
            "description": "List ships through MCP",
            "type": "derived",
            "invocationRef": {
                "targetNamespace": "fleet-tools",
                "action": "list-ships",
                "mode": "mcp",
            },
        },
        {
            "name": "list-ships-rest",
            "description": "List ships through REST",
            "type": "derived",
            "invocationRef": {
                "targetNamespace": "fleet-api",
                "action": "list-ships",
                "mode": "rest",
            },
        },
        {
            "name": "ship-guide",
            "description": "How to read a ship record",
            "type": "instruction",
            "instruction": "guide.md",
        },
    ]
    missing = await get(cap, "/skills/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM_JSON
    assert missing.json()["detail"] == "Skill not found: nope"


async def test_contents_files_and_download_come_from_the_location(
    build: Builder, location: Path
) -> None:
    cap = build(document(location))
    (location / "escape.txt").symlink_to(location.parent / "secret.txt")
    listed = (await get(cap, "/skills/fleet-ops/contents")).json()
    assert listed["name"] == "fleet-ops"
    paths = {f["path"]: f for f in listed["files"]}
    # the location's files, the generated SKILL.md (the location has none), no escaping symlink
    assert sorted(paths) == ["SKILL.md", "docs/codes.json", "guide.md"]
    assert paths["guide.md"] == {"path": "guide.md", "size": 15, "type": "text/markdown"}
    assert paths["docs/codes.json"]["type"] == "application/json"

    guide = await get(cap, "/skills/fleet-ops/contents/guide.md")
    assert guide.status_code == 200
    assert guide.text == "# Ship records\n"
    assert guide.headers["content-type"].startswith("text/markdown")
    nested = await get(cap, "/skills/fleet-ops/contents/docs/codes.json")
    assert nested.json() == {"IMO": "ship id"}
    for outside in ("escape.txt", "../secret.txt", "%2e%2e/secret.txt"):
        response = await get(cap, f"/skills/fleet-ops/contents/{outside}")
        assert response.status_code == 404, outside
        assert "not part of the skill" not in response.text

    download = await get(cap, "/skills/fleet-ops/download")
    assert download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert sorted(archive.namelist()) == ["SKILL.md", "docs/codes.json", "guide.md"]
        assert archive.read("guide.md") == b"# Ship records\n"


async def test_a_missing_location_directory_is_a_404(build: Builder, tmp_path: Path) -> None:
    cap = build(document(tmp_path / "absent"))
    for path in ("contents", "download", "contents/guide.md"):
        response = await get(cap, f"/skills/fleet-ops/{path}")
        assert response.status_code == 404
        assert "Location directory not found" in response.json()["detail"]


def frontmatter(text: str) -> dict[str, Any]:
    """The YAML frontmatter of a SKILL.md."""
    import yaml

    assert text.startswith("---\n"), text
    return dict(yaml.safe_load(text.split("---\n")[1]))


async def test_each_skill_ships_a_skill_md(build: Builder, location: Path) -> None:
    cap = build(document(location))
    assert cap.result.name is not None
    skill_md = cap.package_dir / "src" / cap.result.name.replace("-", "_") / "skills"
    text = (skill_md / "fleet-ops" / "SKILL.md").read_text(encoding="utf-8")
    assert frontmatter(text) == {
        "name": "fleet-ops",
        "description": "Fleet management: list and inspect ships",
        "license": "Apache-2.0",
        "allowed-tools": "list-ships",
        "metadata": {"owner": 'ops: "fleet" team'},
    }
    assert "DO NOT EDIT" in text
    assert "tool list-ships on MCP adapter fleet-tools" in text
    assert "GET /ships on REST adapter fleet-api" in text
    assert "guide.md" in text
    # A skill without a location serves its generated SKILL.md as its only content.
    listed = (await get(cap, "/skills/onboarding/contents")).json()
    assert [f["path"] for f in listed["files"]] == ["SKILL.md"]
    served = await get(cap, "/skills/onboarding/contents/SKILL.md")
    assert frontmatter(served.text)["description"] == "A purely descriptive skill"


async def test_skills_are_mcp_resources(build: Builder, location: Path) -> None:
    cap = build(document(location))
    async with cap.mcp() as client:
        listed = await client.list_resources()
        uris = {str(r.uri): r for r in listed.resources}
        assert sorted(uris) == [
            "skill://fleet-ops/SKILL.md",
            "skill://fleet-ops/guide.md",
            "skill://onboarding/SKILL.md",
        ]
        assert uris["skill://fleet-ops/SKILL.md"].mime_type == "text/markdown"
        assert uris["skill://fleet-ops/guide.md"].description == "How to read a ship record"
        read = await client.read_resource("skill://fleet-ops/SKILL.md")
        guide = await client.read_resource("skill://fleet-ops/guide.md")
        (location / "guide.md").unlink()
        with pytest.raises(mcp.MCPError, match=r"has no file guide\.md"):
            await client.read_resource("skill://fleet-ops/guide.md")
    (contents,) = read.contents
    assert isinstance(contents, mcp_types.TextResourceContents)
    assert frontmatter(contents.text)["name"] == "fleet-ops"
    (instruction,) = guide.contents
    assert isinstance(instruction, mcp_types.TextResourceContents)
    assert instruction.text == "# Ship records\n"
    # the tools are still served next to the resources
    assert "list-ships" in await cap.tools()


async def test_skill_adapter_authentication(build: Builder, location: Path) -> None:
    auth = '\n      authentication:\n        type: bearer\n        token: "{{SKILL_TOKEN}}"'
    cap = build(document(location, skill_auth=auth), env={"SKILL_TOKEN": "s3cret"})
    assert (await get(cap, "/skills")).status_code == 401
    allowed = await get(cap, "/skills", Authorization="Bearer s3cret")
    assert allowed.json()["count"] == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "\n            - name: ghost\n              description: x\n              from:\n"
            "                sourceNamespace: nowhere\n                action: list-ships",
            "skill tool 'ghost' derives from 'nowhere', which is no rest or mcp adapter",
        ),
        (
            "\n            - name: ghost\n              description: x\n              from:\n"
            "                sourceNamespace: fleet-tools\n                action: sink-ships",
            "skill tool 'ghost' names action 'sink-ships', which adapter 'fleet-tools' does not",
        ),
    ],
)
def test_unresolvable_skill_tools_are_errors(
    build: Builder, location: Path, extra: str, message: str
) -> None:
    result, _ = build.generate(document(location, extra_tool=extra))
    assert result.failed
    (error,) = [d for d in result.diagnostics if d.code == "NG110"]
    assert message in error.message
    assert error.loc is not None and error.loc.line > 60


async def test_serve_runs_the_skill_adapter_on_its_port(build: Builder, location: Path) -> None:
    cap = build(document(location))
    package = cap.modules["skill"].__name__.rpartition(".")[0]
    serving = importlib.import_module(f"{package}.serving")
    addresses = serving.addresses(cap.settings)
    apps = list(serving.ADAPTERS.http_apps(cap.clients))
    assert [port for _, port in addresses] == [8080, 9090, 9091]
    transport = httpx2.ASGITransport(app=apps[addresses.index(("0.0.0.0", 9091))])
    async with httpx2.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.get("/skills/fleet-ops")
    assert response.json()["name"] == "fleet-ops"


@needs_shared(SHARED / "ikanos" / "tutorial")
async def test_tutorial_step_8_answers_the_engine_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The beta5 tutorial's skill adapter: the plan's `step8-skill-fleet-ops` entry and more."""
    tutorial = tmp_path / "tutorial"
    shutil.copytree(SHARED / "ikanos" / "tutorial", tutorial)
    monkeypatch.chdir(tutorial)  # its binds read ./shared/secrets.yaml
    result = generate(tutorial / "step-8-shipyard-skill-groups.yml", tmp_path / "out")
    assert result.name is not None and not result.failed
    package = result.name.replace("-", "_")
    with imported(tmp_path / "out" / result.name, package) as modules:
        settings = modules["settings"].load_settings({})
        app = modules["skill"].create_skill_app(settings)
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://t") as http:
            detail = (await http.get("/skills/fleet-ops")).json()
            catalog = (await http.get("/skills")).json()
        clients = modules["upstream"].Clients(settings)
        async with mcp.Client(modules["mcp_server"].create_server(clients)) as client:
            listed = await client.list_resources()
    # the engine plan's checks, then the rest of the payload
    assert detail["name"] == "fleet-ops"
    assert detail["tools"] and all("name" in tool for tool in detail["tools"])
    assert [t["invocationRef"] for t in detail["tools"]][:1] == [
        {"targetNamespace": "shipyard-tools", "action": "list-ships", "mode": "mcp"}
    ]
    assert catalog["count"] == 2
    assert [s["name"] for s in catalog["skills"]] == ["fleet-ops", "voyage-ops"]
    assert {str(r.uri) for r in listed.resources} == {
        "skill://fleet-ops/SKILL.md",
        "skill://voyage-ops/SKILL.md",
    }
