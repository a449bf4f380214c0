"""MCP tools/call throughput: hand-written low-level proxy, FastMCP.from_openapi, generated server.

Run: python bench/mcp_throughput.py [--quick] [--runs 5] [--workers 1,2] [--loader inspector|wrk]
"""

from _servers import FASTMCP_OPENAPI, LOWLEVEL_MCP
from _throughput import run

if __name__ == "__main__":
    run(
        "mcp",
        "mcp_throughput",
        [LOWLEVEL_MCP, FASTMCP_OPENAPI],
        references=["fastmcp-openapi", "lowlevel-mcp-proxy"],
        description=__doc__ or "",
    )
