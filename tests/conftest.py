"""Options shared by the whole suite."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden records tests/golden/* and tests/errors/*.stderr",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether golden files are rewritten instead of compared (also NAFTIKO_GEN_UPDATE_GOLDEN=1)."""
    return bool(request.config.getoption("--update-golden")) or (
        os.environ.get("NAFTIKO_GEN_UPDATE_GOLDEN") == "1"
    )
