"""Sync bench: a 10 000-record push (create, all-unchanged replay, 10 % changed) and a full
change-feed walk, sent straight to the transfer service (no gateway in between).

    .venv/bin/python -m bench.sync [--rounds 3] [--records 10000]

Each round pushes into a partner city of its own, so every round creates from scratch.
The target, 10 000 records in at most 2 s, is printed as PASS/MISS and never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import signal
import statistics
import sys
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from bench.common import (
    RESULTS_DIR,
    bench_database,
    exit_on_sigterm,
    free_port,
    service_env,
    start_services,
)
from examples.partner_sync import encode_batch
from shared.auth import Principal, Role, issue_token
from shared.db import libpq_url
from shared.settings import Settings

BENCH_DATABASE = "magnet_bench_sync"
SERVICES = ("catalog", "transfer")  # the transfer service checks practices with the catalog
CHALLENGES = ("city-vibe", "housing")
TARGET_RECORDS, TARGET_SECONDS = 10_000, 2.0
FEED_PAGE = 100  # the most the feed gives per page
WARMUP_RECORDS = 200
SCENARIOS = ("create", "replay, all unchanged", "10 % changed", "feed walk")


def make_batch(records: int) -> dict[str, Any]:
    """Two plans; a fifth indicators (two periods each), a tenth reports, the rest milestones."""
    indicators, reports = records // 5, records // 10
    milestones = records - len(CHALLENGES) - indicators - reports
    plan = [f"plan-{challenge}" for challenge in CHALLENGES]
    return {
        "plans": [
            {"external_id": ext, "challenge": challenge, "title": {"en": f"Transfer: {challenge}"}}
            for ext, challenge in zip(plan, CHALLENGES, strict=True)
        ],
        "milestones": [
            {
                "external_id": f"m-{n}",
                "plan_external_id": plan[n % 2],
                "title": {"en": f"Milestone {n}", "hr": f"Korak {n}"},
                "due": f"2027-{n % 12 + 1:02d}-15",
            }
            for n in range(milestones)
        ],
        "indicators": [
            {
                "external_id": f"i-{n}",
                "plan_external_id": plan[n % 2],
                "code": f"IND-{n}",
                "title": {"en": f"Indicator {n}"},
                "unit": "households",
                "baseline": {"value": 0, "date": "2025-12-31"},
                "target": {"value": 100, "date": "2027-12-31"},
                "periods": [
                    {"start": "2026-01-01", "end": "2026-06-30", "actual": 10},
                    {"start": "2026-07-01", "end": "2026-12-31", "actual": 25},
                ],
            }
            for n in range(indicators)
        ],
        "reports": [
            {
                "external_id": f"r-{n}",
                "plan_external_id": plan[n % 2],
                "period_start": "2026-01-01",
                "period_end": "2026-06-30",
                "narrative": {"en": f"Report {n}"},
            }
            for n in range(reports)
        ],
    }


def change_every_tenth(batch: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A copy with every tenth milestone, indicator and report changed; how many changed."""
    changed = copy.deepcopy(batch)
    count = 0
    for record in changed["milestones"][::10]:
        record["status"] = "done"
        count += 1
    for record in changed["indicators"][::10]:
        record["periods"][-1]["actual"] = 40  # replaces the indicator's periods too
        count += 1
    for record in changed["reports"][::10]:
        record["narrative"] = {"en": "Corrected"}
        count += 1
    return changed, count


async def _make_city(url: str, code: str) -> None:
    connection = await asyncpg.connect(libpq_url(url))
    try:
        await connection.execute(
            "INSERT INTO transfer.cities (code, name, country, coordinator) "
            "VALUES ($1, $1, 'HR', 'Bench coordinator')",
            code,
        )
        await connection.executemany(
            "INSERT INTO transfer.city_challenges (city_code, challenge, position) "
            "VALUES ($1, $2, $3)",
            [(code, challenge, position) for position, challenge in enumerate(CHALLENGES)],
        )
    finally:
        await connection.close()


async def _settle(url: str) -> None:
    """Wait until every transaction older than now has ended, so the feed holds nothing back."""
    connection = await asyncpg.connect(libpq_url(url))
    try:
        marker = await connection.fetchval("SELECT pg_current_xact_id()::text::bigint")
        older = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint <= $1"
        for _ in range(6000):
            if not await connection.fetchval(older, marker):
                return
            await asyncio.sleep(0.01)
        raise RuntimeError("a transaction on the server stayed open for 60 s")
    finally:
        await connection.close()


