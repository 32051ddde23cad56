"""Hostile-client bench: issue 14's attacks at the scale they were reported, against the
gateway and services with their default settings, while an ordinary client is timed.

    .venv/bin/python -m bench.hostile [--seconds 15] [--uploads 260] [--heads 4000]
                                      [--flooders 20]

Scenarios, one after another, each with the ordinary client (one connection, requests one
after another over the catalog list, the cities list and `/readyz`) timed for `--seconds`:

- `baseline`: nothing else runs;
- `slow uploads`: `--uploads` connections each POST to the catalog with
  `Content-Length: 1000000`, then send one byte every 3 s;
- `slow heads`: `--heads` connections each send a request line and one more header line
  every 3 s, never ending the head;
- `overview flood`: `--flooders` clients ask for `/api/v1/dashboard/overview` in a loop.

Prints the ordinary client's p50/p95, its failures, and what the attackers got back;
writes `bench/results/hostile.json`. Nothing is asserted. The attack helpers are the
regression tests' (`tests/gateway/attacks.py`), which run the same attacks small.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.common import (
    RESULTS_DIR,
    bench_database,
    exit_on_sigterm,
    free_port,
    service_env,
    start_services,
)
from shared.settings import SERVICE_NAMES, Settings
from tests.gateway.attacks import Latencies, SlowSenders, slow_heads, slow_uploads

BENCH_DATABASE = "magnet_bench_hostile"
SERVICES = (*SERVICE_NAMES, "gateway")
ORDINARY_PATHS = ["/api/v1/catalog/entries", "/api/v1/transfer/cities", "/readyz"]


async def ordinary_for(base_url: str, seconds: float) -> Latencies:
    statuses: list[int] = []
    timings: list[float] = []
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        while time.monotonic() < deadline:
            for path in ORDINARY_PATHS:
                started = time.perf_counter()
                try:
                    statuses.append((await client.get(path)).status_code)
                except httpx.HTTPError:
                    statuses.append(0)
                timings.append(time.perf_counter() - started)
    return Latencies(statuses, timings)


async def _flood(base_url: str, clients: int, seconds: float) -> dict[str, int]:
    tally: collections.Counter[str] = collections.Counter()
    deadline = time.monotonic() + seconds

    async def one() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            while time.monotonic() < deadline:
                try:
                    response = await client.get("/api/v1/dashboard/overview")
                    tally[str(response.status_code)] += 1
                except httpx.HTTPError:
                    tally["error"] += 1

    await asyncio.gather(*(one() for _ in range(clients)))
    return dict(tally)


def flood(base_url: str, clients: int, seconds: float) -> dict[str, int]:
    """Overview requests from `clients` clients for `seconds`, in a process of its own: the
    flooders' CPU must not be what the ordinary client waits for."""
    return asyncio.run(_flood(base_url, clients, seconds))


async def with_senders(
    base_url: str, senders: SlowSenders, seconds: float
) -> tuple[Latencies, dict[str, int]]:
    try:
        await asyncio.sleep(1)  # the attack is in place
        during = await ordinary_for(base_url, seconds)
        answers = await senders.answers(within=60)
    finally:
        await senders.close()
    got = collections.Counter(
        str(a.status) if a.status else "closed unanswered" if a.closed else "held" for a in answers
    )
    return during, dict(got)


async def scenarios(base_url: str, port: int, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}

    def record(name: str, latencies: Latencies, attackers: dict[str, int]) -> None:
        failures = sum(1 for status in latencies.statuses if status != 200)
        print(
            f"{name:15} ordinary p50 {latencies.p50_ms:7.1f} ms  p95 {latencies.p95_ms:7.1f} ms"
            f"  requests {len(latencies.statuses):5}  not 200: {failures}"
            f"  attackers got {attackers}"
        )
        results[name] = {
            "p50_ms": round(latencies.p50_ms, 1),
            "p95_ms": round(latencies.p95_ms, 1),
            "requests": len(latencies.statuses),
            "not_200": failures,
            "attackers": attackers,
        }

    record("baseline", await ordinary_for(base_url, args.seconds), {})
    uploads = await slow_uploads(port, args.uploads, 3.0, "/api/v1/catalog/entries")
    record("slow uploads", *await with_senders(base_url, uploads, args.seconds))
    heads = await slow_heads(port, args.heads, 3.0)
    record("slow heads", *await with_senders(base_url, heads, args.seconds))
    with ProcessPoolExecutor(max_workers=1) as pool:
        loop = asyncio.get_running_loop()
        flooding = loop.run_in_executor(pool, flood, base_url, args.flooders, args.seconds + 2)
        await asyncio.sleep(1)
        during = await ordinary_for(base_url, args.seconds)
        record("overview flood", during, await flooding)
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--uploads", type=int, default=260)
    parser.add_argument("--heads", type=int, default=4000)
    parser.add_argument("--flooders", type=int, default=20)
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
            results = asyncio.run(scenarios(urls["gateway"], ports["gateway"], args))
    except KeyboardInterrupt:
        print("interrupted; servers stopped and the bench database dropped")
        return 130
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "settings": vars(args),
        **results,
    }
    (RESULTS_DIR / "hostile.json").write_text(json.dumps(document, indent=2) + "\n")
    print(f"results written to {RESULTS_DIR / 'hostile.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
