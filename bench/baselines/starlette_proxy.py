"""Hand-written minimal REST proxy of bench/capability/bench-items.yaml (the practical limit).

GET /v1/items/{id} -> GET {BENCH_UPSTREAM_BASE_URL}/items/{id} with a bearer token; the upstream
status and body come back unchanged. Run: uvicorn starlette_proxy:app --app-dir bench/baselines
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with httpx2.AsyncClient(
        base_url=os.environ["BENCH_UPSTREAM_BASE_URL"],
        headers={"Authorization": f"Bearer {os.environ['BENCH_API_KEY']}"},
        timeout=httpx2.Timeout(30.0, connect=3.0),
        limits=httpx2.Limits(max_connections=100, max_keepalive_connections=50),
    ) as client:
        app.state.client = client
        yield


async def get_item(request: Request) -> Response:
    client: httpx2.AsyncClient = request.app.state.client
    upstream = await client.get(f"/items/{quote(request.path_params['id'], safe='')}")
    return Response(
        upstream.content, upstream.status_code, media_type=upstream.headers.get("content-type")
    )


app = Starlette(routes=[Route("/v1/items/{id}", get_item)], lifespan=lifespan)
