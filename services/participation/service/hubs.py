"""Hubs, spaces and closures."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Uuid,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.participation.models import Closure, Hub, Space
from services.participation.schemas import hubs as schemas
from shared.db import CompiledQuery, Executor, Runner, fetch_compiled, fetch_one_compiled
from shared.etag import require_if_match
from shared.pagination import Page, PageQuery, paginate
from shared.problems import Conflict, NotFound

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
SPACE_COLUMNS = (
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
_CLOSURE_COLUMNS = (
    Closure.id,
    Closure.hub_id,
    Closure.space_id,
    Closure.starts_on,
    Closure.ends_on,
    Closure.reason,
    Closure.version,
    Closure.created_at,
)


def spaces_with_hub() -> Any:
    return select(*SPACE_COLUMNS).join(Hub, Hub.id == Space.hub_id)


async def list_hubs(connection: AsyncConnection, paging: PageQuery) -> Page[schemas.Hub]:
    return await paginate(
        connection,
        select(*_HUB_COLUMNS),
        key=[Hub.created_at, Hub.id],
        paging=paging,
        item=lambda row: schemas.Hub.model_validate(row._mapping),
    )


async def get_hub(connection: Executor, hub_id: uuid.UUID) -> schemas.Hub:
    row = (await connection.execute(select(*_HUB_COLUMNS).where(Hub.id == hub_id))).one_or_none()
    if row is None:
        raise NotFound(f"There is no hub {hub_id}.")
    return schemas.Hub.model_validate(row._mapping)


async def list_spaces(
    connection: AsyncConnection,
    hub_id: uuid.UUID,
    *,
    paging: PageQuery,
) -> Page[schemas.Space]:
    await get_hub(connection, hub_id)
    return await paginate(
        connection,
        spaces_with_hub().where(Space.hub_id == hub_id),
        key=[Space.created_at, Space.id],
        paging=paging,
        item=lambda row: schemas.Space.model_validate(row._mapping),
    )


_SPACE_ID = bindparam("space_id", type_=Uuid)
_SPACE = CompiledQuery(spaces_with_hub().where(Space.id == _SPACE_ID))
# Serialises writes that concern one space (bookings, changes) without blocking reads.
_LOCKED_SPACE = CompiledQuery(
    spaces_with_hub().where(Space.id == _SPACE_ID).with_for_update(of=Space, key_share=True)
)


async def get_space(
    connection: Runner, space_id: uuid.UUID, *, lock: bool = False
) -> schemas.Space | None:
    """One space; with `lock`, its row stays locked until the transaction ends."""
    row = await fetch_one_compiled(connection, _LOCKED_SPACE if lock else _SPACE, space_id=space_id)
    return None if row is None else schemas.Space.model_validate(dict(row))


_LOCAL_DAY = cast(
    func.timezone(Hub.timezone, bindparam("starts_at", type_=DateTime(timezone=True))), Date
)
# A booking's space, locked, and whether it is closed on the local day the booking starts:
# one round trip where the space and then its closures took two.
_LOCKED_SPACE_AND_DAY = CompiledQuery(
    spaces_with_hub()
    .add_columns(
        exists()
        .where(
            Closure.hub_id == Space.hub_id,
            or_(Closure.space_id.is_(None), Closure.space_id == Space.id),
            Closure.starts_on <= _LOCAL_DAY,
            Closure.ends_on >= _LOCAL_DAY,
        )
        .label("closed_that_day")
    )
    .where(Space.id == _SPACE_ID)
    .with_for_update(of=Space, key_share=True)
)


async def lock_space_for(
    connection: Runner, space_id: uuid.UUID, starts_at: datetime
) -> tuple[schemas.Space, bool] | None:
    """A space, locked until the transaction ends, and whether it (or its hub) is closed on
    the local day of `starts_at`."""
    row = await fetch_one_compiled(
        connection, _LOCKED_SPACE_AND_DAY, space_id=space_id, starts_at=starts_at
    )
    if row is None:
        return None
    values = dict(row)
    closed = values.pop("closed_that_day")
    return schemas.Space.model_validate(values), closed


async def require_space(connection: Executor, space_id: uuid.UUID) -> schemas.Space:
    space = await get_space(connection, space_id)
    if space is None:
        raise NotFound(f"There is no space {space_id}.")
    return space


async def create_space(
    session: AsyncSession, hub_id: uuid.UUID, body: schemas.SpaceCreate
) -> schemas.Space:
    await get_hub(session, hub_id)
    space_id = uuid.uuid4()
    values = body.model_dump(mode="json")
    try:
        async with session.begin_nested():
            await session.execute(insert(Space).values(id=space_id, hub_id=hub_id, **values))
    except IntegrityError as exc:
        raise Conflict(f"The hub already has a space with the slug {body.slug!r}.") from exc
    return await require_space(session, space_id)


async def patch_space(
    session: AsyncSession, space_id: uuid.UUID, patch: schemas.SpacePatch, if_match: str | None
) -> schemas.Space:
    space = await get_space(session, space_id, lock=True)
    if space is None:
        raise NotFound(f"There is no space {space_id}.")
    require_if_match(if_match, space.version)
    changes = patch.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    if changes:
        await session.execute(
            update(Space)
            .where(Space.id == space_id)
            .values(**changes, version=Space.version + 1, updated_at=func.now())
        )
    return await require_space(session, space_id)


async def list_closures(
    connection: AsyncConnection,
    hub_id: uuid.UUID,
    *,
    paging: PageQuery,
) -> Page[schemas.Closure]:
    await get_hub(connection, hub_id)
    return await paginate(
        connection,
        select(*_CLOSURE_COLUMNS).where(Closure.hub_id == hub_id),
        key=[Closure.starts_on, Closure.id],
        paging=paging,
        item=lambda row: schemas.Closure.model_validate(row._mapping),
    )


async def create_closure(
    session: AsyncSession, hub_id: uuid.UUID, body: schemas.ClosureCreate
) -> schemas.Closure:
    await get_hub(session, hub_id)
    if body.space_id is not None:
        space = await get_space(session, body.space_id)
        if space is None or space.hub_id != hub_id:
            raise NotFound(f"The hub has no space {body.space_id}.")
    row = (
        await session.execute(
            insert(Closure)
            .values(id=uuid.uuid4(), hub_id=hub_id, **body.model_dump())
            .returning(*_CLOSURE_COLUMNS)
        )
    ).one()
    return schemas.Closure.model_validate(row._mapping)


async def delete_closure(
    session: AsyncSession, closure_id: uuid.UUID, if_match: str | None
) -> None:
    version = await session.scalar(
        select(Closure.version).where(Closure.id == closure_id).with_for_update()
    )
    if version is None:
        raise NotFound(f"There is no closure {closure_id}.")
    require_if_match(if_match, version)
    await session.execute(delete(Closure).where(Closure.id == closure_id))


_CLOSURES = CompiledQuery(
    select(Closure.starts_on, Closure.ends_on).where(
        Closure.hub_id == bindparam("hub_id", type_=Uuid),
        or_(Closure.space_id.is_(None), Closure.space_id == _SPACE_ID),
        Closure.starts_on <= bindparam("last", type_=Date),
        Closure.ends_on >= bindparam("first", type_=Date),
    )
)


async def closed_days(
    connection: Runner, space: schemas.Space, first: date, last: date
) -> set[date]:
    """The local days in `[first, last]` on which the space or its whole hub is closed."""
    rows = await fetch_compiled(
        connection, _CLOSURES, hub_id=space.hub_id, space_id=space.id, first=first, last=last
    )
    days: set[date] = set()
    for starts_on, ends_on in rows:
        day = max(starts_on, first)
        while day <= min(ends_on, last):
            days.add(day)
            day = date.fromordinal(day.toordinal() + 1)
    return days
