"""The async engine and the per-request session: one transaction per request.

The session dependency commits when the route returns and rolls back when it raises, before
the response is sent (`scope="function"`), so a client never sees a 2xx for a write that
did not commit. Services only `flush()`. Read-only routes take `ReadConnection`: a pooled
connection in autocommit mode, which skips BEGIN/ROLLBACK round trips. A write whose
statements are all compiled (no ORM unit of work) takes `Transaction`: the driver connection
of a pooled connection in the same one transaction, with the same commit and rollback,
without the ORM session's bookkeeping (a tenth of a booking's CPU) nor a Core connection's
(~0.25 ms a write, bench/README.md); a hot read whose statements are all compiled takes
`Reader`, the same in autocommit.

The hottest lookups (a resource by its key) use `CompiledQuery`: a Core select compiled
once to SQL and run on the driver connection of a pooled connection, which skips
SQLAlchemy's per-execution work (statement building, cache keys, result processing): about
half of a lookup's CPU. It shares the engine's pool (and its JSON codecs), so a process never
holds more connections than `db_pool_size + db_pool_overflow`. `fetch_compiled` runs one on
the connection or session a request already holds, inside its transaction (a write's too), so
a request never mixes two ways of reaching the database. Hot statements compile once at
import (`CompiledQuery`), or once per combination of filters (`functools.cache`); keyset
pages have `shared.pagination.compile_page`. A status a partial index is defined with is
written with `constant`, so the generic plan of a prepared statement can use that index.

Behind PgBouncer in transaction mode (`MAGNET_DB_PGBOUNCER`), consecutive transactions of one
client connection run on different server connections, where a named prepared statement of
another does not exist (or exists twice). There every statement, SQLAlchemy's and the compiled
ones, is an unnamed one that asyncpg parses again in the same message sequence as its
execution; PgBouncer 1.18 (Debian's) keeps no prepared statement across server connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeAlias
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import ClauseElement, ColumnElement, String, event, literal_column, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

from shared.settings import Settings


def sqlalchemy_url(url: str) -> str:
    """`postgresql://…` as given by ops → the asyncpg dialect URL SQLAlchemy needs."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "sslmode"]
    return urlunsplit(parts._replace(scheme="postgresql+asyncpg", query=urlencode(query)))


def libpq_url(url: str) -> str:
    """The plain `postgresql://…` form asyncpg and libpq tools understand."""
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql"))


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


LOST_CONNECTION = (
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    # What asyncpg raises on a connection whose server vanished mid-operation.
    asyncpg.InternalClientError,
    OSError,
)
_ASYNCPG_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


class CompiledQuery:
    """A Core statement compiled once, at import, to the SQL asyncpg runs.

    Parameters are the statement's `bindparam`s, given by name; literals in the statement
    keep their values.
    """

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(
            dialect=_ASYNCPG_DIALECT, compile_kwargs={"render_postcompile": True}
        )
        assert isinstance(compiled, SQLCompiler)
        self.sql = str(compiled)
        self.parameters: tuple[str, ...] = tuple(compiled.positiontup or ())
        self.literals: dict[str, Any] = {
            name: bind.effective_value
            for name, bind in ((name, compiled.binds[name]) for name in self.parameters)
            if not bind.required
        }

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        return [values[name] if name in values else self.literals[name] for name in self.parameters]


Executor = AsyncConnection | AsyncSession
"""What a request's SQLAlchemy statements run on: `Session` or `ReadConnection`."""

Runner: TypeAlias = AsyncConnection | AsyncSession | asyncpg.Connection
"""What compiled statements run on: an `Executor`, or the driver connection of a
`Transaction` or a `Reader`."""

_DRIVER = "compiled statements' driver connection"  # key in `AsyncSession.info`


async def _driver_of(
    connection: Runner,
) -> tuple[AsyncConnection | None, asyncpg.Connection]:
    """The driver connection under `connection`, inside its transaction when it has one,
    and the SQLAlchemy connection to invalidate when the driver loses it (None for a
    `Transaction`, which invalidates its own)."""
    if isinstance(connection, asyncpg.Connection):
        return None, connection
    if isinstance(connection, AsyncSession):
        # Once per transaction of the session (a write runs several compiled statements).
        transaction = connection.sync_session.get_transaction()
        known = connection.info.get(_DRIVER)
        if known is not None and transaction is not None and known[0] is transaction:
            return known[1], known[2]
        outer, driver = await _driver_of(await connection.connection())
        connection.info[_DRIVER] = (connection.sync_session.get_transaction(), outer, driver)
        return outer, driver
    sync = connection.sync_connection
    if sync is not None and not sync.closed and not sync.invalidated:
        pooled = sync.connection  # held already: no I/O, so no greenlet hop needed
    else:
        pooled = await connection.get_raw_connection()
    adapted: Any = pooled.dbapi_connection
    # SQLAlchemy's adapter sends BEGIN lazily, before its first statement. A compiled
    # statement may come first in a request's transaction: begin it the adapter's way, so that
    # it also ends it (COMMIT/ROLLBACK). In autocommit this does nothing.
    if adapted._transaction is None:
        await adapted._start_transaction()
    return connection, pooled.driver_connection


async def fetch_compiled(
    connection: Runner, query: CompiledQuery, **values: Any
) -> list[asyncpg.Record]:
    """Run `query` on the driver connection of a request's connection or session, in its
    transaction; the rows as asyncpg gives them (values as the driver decodes them)."""
    outer, driver = await _driver_of(connection)
    try:
        rows: list[asyncpg.Record] = await driver.fetch(query.sql, *query.arguments(values))
    except LOST_CONNECTION:
        if outer is not None:
            await outer.invalidate()
        raise
    return rows


