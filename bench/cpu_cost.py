"""CPU time per request, the figure that holds on a shared machine (req/s swings ±30 %).

A target is a server process (pinned to core 1) and the PostgreSQL backends it holds. A
measurement sends `requests` requests at `concurrency` from a client process pinned to core
0 and reads the server's utime+stime from `/proc/<pid>/stat` before and after, and those of
the backends whose `application_name` is the target's (PostgreSQL runs on this machine).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg

from shared.db import libpq_url

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CONCURRENCY = 16
HUB_TIMEZONE = ZoneInfo("Europe/Ljubljana")
P = "/api/v1/participation"
ALL_DAY = {
    day: [{"opens": "00:00", "closes": "23:59"}]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
SLOTS_PER_DAY = 23  # one-hour bookings from 00:00 to 23:00 local, inside 00:00-23:59


@dataclass(frozen=True)
class Target:
    name: str
    base_url: str
    pid: int
    application_name: str
    database_url: str


@dataclass(frozen=True)
class Fixture:
    """What the requests need (picklable): ids made before the clock starts."""

    events: list[str]  # public events with room for everyone
    spaces: list[str]  # spaces to read availability of
    bookable: list[str]  # all-day desks to book, one booking per (desk, hour)
    user: str  # an Authorization header value for bookings


@dataclass(frozen=True)
class Cost:
    service_ms: float
    database_ms: float
    errors: int


def process_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_seconds(pid: int) -> float:
    """utime + stime of a process and of every process under it (a server's workers)."""
    total = process_seconds(pid)
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return total
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children") as children:
                total += sum(tree_seconds(int(child)) for child in children.read().split())
        except FileNotFoundError:
            continue
    return total


async def _backend_pids(database_url: str, application_name: str) -> list[int]:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1", application_name
        )
    finally:
        await connection.close()
    return [row["pid"] for row in rows]


def backends_seconds(target: Target) -> dict[int, float]:
    pids = asyncio.run(_backend_pids(target.database_url, target.application_name))
    return {pid: process_seconds(pid) for pid in pids}


def request_of(kind: str, fixture: Fixture, index: int) -> tuple[str, str, dict[str, Any]]:
    """(method, path, aiohttp keyword arguments) of request `index` of an endpoint."""
    if kind == "events list":
        return "GET", f"{P}/events", {}
    if kind == "one event":
        return "GET", f"{P}/events/{fixture.events[index % len(fixture.events)]}", {}
    if kind == "availability":
        day = date.today() + timedelta(days=1 + index % 30)
        space = fixture.spaces[index % len(fixture.spaces)]
        return "GET", f"{P}/spaces/{space}/availability", {"params": {"date": day.isoformat()}}
    if kind == "registration":
        body = {"name": "Bench", "email": f"cpu-{index}-{os.getpid()}@example.org", "consent": True}
        path = f"{P}/events/{fixture.events[index % len(fixture.events)]}/registrations"
        return "POST", path, {"json": body}
    if kind == "booking":
        desk = fixture.bookable[index % len(fixture.bookable)]
        slot = index // len(fixture.bookable)
        first_day = date.today() + timedelta(days=2 + slot // SLOTS_PER_DAY)
        midnight = datetime.combine(first_day, datetime.min.time(), HUB_TIMEZONE)
        starts = midnight.astimezone(UTC) + timedelta(hours=slot % SLOTS_PER_DAY)
        body = {
            "space_id": desk,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "purpose": "bench",
            "organisation": "bench",
        }
        return "POST", f"{P}/bookings", {"json": body, "headers": {"Authorization": fixture.user}}
    raise ValueError(kind)


async def _send(
    base_url: str, kind: str, fixture: Fixture, first: int, count: int, concurrency: int
) -> int:
    """Send requests `first`..`first + count` of `kind`; how many did not answer 2xx."""
    errors = 0
    indexes = iter(range(first, first + count))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base_url, connector=connector) as session:

        async def client() -> None:
            nonlocal errors
            for index in indexes:
                method, path, options = request_of(kind, fixture, index)
                try:
                    async with session.request(method, path, **options) as response:
                        await response.read()
                        errors += response.status >= 300
                except aiohttp.ClientError:
                    errors += 1

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return errors


def _pin_to_core_0() -> None:
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {0})


def _send_in_process(args: tuple[str, str, Fixture, int, int, int]) -> int:
    return asyncio.run(_send(*args))


class Meter:
    """Measures targets from one client process on core 0; hands out fresh request indexes
    (registrations and bookings never repeat an email or a slot, whichever target ran).
    `fixtures`: each target's (by name)."""

    def __init__(self, fixtures: dict[str, Fixture], concurrency: int = CONCURRENCY) -> None:
        self.fixtures = fixtures
        self.concurrency = concurrency
        self.next_index = 0
        self.pool = ProcessPoolExecutor(1, initializer=_pin_to_core_0)

    def send(self, target: Target, kind: str, requests: int) -> int:
        first, self.next_index = self.next_index, self.next_index + requests
        fixture = self.fixtures[target.name]
        args = (target.base_url, kind, fixture, first, requests, self.concurrency)
        return self.pool.submit(_send_in_process, args).result()

    def measure(self, target: Target, kind: str, requests: int) -> Cost:
        service_before = process_seconds(target.pid)
        backends_before = backends_seconds(target)
        errors = self.send(target, kind, requests)
        service = process_seconds(target.pid) - service_before
        backends_after = backends_seconds(target)
        database = sum(
            seconds - backends_before.get(pid, 0.0) for pid, seconds in backends_after.items()
        )
        return Cost(1000 * service / requests, 1000 * database / requests, errors)

    def close(self) -> None:
        self.pool.shutdown()


def rounds(
    meter: Meter,
    targets: list[Target],
    kinds: list[str],
    *,
    requests: int,
    warmup: int,
    count: int,
    progress: Callable[[str], None] = print,
) -> dict[tuple[str, str], list[Cost]]:
    """`count` rounds, each measuring every kind on every target in turn (interleaved)."""
    for kind in kinds:
        for target in targets:
            meter.send(target, kind, warmup)
    runs: dict[tuple[str, str], list[Cost]] = {}
    for number in range(1, count + 1):
        began = time.monotonic()
        for kind in kinds:
            for target in targets:
                runs.setdefault((kind, target.name), []).append(
                    meter.measure(target, kind, requests)
                )
        progress(f"round {number}/{count} done in {time.monotonic() - began:.0f} s")
    return runs


def median_cost(costs: list[Cost]) -> Cost:
    return Cost(
        statistics.median(cost.service_ms for cost in costs),
        statistics.median(cost.database_ms for cost in costs),
        sum(cost.errors for cost in costs),
    )
