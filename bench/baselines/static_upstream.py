"""Fallback upstream when nginx is missing: every GET answers the bytes of $BENCH_ITEM_FILE."""

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = Path(os.environ["BENCH_ITEM_FILE"]).read_bytes()


async def item(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", item)])
