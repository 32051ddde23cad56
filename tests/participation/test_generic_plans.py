"""The hot statements' plans use the partial indexes whatever plan PostgreSQL picks.

A prepared statement may switch to a generic plan after five executions. A predicate sent as
a parameter (`status = $2`) cannot match a partial index's `WHERE status = 'waitlisted'` in
a generic plan, and the per-event waitlist count turns into a scan of every registration.
This test records the statements the service really sends for its hot requests (those it
runs through SQLAlchemy and those it runs on the driver connection) and explains each one that reads
registrations or bookings as a generic plan, with sequential scans priced out: a partial
index that can be used is then used.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from services.participation.app import create_app
from shared.db import libpq_url
from shared.settings import Settings
from tests.conftest import asgi_client
from tests.participation.conftest import API, SpaceFactory

TABLES_WITH_PARTIAL_INDEXES = ("participation.registrations", "participation.bookings")


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"'\\x{value.hex()}'"
    if isinstance(value, datetime | date):
        return f"'{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _scans(plan: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(node type, relation, index) of every node of a plan."""
    node = (plan["Node Type"], plan.get("Relation Name", ""), plan.get("Index Name", ""))
    return [node, *(scan for child in plan.get("Plans", []) for scan in _scans(child))]


async def _generic_plan(connection: asyncpg.Connection, sql: str, args: tuple[Any, ...]) -> Any:
    name = f"hot_{uuid.uuid4().hex}"
    await connection.execute(f"PREPARE {name} AS {sql}")
    try:
        arguments = ", ".join(_literal(arg) for arg in args)
        execute = f"EXECUTE {name}({arguments})" if args else f"EXECUTE {name}"
        explained = await connection.fetchval(f"EXPLAIN (FORMAT JSON) {execute}")
    finally:
        await connection.execute(f"DEALLOCATE {name}")
    return json.loads(explained)[0]["Plan"]


async def test_hot_reads_use_the_partial_indexes_in_generic_plans(
    settings: Settings,
    database_url: str,
    new_space: SpaceFactory,
    coordinator: dict[str, str],
    resident: dict[str, str],
) -> None:
    sent: list[tuple[str, tuple[Any, ...]]] = []
    app = create_app(settings)
    async with asgi_client(app) as client:

        def log_queries(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.driver_connection.add_query_logger(
                lambda query: sent.append((query.query, tuple(query.args or ())))
            )

        def log_statement(*args: Any) -> None:  # what SQLAlchemy sends, by its own path
            _, _, statement, parameters, _, _ = args
            sent.append((statement, tuple(parameters or ())))

        engine = app.state.database.engine.sync_engine
        event.listen(engine, "connect", log_queries)
        event.listen(engine, "before_cursor_execute", log_statement)
        await _hot_requests(client, new_space, coordinator, resident)

    statements = {
        sql: args
        for sql, args in sent
        if sql.lstrip().upper().startswith("SELECT")
        and any(table in sql for table in TABLES_WITH_PARTIAL_INDEXES)
    }
    assert statements, "the hot requests read registrations and bookings"
    used: set[str] = set()
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        await connection.execute("SET enable_seqscan = off")
        for sql, args in statements.items():
            scans = _scans(await _generic_plan(connection, sql, args))
            sequential = [
                relation
                for node, relation, _ in scans
                if node == "Seq Scan" and relation in ("registrations", "bookings")
            ]
            assert not sequential, f"a generic plan scans {sequential} for:\n{sql}"
            used |= {index for _, _, index in scans if index}
    finally:
        await connection.close()
    assert {"ix_registrations_waitlist", "ex_bookings_no_overlap"} <= used


async def _hot_requests(
    client: httpx.AsyncClient,
    new_space: SpaceFactory,
    coordinator: dict[str, str],
    resident: dict[str, str],
) -> None:
    """The events list and one event, a day's availability, a registration (one confirmed,
    one waitlisted, who then reads their place in line) and a booking, each answered as
    usual."""
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    created = await client.post(
        f"{API}/events",
        json={
            "title": {"en": "Generic plans"},
            "address": "Celje",
            "capacity": 1,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
        },
        headers=coordinator,
    )
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    for person in ("first", "second"):
        body = {"name": person, "email": f"{person}-{uuid.uuid4().hex}@example.org"}
        registered = await client.post(
            f"{API}/events/{event_id}/registrations", json={**body, "consent": True}
        )
        assert registered.status_code == 201, registered.text
    waiting = registered.json()
    assert (waiting["status"], waiting["waitlist_position"]) == ("waitlisted", 1)
    read = await client.get(
        f"{API}/events/{event_id}/registrations/{waiting['id']}",
        params={"token": waiting["cancel_token"]},
    )
    assert read.status_code == 200, read.text
    assert read.json() == {k: v for k, v in waiting.items() if k != "cancel_token"}
    assert (await client.get(f"{API}/events")).status_code == 200
    assert (await client.get(f"{API}/events/{event_id}")).status_code == 200
    space = await new_space()
    day = date.today() + timedelta(days=3)
    available = await client.get(
        f"{API}/spaces/{space['id']}/availability", params={"date": day.isoformat()}
    )
    assert available.status_code == 200, available.text
    booked = await client.post(
        f"{API}/bookings",
        json={
            "space_id": space["id"],
            "starts_at": f"{day.isoformat()}T10:00:00+01:00",
            "ends_at": f"{day.isoformat()}T11:00:00+01:00",
            "purpose": "generic plans",
        },
        headers=resident,
    )
    assert booked.status_code == 201, booked.text
