"""Each service owns one schema with its own Alembic history; extensions come from migrations."""

from __future__ import annotations

import asyncpg

from shared.db import libpq_url
from shared.migrate import SCHEMAS

HEADS = {"catalog": "0007", "identity": "0004", "participation": "0007", "transfer": "0005"}


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
