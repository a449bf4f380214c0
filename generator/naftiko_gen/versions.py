"""The dependency ranges of generated packages: one place, so a bump is one reviewable diff."""

from __future__ import annotations

from .ir import Capability

FASTAPI = "fastapi>=0.165,<1"
UVICORN = "uvicorn>=0.54"
HTTPX2 = "httpx2>=2.16,<3"
MCP = "mcp>=2.3,<3"
JSONSCHEMA = "jsonschema>=4.20"
PYYAML = "pyyaml>=6"
PYTEST = "pytest>=8"
ANYIO = "anyio>=4"


def runtime_dependencies(capability: Capability) -> list[str]:
    """What the package needs to serve its adapters."""
    deps = [HTTPX2, UVICORN]
    if capability.rest:
        deps.append(FASTAPI)
    if capability.mcp:
        deps += [MCP, JSONSCHEMA]
    if capability.needs_yaml:
        deps.append(PYYAML)
    return sorted(deps)


def test_dependencies() -> list[str]:
    """What the package's own tests need on top (the MCP client comes with `mcp`)."""
    return [ANYIO, PYTEST]
