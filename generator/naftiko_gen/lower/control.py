"""Exposed `control` adapters: health, status and metrics of the running capability."""

from __future__ import annotations

from typing import Any

from ..ir import ControlAdapter
from .binds import Binds
from .context import Context, mapping, text
from .rest import adapter_settings


def lower_control(ctx: Context, binds: Binds, entry: dict[str, Any], index: int) -> ControlAdapter:
    """A control adapter (SEMANTICS.md §8); it binds to localhost unless it says otherwise."""
    namespace = text(entry.get("namespace")) or ("control" if not index else f"control-{index + 1}")
    defaults = {**entry, "address": text(entry.get("address")) or "localhost"}
    host_attr, port_attr = adapter_settings(ctx, binds, namespace, defaults, 9190)
    management = mapping(entry.get("management"))
    observability = mapping(entry.get("observability"))
    local_metrics = mapping(mapping(observability.get("metrics")).get("local"))
    enabled = observability.get("enabled", True) is not False
    enabled = enabled and local_metrics.get("enabled", True) is not False
    return ControlAdapter(namespace, host_attr, port_attr, management.get("info") is True, enabled)
