"""Idempotent demo data: seeding twice changes nothing.

Rows are inserted by natural key. Reference data owned by the code (the taxonomy) is
brought up to date when it differs; data people may edit afterwards is never overwritten.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import DeclarativeBase

SEED_NAMESPACE = uuid.UUID("6f1c3a52-6d1e-4b7a-9a43-4d2a8f0e51c7")


def seed_id(*parts: str) -> uuid.UUID:
    """A stable id for a seeded row, the same on every machine and every run."""
    return uuid.uuid5(SEED_NAMESPACE, "/".join(parts))


async def upsert(
    connection: AsyncConnection,
    model: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]],
    *,
    key: Sequence[str],
    overwrite: bool = False,
) -> int:
    """Insert missing rows (and, with `overwrite`, update differing ones); count the changes."""
    if not rows:
        return 0
    table = model.__table__
    statement = insert(model).values(list(rows))
    if overwrite:
        changeable = [name for name in rows[0] if name not in key]
        statement = statement.on_conflict_do_update(
            index_elements=list(key),
            set_={name: statement.excluded[name] for name in changeable},
            where=or_(
                *(table.c[name].is_distinct_from(statement.excluded[name]) for name in changeable)
            ),
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key))
    result = await connection.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
