"""The views of the packaging and deployment files, the README and each SKILL.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import deploy, formatting, versions
from ..diagram import mermaid_flowchart
from ..ir import (
    McpAdapter,
    Operation,
    RestAdapter,
    Route,
    Setting,
    Skill,
    SkillAdapter,
    Tool,
)
from .page import Page, extend, hint_cells, ports

# --- packaging: pyproject.toml, Dockerfile, compose.yaml, deploy/kubernetes/*


@dataclass(frozen=True, slots=True)
class Project(Page):
    """The packaging and deployment files."""

    dependencies: Any
    test_dependencies: Any
    speed_dependencies: Any
    otel_dependencies: Any
    formatter: dict[str, Any]
    ports: list[Any]
    deploy: deploy.Deployment


def project(page: Page) -> Project:
    """The view of the packaging files."""
    cap = page.cap
    port = ports(cap)
    adapters: tuple[RestAdapter | McpAdapter | SkillAdapter, ...] = (
        *cap.rest,
        *cap.mcp,
        *cap.skills,
    )
    return extend(
        page,
        Project,
        dependencies=versions.runtime_dependencies(cap),
        test_dependencies=versions.test_dependencies(),
        speed_dependencies=versions.speed_dependencies(),
        otel_dependencies=versions.otel_dependencies(),
        formatter={
            "line_length": formatting.LINE_LENGTH,
            "target_version": formatting.TARGET_VERSION,
        },
        ports=[port[a.port_attr] for a in adapters if a.port_attr],
        deploy=deploy.Deployment.of(cap),
    )


# --- README.md


@dataclass(frozen=True, slots=True)
class RestSection:
    """A REST adapter's table: each route with what it calls, and the routes by tag."""

    adapter: RestAdapter
    routes: tuple[tuple[Route, str], ...]
    tags: list[tuple[str, list[str]]]


@dataclass(frozen=True, slots=True)
class McpSection:
    """An MCP adapter's table: each tool with its hint cells, and the tools by tag."""

    adapter: McpAdapter
    tools: tuple[tuple[Tool, str], ...]
    tags: list[tuple[str, list[str]]]


@dataclass(frozen=True, slots=True)
class SkillSection:
    """A skill adapter's table: each skill with its tools' names."""

    adapter: SkillAdapter
    skills: tuple[tuple[Skill, str], ...]


@dataclass(frozen=True, slots=True)
class Readme(Page):
    """The package README."""

    deploy: deploy.Deployment
    diagram: str
    port: dict[str | None, Any]
    settings: tuple[tuple[Setting, str], ...]
    rest: tuple[RestSection, ...]
    mcp: tuple[McpSection, ...]
    skills: tuple[SkillSection, ...]


def _setting_default(setting: Setting) -> str:
    if setting.secret or setting.required:
        return "required"
    if setting.default_code is not None:
        return "from the bound variables"
    if setting.type == "items" or setting.default == "":
        return "see meaning"
    if isinstance(setting.default, bool):
        return "`true`" if setting.default else "`false`"
    return f"`{setting.default}`"


def _calls(operation: Operation) -> str:
    if operation.call is not None:
        return f"`{operation.call.upstream_attr}.{operation.call.method_name}`"
    calls = [step.call for step in operation.steps if step.call is not None]
    if calls:
        return ", then ".join(f"`{c.upstream_attr}.{c.method_name}`" for c in calls)
    return "mock answer" if operation.mock is not None else "its steps' results"


def _by_tag(items: tuple[Route, ...] | tuple[Tool, ...]) -> list[tuple[str, list[str]]]:
    """Each tag of the routes or tools, in order of appearance, with what carries it."""
    grouped: dict[str, list[str]] = {}
    for item in items:
        name = item.name if isinstance(item, Tool) else f"{item.method} {item.doc_path}"
        for tag in item.tags:
            grouped.setdefault(tag, []).append(name)
    return list(grouped.items())


def readme(page: Page) -> Readme:
    """The view of the README."""
    cap = page.cap
    port = ports(cap)

    def port_of(adapter: RestAdapter | McpAdapter) -> object:
        return port.get(adapter.port_attr or "", "")

    return extend(
        page,
        Readme,
        deploy=deploy.Deployment.of(cap),
        diagram=mermaid_flowchart(cap, port_of),
        port=port,
        settings=tuple((s, _setting_default(s)) for s in cap.settings),
        rest=tuple(
            RestSection(a, tuple((r, _calls(r.operation)) for r in a.routes), _by_tag(a.routes))
            for a in cap.rest
        ),
        mcp=tuple(
            McpSection(a, tuple((t, hint_cells(t.hints)) for t in a.tools), _by_tag(a.tools))
            for a in cap.mcp
        ),
        skills=tuple(
            SkillSection(a, tuple((s, ", ".join(t.name for t in s.tools)) for s in a.skills))
            for a in cap.skills
        ),
    )


@dataclass(frozen=True, slots=True)
class SkillDoc(Page):
    """One skill's SKILL.md."""

    skill: Skill


def skill_docs(page: Page) -> list[tuple[str, SkillDoc]]:
    """One SKILL.md view per skill, with the skill's name (checked kebab-case)."""
    skills = (skill for adapter in page.cap.skills for skill in adapter.skills)
    return [(skill.name, extend(page, SkillDoc, skill=skill)) for skill in skills]
