"""`binds` (SEMANTICS.md §2): where bound values come from and every template they reach."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import Builder, FakeUpstream, body_json

pytestmark = pytest.mark.anyio


def document(
    *,
    binds: str,
    consumes_extra: str = "",
    base_uri: str = "https://api.example.com/v1",
    operation_extra: str = "",
) -> str:
    """One GET upstream operation exposed over REST at /things and as MCP tool list-things."""
    return f"""
naftiko: "1.0.0-alpha3"
info:
  label: Binds
  description: binds test
binds:
{binds}
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: "{base_uri}"
{consumes_extra}
      resources:
        - name: things
          path: /things
          operations:
            - name: list-things
              method: POST
{operation_extra}
  exposes:
    - type: rest
      port: 8080
      namespace: things-rest
      resources:
        - path: /things
          operations:
            - method: POST
              name: list-things
              call: api.list-things
    - type: mcp
      port: 9090
      namespace: things-mcp
      tools:
        - name: list-things
          description: List things
          call: api.list-things
"""


async def test_env_bind_reads_the_variable_named_by_the_key_value(
    build: Builder, upstream: FakeUpstream
) -> None:
    # `API_TOKEN` is the template variable; `UPSTREAM_TOKEN` is the environment variable read.
    cap = build(
        document(
            binds="""
  - namespace: env
    keys:
      API_TOKEN: UPSTREAM_TOKEN
""",
            consumes_extra="""
      authentication:
        type: bearer
        token: "{{API_TOKEN}}"
""",
        ),
        env={"UPSTREAM_TOKEN": "tok-from-env"},
    )
    async with cap.rest() as http:
        response = await http.post("/things")
    assert response.status_code == 200, response.text
    assert upstream.only().headers["authorization"] == "Bearer tok-from-env"


async def test_file_json_bind_relative_to_the_working_directory(
    build: Builder, upstream: FakeUpstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir = tmp_path / "run"
    workdir.mkdir()
    (workdir / "secrets.json").write_text(
        json.dumps({"registry-bearer-token": "json-file-token", "other": "x"}), "utf-8"
    )
    cap_text = document(
        binds="""
  - namespace: secrets
    location: "file:///./secrets.json"
    keys:
      REGISTRY_TOKEN: registry-bearer-token
""",
        consumes_extra="""
      authentication:
        type: bearer
        token: "{{REGISTRY_TOKEN}}"
""",
    )
    monkeypatch.chdir(workdir)
    cap = build(cap_text, env={})
    async with cap.rest() as http:
        response = await http.post("/things")
    assert response.status_code == 200, response.text
    assert upstream.only().headers["authorization"] == "Bearer json-file-token"


async def test_file_yaml_bind_relative_to_the_working_directory(
    build: Builder, upstream: FakeUpstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir = tmp_path / "run"
    (workdir / "shared").mkdir(parents=True)
    (workdir / "shared" / "secrets.yaml").write_text(
        "registry-api-version: '2024-06-01'\ndockyard-api-key: yaml-key\n", "utf-8"
    )
    cap_text = document(
        binds="""
  - namespace: shared-secrets
    location: "file://./shared/secrets.yaml"
    keys:
      REGISTRY_VERSION: registry-api-version
      DOCK_KEY: dockyard-api-key
""",
        consumes_extra="""
      inputParameters:
        - name: Registry-Version
          in: header
          value: "{{REGISTRY_VERSION}}"
      authentication:
        type: apikey
        key: X-Dock-Key
        value: "{{DOCK_KEY}}"
        placement: header
""",
    )
    monkeypatch.chdir(workdir)
    cap = build(cap_text, env={})
    async with cap.rest() as http:
        response = await http.post("/things")
    assert response.status_code == 200, response.text
    request = upstream.only()
    assert request.headers["registry-version"] == "2024-06-01"
    assert request.headers["x-dock-key"] == "yaml-key"


async def test_plain_var_template_in_bearer_token(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        document(
            binds="""
  - namespace: env
    keys:
      SERVICE_TOKEN: SERVICE_TOKEN
""",
            consumes_extra="""
      authentication:
        type: bearer
        token: "{{SERVICE_TOKEN}}"
""",
        ),
        env={"SERVICE_TOKEN": "plain-token"},
    )
    result = await cap.call_tool("list-things", {})
    assert not result.is_error, result.content
    assert upstream.only().headers["authorization"] == "Bearer plain-token"


async def test_env_prefixed_template_in_header_value(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        document(
            binds="""
  - namespace: env
    keys:
      TENANT_ID: TENANT_ID
