"""A hand-written low-level MCP server used to prove the e2e harness without a generated package.

Run as `python tiny_mcp_server.py http PORT` (streamable HTTP at /mcp, stateless, JSON responses)
or `python tiny_mcp_server.py stdio`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import anyio
import mcp_types as t
import uvicorn
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server

ECHO = t.Tool(
    name="echo",
    description="Return the given text and its length.",
    input_schema={
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "required": ["text"],
        "additionalProperties": False,
    },
    output_schema={
        "type": "object",
        "properties": {"text": {"type": "string"}, "length": {"type": "integer"}},
        "required": ["text", "length"],
    },
    annotations=t.ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True
    ),
)
FAIL = t.Tool(
    name="fail",
    description="Always answer with an error result.",
    input_schema={"type": "object", "properties": {}},
    annotations=t.ToolAnnotations(read_only_hint=False, destructive_hint=True),
)
TOOLS = {tool.name: tool for tool in (ECHO, FAIL)}


def error_result(message: str) -> t.CallToolResult:
    return t.CallToolResult(content=[t.TextContent(text=message)], is_error=True)


async def list_tools(
    ctx: ServerRequestContext[Any, Any], params: t.PaginatedRequestParams | None
) -> t.ListToolsResult:
    return t.ListToolsResult(tools=list(TOOLS.values()))


async def call_tool(
    ctx: ServerRequestContext[Any, Any], params: t.CallToolRequestParams
) -> t.CallToolResult:
    tool = TOOLS.get(params.name)
    if tool is None:
        return error_result(f"unknown tool {params.name}")
    if tool is FAIL:
        return error_result("upstream answered 404")
    text = (params.arguments or {}).get("text")
    if not isinstance(text, str):
        return error_result("invalid arguments: text must be a string")
    data = {"text": text, "length": len(text)}
    return t.CallToolResult(content=[t.TextContent(text=json.dumps(data))], structured_content=data)


server: Server[Any] = Server(
    "tiny", version="0.1.0", on_list_tools=list_tools, on_call_tool=call_tool
)


async def serve_stdio() -> None:
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def main(argv: list[str]) -> None:
    match argv:
        case ["stdio"]:
            anyio.run(serve_stdio)
        case ["http", port]:
            app = server.streamable_http_app(stateless_http=True, json_response=True)
            uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")
        case _:
            sys.exit("usage: tiny_mcp_server.py stdio | http PORT")


if __name__ == "__main__":
    main(sys.argv[1:])
