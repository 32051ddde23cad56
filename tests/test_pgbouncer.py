"""Services behind PgBouncer in transaction mode: no prepared statement outlives its server
connection. (The PgBouncer tier of `./magnet test` runs a slice of the suite through one.)"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from types import SimpleNamespace

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import CompiledQuery, Database, fetch_compiled, sqlalchemy_url
from tests.conftest import make_settings
from tests.pgbouncer import bouncer_url, installed, pgbouncer

pytestmark = pytest.mark.slow

CITY = CompiledQuery(
    sa.select(sa.literal_column("code"))
    .select_from(sa.table("cities", schema="transfer"))
    .where(sa.literal_column("code") == sa.bindparam("code"))
)


@pytest.fixture(scope="module")
def two_servers(server_url: str) -> Iterator[int]:
    """A bouncer with two server connections, so that a client's next statement can land on
    the other one (PgBouncer hands out the one released last)."""
    if not installed() and not os.environ.get("CI"):
        pytest.skip("pgbouncer is not installed here (.ci/run installs it)")
    with pgbouncer(server_url, pool_size=2, tier=False) as port:
        yield port


async def statement_on_the_other_server(database: Database) -> list[str]:
    """Run a statement on one server connection, then again after the bouncer has switched
    the client to the other one: what a busy bouncer does all the time."""
    codes = []
    async with database.read_engine.connect() as reader:
        async with database.engine.connect() as holder, holder.begin():
            await holder.execute(sa.text("SELECT 1"))  # holds one server in its transaction
            rows = await fetch_compiled(reader, CITY, code="kosice")  # runs on the other
            codes += [row["code"] for row in rows]
            session_rows = await reader.execute(
                sa.text("SELECT code FROM transfer.cities WHERE code = :code"), {"code": "nardo"}
            )
            codes += [row.code for row in session_rows]
        # The holder's server is free again, and was released last: the reader gets it.
        rows = await fetch_compiled(reader, CITY, code="kosice")
        codes += [row["code"] for row in rows]
        session_rows = await reader.execute(
            sa.text("SELECT code FROM transfer.cities WHERE code = :code"), {"code": "nardo"}
        )
        codes += [row.code for row in session_rows]
    return codes


async def test_every_statement_works_through_pgbouncer_in_transaction_mode(
    database_url: str, two_servers: int
) -> None:
    settings = make_settings(bouncer_url(database_url, two_servers), db_pgbouncer=True)
    database = Database(settings, application_name="magnet-test")
    try:
        codes = await statement_on_the_other_server(database)
        # Eight client connections on two server connections, all at once.
        concurrent = await asyncio.gather(
            *(database.fetch_one(CITY, code=code) for code in ["varazdin", "kosice"] * 20)
        )
    finally:
        await database.dispose()

    assert codes == ["kosice", "nardo"] * 2
    assert [row["code"] for row in concurrent if row] == ["varazdin", "kosice"] * 20


async def test_named_prepared_statements_break_there(database_url: str, two_servers: int) -> None:
    """What the setting prevents (asyncpg issues 1058 and 1065): the same engine with the
    drivers' default statement caches, and only the startup parameters PgBouncer accepts."""
    url = bouncer_url(database_url, two_servers)
    engine = create_async_engine(
        sqlalchemy_url(url), connect_args={"server_settings": {"application_name": "t"}}
    )
    database = SimpleNamespace(
        engine=engine, read_engine=engine.execution_options(isolation_level="AUTOCOMMIT")
    )
    try:
        with pytest.raises((asyncpg.PostgresError, DBAPIError), match="prepared statement"):
            await statement_on_the_other_server(database)  # type: ignore[arg-type]
    finally:
        await engine.dispose()
