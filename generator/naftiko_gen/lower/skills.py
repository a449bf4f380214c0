"""Exposed `skill` adapters: a catalog of skills whose tools are other adapters' actions.

A skill adapter executes nothing (as in the engine): it describes skills, each a group of tools
that resolve to an operation of a sibling REST adapter or a tool of a sibling MCP adapter, or to
an instruction file in the skill's `location` directory.
"""

from __future__ import annotations

import re
from typing import Any

from ..ir import McpAdapter, RestAdapter, Skill, SkillAdapter, SkillTool
from ..load import Pointer
from .binds import Binds, file_uri_path
from .context import Context, as_list, mapping, text
from .exposed_auth import lower_exposed_auth
from .rest import adapter_settings

# A skill's name names its directory and SKILL.md (Agent Skills: lower-case kebab, 64 at most).
SKILL_NAME = re.compile(r"^(?=.{1,64}$)[a-z0-9]+(-[a-z0-9]+)*$")
# Agent Skills frontmatter fields, in the order the engine's detail answer lists them.
FRONTMATTER = (
    "license",
    "compatibility",
    "argument-hint",
    "allowed-tools",
    "user-invocable",
    "disable-model-invocation",
    "metadata",
)


def _actions(
    rest: list[RestAdapter], mcp: list[McpAdapter]
) -> dict[str, tuple[str, dict[str, str]]]:
    """Per sibling namespace: its mode and how each of its actions is invoked."""
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for adapter in rest:
        routes = {
            r.name: f"{r.method} {r.doc_path} on REST adapter {adapter.namespace}"
            for r in adapter.routes
        }
        found.setdefault(adapter.namespace, ("rest", routes))
    for server in mcp:
        tools = {t.name: f"tool {t.name} on MCP adapter {server.namespace}" for t in server.tools}
        found.setdefault(server.namespace, ("mcp", tools))
    return found


def _unresolved(
    ctx: Context, tool: str, problem: str, pointer: Pointer, known: dict[str, Any]
) -> None:
    hint = "expected one of: " + ", ".join(sorted(known)) if known else None
    ctx.error("NG110", f"skill tool '{tool}' {problem}", pointer, hint=hint)


def _tool(
    ctx: Context,
    skill: str,
    tool: dict[str, Any],
    pointer: Pointer,
    actions: dict[str, tuple[str, dict[str, str]]],
    location: str | None,
) -> SkillTool | None:
    name = text(tool.get("name"))
    description = text(tool.get("description"))
    source = tool.get("from")
    instruction = text(tool.get("instruction"))
    if isinstance(source, dict) == bool(instruction):
        ctx.error(
            "NG110",
            f"skill tool '{name}' of skill '{skill}' needs exactly one of `from` and `instruction`",
            pointer,
            hint="a skill tool names a sibling adapter's action with "
            "`from: {sourceNamespace, action}`; `call` belongs to MCP tools"
            if "call" in tool
            else None,
        )
        return None
    if instruction:
        if location is None:
            ctx.error(
                "NG110",
                f"skill tool '{name}' uses an `instruction` but skill '{skill}' has no "
                "file:/// `location` to read it from",
                (*pointer, "instruction"),
            )
            return None
        return SkillTool(name, description, instruction=instruction)
    source = mapping(source)
    namespace, action = text(source.get("sourceNamespace")), text(source.get("action"))
    if namespace not in actions:
        problem = f"derives from '{namespace}', which is no rest or mcp adapter of this capability"
        _unresolved(ctx, name, problem, (*pointer, "from", "sourceNamespace"), actions)
        return None
    mode, invocations = actions[namespace]
    if action not in invocations:
        problem = f"names action '{action}', which adapter '{namespace}' does not serve"
        _unresolved(ctx, name, problem, (*pointer, "from", "action"), invocations)
        return None
    return SkillTool(name, description, namespace, action, mode, invocations[action])


def _skill(
    ctx: Context,
    skill: dict[str, Any],
    pointer: Pointer,
    actions: dict[str, tuple[str, dict[str, str]]],
    taken: set[str],
) -> Skill | None:
    name = text(skill.get("name"))
    if not SKILL_NAME.match(name):
        ctx.error(
            "NG110",
            f"skill name '{name}' is not lower-case kebab-case of at most 64 characters",
            pointer,
            hint="Agent Skills names are like 'fleet-ops': a-z, 0-9 and single hyphens",
        )
        return None
    if name in taken:
        ctx.warning("NG102", f"skill '{name}' is defined twice; the first one is served", pointer)
        return None
    taken.add(name)
    location = None
    if text(skill.get("location")):
        location = file_uri_path(text(skill.get("location")))
        if location is None:
            ctx.error(
                "NG110",
                f"skill '{name}' has a `location` that is not a file:/// URI",
                (*pointer, "location"),
            )
    tools = []
    for index, tool in enumerate(as_list(skill.get("tools"))):
        if isinstance(tool, dict):
            lowered = _tool(ctx, name, tool, (*pointer, "tools", index), actions, location)
            if lowered is not None:
                tools.append(lowered)
    frontmatter = tuple((key, skill[key]) for key in FRONTMATTER if skill.get(key) is not None)
    return Skill(name, text(skill.get("description")), frontmatter, location, tuple(tools))


def lower_skill(
    ctx: Context,
    binds: Binds,
    entry: dict[str, Any],
    pointer: Pointer,
    factory: str,
    rest: list[RestAdapter],
    mcp: list[McpAdapter],
    taken: set[str],
) -> SkillAdapter:
    """Lower one skill adapter; its tools resolve against the sibling adapters already lowered."""
    namespace = text(entry.get("namespace")) or "skills"
    host_attr, port_attr = adapter_settings(ctx, binds, namespace, entry, 8090)
    actions = _actions(rest, mcp)
    lowered = (
        _skill(ctx, skill, (*pointer, "skills", index), actions, taken)
        for index, skill in enumerate(as_list(entry.get("skills")))
        if isinstance(skill, dict)
    )
    skills = tuple(skill for skill in lowered if skill is not None)
    return SkillAdapter(
        namespace=namespace,
        factory=factory,
        host_attr=host_attr,
        port_attr=port_attr,
        description=text(entry.get("description")),
        skills=skills,
        auth=lower_exposed_auth(ctx, binds, entry, pointer),
    )
