"""The dependency ranges of generated packages: one place, so a bump is one reviewable diff."""

from __future__ import annotations

from .ir import Capability

STARLETTE = "starlette>=1.10,<2"
UVICORN = "uvicorn>=0.54"
HTTPX2 = "httpx2>=2.16,<3"
MCP = "mcp>=2.3,<3"
JSONSCHEMA = "jsonschema>=4.20"
PYYAML = "pyyaml>=6"
# Exposed oauth2: JWT signatures and claims (mcp already depends on it, with the same extra).
PYJWT = "pyjwt[crypto]>=2.10,<3"
PYTEST = "pytest>=8"
# Optional: uvicorn picks both up by itself (event loop and HTTP parser); about +40-70 % req/s
# for a FastAPI proxy (shared/reference/runtime-deps.md §3). uvloop does not build on Windows.
HTTPTOOLS = "httptools>=0.6"
UVLOOP = "uvloop>=0.21; sys_platform != 'win32'"
ANYIO = "anyio>=4"
# Optional: traces over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set (`_tracing.py`).
OTEL_SDK = "opentelemetry-sdk>=1.30,<2"
OTEL_EXPORTER = "opentelemetry-exporter-otlp-proto-http>=1.30,<2"


def runtime_dependencies(capability: Capability) -> list[str]:
    """What the package needs to serve its adapters."""
    deps = [HTTPX2, STARLETTE, UVICORN]
    if capability.mcp:
        deps += [MCP, JSONSCHEMA]
    if capability.needs_yaml:
        deps.append(PYYAML)
    if capability.needs_oauth2:
        deps.append(PYJWT)
    return sorted(deps)


def speed_dependencies() -> list[str]:
    """The `speed` extra: faster event loop and HTTP parsing, no behaviour change."""
    return [HTTPTOOLS, UVLOOP]


def otel_dependencies() -> list[str]:
    """The `otel` extra: the OpenTelemetry SDK and its OTLP/HTTP exporter."""
    return [OTEL_EXPORTER, OTEL_SDK]


def test_dependencies() -> list[str]:
    """What the package's own tests need on top (the MCP client comes with `mcp`)."""
    return [ANYIO, PYTEST]
