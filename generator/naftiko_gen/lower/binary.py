"""Binary content: `maxBinarySize` limits and the REST `responses` / `responseBinary` contract.

A consumed operation with `outputRawFormat: binary` answers its bytes unchanged, with their media
type (`outputMediaType`, else the upstream's `Content-Type`). The package reads at most the
operation's `maxBinarySize` (else the exposing adapter's, else 10 MiB) of such a body.
"""

from __future__ import annotations

import re
from typing import Any

from ..load import Pointer
from .context import Context, mapping, text

DEFAULT_MAX_BINARY_SIZE = 10 * 1024 * 1024
OCTET_STREAM = "application/octet-stream"
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB)$")
_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}
BINARY_SCHEMA = {"type": "string", "format": "binary"}


def binary_size(ctx: Context, entry: dict[str, Any], pointer: Pointer) -> int | None:
    """The `maxBinarySize` of an entry in bytes; None when it has none (or an unusable one)."""
    value = entry.get("maxBinarySize")
    if value is None:
        return None
    match = _SIZE.match(text(value).strip())
    if not match:
        ctx.warning(
            "NG109",
            f"maxBinarySize '{text(value)}' is not a size like '512KiB' or '5MiB'; it is ignored",
            (*pointer, "maxBinarySize"),
        )
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def rest_responses(
    ctx: Context, op: dict[str, Any], pointer: Pointer, binary: str | None
) -> dict[str, Any] | None:
    """The OpenAPI `responses` a REST operation declares (`responses` or `responseBinary`).

    `binary` is the media type of the called operation's bytes, None when it is not binary:
    a binary response declared over a non-binary call is reported, as the engine requires.
    """
    declared: dict[str, Any] = {}
    claims_binary = False
    shorthand = op.get("responseBinary")
    if isinstance(shorthand, dict):
        status = shorthand.get("status", 200)
        description = text(shorthand.get("description")) or "The bytes of the upstream answer."
        media = text(shorthand.get("mediaType")) or binary or OCTET_STREAM
        declared[str(status)] = {
            "description": description,
            "content": {media: {"schema": BINARY_SCHEMA}},
        }
        claims_binary = True
        where: Pointer = (*pointer, "responseBinary")
    else:
        where = (*pointer, "responses")
        for status, response in mapping(op.get("responses")).items():
            response = mapping(response)
            content = {}
            for media, payload in mapping(response.get("content")).items():
                payload = mapping(payload)
                if payload.get("binary") is True:
                    content[str(media)] = {"schema": BINARY_SCHEMA}
                    claims_binary = True
                else:
                    content[str(media)] = {"schema": mapping(payload.get("schema"))}
            entry: dict[str, Any] = {
                "description": text(response.get("description")) or str(status)
            }
            if content:
                entry["content"] = content
            declared[str(status)] = entry
    if not declared:
        return None
    if claims_binary and binary is None:
        ctx.warning(
            "NG107",
            "a binary response needs the called consumed operation to declare "
            "`outputRawFormat: binary`; the route answers what the upstream body maps to",
            where,
        )
    return declared
