"""Consumed `authentication`: how an upstream client authenticates (bearer, API key, basic and
digest, oauth2 client credentials), its secrets read from bound settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..expr import Expr, SettingRef
from ..ir import Auth
from .context import as_list, text
from .templates import template_code

if TYPE_CHECKING:
    from .consumes import _UpstreamLowering


def consumed_auth(upstream: _UpstreamLowering) -> Auth | None:
    """The upstream's authentication, or None (with a warning when it is not applied)."""
    # `auth:` is a catalog spelling of `authentication:` (the schema already warned).
    auth = upstream.entry.get("authentication", upstream.entry.get("auth"))
    if not isinstance(auth, dict):
        return None
    pointer = (*upstream.pointer, "authentication")
    kind = text(auth.get("type")).lower()

    def code(key: str) -> Expr:
        return template_code(
            text(auth.get(key)),
            lambda n: upstream.settings_ref(n, (*pointer, key), reach="settings"),
        )

    if kind == "bearer":
        return Auth("bearer", token=code("token"))
    if kind == "apikey":
        placement = text(auth.get("placement")) or "header"
        if placement not in ("header", "query"):
            upstream.ctx.warning(
                "NG201",
                f"apikey placement '{placement}' is not supported; the key is sent as a header",
                (*pointer, "placement"),
            )
        return Auth(
            "apikey",
            key=text(auth.get("key")) or "X-API-Key",
            value=code("value"),
            placement="query" if placement == "query" else "header",
        )
    if kind in ("basic", "digest"):
        return Auth(
            "basic" if kind == "basic" else "digest",
            username=code("username"),
            password=code("password"),
        )
    if kind == "oauth2" and text(auth.get("tokenEndpoint")):
        client_id = upstream.binds.add_env(
            upstream.ctx,
            f"{upstream.env}_CLIENT_ID",
            f"{upstream.env}_CLIENT_ID",
            "OAuth2 client id",
        )
        client_secret = upstream.binds.add_env(
            upstream.ctx,
            f"{upstream.env}_CLIENT_SECRET",
            f"{upstream.env}_CLIENT_SECRET",
            "OAuth2 client secret",
        )
        return Auth(
            "oauth2",
            token_url=template_code(
                text(auth.get("tokenEndpoint")),
                lambda n: upstream.settings_ref(n, pointer, reach="settings"),
            ),
            username=SettingRef(client_id, "settings"),
            password=SettingRef(client_secret, "settings"),
            scopes=tuple(str(s) for s in as_list(auth.get("scopes"))),
            audience=text(auth.get("audience")) or None,
        )
    upstream.ctx.warning(
        "NG201",
        f"'{kind or 'untyped'}' authentication of '{upstream.namespace}' is not applied "
        "by the generated client"
        + (" (oauth2 needs a `tokenEndpoint`)" if kind == "oauth2" else ""),
        pointer,
    )
    return None
