"""The serving and limit settings every generated package reads, each with a safe default.

They bound what one upstream answer or one request may cost (SEMANTICS.md §3, §9) and say how the
package serves. They are the same in every package, named after it (`<PREFIX>_RETRIES`), so the
vendored runtime reads them (`_settings.serving`); the generated README, `.env` and deploy files
list them with the other settings.
"""

from __future__ import annotations

from dataclasses import replace

from ..ir import Setting

MAX_RESPONSE_BYTES = 10 * 1024 * 1024
# Each setting's `env` is its name after the package's prefix.
COMMON_SETTINGS = (
    Setting(
        "CONNECT_TIMEOUT",
        "connect_timeout",
        "number",
        3.0,
        "seconds to connect to an upstream",
        common=True,
    ),
    Setting(
        "READ_TIMEOUT",
        "read_timeout",
        "number",
        30.0,
        "seconds to wait for an upstream response",
        common=True,
    ),
    Setting(
        "RETRIES",
        "retries",
        "integer",
        2,
        "retries of idempotent calls on connection failure, 429, 502, 503, 504",
        common=True,
        minimum=0,
        maximum=10,
    ),
    Setting(
        "WORKERS",
        "workers",
        "integer",
        1,
        "processes serving the HTTP adapters (stateless: each takes a share of the connections)",
        common=True,
        minimum=1,
    ),
    Setting(
        "ACCESS_LOG",
        "access_log",
        "boolean",
        False,
        "log every request (to stderr; query strings are not logged)",
        common=True,
    ),
    Setting(
        "MAX_RESPONSE_BYTES",
        "max_response_bytes",
        "integer",
        MAX_RESPONSE_BYTES,
        "largest upstream response body, counted after decompression "
        "(larger: 502, nothing more is read)",
        common=True,
        minimum=1,
    ),
    Setting(
        "UPSTREAM_DEADLINE",
        "upstream_deadline",
        "number",
        60.0,
        "seconds one upstream call may take in all, retries and body included (then 504)",
        common=True,
    ),
    Setting(
        "REQUEST_DEADLINE",
        "request_deadline",
        "number",
        120.0,
        "seconds one REST request or MCP tool call may take in all (then 504 / isError)",
        common=True,
    ),
    Setting(
        "HEADER_TIMEOUT",
        "header_timeout",
        "number",
        10.0,
        "seconds a client has to send a request's line and headers "
        "(an idle or slow connection is closed)",
        common=True,
    ),
    Setting(
        "KEEP_ALIVE_TIMEOUT",
        "keep_alive_timeout",
        "integer",
        5,
        "seconds an idle keep-alive connection stays open",
        common=True,
        minimum=1,
    ),
)
COMMON_ATTRS = frozenset(s.attr for s in COMMON_SETTINGS)


def common_settings(env_prefix: str) -> list[Setting]:
    """The common settings of a package whose variables start with `env_prefix`."""
    return [replace(s, env=f"{env_prefix}_{s.env}") for s in COMMON_SETTINGS]
