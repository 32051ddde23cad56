"""Partner cities and the challenges each adopted."""

from __future__ import annotations

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection

from services.transfer import schemas
from services.transfer.models import City, CityChallenge
from shared.db import CompiledQuery, Database
from shared.pagination import AnySelect, Page, PageQuery, paginate
from shared.problems import NotFound


def _cities() -> AnySelect:
    adopted = (
        select(
            func.coalesce(
                func.array_agg(aggregate_order_by(CityChallenge.challenge, CityChallenge.position)),
                literal_column("ARRAY[]::varchar[]"),
            )
        )
        .where(CityChallenge.city_code == City.code)
        .scalar_subquery()
    )
    return select(
        City.code,
        City.name,
        City.country,
        City.coordinator,
        City.description,
        City.version,
        City.created_at,
        City.updated_at,
        adopted.label("challenges"),
    )


async def list_cities(connection: AsyncConnection, paging: PageQuery) -> Page[schemas.City]:
    return await paginate(
        connection,
        _cities(),
        key=[City.code],
        paging=paging,
        item=lambda row: schemas.City.model_validate(row._mapping),
    )


_CITY_BY_CODE = CompiledQuery(_cities().where(City.code == bindparam("code")))


async def get_city(database: Database, code: str) -> schemas.City:
    row = await database.fetch_one(_CITY_BY_CODE, code=code)
    if row is None:
        raise NotFound(f"There is no partner city {code!r}.")
    return schemas.City.model_validate(dict(row))


async def city_exists(connection: AsyncConnection, code: str) -> bool:
    return await connection.scalar(select(City.code).where(City.code == code)) is not None
