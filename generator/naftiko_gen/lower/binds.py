"""`binds`: variables bound to environment variables or to keys of a file (SEMANTICS.md §2)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..expr import BindFileValue, Expr
from ..ir import BindFile, Setting
from ..load import Pointer
from .context import Context, as_list, mapping, text
from .imports import is_import, resolve_import

_FILE_URI = re.compile(r"^file://(/\./|\./|/)?(?P<path>.*)$")
# What a POSIX shell accepts after `export` (the package README prints `export NAME=...`).
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def valid_env(ctx: Context, env: str, pointer: tuple[str | int, ...]) -> bool:
    """Whether `env` can name an environment variable; if not, an NG111 error is recorded."""
    if ENV_NAME.fullmatch(env):
        return True
    ctx.error(
        "NG111",
        f"'{env}' cannot name an environment variable",
        pointer,
        hint="use letters, digits and underscores, not starting with a digit",
    )
    return False


def file_uri_path(location: str) -> str | None:
    """The path a `file://` URI names (`file:///./x` and `file://./x` are relative), else None."""
    match = _FILE_URI.match(location)
    if not match:
        return None
    return ("/" if match.group(1) == "/" else "") + match.group("path")


@dataclass(slots=True)
class Binds:
    """The bound variables of a capability: `{{VAR}}` → a `Settings` attribute."""

    attrs: dict[str, str] = field(default_factory=dict)
    namespaces: set[str] = field(default_factory=lambda: {"env"})
    settings: list[Setting] = field(default_factory=list)
    files: list[BindFile] = field(default_factory=list)

    def lookup(self, name: str) -> str | None:
        """The settings attribute for `VAR`, `env.VAR` or `<bind-namespace>.VAR`, if bound."""
        if name in self.attrs:
            return self.attrs[name]
        prefix, _, rest = name.partition(".")
        if rest and prefix in self.namespaces:
            return self.attrs.get(rest)
        return None

    def add_env(
        self,
        ctx: Context,
        var: str,
        env: str,
        description: str,
        fallback: Expr | None = None,
    ) -> str:
        """Bind `var` to the environment variable `env`; returns the settings attribute."""
        if var in self.attrs:
            return self.attrs[var]
        attr = ctx.setting_attr(var)
        self.attrs[var] = attr
        ctx.taken_envs.add(env)
        self.settings.append(
            Setting(
                env,
                attr,
                "string",
                None,
                description,
                required=True,
                secret=True,
                fallback=fallback,
            )
        )
        return attr

    def implicit(self, ctx: Context, name: str, pointer: tuple[str | int, ...]) -> str | None:
        """An unbound `{{VAR}}` read from the environment variable VAR, with a warning.

        Catalog documents use secrets they never declare in `binds`; the plain intent is an
        environment variable of that name. Only UPPER_SNAKE names qualify.
        """
        var = name.partition(".")[2] if name.startswith("env.") else name
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", var):
            return None
        if var not in self.attrs:
            ctx.warning(
                "NG204",
                f"'{{{{{name}}}}}' is not declared in binds; it is read from the environment "
                f"variable {var}",
                pointer,
                hint=f"declare it: binds: [{{namespace: env, keys: {{{var}: {var}}}}}]",
            )
        return self.add_env(ctx, var, var, "undeclared variable used by a template")


def _bind_entries(ctx: Context) -> Iterator[tuple[Context, Pointer, Any]]:
    """Root, then capability-level `binds` entries, each with the context and pointer it is read
    at (an imported entry: its own document's)."""
    data = ctx.document.data
    capability = mapping(data.get("capability"))
    entries: list[tuple[Pointer, Any]] = [
        (("binds", i), e) for i, e in enumerate(as_list(data.get("binds")))
    ]
    entries += [
        (("capability", "binds", i), e) for i, e in enumerate(as_list(capability.get("binds")))
    ]
    for pointer, entry in entries:
        if isinstance(entry, dict) and is_import(entry):
            imported = resolve_import(ctx, entry, pointer, "binds")
            if imported is not None:
                yield imported
            continue
        yield ctx, pointer, entry


def _bind_env_keys(
    binds: Binds, ctx: Context, pointer: Pointer, keys: dict[Any, Any], description: str
) -> None:
    """Bind each of `keys` to the environment variable it names (itself when it names none)."""
    for var, source in keys.items():
        env = text(source) or str(var)
        if valid_env(ctx, env, (*pointer, "keys", var)):
            binds.add_env(ctx, str(var), env, description)


def _bind_file(
    binds: Binds,
    entry_ctx: Context,
    pointer: Pointer,
    location: str,
    keys: dict[Any, Any],
    description: str,
) -> None:
    """Bind `keys` to keys of the file the `file://` URI `location` names (reported if not one);
    `entry_ctx` is the context of the document the entry is written in (its own when imported)."""
    path = file_uri_path(location)
    if path is None:
        entry_ctx.error(
            "NG107",
            f"bind location '{location}' is not a file:// URI; only files can be read",
            (*pointer, "location"),
        )
        return
    file_var = f"bind_file_{len(binds.files) + 1}"
    binds.files.append(BindFile(file_var, path, tuple(str(var) for var in keys)))
    for var, source in keys.items():
        if not valid_env(entry_ctx, str(var), (*pointer, "keys", var)):
            continue
        fallback = BindFileValue(file_var, text(source) or str(var))
        binds.add_env(entry_ctx, str(var), str(var), f"{description} (file {path})", fallback)


def lower_binds(ctx: Context) -> Binds:
    """Collect root and capability-level `binds` (the engine ignores the latter; we do not)."""
    binds = Binds()
    for entry_ctx, pointer, entry in _bind_entries(ctx):
        if isinstance(entry, str):
            entry_ctx.warning(
                "NG010",
                f"bind entry '{entry}' is not a mapping; read as the environment variable {entry}",
                pointer,
            )
            if valid_env(entry_ctx, entry, pointer):
                binds.add_env(entry_ctx, entry, entry, "bound variable")
            continue
        if not isinstance(entry, dict):
            continue
        namespace = text(entry.get("namespace"))
        if namespace:
            binds.namespaces.add(namespace)
        keys = entry.get("keys")
        if not isinstance(keys, dict):
            entry_ctx.error("NG109", "a bind needs `keys`: a map of VARIABLE: source", pointer)
            continue
        description = text(entry.get("description")) or f"bound in '{namespace}'"
        location = text(entry.get("location"))
        if not location:
            _bind_env_keys(binds, entry_ctx, pointer, keys, description)
            continue
        _bind_file(binds, entry_ctx, pointer, location, keys, description)
    return binds