async def fetch_one_compiled(
    connection: Runner, query: CompiledQuery, **values: Any
) -> asyncpg.Record | None:
    """The first row of `query` (see `fetch_compiled`), or None."""
    rows = await fetch_compiled(connection, query, **values)
    return rows[0] if rows else None


def constant(value: str) -> ColumnElement[str]:
    """`value` written into the SQL text, not sent as a parameter.

    For predicates a partial index is defined with (`status = 'waitlisted'`): the planner can
    match a literal against the index's predicate in every plan, whereas a parameter
    (`status = $2`) only matches in a custom plan, not in the generic plan PostgreSQL may
    switch a prepared statement to.
    """
    return literal_column("'" + value.replace("'", "''") + "'", String())


def _unnamed() -> str:
    return ""  # asyncpg's name for the unnamed statement


def connect_args(settings: Settings, application_name: str) -> dict[str, Any]:
    server_settings = {"application_name": application_name}
    if settings.db_pgbouncer:  # PgBouncer refuses other startup parameters
        return {
            "timeout": 5,
            "server_settings": server_settings,
            "statement_cache_size": 0,  # asyncpg: unnamed statements for `fetch` & co.
            "prepared_statement_cache_size": 0,  # SQLAlchemy: no statement kept…
            "prepared_statement_name_func": _unnamed,  # …and each one unnamed
        }
    server_settings["statement_timeout"] = str(settings.db_statement_timeout_ms)
    return {"timeout": 5, "server_settings": server_settings}


def _refuse_closed_connection(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """A pooled connection whose server went away while it was idle (a database restart,
    a terminated backend) is replaced before a request uses it, not failed with a 503.

    A local check, no round trip: the server's goodbye (or the socket's end) has reached the
    driver by the time the connection is taken. SQLAlchemy answers `DisconnectionError` by
    invalidating the connection and checking out another one."""
    driver: asyncpg.Connection = dbapi_connection.driver_connection
    if driver.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


class Database:
    """Owns the engine of one service; created in the app's lifespan, disposed at shutdown."""

    def __init__(self, settings: Settings, *, application_name: str) -> None:
        if settings.database_url is None:
            raise RuntimeError("DATABASE_URL is not set")
        self.engine: AsyncEngine = create_async_engine(
            sqlalchemy_url(settings.database_url),
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_overflow,
            pool_timeout=settings.db_pool_timeout,
            connect_args=connect_args(settings, application_name),
        )
        event.listen(self.engine.sync_engine, "checkout", _refuse_closed_connection)
        self.read_engine: AsyncEngine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def _driver_connection(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.read_engine.connect() as connection:
            pooled = await connection.get_raw_connection()
            try:
                yield pooled.driver_connection
            except LOST_CONNECTION:
                # SQLAlchemy did not see this failure: drop the connection from the pool.
                await connection.invalidate()
                raise

    @asynccontextmanager
    async def driver(self, *, transaction: bool) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection's driver connection, for compiled statements only: in one
        transaction (committed when the block ends, rolled back when it raises), or in
        autocommit.

        The connection goes back to the pool only idle and outside a transaction: when the
        block is cancelled mid-statement or the connection fails, it is closed instead (the
        pool opens another), so no later request inherits a half-done transaction.
        """
        pooled = await self.engine.raw_connection()
        driver: asyncpg.Connection = pooled.driver_connection
        settled = False
        try:
            if transaction:
                async with driver.transaction():
                    yield driver
            else:
                yield driver
            settled = not driver.is_in_transaction()
        except Exception:
            settled = not driver.is_closed() and not driver.is_in_transaction()
            raise
        finally:
            if not settled:
                pooled.invalidate()  # terminates the connection: no I/O to wait for
            # Returning may close an overflow connection, which awaits: in a greenlet, and
            # shielded, so a cancellation arriving now cannot leave the pool half-updated.
            await asyncio.shield(greenlet_spawn(pooled.close))

    async def fetch_one(self, query: CompiledQuery, **values: Any) -> asyncpg.Record | None:
        async with self._driver_connection() as connection:
            return await connection.fetchrow(query.sql, *query.arguments(values))

    async def fetch_all(self, query: CompiledQuery, **values: Any) -> list[asyncpg.Record]:
        async with self._driver_connection() as connection:
            rows: list[asyncpg.Record] = await connection.fetch(query.sql, *query.arguments(values))
            return rows

    async def ping(self) -> None:
        async with self.read_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _database(request: Request) -> Database:
    # async: FastAPI runs a plain `def` dependency in a worker thread on every request.
    database: Database = request.app.state.database
    return database


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with (await _database(request)).sessionmaker() as session, session.begin():
        yield session


async def _transaction(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with (await _database(request)).driver(transaction=True) as connection:
        yield connection


async def _reader(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with (await _database(request)).driver(transaction=False) as connection:
        yield connection


async def _read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with (await _database(request)).read_engine.connect() as connection:
        yield connection


Session = Annotated[AsyncSession, Depends(_session, scope="function")]
Transaction = Annotated[asyncpg.Connection, Depends(_transaction, scope="function")]
DatabaseDep = Annotated[Database, Depends(_database)]
ReadConnection = Annotated[AsyncConnection, Depends(_read_connection, scope="function")]
Reader = Annotated[asyncpg.Connection, Depends(_reader, scope="function")]
