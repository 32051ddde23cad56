"""`Database.driver()`: a pooled driver connection, in one transaction or in autocommit,
which goes back to the pool only idle; a cancelled, failed or lost one is closed, never
handed on."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.db import LOST_CONNECTION, Database, libpq_url
from tests.conftest import make_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    # One pooled connection: every transaction gets the one the last one returned.
    settings = make_settings(database_url, db_pool_size=1, db_pool_overflow=0)
    database = Database(settings, application_name="magnet-transaction-test")
    async with database.driver(transaction=True) as connection:
        # A table of its own, not a temporary one: that would go with a closed connection.
        await connection.execute("CREATE TABLE IF NOT EXISTS public.transaction_marks (mark uuid)")
    try:
        yield database
    finally:
        await database.dispose()


async def marked(database: Database, mark: uuid.UUID) -> bool:
    async with database.driver(transaction=True) as connection:
        found: bool = await connection.fetchval(
            "SELECT EXISTS (SELECT FROM public.transaction_marks WHERE mark = $1)", mark
        )
        return found


async def test_a_block_that_ends_commits_and_hands_the_connection_on(database: Database) -> None:
    mark = uuid.uuid4()
    async with database.driver(transaction=True) as first:
        assert first.is_in_transaction()
        await first.execute("INSERT INTO public.transaction_marks VALUES ($1)", mark)
    async with database.driver(transaction=True) as second:
        assert second is first  # the same pooled connection, idle again
        assert not await second.fetchval("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")
    assert await marked(database, mark)


async def test_a_block_that_raises_rolls_back_and_keeps_the_connection(database: Database) -> None:
    mark = uuid.uuid4()
    with pytest.raises(LookupError):
        async with database.driver(transaction=True) as first:
            await first.execute("INSERT INTO public.transaction_marks VALUES ($1)", mark)
            raise LookupError("refused")  # as a 4xx problem raised by a route
    assert not await marked(database, mark)
    async with database.driver(transaction=True) as second:
        assert second is first and not first.is_closed()


async def test_a_cancelled_statement_closes_the_connection_instead_of_returning_it(
    database: Database,
) -> None:
    mark = uuid.uuid4()
    started = asyncio.Event()
    held: list[asyncpg.Connection] = []

    async def slow_request() -> None:
        async with database.driver(transaction=True) as connection:
            held.append(connection)
            await connection.execute("INSERT INTO public.transaction_marks VALUES ($1)", mark)
            started.set()
            await connection.execute("SELECT pg_sleep(30)")

    request = asyncio.create_task(slow_request())
    await started.wait()
    request.cancel()  # a client gone, a server shutting down
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(request, 10)

    assert held[0].is_closed()
    async with database.driver(transaction=True) as connection:
        assert connection is not held[0]
    assert not await marked(database, mark)


async def test_a_connection_lost_mid_transaction_is_replaced(
    database: Database, database_url: str
) -> None:
    with pytest.raises(LOST_CONNECTION):  # answered 503 database-unavailable
        async with database.driver(transaction=True) as doomed:
            other = await asyncpg.connect(libpq_url(database_url))
            try:
                await other.execute("SELECT pg_terminate_backend($1)", doomed.get_server_pid())
            finally:
                await other.close()
            await doomed.execute("SELECT 1")
    async with database.driver(transaction=True) as connection:
        assert connection is not doomed
        assert await connection.fetchval("SELECT 1") == 1


async def test_a_read_in_autocommit_hands_the_connection_on(database: Database) -> None:
    async with database.driver(transaction=False) as first:
        assert not first.is_in_transaction()
        assert await first.fetchval("SELECT 1") == 1
    async with database.driver(transaction=False) as second:
        assert second is first


async def test_a_read_that_leaves_a_transaction_open_is_not_handed_on(database: Database) -> None:
    async with database.driver(transaction=False) as first:
        await first.execute("BEGIN")
    assert first.is_closed()
    async with database.driver(transaction=False) as second:
        assert second is not first
        assert not second.is_in_transaction()
