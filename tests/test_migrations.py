"""Each service owns one schema with its own Alembic history; extensions come from migrations."""

from __future__ import annotations

import asyncio

import asyncpg
from alembic import command

from shared.db import libpq_url
from shared.migrate import SCHEMAS, alembic_config

HEADS = {"catalog": "0007", "identity": "0005", "participation": "0007", "transfer": "0005"}


async def test_each_schema_has_its_own_version_table_at_head(database_url: str) -> None:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        for schema in SCHEMAS:
            version = await connection.fetchval(
                f'SELECT version_num FROM "{schema}".alembic_version'
            )
            assert version == HEADS.get(schema, "0001"), schema
        extensions = {
            row["extname"] for row in await connection.fetch("SELECT extname FROM pg_extension")
        }
    finally:
        await connection.close()
    assert {"btree_gist", "pg_trgm", "unaccent", "fuzzystrmatch"} <= extensions


def test_the_residents_migration_keeps_every_user_as_it_was(fresh_database: str) -> None:
    """Identity 0004 → 0005 (residents) → 0004 → 0005 on a database holding staff users."""
    identity = alembic_config("identity", fresh_database)
    command.upgrade(identity, "0004")
    staff = (
        "INSERT INTO identity.users (id, email, password_hash, role, city, disabled, version) "
        "VALUES (gen_random_uuid(), 'editor@example.org', 'argon2-hash-1', 'editor', NULL, "
        "false, 3), (gen_random_uuid(), 'partner@example.org', 'argon2-hash-2', 'partner', "
        "'kosice', true, 1)"
    )
    users = "SELECT id, email, password_hash, role, city, disabled, version, created_at " + (
        "FROM identity.users ORDER BY email"
    )
    asyncio.run(_fetch(fresh_database, staff))
    before = asyncio.run(_fetch(fresh_database, users))

    command.upgrade(identity, "0005")
    after = asyncio.run(_fetch(fresh_database, users))
    added = asyncio.run(
        _fetch(fresh_database, "SELECT name, language, verified_at FROM identity.users")
    )
    asyncio.run(
        _fetch(
            fresh_database,
            "INSERT INTO identity.users (id, email, password_hash, role, name, language) "
            "VALUES (gen_random_uuid(), 'resident@example.org', 'argon2-hash-3', 'resident', "
            "'Ana', 'sl')",
        )
    )
    command.downgrade(identity, "0004")
    downgraded = asyncio.run(_fetch(fresh_database, users))
    command.upgrade(identity, "head")

    assert [dict(row) for row in after] == [dict(row) for row in before]
    assert {tuple(row) for row in added} == {(None, None, None)}
    assert [dict(row) for row in downgraded] == [dict(row) for row in before]


async def _fetch(database_url: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()
