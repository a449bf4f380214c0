"""A hand-written FastAPI app used to prove the schemathesis part of the e2e harness.

Run as `python -m uvicorn --app-dir tests/e2e tiny_rest_app:app --port PORT`.
"""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI
from pydantic import BaseModel


class Item(BaseModel):
    id: int
    colour: Literal["red", "green"]


app = FastAPI(title="tiny", responses={400: {"description": "Malformed request"}})


@app.get("/health/ready")
def ready() -> dict[str, str]:
    return {"status": "ready"}


@app.get("/items/{item_id}")
def get_item(item_id: int, colour: Literal["red", "green"] = "red") -> Item:
    return Item(id=item_id, colour=colour)
