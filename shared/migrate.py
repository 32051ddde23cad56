"""Run each service's Alembic history against its own schema and version table.

Every `migrations/<schema>/env.py` calls `run_env(schema)`; `migrate_all` drives them
programmatically for `magnet migrate`, `magnet up` and the tests.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import sqlalchemy_url
from shared.settings import get_settings

SCHEMAS = ("identity", "catalog", "participation", "transfer")
ROOT = Path(__file__).resolve().parent.parent
VERSION_TABLE = "alembic_version"
# Serialises concurrent migrators (several containers starting at once).
_MIGRATION_LOCK = 4_242_001


def alembic_config(schema: str, database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"), ini_section=schema)
    config.set_main_option("script_location", str(ROOT / "migrations" / schema))
    config.attributes["database_url"] = database_url
    return config


def migrate_all(database_url: str, revision: str = "head") -> None:
    for schema in SCHEMAS:
        command.upgrade(alembic_config(schema, database_url), revision)


def _run_sync(connection: Connection, schema: str) -> None:
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    context.configure(
        connection=connection,
        version_table=VERSION_TABLE,
        version_table_schema=schema,
        include_schemas=False,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(database_url: str, schema: str) -> None:
    engine = create_async_engine(sqlalchemy_url(database_url))
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f"SELECT pg_advisory_lock({_MIGRATION_LOCK})"))
            try:
                await connection.run_sync(_run_sync, schema)
                await connection.commit()
            finally:
                await connection.execute(text(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK})"))
    finally:
        await engine.dispose()


def run_env(schema: str) -> None:
    """The body of every env.py."""
    database_url = context.config.attributes.get("database_url") or get_settings().database_url
    if database_url is None:
        raise RuntimeError("DATABASE_URL is not set")
    if context.is_offline_mode():
        context.configure(
            url=sqlalchemy_url(database_url),
            version_table=VERSION_TABLE,
            version_table_schema=schema,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(database_url, schema))
