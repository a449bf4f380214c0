"""Exposed `authentication`: what a caller of a REST or MCP HTTP adapter must present."""

from __future__ import annotations

from typing import Any

from ..expr import Expr, Helper, RequestValue, SettingRef
from ..ir import ExposedAuth
from ..load import Pointer
from .binds import Binds
from .context import Context, text
from .exposed_oauth2 import lower_oauth2
from .templates import template_code


def lower_exposed_auth(
    ctx: Context, binds: Binds, entry: dict[str, Any], pointer: Pointer
) -> ExposedAuth | None:
    """The guard of an adapter, or None when it has no `authentication`.

    A scheme we cannot check is an error: serving openly what the document protects would be
    wrong, not merely incomplete.
    """
    auth = entry.get("authentication")
    if not isinstance(auth, dict):
        return None
    pointer = (*pointer, "authentication")
    kind = text(auth.get("type")).lower()

    def secret(key: str) -> Expr:
        def resolve(name: str) -> Expr | None:
            attr = binds.lookup(name) or binds.implicit(ctx, name, (*pointer, key))
            return SettingRef(attr, "settings") if attr else None

        return template_code(text(auth.get(key)), resolve)

    if kind == "bearer":
        token = secret("token")
        return ExposedAuth(
            Helper("bearer-ok", (RequestValue("headers", "authorization"), token)),
            "Bearer",
            {"type": "http", "scheme": "bearer"},
            (token,),
        )
    if kind == "apikey":
        name = text(auth.get("key")) or "X-API-Key"
        placement = text(auth.get("placement")) or "header"
        key = name if placement == "query" else name.lower()
        value = secret("value")
        request = (
            RequestValue("query", key) if placement == "query" else RequestValue("headers", key)
        )
        return ExposedAuth(
            Helper("secret-ok", (request, value)),
            "ApiKey",
            {"type": "apiKey", "in": "query" if placement == "query" else "header", "name": name},
            (value,),
        )
    if kind == "basic":
        username, password = secret("username"), secret("password")
        return ExposedAuth(
            Helper("basic-ok", (RequestValue("headers", "authorization"), username, password)),
            'Basic realm="naftiko"',
            {"type": "http", "scheme": "basic"},
            (username, password),
        )
    if kind == "oauth2":
        return lower_oauth2(ctx, binds, entry, auth, pointer)
    ctx.error(
        "NG107",
        f"exposed '{kind or 'untyped'}' authentication cannot be checked by the generated "
        "code; the adapter would be served unprotected",
        pointer,
        hint="use bearer, apikey, basic or oauth2 authentication on exposed adapters",
    )
    return None