""",
            operation_extra="""
              inputParameters:
                - name: X-Tenant
                  in: header
                  value: "tenant-{{env.TENANT_ID}}"
""",
        ),
        env={"TENANT_ID": "acme"},
    )
    async with cap.rest() as http:
        response = await http.post("/things")
    assert response.status_code == 200, response.text
    assert upstream.only().headers["x-tenant"] == "tenant-acme"


async def test_bind_namespace_template_in_query_value(
    build: Builder, upstream: FakeUpstream
) -> None:
    cap = build(
        document(
            binds="""
  - namespace: vault
    keys:
      ACCOUNT: ACCOUNT_NUMBER
""",
            operation_extra="""
              inputParameters:
                - name: account
                  in: query
                  value: "{{vault.ACCOUNT}}"
""",
        ),
        env={"ACCOUNT_NUMBER": "A&B 7"},
    )
    async with cap.rest() as http:
        response = await http.post("/things")
    assert response.status_code == 200, response.text
    request = upstream.only()
    assert request.url.params.get_list("account") == ["A&B 7"]
    assert list(request.url.params) == ["account"]


async def test_bound_variable_in_json_body_template(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        document(
            binds="""
  - namespace: env
    keys:
      SENDER_ID: SMS_SENDER
""",
            operation_extra="""
              body:
                type: json
                data:
                  from: "{{SENDER_ID}}"
                  note: "sent by {{env.SENDER_ID}}"
""",
        ),
        env={"SMS_SENDER": 'Ac"me'},
    )
    async with cap.rest() as http:
        response = await http.post("/things")
    assert response.status_code == 200, response.text
    assert body_json(upstream.only()) == {"from": 'Ac"me', "note": 'sent by Ac"me'}


async def test_bound_variable_in_base_uri(build: Builder, upstream: FakeUpstream) -> None:
    cap = build(
        document(
            binds="""
  - namespace: env
    keys:
      REGION: API_REGION
""",
            base_uri="https://{{REGION}}.api.example.com/v1",
        ),
        env={"API_REGION": "eu"},
    )
    async with cap.rest() as http:
        response = await http.post("/things")
    assert response.status_code == 200, response.text
    assert str(upstream.only().url) == "https://eu.api.example.com/v1/things"


async def test_capability_level_binds_count_too(build: Builder, upstream: FakeUpstream) -> None:
    text = document(binds="  []").replace(
        "capability:\n",
        "capability:\n  binds:\n    - namespace: env\n      keys:\n        CAP_TOKEN: CAP_TOKEN\n",
    )
    text = text.replace(
        'baseUri: "https://api.example.com/v1"\n',
        'baseUri: "https://api.example.com/v1"\n'
        '      authentication:\n        type: bearer\n        token: "{{CAP_TOKEN}}"\n',
    )
    cap = build(text, env={"CAP_TOKEN": "cap-level"})
    async with cap.rest() as http:
        response = await http.post("/things")
    assert response.status_code == 200, response.text
    assert upstream.only().headers["authorization"] == "Bearer cap-level"
    with pytest.raises(cap.errors.SettingsError, match="CAP_TOKEN"):
        cap.load_settings({})


async def test_missing_variables_are_all_listed_in_one_error(build: Builder) -> None:
    cap = build(
        document(
            binds="""
  - namespace: env
    keys:
      FIRST_TOKEN: FIRST_TOKEN
      SECOND_KEY: SECOND_KEY
""",
            consumes_extra="""
      inputParameters:
        - name: X-Second
          in: header
          value: "{{SECOND_KEY}}"
      authentication:
        type: bearer
        token: "{{FIRST_TOKEN}}"
""",
        ),
        env={"FIRST_TOKEN": "a", "SECOND_KEY": "b"},
    )
    with pytest.raises(cap.errors.SettingsError) as failure:
        cap.load_settings({})
    message = str(failure.value)
    assert "FIRST_TOKEN" in message
    assert "SECOND_KEY" in message
    # one variable present: only the other one is reported
    with pytest.raises(cap.errors.SettingsError) as failure:
        cap.load_settings({"FIRST_TOKEN": "a"})
    assert "SECOND_KEY" in str(failure.value)
    assert "FIRST_TOKEN" not in str(failure.value)
