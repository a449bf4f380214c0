"""Fixtures shared by the end-to-end tests; the machinery itself lives in `harness.py`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import FakeUpstream, ensure_node_modules


@pytest.fixture(scope="session")
def node_tools() -> None:
    """The pinned Node tools (MCP SDK, Inspector, Prism), installed with `npm ci` if missing."""
    ensure_node_modules()


@pytest.fixture
def fake_upstream() -> FakeUpstream:
    """A recording fake upstream; configure it with `respond(...)`, read `requests` afterwards."""
    return FakeUpstream()


@pytest.fixture
def fake_upstream_url(fake_upstream: FakeUpstream) -> Iterator[str]:
    """Base URL of `fake_upstream` served on a free loopback port for the duration of the test."""
    with fake_upstream.serve() as url:
        yield url
