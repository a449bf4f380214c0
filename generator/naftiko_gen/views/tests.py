"""The views of the package's tests: cases, credentials and samples per adapter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .. import testdata
from ..ir import (
    Capability,
    ForwardRoute,
    McpAdapter,
    McpPrompt,
    McpResource,
    RestAdapter,
    Setting,
    SkillAdapter,
)
from .page import Page, extend, openapi_file, suffix

A = TypeVar("A")  # an adapter
T = TypeVar("T")  # its tests


@dataclass(frozen=True, slots=True)
class Conftest(Page):
    """tests/conftest.py."""

    test_environ: dict[str, str]


def conftest(page: Page) -> Conftest:
    """The view of tests/conftest.py."""
    return extend(page, Conftest, test_environ=testdata.test_environ(page.cap))


@dataclass(frozen=True, slots=True)
class SettingsTests(Page):
    """tests/test_settings.py: the settings a start without environment must name."""

    required: list[Setting]


def settings_tests(page: Page) -> SettingsTests:
    """The view of tests/test_settings.py."""
    return extend(page, SettingsTests, required=[s for s in page.cap.settings if s.required])


@dataclass(frozen=True, slots=True)
class AdapterTests(Page, Generic[T]):
    """A test module: the tests of each adapter of one kind."""

    adapters: tuple[T, ...]


@dataclass(frozen=True, slots=True)
class RestTest:
    """The tests of one REST adapter."""

    adapter: RestAdapter
    suffix: str
    openapi_file: str
    auth_headers: dict[str, str]
    auth_params: dict[str, str]
    routes: list[tuple[str, str]]
    cases: list[testdata.Case]
    first: testdata.Case | None  # the first case that calls upstream
    forwards: tuple[tuple[ForwardRoute, str, dict[str, str]], ...]  # with a sample path and query


def _route_set(adapter: RestAdapter) -> list[tuple[str, str]]:
    routes = {(route.method, route.path) for route in adapter.routes}
    routes |= {(method, f.path) for f in adapter.forwards for method in f.methods}
    return sorted(routes)


def _rest_test(capability: Capability, adapter: RestAdapter) -> RestTest:
    cases = testdata.rest_cases(capability, adapter)
    headers, params = testdata.credentials(capability, adapter)
    return RestTest(
        adapter,
        suffix(adapter),
        openapi_file(adapter),
        headers,
        params,
        _route_set(adapter),
        cases,
        testdata.first_calling(cases),
        tuple(
            (f, f.path.replace("{path:path}", "a/b%20c"), {**params, "q": "1"})
            for f in adapter.forwards
        ),
    )


@dataclass(frozen=True, slots=True)
class McpTest:
    """The tests of one MCP adapter."""

    adapter: McpAdapter
    suffix: str
    cases: list[testdata.Case]
    first: testdata.Case | None  # the first case that calls upstream
    prompts: tuple[tuple[McpPrompt, dict[str, str]], ...]  # with sample arguments
    tool_names: list[str]
    resources: tuple[tuple[McpResource, str], ...]  # with a URI that reads it
    static_uris: list[str]
    template_uris: list[str]
    prompt_names: list[str]


def _mcp_test(capability: Capability, adapter: McpAdapter) -> McpTest:
    cases = testdata.tool_cases(capability, adapter)
    prompts = tuple(
        (prompt, {str(arg.name): "sample" for arg in prompt.arguments})
        for prompt in adapter.prompts
    )
    return McpTest(
        adapter,
        suffix(adapter),
        cases,
        testdata.first_calling(cases),
        prompts,
        tool_names=[tool.name for tool in adapter.tools],
        resources=tuple((r, r.uri.replace("{", "").replace("}", "")) for r in adapter.resources),
        static_uris=[r.uri for r in adapter.resources if not r.variables],
        template_uris=[r.uri for r in adapter.resources if r.variables],
        prompt_names=[prompt.name for prompt in adapter.prompts],
    )


@dataclass(frozen=True, slots=True)
class SkillTest:
    """The tests of one skill adapter."""

    adapter: SkillAdapter
    suffix: str
    constant: str  # `SKILLS{constant}` in skill.py
    headers: dict[str, str]
    params: dict[str, str]


def _skill_test(capability: Capability, adapter: SkillAdapter) -> SkillTest:
    headers, params = testdata.credentials(capability, adapter)
    return SkillTest(adapter, suffix(adapter), suffix(adapter).upper(), headers, params)


def _tests(
    page: Page, test: Callable[[Capability, A], T], adapters: tuple[A, ...]
) -> AdapterTests[T]:
    return extend(page, AdapterTests, adapters=tuple(test(page.cap, a) for a in adapters))


def rest_tests(page: Page) -> AdapterTests[RestTest]:
    """The view of tests/test_rest.py."""
    return _tests(page, _rest_test, page.cap.rest)


def mcp_tests(page: Page) -> AdapterTests[McpTest]:
    """The view of tests/test_mcp.py."""
    return _tests(page, _mcp_test, page.cap.mcp)


def skill_tests(page: Page) -> AdapterTests[SkillTest]:
    """The view of tests/test_skill.py."""
    return _tests(page, _skill_test, page.cap.skills)
