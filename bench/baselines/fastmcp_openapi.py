"""fastmcp's OpenAPI-derived server (`FastMCP.from_openapi`) for the same single operation.

The OpenAPI document below describes the upstream route GET /items/{id} (operationId `get-item`),
so the tool takes the same arguments as the other MCP servers; fastmcp slugifies its name to
`get_item` (`mcp_names` cannot keep the hyphen: a mapped name is slugified too). Streamable HTTP
at /mcp, stateless, JSON responses. Run: uvicorn fastmcp_openapi:app --app-dir bench/baselines
"""

import os
from typing import Any

import httpx2
from fastmcp import FastMCP

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Bench Items", "version": "1.0.0"},
    "paths": {
        "/items/{id}": {
            "get": {
                "operationId": "get-item",
                "summary": "Get one item",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "The item",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        }
    },
}

client = httpx2.AsyncClient(
    base_url=os.environ["BENCH_UPSTREAM_BASE_URL"],
    headers={"Authorization": f"Bearer {os.environ['BENCH_API_KEY']}"},
    timeout=httpx2.Timeout(30.0, connect=3.0),
    limits=httpx2.Limits(max_connections=100, max_keepalive_connections=50),
)
mcp = FastMCP.from_openapi(OPENAPI, client=client, name="bench-items")  # tool name: get_item
app = mcp.http_app(path="/mcp", stateless_http=True, json_response=True)
