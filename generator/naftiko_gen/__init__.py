"""naftiko-gen: Naftiko capability documents → ready-to-run Python REST + MCP packages."""

from __future__ import annotations

__version__ = "0.1.0"
