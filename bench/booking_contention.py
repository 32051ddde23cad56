"""Booking and registration throughput under contention, in one run (ratios are the point).

Starts the participation service as a real process on a fresh database, then drives it
with 32 concurrent clients:

- uncontended bookings: every request books its own space, so nothing waits;
- contended bookings: every request wants the same slot of one space (1 wins, the rest
  get 409 after the space's row lock and the exclusion constraint);
- registrations: every request registers for one event (all serialised on its row lock).

Run: `DATABASE_URL=postgresql://… .venv/bin/python -m bench.booking_contention`
(without DATABASE_URL it uses the embedded server).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from cli.data import seed_all
from shared.auth import Principal, Role, issue_token
from shared.db import libpq_url, with_database
from shared.embedded import EmbeddedPostgres
from shared.migrate import migrate_all
from shared.settings import Environment, Settings
from tests.ports import free_port
from tests.stack import stack_env, start_service, stop, wait_ready

SECRET = secrets.token_hex(32)
API = "/api/v1/participation"
CONCURRENCY = 32
REQUESTS = 640
RESULTS_DIR = Path(__file__).resolve().parent / "results"
HOURS = {
    day: [{"opens": "00:00", "closes": "23:59"}]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def headers(role: Role, settings: Settings) -> dict[str, str]:
    principal = Principal(subject=f"bench-{uuid.uuid4().hex[:6]}", role=role)
    return {"Authorization": f"Bearer {issue_token(principal, settings, ttl_seconds=3600)}"}


async def drive(
    count: int, request: Callable[[int], Awaitable[httpx.Response]]
) -> tuple[float, list[float], dict[int, int]]:
    """Run `count` requests with CONCURRENCY in flight; throughput, latencies, statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_index = iter(range(count))

    async def worker() -> None:
        for index in next_index:
            started = time.perf_counter()
            response = await request(index)
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return count / (time.perf_counter() - started), latencies, statuses


def describe(name: str, result: tuple[float, list[float], dict[int, int]]) -> float:
    rate, latencies, statuses = result
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"{name:<24} {rate:8.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   {statuses}")
    return rate


async def run(base_url: str, settings: Settings) -> None:
    coordinator = headers(Role.COORDINATOR, settings)
    user = headers(Role.EDITOR, settings)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        hub = (await client.get(f"{API}/hubs")).json()["items"][0]["id"]
        spaces = []
        for index in range(REQUESTS):
            created = await client.post(
                f"{API}/hubs/{hub}/spaces",
                json={
                    "slug": f"bench-{index}",
                    "name": {"en": "Bench"},
                    "kind": "desk",
                    "capacity": 1,
                    "opening_hours": HOURS,
                },
                headers=coordinator,
            )
            spaces.append(created.json()["id"])
        day = (datetime.now(UTC) + timedelta(days=30)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        slot = {
            "starts_at": day.isoformat(),
            "ends_at": (day + timedelta(hours=1)).isoformat(),
            "purpose": "bench",
        }

        def book(space: str) -> Awaitable[httpx.Response]:
            return client.post(f"{API}/bookings", json={"space_id": space, **slot}, headers=user)

        await drive(64, lambda i: client.get(f"{API}/hubs"))  # warm-up
        uncontended = describe(
            "uncontended bookings", await drive(REQUESTS, lambda i: book(spaces[i]))
        )
        contended_day = day + timedelta(days=1)
        contended_slot = {
            **slot,
            "starts_at": contended_day.isoformat(),
            "ends_at": (contended_day + timedelta(hours=1)).isoformat(),
        }
        contended = describe(
            "contended bookings",
            await drive(
                REQUESTS,
                lambda i: client.post(
                    f"{API}/bookings",
                    json={"space_id": spaces[0], **contended_slot},
                    headers=user,
                ),
            ),
        )
        event = await client.post(
            f"{API}/events",
            json={
                "title": {"en": "Bench"},
                "address": "Celje",
                "capacity": 50,
                "starts_at": (day + timedelta(days=2)).isoformat(),
                "ends_at": (day + timedelta(days=2, hours=2)).isoformat(),
            },
            headers=coordinator,
        )
        url = f"{API}/events/{event.json()['id']}/registrations"
        registrations = describe(
            "registrations (1 event)",
            await drive(
                REQUESTS,
                lambda i: client.post(
                    url, json={"name": "Bench", "email": f"b{i}@example.org", "consent": True}
                ),
            ),
        )
    print(f"contended / uncontended booking throughput: {contended / uncontended:.2f}")
    print(f"registration / uncontended booking throughput: {registrations / uncontended:.2f}")
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "concurrency": CONCURRENCY,
        "requests": REQUESTS,
        "per_second": {
            "uncontended bookings": uncontended,
            "contended bookings": contended,
            "registrations (1 event)": registrations,
        },
        "ratios": {
            "contended/uncontended": contended / uncontended,
            "registration/uncontended": registrations / uncontended,
        },
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "booking_contention.json").write_text(json.dumps(results, indent=2) + "\n")


def main() -> None:
    embedded = None
    server = os.environ.get("DATABASE_URL")
    if server is None:
        embedded = EmbeddedPostgres()
        server = embedded.start()
    name = f"magnet_bench_{uuid.uuid4().hex[:8]}"
    url = with_database(server, name)

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(libpq_url(server))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        settings = Settings(database_url=url, environment=Environment.TEST, secret_key=SECRET)
        migrate_all(url)
        asyncio.run(seed_all(url, settings))
        port = free_port()
        env = stack_env(url, {"participation": port}, secret_key=SECRET)
        process = start_service("participation", port, env)
        try:
            wait_ready(f"http://127.0.0.1:{port}", process)
            asyncio.run(run(f"http://127.0.0.1:{port}", settings))
        finally:
            stop({"participation": process})
    finally:
        asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    main()