def push(client: httpx.Client, city: str, batch: dict[str, Any], expected: dict[str, int]) -> float:
    """Seconds for one push with a new Idempotency-Key (encoding not timed)."""
    body, headers = encode_batch(batch)
    headers["Idempotency-Key"] = str(uuid.uuid4())
    started = time.perf_counter()
    response = client.post(f"/api/v1/transfer/cities/{city}/sync", content=body, headers=headers)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"push answered {response.status_code}: {response.text[:500]}")
    summary = response.json()["summary"]
    if summary != expected:
        raise RuntimeError(f"push answered {summary}, not {expected}")
    return elapsed


def walk(client: httpx.Client, city: str) -> tuple[float, int]:
    """Seconds to follow the city's change feed from the start to its end, and its length."""
    cursor: str | None = None
    changes = 0
    started = time.perf_counter()
    while True:
        params: dict[str, str | int] = {"city": city, "limit": FEED_PAGE}
        if cursor:
            params["cursor"] = cursor
        response = client.get("/api/v1/transfer/changes", params=params)
        response.raise_for_status()
        page = response.json()
        changes += len(page["items"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return time.perf_counter() - started, changes


def run_round(client: httpx.Client, url: str, city: str, records: int) -> dict[str, Any]:
    asyncio.run(_make_city(url, city))
    batch = make_batch(records)
    changed, count = change_every_tenth(batch)
    created = push(client, city, batch, {"created": records})
    replayed = push(client, city, batch, {"unchanged": records})
    updated = push(client, city, changed, {"unchanged": records - count, "updated": count})
    asyncio.run(_settle(url))
    walked, changes = walk(client, city)
    return {
        "create": (created, records),
        "replay, all unchanged": (replayed, records),
        "10 % changed": (updated, records),
        "feed walk": (walked, changes),
    }


def report(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    print(f"\n{'scenario':<24}{'items':>8}{'seconds':>10}{'items/s':>10}  per 10 000 ≤ 2 s")
    results = {}
    for scenario in SCENARIOS:
        seconds = statistics.median(run[scenario][0] for run in rounds)
        items = rounds[0][scenario][1]
        scaled = seconds * TARGET_RECORDS / items
        verdict = "PASS" if scaled <= TARGET_SECONDS else "MISS"
        print(f"{scenario:<24}{items:>8}{seconds:>10.2f}{items / seconds:>10,.0f}  {verdict}")
        results[scenario] = {
            "items": items,
            "seconds": seconds,
            "per_second": items / seconds,
            "seconds_per_10000": scaled,
            "met": verdict == "PASS",
            "rounds": [run[scenario][0] for run in rounds],
        }
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="median over this many rounds")
    parser.add_argument("--records", type=int, default=TARGET_RECORDS, help="records per batch")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    try:
        with bench_database(Settings(), BENCH_DATABASE) as url, ExitStack() as servers:
            ports = {name: free_port() for name in SERVICES}
            env = service_env(url, ports)
            urls = start_services(servers, SERVICES, env, ports)
            admin = Principal(subject="bench", role=Role.ADMIN)
            token = issue_token(admin, Settings(secret_key=env["MAGNET_SECRET_KEY"]))
            headers = {"Authorization": f"Bearer {token}"}
            timeout = httpx.Timeout(120.0, connect=5.0)
            with httpx.Client(base_url=urls["transfer"], headers=headers, timeout=timeout) as api:
                run_round(api, url, "bench-sync-warmup", WARMUP_RECORDS)
                rounds = []
                for number in range(1, args.rounds + 1):
                    rounds.append(run_round(api, url, f"bench-sync-{number}", args.records))
                    figures = ", ".join(f"{name} {s:.2f} s" for name, (s, _) in rounds[-1].items())
                    print(f"round {number}: {figures}")
    except KeyboardInterrupt:
        print("interrupted; servers stopped and the bench database dropped")
        return 130
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": args.records,
        "rounds": args.rounds,
        "target": f"{TARGET_RECORDS} records in at most {TARGET_SECONDS} s",
        "scenarios": report(rounds),
    }
    (RESULTS_DIR / "sync.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {RESULTS_DIR / 'sync.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
