"""Demo data goes into a database once and never touches people's data again.

Each schema keeps `seed_records`: the stable key of every demo row it was ever offered. A run
offers only rows whose key is not recorded yet and records them in the same transaction; it
never updates, restores or deletes a row, so a row people deleted stays deleted and an edited
one stays as they left it. A row that meets one people made (a unique or exclusion
constraint), or whose parent they deleted, is skipped and recorded all the same: it is never
tried again.

A database seeded before the records existed (demo rows present, no records) is adopted:
every key is recorded and nothing is added, since a demo row missing there was deleted by
people. Reference data owned by the code (the taxonomy people cannot edit) is the one thing
brought up to date, with `upsert(..., overwrite=True)`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, String, column, func, literal, or_, select, table, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute
from sqlalchemy.sql.expression import TableClause

SEED_NAMESPACE = uuid.UUID("6f1c3a52-6d1e-4b7a-9a43-4d2a8f0e51c7")


def seed_id(*parts: str) -> uuid.UUID:
    """A stable id for a seeded row, the same on every machine and every run."""
    return uuid.uuid5(SEED_NAMESPACE, "/".join(parts))


def seed_key(*parts: str) -> str:
    """The stable key under which a seeded row is recorded (the parts of its `seed_id`)."""
    return "/".join(parts)


@dataclass(frozen=True)
class SeedRow:
    """One demo row: its key, its table and values, and the rows it needs to exist first."""

    key: str
    model: type[DeclarativeBase]
    values: Mapping[str, Any]
    parents: tuple[tuple[InstrumentedAttribute[Any], Any], ...] = ()


@dataclass
class Seeded:
    """What one run did to one schema."""

    added: list[SeedRow]
    skipped: list[SeedRow]
    adopted: int = 0
    recorded_before: int = 0
    held_rows: bool = False
    reference_updated: int = 0

    @property
    def fresh(self) -> bool:
        """True when the schema was empty: never seeded, and no rows of people's either."""
        return self.recorded_before == 0 and self.adopted == 0 and not self.held_rows


def _records(schema: str) -> TableClause:
    return table("seed_records", column("key", String), column("added", Boolean), schema=schema)


async def lock_records(connection: AsyncConnection, schema: str) -> int:
    """Serialise seeders of one schema until commit; how many keys were recorded before."""
    await connection.execute(
        text(f'LOCK TABLE "{schema}".seed_records IN SHARE ROW EXCLUSIVE MODE')
    )
    return int(await connection.scalar(select(func.count()).select_from(_records(schema))) or 0)


async def unrecorded(connection: AsyncConnection, schema: str, keys: Collection[str]) -> set[str]:
    """The keys this schema was never offered (call under `lock_records`)."""
    records = _records(schema)
    found = await connection.scalars(select(records.c.key).where(records.c.key.in_(list(keys))))
    return set(keys) - set(found)


async def record(connection: AsyncConnection, schema: str, outcome: Mapping[str, bool]) -> None:
    """Remember that these keys were offered, and whether each row went in."""
    if outcome:
        rows = [{"key": key, "added": added} for key, added in outcome.items()]
        await connection.execute(insert(_records(schema)).values(rows).on_conflict_do_nothing())


async def seed_once(connection: AsyncConnection, schema: str, rows: Sequence[SeedRow]) -> Seeded:
    """Add the rows never offered before, in order (parents first), in the caller's transaction."""
    recorded_before = await lock_records(connection, schema)
    if recorded_before == 0 and await _seeded_before_records(connection, rows):
        await record(connection, schema, {row.key: False for row in rows})
        return Seeded(added=[], skipped=[], adopted=len(rows))
    new = await unrecorded(connection, schema, [row.key for row in rows])
    seeded = Seeded(
        added=[],
        skipped=[],
        recorded_before=recorded_before,
        held_rows=await _any_rows(connection, {row.model for row in rows}),
    )
    for row in rows:
        if row.key not in new:
            continue
        if await _parents_present(connection, row) and await _insert(connection, row):
            seeded.added.append(row)
        else:
            seeded.skipped.append(row)
    await record(
        connection,
        schema,
        {row.key: True for row in seeded.added} | {row.key: False for row in seeded.skipped},
    )
    return seeded


async def _parents_present(connection: AsyncConnection, row: SeedRow) -> bool:
    """Each parent exists, held (FOR KEY SHARE) so nobody deletes it before the commit."""
    for parent, value in row.parents:
        if value is None:
            continue
        held = select(parent).where(parent == value).with_for_update(key_share=True)
        if (await connection.execute(held)).first() is None:
            return False
    return True


async def _insert(connection: AsyncConnection, row: SeedRow) -> bool:
    # No conflict target: any unique or exclusion constraint a person's row holds wins.
    statement = insert(row.model).values(dict(row.values)).on_conflict_do_nothing()
    result = await connection.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def _any_rows(connection: AsyncConnection, models: set[type[DeclarativeBase]]) -> bool:
    for model in models:
        if await connection.scalar(select(literal(1)).select_from(model).limit(1)) is not None:
            return True
    return False


async def _seeded_before_records(connection: AsyncConnection, rows: Sequence[SeedRow]) -> bool:
    by_model: dict[type[DeclarativeBase], list[SeedRow]] = defaultdict(list)
    for row in rows:
        by_model[row.model].append(row)
    for model, group in by_model.items():
        key_columns = list(model.__mapper__.primary_key)
        keys = [tuple(row.values[c.name] for c in key_columns) for row in group]
        present = select(literal(1)).where(tuple_(*key_columns).in_(keys)).limit(1)
        if await connection.scalar(present) is not None:
            return True
    return False


async def upsert(
    connection: AsyncConnection,
    model: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]],
    *,
    key: Sequence[str],
) -> int:
    """Bring code-owned reference rows up to date (never demo data people may edit)."""
    if not rows:
        return 0
    columns = model.__table__.c
    statement = insert(model).values(list(rows))
    changeable = [name for name in rows[0] if name not in key]
    statement = statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: statement.excluded[name] for name in changeable},
        where=or_(
            *(columns[name].is_distinct_from(statement.excluded[name]) for name in changeable)
        ),
    )
    result = await connection.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
