"""Run-time narrowing of an adapter's surface: tool filters, read-only mode, scopes per tool."""

from __future__ import annotations

from ..ir import Setting, ToolFilter
from ..naming import env_name
from .binds import Binds
from .context import Context


def read_only_setting(ctx: Context, binds: Binds, namespace: str, what: str) -> str:
    """`<NS>_READ_ONLY`: serve only what cannot change anything upstream."""
    env = f"{env_name(namespace)}_READ_ONLY"
    attr = ctx.setting_attr(env)
    binds.settings.append(Setting(env, attr, "boolean", False, f"true: serve only {what}"))
    return attr


def pass_headers_setting(ctx: Context, binds: Binds, namespace: str) -> str:
    """`<NS>_PASS_HEADERS`: the caller's request headers passed on to the upstream calls."""
    env = f"{env_name(namespace)}_PASS_HEADERS"
    attr = ctx.setting_attr(env)
    meaning = (
        "comma-separated request headers of the caller passed on to the upstream calls "
        "(Authorization only when listed); default: none"
    )
    binds.settings.append(Setting(env, attr, "items", None, meaning))
    return attr


def tool_filter(ctx: Context, binds: Binds, namespace: str, oauth2: bool) -> ToolFilter:
    """`<NS>_TOOLS_INCLUDE`, `<NS>_TOOLS_EXCLUDE`, `<NS>_CONFIRM_TOOLS`, `<NS>_READ_ONLY` and,
    for oauth2 adapters, `<NS>_TOOL_SCOPES`."""
    env = env_name(namespace)
    lists = {
        f"{env}_TOOLS_INCLUDE": "comma-separated tool names or tags to serve; default: all",
        f"{env}_TOOLS_EXCLUDE": "comma-separated tool names or tags not to serve; default: none",
        f"{env}_CONFIRM_TOOLS": (
            "comma-separated names or tags of tools with destructiveHint (`*`: all of them) that "
            "run only once the user confirms through MCP elicitation; default: none"
        ),
    }
    if oauth2:
        lists[f"{env}_TOOL_SCOPES"] = (
            "comma-separated `tool=scope` pairs: a tool is listed and callable only with "
            "every scope paired with it; default: none"
        )
    attrs = []
    for name, description in lists.items():
        attrs.append(ctx.setting_attr(name))
        binds.settings.append(Setting(name, attrs[-1], "items", None, description))
    read_only = read_only_setting(ctx, binds, namespace, "tools with `readOnlyHint`")
    return ToolFilter(attrs[0], attrs[1], read_only, attrs[2], attrs[3] if oauth2 else None)


def upstream_tls(ctx: Context, binds: Binds, env: str, namespace: str) -> tuple[str, str, str]:
    """`<API>_CA_BUNDLE`, `<API>_CLIENT_CERT` and `<API>_CLIENT_KEY`: TLS to a consumed API."""
    meanings = {
        f"{env}_CA_BUNDLE": f"PEM file of the CAs trusted for the '{namespace}' API; "
        "default: the system's",
        f"{env}_CLIENT_CERT": f"PEM client certificate (mTLS) presented to the '{namespace}' API; "
        "default: none",
        f"{env}_CLIENT_KEY": "PEM private key of that certificate, unless the certificate file "
        "holds it",
    }
    attrs = tuple(ctx.setting_attr(name) for name in meanings)
    for (name, meaning), attr in zip(meanings.items(), attrs, strict=True):
        binds.settings.append(Setting(name, attr, "string", "", meaning))
    return attrs[0], attrs[1], attrs[2]
