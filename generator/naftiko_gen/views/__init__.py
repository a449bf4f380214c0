"""Views: what each generated file's template prints, built from the IR before rendering.

One frozen view per output area (like openapi-python-client's one builder method per area): the
packaging files, the README, each generated module and each generated test module get exactly
the names, cases and derived values they print, so templates only iterate and print. Values
computed at run time stay expression nodes (`expr.py`); the templates print them with the `py`
and `code` filters, which go through `printer.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePosixPath

from .documents import project, readme, skill_docs
from .modules import (
    RUNTIME,
    control,
    mcp_module,
    operations,
    rest_module,
    serving_module,
    settings_module,
    skill_module,
    upstream_module,
)
from .page import Page, openapi_file
from .tests import conftest, mcp_tests, rest_tests, settings_tests, skill_tests

__all__ = ["RUNTIME", "Page", "is_runtime", "openapi_file", "skill_docs", "view_of"]


def _page(page: Page) -> Page:
    return page


# Each output file's view, by its path in the package (templates not named here get the `Page`).
VIEWS: Mapping[str, Callable[[Page], Page]] = {
    "pyproject.toml": project,
    "Dockerfile": project,
    "compose.yaml": project,
    "README.md": readme,
    "src/__pkg__/control.py": control,
    "src/__pkg__/operations.py": operations,
    "src/__pkg__/rest.py": rest_module,
    "src/__pkg__/mcp_server.py": mcp_module,
    "src/__pkg__/skill.py": skill_module,
    "src/__pkg__/upstream.py": upstream_module,
    "src/__pkg__/settings.py": settings_module,
    "src/__pkg__/serving.py": serving_module,
    "tests/conftest.py": conftest,
    "tests/test_rest.py": rest_tests,
    "tests/test_mcp.py": mcp_tests,
    "tests/test_skill.py": skill_tests,
    "tests/test_settings.py": settings_tests,
}


def is_runtime(path: str) -> bool:
    """Whether `path` (`src/<package>/_name.py`, in the templates or in a package) is a vendored
    runtime module: rendered from `RUNTIME`, the same bytes in every package."""
    parts = PurePosixPath(path).parts
    name = parts[-1]
    return len(parts) == 3 and parts[0] == "src" and name.startswith("_") and name[1] != "_"


def view_of(target: str) -> Callable[[Page], Page]:
    """The view builder of the output file `target` (a template path without `.jinja`)."""
    if target.startswith("deploy/"):
        return project
    return VIEWS.get(target, _page)
