"""Lowering: a validated document becomes a `Capability` IR, or diagnostics say why it cannot.

Organised by the spec's own areas (`binds`, `consumes`, `inputs`, `wiring`, `steps`, `outputs`,
`rest`, `mcp`, `control`, `skills`, ...). This module only walks the document top-down and
assembles the result.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from ..ir import Capability, ControlAdapter, McpAdapter, RestAdapter
from ..load import Pointer
from ..naming import dist_name, env_name, identifier, package_name
from .aggregates import index_aggregates
from .binds import lower_binds
from .consumes import lower_consumes
from .context import Context, label, mapping, tags, text
from .control import lower_control
from .imports import section_entries
from .limits import common_settings
from .mcp import lower_mcp
from .namespaces import check_exposed_namespaces
from .rest import lower_rest
from .session import Session
from .skills import lower_skill

GENERATED_TYPES = ("rest", "mcp", "skill")


def _check_port(ctx: Context, entry: dict[str, Any], pointer: tuple[str | int, ...]) -> None:
    """An adapter's `port`, when given, is a TCP port number (not `true`, `9000.0` or 70000)."""
    port = entry.get("port", 1)
    if type(port) is not int or not 0 < port < 65536:
        ctx.error(
            "NG109",
            f"port {port!r} is not a whole number from 1 to 65535",
            (*pointer, "port"),
        )


def lower_capability(ctx: Context, spec_version: str, dist: str | None = None) -> Capability | None:
    """Lower a capability document; None when it has errors (they are in `ctx.diagnostics`).

    `dist` is the package's distribution name (default: from the document's file name).
    """
    data = ctx.document.data
    capability = data.get("capability")
    info = mapping(data.get("info"))
    dist = dist or dist_name(PurePosixPath(ctx.document.display).stem)
    package = package_name(dist)
    env_prefix = env_name(dist)
    ctx.env_prefix = env_prefix
    binds = lower_binds(ctx)
    consumes = lower_consumes(ctx, binds)
    session = Session(ctx, binds, consumes, index_aggregates(ctx))
    exposes = section_entries(ctx, "exposes", capability.get("exposes"), ("capability", "exposes"))
    check_exposed_namespaces(exposes)
    counts = {
        kind: sum(1 for _, _, e in exposes if e.get("type") == kind) for kind in GENERATED_TYPES
    }
    rest: list[RestAdapter] = []
    mcp: list[McpAdapter] = []
    control: list[ControlAdapter] = []
    suffixes: dict[str, set[str]] = {}  # per adapter type: factory names must differ
    skill_entries: list[tuple[Context, dict[str, Any], Pointer, str]] = []
    for index, (entry_ctx, pointer, entry) in enumerate(exposes):
        kind = text(entry.get("type"))
        _check_port(entry_ctx, entry, pointer)
        suffix = ""
        if counts.get(kind, 0) > 1:  # `create_app_<namespace>`, unique even for odd namespaces
            name = text(entry.get("namespace")) or f"{kind}{index}"
            suffix = "_" + identifier(name, suffixes.setdefault(kind, set()))
        if kind == "rest":
            factory = "create_app" + suffix
            rest.append(lower_rest(session.within(entry_ctx), entry, pointer, factory))
        elif kind == "mcp":
            factory = "create_server" + suffix
            mcp.append(lower_mcp(session.within(entry_ctx), entry, pointer, factory))
        elif kind == "control":
            control.append(lower_control(entry_ctx, binds, entry, len(control)))
        elif kind == "skill":
            skill_entries.append((entry_ctx, entry, pointer, "create_skill_app" + suffix))
        else:
            entry_ctx.warning(
                "NG203",
                f"'{kind or 'untyped'}' adapters are not generated yet; this adapter is skipped",
                (*pointer, "type"),
            )
    # Skill tools resolve to the sibling adapters' actions, so they are lowered last.
    skill_names: set[str] = set()
    skills = [
        lower_skill(entry_ctx, binds, entry, pointer, factory, rest, mcp, skill_names)
        for entry_ctx, entry, pointer, factory in skill_entries
    ]
    if not rest and not mcp and not control and not skills:
        ctx.error(
            "NG105",
            "the capability exposes no rest, mcp, skill or control adapter, "
            "so there is nothing to serve",
            ("capability", "exposes") if "exposes" in capability else ("capability",),
        )
    if ctx.diagnostics.has_errors:
        return None
    settings = [*binds.settings, *common_settings(env_prefix)]
    return Capability(
        spec_path=ctx.document.display,
        spec_version=spec_version,
        dist_name=dist,
        package=package,
        env_prefix=env_prefix,
        title=label(info) or text(info.get("title")) or text(info.get("name")) or dist,
        description=text(info.get("description")),
        settings=tuple(settings),
        bind_files=tuple(binds.files),
        upstreams=tuple(consumes.upstreams),
        rest=tuple(rest),
        mcp=tuple(mcp),
        control=tuple(control),
        skills=tuple(skills),
        output_formats=frozenset(consumes.formats),
        version=text(info.get("version")) or "1.0.0",
        tags=tags(info),
    )
