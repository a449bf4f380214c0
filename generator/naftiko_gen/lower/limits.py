"""The limits every generated server keeps, each a setting with a safe default.

They bound what one upstream answer or one request may cost (SEMANTICS.md §3, §9); the
generated README lists them with the other settings.
"""

from __future__ import annotations

from ..ir import Setting

MAX_RESPONSE_BYTES = 10 * 1024 * 1024
LIMIT_ATTRS = frozenset(
    {
        "max_response_bytes",
        "upstream_deadline",
        "request_deadline",
        "header_timeout",
        "keep_alive_timeout",
    }
)


def limit_settings(env_prefix: str) -> list[Setting]:
    """The limit settings of a package whose variables start with `env_prefix`."""
    return [
        Setting(
            f"{env_prefix}_MAX_RESPONSE_BYTES",
            "max_response_bytes",
            "integer",
            MAX_RESPONSE_BYTES,
            "largest upstream response body, counted after decompression "
            "(larger: 502, nothing more is read)",
            minimum=1,
        ),
        Setting(
            f"{env_prefix}_UPSTREAM_DEADLINE",
            "upstream_deadline",
            "number",
            60.0,
            "seconds one upstream call may take in all, retries and body included (then 504)",
        ),
        Setting(
            f"{env_prefix}_REQUEST_DEADLINE",
            "request_deadline",
            "number",
            120.0,
            "seconds one REST request or MCP tool call may take in all (then 504 / isError)",
        ),
        Setting(
            f"{env_prefix}_HEADER_TIMEOUT",
            "header_timeout",
            "number",
            10.0,
            "seconds a client has to send a request's line and headers "
            "(an idle or slow connection is closed)",
        ),
        Setting(
            f"{env_prefix}_KEEP_ALIVE_TIMEOUT",
            "keep_alive_timeout",
            "integer",
            5,
            "seconds an idle keep-alive connection stays open",
            minimum=1,
        ),
    ]
