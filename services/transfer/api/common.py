"""Path types and small helpers the transfer routers share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated

import httpx
from fastapi import Path, Request
from pydantic import BaseModel

from shared.auth import Principal
from shared.etag import created_headers

PREFIX = "/api/v1/transfer"
CityCode = Annotated[str, Path(max_length=40, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
CREATE_PROBLEMS = (401, 403, 404, 409, 422, 503)
CHANGE_PROBLEMS = (401, 403, 404, 409, 412, 422, 428)
PATCH_PROBLEMS = (*CHANGE_PROBLEMS, 415)


def catalog_client(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.peers["catalog"]
    return client


def may_read_drafts(principal: Principal | None, city: str) -> bool:
    return principal is not None and principal.may_write_city(city)


def created(path: str) -> Callable[[BaseModel], Mapping[str, str]]:
    """`Location` and `ETag` of a created resource; `path` holds an `{id}` placeholder."""
    return created_headers(PREFIX + path)
