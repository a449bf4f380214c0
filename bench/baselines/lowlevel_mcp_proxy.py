"""Hand-written minimal MCP proxy of bench/capability/bench-items.yaml on the low-level Server.

Tool `get-item` (validated against its input schema) -> GET {BENCH_UPSTREAM_BASE_URL}/items/{id};
streamable HTTP at /mcp, stateless, JSON responses.
Run: uvicorn lowlevel_mcp_proxy:app --app-dir bench/baselines
"""

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import httpx2
import jsonschema
import mcp_types as t
from mcp.server import Server, ServerRequestContext

TOOL = t.Tool(
    name="get-item",
    description="Get one item",
    input_schema={
        "type": "object",
        "properties": {"id": {"type": "string", "description": "The item id."}},
        "required": ["id"],
    },
    annotations=t.ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    ),
)
VALIDATOR = jsonschema.Draft202012Validator(TOOL.input_schema)


@asynccontextmanager
async def lifespan(server: Server[httpx2.AsyncClient]) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(
        base_url=os.environ["BENCH_UPSTREAM_BASE_URL"],
        headers={"Authorization": f"Bearer {os.environ['BENCH_API_KEY']}"},
        timeout=httpx2.Timeout(30.0, connect=3.0),
        limits=httpx2.Limits(max_connections=100, max_keepalive_connections=50),
    ) as client:
        yield client


def error(message: str) -> t.CallToolResult:
    return t.CallToolResult(content=[t.TextContent(text=message)], is_error=True)


async def list_tools(
    ctx: ServerRequestContext[httpx2.AsyncClient], params: Any
) -> t.ListToolsResult:
    return t.ListToolsResult(tools=[TOOL])


async def call_tool(
    ctx: ServerRequestContext[httpx2.AsyncClient], params: t.CallToolRequestParams
) -> t.CallToolResult:
    if params.name != TOOL.name:
        return error(f"unknown tool {params.name}")
    args = params.arguments or {}
    problems = [e.message for e in VALIDATOR.iter_errors(args)]
    if problems:
        return error("invalid arguments: " + "; ".join(problems))
    try:
        upstream = await ctx.lifespan_context.get(f"/items/{quote(args['id'], safe='')}")
        data = upstream.json()
    except (httpx2.HTTPError, ValueError) as exc:
        return error(f"upstream failure: {type(exc).__name__}")
    text = json.dumps(data)
    if upstream.status_code >= 400:
        return error(text)
    return t.CallToolResult(
        content=[t.TextContent(text=text)],
        structured_content=data if isinstance(data, dict) else None,
    )


server = Server(
    "bench-items",
    version="0.1.0",
    lifespan=lifespan,
    on_list_tools=list_tools,
    on_call_tool=call_tool,
)
app = server.streamable_http_app(stateless_http=True, json_response=True)
