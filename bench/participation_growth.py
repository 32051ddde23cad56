"""Participation growth bench: does a request cost more as registrations pile up?

    .venv/bin/python -m bench.participation_growth [--small 1000] [--large 100000]

Two databases alike but for their registrations (`--small` and `--large`, spread over every
event, half of them waitlisted and half cancelled), each with its own participation service
on core 1. The events list, one event, a space's availability and a registration are
measured on both in interleaved rounds (see bench/cpu_cost.py); the cost of a request is the
CPU time of the service process plus that of the PostgreSQL backends it holds. The bench
prints large/small per endpoint (goal <= 1.2). `--service-root DIR` runs both services from
another checkout (an older commit, for a before/after). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from contextlib import ExitStack
from pathlib import Path

import asyncpg

from bench.common import RESULTS_DIR, bench_database, exit_on_sigterm, service_env
from bench.cpu_cost import Meter, median_cost, rounds
from bench.participation import prepare, start_service
from shared.db import libpq_url
from shared.settings import Settings

KINDS = ["events list", "one event", "availability", "registration"]
GOAL = 1.2

# Registrations spread evenly over the events; the waitlisted ones numbered per event as
# the service numbers them, and each event's counter moved past them.
GROW = """
INSERT INTO participation.registrations
    (id, event_id, name, email, consent_at, status, waitlist_number, cancel_token_hash)
SELECT gen_random_uuid(), event.id, 'Grown', 'grown-' || n || '-' || event.id || '@example.org',
       now(), CASE WHEN n % 2 = 0 THEN 'waitlisted' ELSE 'cancelled' END,
       CASE WHEN n % 2 = 0 THEN event.last_waitlist_number + n END, '\\x00'
FROM participation.events AS event,
     generate_series(1, $1::int / (SELECT count(*) FROM participation.events)::int) AS n
"""
MOVE_COUNTERS = """
UPDATE participation.events AS event SET last_waitlist_number = coalesce(
    (SELECT max(waitlist_number) FROM participation.registrations
     WHERE event_id = event.id), event.last_waitlist_number)
"""


async def grow(url: str, registrations: int) -> int:
    connection = await asyncpg.connect(libpq_url(url))
    try:
        await connection.execute(GROW, registrations)
        await connection.execute(MOVE_COUNTERS)
        # What autovacuum would have done by then (the counters' updates leave dead rows).
        await connection.execute("VACUUM ANALYZE participation.registrations")
        await connection.execute("VACUUM ANALYZE participation.events")
        count: int = await connection.fetchval("SELECT count(*) FROM participation.registrations")
    finally:
        await connection.close()
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000, help="per endpoint and round")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--service-root", type=Path, help="run the services from this checkout")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    RESULTS_DIR.mkdir(exist_ok=True)
    settings = Settings()
    with ExitStack() as stack:
        sizes = {"small": args.small, "large": args.large}
        urls = {
            name: stack.enter_context(bench_database(settings, f"magnet_bench_growth_{name}"))
            for name in sizes
        }
        env = service_env(urls["small"], {})
        root = args.service_root.resolve() if args.service_root else None
        targets = [start_service(stack, name, urls[name], env, root) for name in sizes]
        secret = env["MAGNET_SECRET_KEY"]
        meter = Meter({target.name: prepare(target.base_url, secret) for target in targets})
        stack.callback(meter.close)
        for name, size in sizes.items():
            print(f"{name}: {asyncio.run(grow(urls[name], size))} registrations")
        runs = rounds(
            meter, targets, KINDS, requests=args.requests, warmup=args.warmup, count=args.rounds
        )
    results = {key: median_cost(costs) for key, costs in runs.items()}
    print(f"\nCPU ms per request (service + database), medians of {args.rounds} rounds")
    print(f"{'endpoint':<14}{'small':>18}{'large':>18}  large/small")
    summary: dict[str, object] = {}
    for kind in KINDS:
        small, large = results[kind, "small"], results[kind, "large"]
        ratio = (large.service_ms + large.database_ms) / (small.service_ms + small.database_ms)
        verdict = "PASS" if ratio <= GOAL else "MISS"
        cells = "".join(
            f"{cost.service_ms:>10.2f} + {cost.database_ms:>5.2f}" for cost in (small, large)
        )
        errors = small.errors + large.errors
        print(
            f"{kind:<14}{cells}  {ratio:.2f}x {verdict}" + (f" ({errors} errors)" if errors else "")
        )
        summary[kind] = {"small": vars(small), "large": vars(large), "large/small": ratio}
    (RESULTS_DIR / "participation_growth.json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
