"""Ikanos 1.0.0-beta1..beta5 documents (issue 9): versions, section imports, mapping `target`."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from .conftest import Builder, FakeUpstream, tool_json

pytestmark = pytest.mark.anyio

CONSUMES = """
  consumes:
    - type: http
      namespace: registry
      baseUri: "https://registry.example.com"
      authentication:
        type: bearer
        token: "{{REGISTRY_TOKEN}}"
      resources:
        ships:
          path: /ships
          operations:
            list-ships:
              method: GET
        ship:
          path: "/ships/{{imo}}"
          operations:
            get-ship:
              method: GET
              inputParameters:
                imo:
                  in: path
        crew:
          path: /crew
          operations:
            list-crew:
              method: GET
"""


def beta(version: str, body: str) -> str:
    return f'ikanos: "{version}"\ninfo:\n  display: Fleet\n  description: fleet\n' + body


def fleet(version: str, tools: str) -> str:
    """A document consuming the registry (bearer token bound from the environment) and exposing
    `tools` (YAML under `tools:`) on the MCP adapter `fleet-tools`."""
    return beta(
        version,
        "binds:\n  - namespace: env\n    keys:\n      REGISTRY_TOKEN: REGISTRY_TOKEN\n"
        "capability:\n"
        + CONSUMES
        + """
  exposes:
    - type: mcp
      namespace: fleet-tools
      port: 3001
      tools:"""
        + tools,
    )


@pytest.mark.parametrize("version", [f"1.0.0-beta{n}" for n in range(1, 6)])
def test_every_beta_is_a_known_version_and_a_valid_document_gets_no_schema_warning(
    build: Builder, version: str
) -> None:
    document = fleet(
        version,
        """
        list-ships:
          description: List ships
          call: registry.list-ships
""",
    )
    result, _ = build.generate(document)

    assert not result.failed
    assert [d.format() for d in result.diagnostics] == []


def test_an_unknown_ikanos_version_warns_once_and_is_read_as_beta5(build: Builder) -> None:
    document = beta(
        "2.0.0",
        """capability:
  exposes:
    - type: mcp
      namespace: t
      port: 3001
      tools:
        hello:
          description: hi
          outputParameters:
            greeting:
              type: string
              value: hello
""",
    )
    result, _ = build.generate(document)

    assert [(d.code, d.message) for d in result.diagnostics] == [
        ("NG003", 'unknown Ikanos version "2.0.0"; validating against 1.0.0-beta5')
    ]


def orchestrated(mappings: str) -> str:
    return fleet(
        "1.0.0-beta5",
        """
        ship-with-crew:
          description: A ship and its crew
          inputParameters:
            imo:
              type: string
              description: IMO number
          steps:
            get-ship:
              type: call
              call: registry.get-ship
              with:
                imo: fleet-tools.imo
            list-crew:
              type: call
              call: registry.list-crew
          mappings:
