"""Exposed `oauth2`: the adapter is an OAuth 2.1 resource server (RFC 9728, RFC 9068, RFC 7662)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..ir import ExposedAuth, OAuth2, Setting
from ..load import Pointer
from ..naming import env_name
from .binds import Binds
from .context import Context, as_list, text


def _absolute(ctx: Context, auth: dict[str, Any], key: str, pointer: Pointer) -> str | None:
    value = (
        text(auth.get(key)).rstrip("/") if key == "authorizationServerUri" else text(auth.get(key))
    )
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return value
    ctx.error(
        "NG109",
        f"oauth2 `{key}` must be an absolute http(s) URI",
        (*pointer, key),
        hint="e.g. https://auth.example.com/realms/main",
    )
    return None


def lower_oauth2(
    ctx: Context, binds: Binds, entry: dict[str, Any], auth: dict[str, Any], pointer: Pointer
) -> ExposedAuth | None:
    """The resource-server guard of an adapter with `authentication: {type: oauth2}`."""
    issuer = _absolute(ctx, auth, "authorizationServerUri", pointer)
    resource = _absolute(ctx, auth, "resource", pointer)
    if issuer is None or resource is None:
        return None
    scopes = tuple(dict.fromkeys(text(s) for s in as_list(auth.get("scopes")) if text(s)))
    env = env_name(text(entry.get("namespace")) or text(entry.get("type")))
    names = (f"{env}_REQUIRED_SCOPES", f"{env}_OAUTH2_CLIENT_ID", f"{env}_OAUTH2_CLIENT_SECRET")
    scopes_attr, client_id_attr, client_secret_attr = (ctx.setting_attr(n) for n in names)
    binds.settings.append(
        Setting(
            names[0],
            scopes_attr,
            "items",
            None,
            "comma-separated scopes every access token must carry on this adapter (403 "
            "insufficient_scope otherwise); default: none",
        )
    )
    operation_scopes_attr = ""
    if text(entry.get("type")) == "rest":
        operation_scopes_attr = ctx.setting_attr(f"{env}_OPERATION_SCOPES")
        binds.settings.append(
            Setting(
                f"{env}_OPERATION_SCOPES",
                operation_scopes_attr,
                "items",
                None,
                "comma-separated `operation=scope` pairs: an operation needs every scope paired "
                "with it (403 insufficient_scope otherwise); default: none",
            )
        )
    introspection = text(auth.get("tokenValidation")) == "introspection"
    if introspection:
        purpose = "this server presents to the token introspection endpoint"
        binds.settings.append(
            Setting(names[1], client_id_attr, "string", None, f"client id {purpose}", required=True)
        )
        binds.settings.append(
            Setting(names[2], client_secret_attr, "string", None, f"secret {purpose}", secret=True)
        )
    token_url = text(auth.get("tokenEndpoint")) or issuer
    return ExposedAuth(
        check=None,
        challenge="Bearer",
        scheme={
            "type": "oauth2",
            "flows": {
                "clientCredentials": {"tokenUrl": token_url, "scopes": {s: s for s in scopes}}
            },
        },
        oauth2=OAuth2(
            issuer=issuer,
            resource=resource,
            audience=text(auth.get("audience")) or resource,
            scopes=scopes,
            introspection=introspection,
            scopes_attr=scopes_attr,
            operation_scopes_attr=operation_scopes_attr,
            client_id_attr=client_id_attr if introspection else "",
            client_secret_attr=client_secret_attr if introspection else "",
        ),
    )
