"""Rendering is one view per file printed by one environment that no render changes: a
document's package does not depend on which documents were rendered before it."""

from __future__ import annotations

from pathlib import Path

import jinja2
from naftiko_gen import render
from naftiko_gen.pipeline import Options, plan_document

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
# The escaping filters, and `annotation`, which prints an upstream parameter's type via printer.py.
ESCAPING = {
    "py",
    "py_explicit",
    "code",
    "annotation",
    "comment",
    "md",
    "yaml",
    "json_block",
    "toml",
    "json",
    "yaml_scalar",
}


def _specs() -> list[Path]:
    return sorted(GOLDEN.glob("*/specs/*.yaml"))


def _plan(path: Path) -> dict[str, bytes]:
    result = plan_document(path, path.name, Options())
    assert result.files is not None, result.diagnostics
    return result.files


def test_the_environment_adds_only_the_escaping_filters_and_rendering_changes_nothing() -> None:
    env = render.environment()
    added = set(env.filters) - set(jinja2.Environment().filters)
    assert added == ESCAPING
    filters, globals_ = dict(env.filters), dict(env.globals)
    for path in _specs()[:3]:
        _plan(path)
    assert env.filters == filters
    assert env.globals == globals_
    assert render.environment() is env


def test_a_package_does_not_depend_on_the_documents_rendered_before_it() -> None:
    specs = _specs()
    assert len(specs) > 3
    forward = {path: _plan(path) for path in specs}
    backward = {path: _plan(path) for path in reversed(specs)}
    assert forward == backward
