"""Render a `Capability` into a plan: relative path → file bytes. Pure and deterministic.

One Jinja environment, built once and never changed, `StrictUndefined`, templates that mirror the
generated tree (`templates/package/...`, `__pkg__` standing for the import package; the macros
they import live outside it, in `templates/_macros/`). Each template gets its own view
(`views/`) and only iterates and prints; every document string reaches the output through the
escaping filters registered here, which all go through `code.py`. The runtime modules hold
nothing of a document: they are rendered and laid out once per process (`runtime_modules`), and
every plan carries their final bytes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

import jinja2

from . import deploy, printer
from .code import comment_text, json_text, toml_str, yaml_scalar, yaml_str
from .formatting import format_python
from .ir import Capability
from .openapi import openapi_document
from .views import RUNTIME, Page, is_runtime, openapi_file, skill_docs, view_of


def templates_dir() -> Path:
    """The templates shipped in the wheel, or the repository's `templates/` in a checkout."""
    packaged = resources.files("naftiko_gen").joinpath("templates")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "templates"


def _md(value: Any) -> str:
    """Text for one Markdown table cell or paragraph: one line, pipes and HTML escaped."""
    folded = " ".join("".join(c if c.isprintable() else " " for c in str(value)).split())
    return folded.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


@functools.cache
def environment() -> jinja2.Environment:
    """The one Jinja environment, with the escaping filters every template must use."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(
        py=printer.py,
        py_explicit=printer.explicit,
        code=printer.code,
        annotation=printer.annotation,
        comment=comment_text,
        md=_md,
        yaml=yaml_str,
        json_block=json_text,
        toml=lambda value: toml_str(str(value)),
        json=lambda value: json.dumps(value, ensure_ascii=False),
        yaml_scalar=yaml_scalar,
    )
    return env


def _wanted(capability: Capability, relative: str) -> bool:
    """Which template files a capability needs (unused adapters and formats are left out)."""
    name = PurePosixPath(relative).name
    if name in ("rest.py.jinja", "_rest.py.jinja", "test_rest.py.jinja"):
        return bool(capability.rest)
    if name in ("mcp_server.py.jinja", "_mcp.py.jinja", "test_mcp.py.jinja"):
        return bool(capability.mcp)
    if name == "_formats.py.jinja":
        return capability.needs_formats
    if name == "_auth.py.jinja":
        return capability.needs_oauth2
    if name in ("control.py.jinja", "test_control.py.jinja"):
        return bool(capability.control)
    if relative.startswith("package/deploy/") or name == "compose.yaml.jinja":
        return deploy.listens(capability)
    if name in ("skill.py.jinja", "test_skill.py.jinja"):
        return bool(capability.skills)
    return True


@functools.cache
def _template_files() -> tuple[str, ...]:
    root = templates_dir()
    return tuple(p.relative_to(root).as_posix() for p in sorted(root.glob("package/**/*.jinja")))


@functools.cache
def runtime_modules() -> Mapping[str, bytes]:
    """Every runtime module, by its path in the templates (`src/__pkg__/_name.py`), laid out:
    the same bytes in every package, so they are rendered and formatted once per process."""
    env = environment()
    rendered = {
        _target(relative): env.get_template(relative).render(RUNTIME.context()).encode("utf-8")
        for relative in _template_files()
        if is_runtime(_target(relative))
    }
    return MappingProxyType(format_python(rendered))


def _target(relative: str) -> str:
    """The output path of a template (`__pkg__` standing for the import package)."""
    return relative.removeprefix("package/").removesuffix(".jinja")


def plan(capability: Capability, spec_name: str) -> dict[str, bytes]:
    """Every file of the generated package, keyed by its path relative to the package folder:
    for each template, its view (`views/`) rendered.

    `spec_name` is printed in headers and prose as it is: it must come from `code.name_text`.
    """
    env = environment()
    page = Page.of(capability, spec_name)
    built: dict[Callable[[Page], Page], Page] = {}  # a view shared by several files is built once
    files: dict[str, bytes] = {}
    for relative in _template_files():
        if not _wanted(capability, relative):
            continue
        target = _target(relative)
        if is_runtime(target):
            files[target.replace("__pkg__", capability.package)] = runtime_modules()[target]
            continue
        template = env.get_template(relative)
        if "__skill__" in target:  # one SKILL.md per skill
            for name, doc in skill_docs(page):
                path = target.replace("__pkg__", capability.package).replace("__skill__", name)
                files[path] = template.render(doc.context()).encode("utf-8")
            continue
        build = view_of(target)
        if build not in built:
            built[build] = build(page)
        path = target.replace("__pkg__", capability.package)
        files[path] = template.render(built[build].context()).encode("utf-8")
    for adapter in capability.rest:
        path = f"src/{capability.package}/{openapi_file(adapter)}"
        files[path] = json_text(openapi_document(capability, adapter)).encode("utf-8")
    if capability.mcp:
        manifest = deploy.mcpb_manifest(capability, deploy.Deployment.of(capability), spec_name)
        files["manifest.json"] = json_text(manifest).encode("utf-8")
    files["tests/__init__.py"] = f"{page.py_header}\n".encode()
    return dict(sorted(files.items()))
