"""Hand-written minimal FastAPI proxy of bench/capability/bench-items.yaml (the framework's floor).

The Starlette proxy with FastAPI routing on top: a typed path parameter, validated by FastAPI,
the client taken from the request. It shows what FastAPI itself costs a proxy, which is the
framework generated REST adapters are built on. Run: uvicorn fastapi_proxy:app --app-dir
bench/baselines
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import httpx2
from fastapi import FastAPI, Request
from fastapi.responses import Response


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with httpx2.AsyncClient(
        base_url=os.environ["BENCH_UPSTREAM_BASE_URL"],
        headers={"Authorization": f"Bearer {os.environ['BENCH_API_KEY']}"},
        timeout=httpx2.Timeout(30.0, connect=3.0),
        limits=httpx2.Limits(max_connections=100, max_keepalive_connections=50),
    ) as client:
        app.state.client = client
        yield


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/v1/items/{id}")
async def get_item(request: Request, id: str) -> Response:
    client: httpx2.AsyncClient = request.app.state.client
    upstream = await client.get(f"/items/{quote(id, safe='')}")
    return Response(
        upstream.content, upstream.status_code, media_type=upstream.headers.get("content-type")
    )