"""
        + textwrap.indent(textwrap.dedent(mappings).strip("\n"), " " * 12)
        + "\n",
    )


async def test_mapping_target_names_the_answer_fields_dotted_for_nesting(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        orchestrated(
            """
            - target: imo
              value: $.get-ship.imo_number
            - target: route.from
              value: $.get-ship.port
            - target: crew
              value: $.list-crew
            """
        ),
        env={"REGISTRY_TOKEN": "t0k"},
    )
    upstream.queue(json={"imo_number": "IMO-1", "port": "Oslo"})
    upstream.queue(json=[{"name": "Ann"}])

    result = await cap.call_tool("ship-with-crew", {"imo": "IMO-1"})

    assert tool_json(result) == {
        "imo": "IMO-1",
        "route": {"from": "Oslo"},
        "crew": [{"name": "Ann"}],
    }
    assert [str(r.url) for r in upstream.requests] == [
        "https://registry.example.com/ships/IMO-1",
        "https://registry.example.com/crew",
    ]
    assert upstream.requests[0].headers["authorization"] == "Bearer t0k"


def test_a_mapping_without_target_is_an_error_not_a_dropped_field(build: Builder) -> None:
    result, _ = build.generate(
        orchestrated(
            """
            - value: $.get-ship.imo_number
            - target: a..b
              value: $.get-ship.port
            """
        )
    )

    assert result.failed
    assert [d.code for d in result.diagnostics if d.code == "NG109"] == ["NG109", "NG109"]


async def test_exposes_aggregates_and_binds_are_imported_from_standalone_section_files(
    build: Builder, upstream: FakeUpstream
) -> None:
    shared = build.tmp_path
    (shared / "servers.yml").write_text(
        textwrap.dedent(
            """\
            ikanos: "1.0.0-beta5"
            exposes:
              - type: mcp
                namespace: shared-tools
                port: 3001
                tools:
                  all-ships:
                    description: Every ship
                    ref: fleet.list-ships
            """
        )
    )
    (shared / "flows.yml").write_text(
        textwrap.dedent(
            """\
            ikanos: "1.0.0-beta5"
            aggregates:
              - namespace: fleet-domain
                display: Fleet domain
                flows:
                  list-ships:
                    description: Lists the ships
                    call: registry.list-ships
                    semantics:
                      safe: true
            """
        )
    )
    (shared / "secrets.yml").write_text(
        textwrap.dedent(
            """\
            ikanos: "1.0.0-beta5"
            binds:
              - namespace: registry-secrets
                keys:
                  REGISTRY_TOKEN: FLEET_REGISTRY_TOKEN
            """
        )
    )
    cap = build(
        beta(
            "1.0.0-beta5",
            "binds:\n  - from: ../secrets.yml\n    import: registry-secrets\n"
            "capability:\n"
            + CONSUMES
            + """
  aggregates:
    - from: ../flows.yml
      import: fleet-domain
      as: fleet
  exposes:
    - from: ../servers.yml
      import: shared-tools
      as: fleet-tools
""",
        ),
        env={"FLEET_REGISTRY_TOKEN": "s3cret", "FLEET_TOOLS_PORT": "3005"},
    )
    upstream.respond(json=[{"imo": "IMO-1"}])

    tools = await cap.tools()
    result = await cap.call_tool("all-ships", {})

    assert cap.result.diagnostics == []
    assert tools["all-ships"].annotations is not None
    assert tools["all-ships"].annotations.read_only_hint is True  # the flow's semantics
    assert tool_json(result) == [{"imo": "IMO-1"}]
    assert upstream.only().headers["authorization"] == "Bearer s3cret"
    assert cap.settings.fleet_tools_port == 3005  # the adapter is known by its `as` name


def test_an_imported_file_is_validated_with_its_own_locations(build: Builder) -> None:
    (build.tmp_path / "servers.yml").write_text(
        'ikanos: "1.0.0-beta5"\nexposes:\n  - type: mcp\n    namespace: shared-tools\n'
        "    port: 3001\n    colour: blue\n    tools:\n      hello:\n        description: hi\n"
        "        outputParameters:\n          greeting:\n            type: string\n"
        "            value: hello\n"
    )
    result, _ = build.generate(
        beta(
            "1.0.0-beta5",
            "capability:\n  exposes:\n    - from: ../servers.yml\n      import: shared-tools\n",
        )
    )

    assert not result.failed
    assert [d.format().splitlines()[0] for d in result.diagnostics] == [
        "../servers.yml:6:13: warning[NG010]: unexpected property 'colour' (schema 1.0.0-beta5)"
    ]


def test_an_import_of_a_missing_namespace_is_an_error_at_the_directive(build: Builder) -> None:
    (build.tmp_path / "servers.yml").write_text('ikanos: "1.0.0-beta5"\nexposes: []\n')
    result, _ = build.generate(
        beta(
            "1.0.0-beta5",
            "capability:\n  exposes:\n    - from: ../servers.yml\n      import: nope\n",
        )
    )

    assert result.failed
    assert "error[NG108]: '../servers.yml' has no exposes namespace 'nope'" in "\n".join(
        d.format() for d in result.diagnostics
    )


TAGGED = beta(
    "1.0.0-beta5",
    """  version: "2.3.1"
  tags: [fleet]
binds:
  - namespace: env
    keys:
      REGISTRY_TOKEN: REGISTRY_TOKEN
