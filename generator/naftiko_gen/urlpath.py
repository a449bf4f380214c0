"""Paths as they travel in an HTTP request line (RFC 3986 §3.3).

A `#` starts the fragment and a `?` the query, so neither can reach a server inside a request
path as written. An exposed path holding one is served where a client can reach it, with the
character percent-encoded (`/v1/#Describe` at `/v1/%23Describe`: the server decodes the path
before routing); a consumed path is sent as an HTTP client sends it, up to the `?` or `#`.
"""

from __future__ import annotations

import re

_DELIMITER = re.compile(r"[#?]")


def request_path(path: str) -> str:
    """`path` as a client writes it in a request: `#` and `?` percent-encoded."""
    return path.replace("#", "%23").replace("?", "%3F")


def sent_path(path: str) -> str:
    """The part of a consumed path an HTTP client sends as the path."""
    return _DELIMITER.split(path, maxsplit=1)[0]
