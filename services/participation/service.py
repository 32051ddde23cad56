"""Participation rules and queries."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participation import schemas
from services.participation.models import Hub, Space
from shared.pagination import Page, paginate
from shared.problems import NotFound
from shared.settings import Settings

_HUB_COLUMNS = (
    Hub.id,
    Hub.slug,
    Hub.name,
    Hub.description,
    Hub.town,
    Hub.address,
    Hub.timezone,
    Hub.version,
    Hub.created_at,
    Hub.updated_at,
)
_SPACE_COLUMNS = (
    Space.id,
    Space.hub_id,
    Space.slug,
    Space.name,
    Space.kind,
    Space.capacity,
    Space.opening_hours,
    Hub.timezone,
    Space.buffer_minutes,
    Space.requires_approval,
    Space.version,
    Space.created_at,
    Space.updated_at,
)


async def list_hubs(
    connection: AsyncConnection, settings: Settings, *, limit: int, cursor: str | None
) -> Page[schemas.Hub]:
    return await paginate(
        connection,
        select(*_HUB_COLUMNS),
        key=[Hub.created_at, Hub.id],
        limit=limit,
        cursor=cursor,
        settings=settings,
        item=lambda row: schemas.Hub.model_validate(row._mapping),
    )


async def get_hub(connection: AsyncConnection, hub_id: uuid.UUID) -> schemas.Hub:
    row = (await connection.execute(select(*_HUB_COLUMNS).where(Hub.id == hub_id))).one_or_none()
    if row is None:
        raise NotFound(f"There is no hub {hub_id}.")
    return schemas.Hub.model_validate(row._mapping)


async def list_spaces(
    connection: AsyncConnection,
    settings: Settings,
    hub_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
) -> Page[schemas.Space]:
    await get_hub(connection, hub_id)
    return await paginate(
        connection,
        select(*_SPACE_COLUMNS).join(Hub, Hub.id == Space.hub_id).where(Space.hub_id == hub_id),
        key=[Space.created_at, Space.id],
        limit=limit,
        cursor=cursor,
        settings=settings,
        item=lambda row: schemas.Space.model_validate(row._mapping),
    )
