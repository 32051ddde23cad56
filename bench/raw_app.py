"""The reference for the baseline bench: the transfer city read with nothing but asyncpg.

Same SQL, same JSON shape and ETag as `GET /api/v1/transfer/cities/{code}`, without the
service's middleware, SQLAlchemy or Pydantic. Run it with uvicorn (`DATABASE_URL` set):

    uvicorn bench.raw_app:app --loop uvloop --http httptools --no-access-log
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
from fastapi import FastAPI
from fastapi.responses import JSONResponse

POOL_SIZE = 32
CITY_SQL = """
SELECT transfer.cities.code, transfer.cities.name, transfer.cities.country,
       transfer.cities.coordinator, transfer.cities.description, transfer.cities.version,
       transfer.cities.created_at, transfer.cities.updated_at,
       (SELECT coalesce(array_agg(transfer.city_challenges.challenge
                                  ORDER BY transfer.city_challenges.position),
                        ARRAY[]::varchar[])
        FROM transfer.city_challenges
        WHERE transfer.city_challenges.city_code = transfer.cities.code) AS challenges
FROM transfer.cities
WHERE transfer.cities.code = $1::VARCHAR
"""


async def _init_connection(connection: Any) -> None:
    await connection.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )


async def _keep_session(connection: Any) -> None:
    # asyncpg's default reset on release is an extra round trip per request (RESET ALL,
    # UNLISTEN *, ...). The service's pools skip it too (see shared.db), so both do one
    # round trip per read; asyncpg still rolls back a transaction left open.
    return None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["DATABASE_URL"],
        min_size=POOL_SIZE,
        max_size=POOL_SIZE,
        init=_init_connection,
        reset=_keep_session,
    )
    try:
        yield
    finally:
        await app.state.pool.close()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


def _timestamp(value: datetime) -> str:
    # Pydantic writes UTC as "Z"; match it so both answers are byte-for-byte comparable.
    return value.isoformat().replace("+00:00", "Z")


@app.get("/cities/{code}")
async def get_city(code: str) -> JSONResponse:
    async with app.state.pool.acquire() as connection:
        # fetchrow goes through asyncpg's statement cache: the statement is prepared once per
        # connection and reused, which is what SQLAlchemy's asyncpg dialect does as well.
        row = await connection.fetchrow(CITY_SQL, code)
    if row is None:
        return JSONResponse({"detail": f"There is no partner city {code!r}."}, status_code=404)
    body = {
        "code": row["code"],
        "name": row["name"],
        "country": row["country"],
        "coordinator": row["coordinator"],
        "challenges": list(row["challenges"]),
        "description": row["description"],
        "version": row["version"],
        "created_at": _timestamp(row["created_at"]),
        "updated_at": _timestamp(row["updated_at"]),
    }
    return JSONResponse(body, headers={"ETag": f'"v{row["version"]}"'})