capability:
"""
    + CONSUMES
    + """
  aggregates:
    - namespace: fleet
      display: Fleet
      flows:
        list-ships:
          description: Lists the ships
          call: registry.list-ships
          semantics:
            safe: true
            cacheable: true
        crew:
          description: Lists the crew
          call: registry.list-crew
          semantics:
            cacheable: false
  exposes:
    - type: rest
      namespace: api
      port: 8080
      resources:
        ships:
          path: /ships
          tags: [ships]
          operations:
            list-ships:
              method: GET
              tags: [read]
              ref: fleet.list-ships
        crew:
          path: /crew
          operations:
            list-crew:
              method: GET
              ref: fleet.crew
    - type: mcp
      namespace: tools
      port: 3001
      ttlMs: 60000
      cacheScope: public
      tools:
        list-ships:
          display: List the ships
          description: Every ship
          tags: [ships, read]
          call: registry.list-ships
""",
)


async def test_info_version_tags_and_display_reach_openapi_and_mcp(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(TAGGED, env={"REGISTRY_TOKEN": "t"})

    async with cap.rest() as http:
        document = (await http.get("/openapi.json")).json()
    async with cap.mcp() as client:
        listed = await client.list_tools()
        assert client.server_info is not None
        server_version = client.server_info.version

    assert cap.result.diagnostics == []
    assert document["info"]["version"] == "2.3.1" and server_version == "2.3.1"
    assert document["tags"] == [{"name": "fleet"}, {"name": "ships"}, {"name": "read"}]
    assert document["paths"]["/ships"]["get"]["tags"] == ["ships", "read"]
    (tool,) = listed.tools
    assert (tool.title, tool.meta) == ("List the ships", {"tags": ["ships", "read"]})
    assert "- ships: `GET /ships`" in (cap.package_dir / "README.md").read_text()


async def test_cache_hints_of_the_mcp_adapter_and_of_cacheable_flows(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(TAGGED, env={"REGISTRY_TOKEN": "t"})
    upstream.respond(json=[{"imo": "IMO-1"}])

    async with cap.mcp() as client:
        listed = await client.list_tools()
    async with cap.rest() as http:
        ships = await http.get("/ships")
        crew = await http.get("/crew")
        upstream.respond(503, json={"error": "down"})
        failed = await http.get("/ships")

    assert (listed.ttl_ms, listed.cache_scope) == (60000, "public")
    assert ships.json() == [{"imo": "IMO-1"}] and ships.headers["cache-control"] == "public"
    assert crew.headers["cache-control"] == "no-store"
    assert failed.status_code == 503 and "cache-control" not in failed.headers


def record_document(data: str) -> str:
    return beta(
        "1.0.0-beta5",
        f"""capability:
  consumes:
    - type: http
      namespace: store
      baseUri: "https://store.example.com"
      resources:
        records:
          path: /records
          operations:
            create-record:
              method: POST
              body:
                type: json
                data: {data}
  exposes:
    - type: mcp
      namespace: tools
      port: 3001
      tools:
        create-record:
          description: Create a record
          call: store.create-record
""",
    )


@pytest.mark.parametrize(
    ("data", "sent"),
    [
        ('"{{tools.record_data}}"', {"id": 7, "tags": ["a"]}),
        ('{record: "{{tools.record_data}}", note: "n {{tools.note}}"}', None),
    ],
    ids=["whole-body", "one-field"],
)
async def test_an_undeclared_value_that_a_json_body_takes_whole_accepts_any_json(
    build: Builder, upstream: FakeUpstream, data: str, sent: Any
) -> None:
    cap = build(record_document(data))
    record = {"id": 7, "tags": ["a"]}

    tools = await cap.tools()
    result = await cap.call_tool("create-record", {"record_data": record, "note": "x"})

    assert tools["create-record"].input_schema["properties"]["record_data"] == {}
    assert result.is_error is False
    expected = sent if sent is not None else {"record": record, "note": "n x"}
    assert json.loads(upstream.only().content) == expected


def test_a_script_step_is_refused_saying_why(build: Builder) -> None:
    result, _ = build.generate(
        orchestrated("- target: imo\n  value: $.get-ship.imo").replace(
            "            list-crew:\n              type: call\n"
            "              call: registry.list-crew\n",
            "            enrich:\n              type: script\n              language: javascript\n"
            '              location: "file:///scripts"\n              file: enrich.js\n',
        )
    )

    assert result.failed
    (refusal,) = [d for d in result.diagnostics if d.code == "NG107"]
    assert (
        "script step 'enrich' is not generated: it would run a javascript file" in refusal.message
    )
