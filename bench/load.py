"""Load bench: a realistic mix through the gateway for a fixed duration.

    .venv/bin/python -m bench.load [--duration 30] [--clients 32] [--warmup 3]
                                   [--workers 1 2] [--rounds 2] [--unpinned]
                                   [--entries 100000]

N clients in a closed loop (aiohttp) each pick their next request at random:

- 70 % public reads, a third each: catalog search (`GET /api/v1/catalog/entries?q=` with a
  word of the listed entries' titles, among `--entries` generated entries beside the demo
  data, 100 000 by default), the event list, a space's availability on a date;
- 20 % writes, half each: a registration with a fresh email for one of four public events
  the bench creates (capacity 100 000), and a one-hour booking of a random slot in the next
  four weeks of one of 8 bench spaces open around the clock (a slot taken already answers
  409, one on a day the hub is closed 422: expected, counted apart from errors);
- 10 % partner sync: a batch of 5 new milestones for a bench city, with a partner token
  minted under the services' MAGNET_SECRET_KEY and a new Idempotency-Key each.

The services and the gateway run pinned to core 1, the load generator in its own process
on core 0 (with taskset and two cores); PostgreSQL is not pinned. `--workers 1 2` compares
one and two processes per service (each count on a fresh database, `--rounds` interleaved);
`--unpinned` lets every process use every core, which a second process needs to gain.
Prints throughput, p50/p95/p99 per class, 5xx and transport errors, and the expected 4xx
by status; writes `bench/results/load.json`. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import statistics
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import httpx

from bench import catalog_search
from bench.baseline import pinned
from bench.common import (
    RESULTS_DIR,
    bench_database,
    exit_on_sigterm,
    free_port,
    service_env,
    start_services,
)
from bench.cpu_cost import tree_seconds
from shared.auth import Principal, Role, issue_token
from shared.db import libpq_url
from shared.settings import Settings

BENCH_DATABASE = "magnet_bench_load"
SERVICES = ("catalog", "participation", "transfer", "gateway")
CLASSES = ("public read", "write", "sync")
WEIGHTS = (0.7, 0.2, 0.1)
ENDPOINTS = {
    "search": "public read",
    "events": "public read",
    "availability": "public read",
    "registration": "write",
    "booking": "write",
    "sync": "sync",
}
CITY = "bench-load"
CHALLENGES = ("city-vibe", "housing")
HUB_TIMEZONE = ZoneInfo("Europe/Ljubljana")
BENCH_SPACES = 8
BOOKING_DAYS = 28  # a narrow window, so some slots collide
BENCH_EVENTS = 4
MILESTONES_PER_SYNC = 5
ALL_DAY = {
    day: [{"opens": "00:00", "closes": "23:59"}]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
P = "/api/v1/participation"


@dataclass(frozen=True)
class Plan:
    """What the clients need, prepared before the clock starts (picklable)."""

    gateway: str
    words: list[str]
    spaces: list[str]  # every space, for availability
    bookable: list[str]  # the bench's own all-day spaces
    events: list[str]  # public events with room for everyone
    user: str
    partner: str
    plans: list[str]
    duration: float
    warmup: float
    clients: int
    servers: dict[str, int] = field(default_factory=dict)  # name -> process id
    database_url: str = ""  # its PostgreSQL backends' CPU is counted as "database"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0


# --- preparation (through the gateway, before the clock starts) ----------------------------


def bearer(principal: Principal, secret: str) -> str:
    token = issue_token(principal, Settings(secret_key=secret), ttl_seconds=3600)
    return f"Bearer {token}"


async def make_city(url: str) -> None:
    connection = await asyncpg.connect(libpq_url(url))
    try:
        await connection.execute(
            "INSERT INTO transfer.cities (code, name, country, coordinator) "
            "VALUES ($1, $1, 'HR', 'Bench coordinator')",
            CITY,
        )
        await connection.executemany(
            "INSERT INTO transfer.city_challenges (city_code, challenge, position) "
            "VALUES ($1, $2, $3)",
            [(CITY, challenge, position) for position, challenge in enumerate(CHALLENGES)],
        )
    finally:
        await connection.close()


def checked(response: httpx.Response, status: int = 201) -> Any:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.url} answered {response.status_code}: {response.text}"
        )
    return response.json()


def prepare(url: str, gateway: str, secret: str, args: argparse.Namespace) -> Plan:
    coordinator = {
        "Authorization": bearer(Principal(subject="bench", role=Role.COORDINATOR), secret)
    }
    partner = bearer(Principal(subject="bench-partner", role=Role.PARTNER, city=CITY), secret)
    with httpx.Client(base_url=gateway, timeout=30) as client:
        entries = checked(client.get("/api/v1/catalog/entries", params={"limit": 100}), 200)
        words = sorted(
            {
                word.lower()
                for entry in entries["items"]
                for text in entry["title"].values()
                for word in re.findall(r"\w{4,}", text)
            }
        )
        hubs = checked(client.get(f"{P}/hubs"), 200)["items"]
        spaces = [
            space["id"]
            for hub in hubs
            for space in checked(client.get(f"{P}/hubs/{hub['id']}/spaces"), 200)["items"]
        ]
        bookable = [
            checked(
                client.post(
                    f"{P}/hubs/{hubs[0]['id']}/spaces",
                    json={
                        "slug": f"bench-load-{index}",
                        "name": {"en": f"Bench desk {index}"},
                        "kind": "desk",
                        "capacity": 1,
                        "opening_hours": ALL_DAY,
                    },
                    headers=coordinator,
                )
            )["id"]
            for index in range(BENCH_SPACES)
        ]
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=400)
        events = [
            checked(
                client.post(
                    f"{P}/events",
                    json={
                        "title": {"en": f"Bench open day {index}"},
                        "address": "Celje",
                        "capacity": 100_000,
                        "starts_at": (starts + timedelta(days=index)).isoformat(),
                        "ends_at": (starts + timedelta(days=index, hours=3)).isoformat(),
                    },
                    headers=coordinator,
                )
            )["id"]
            for index in range(BENCH_EVENTS)
        ]
        asyncio.run(make_city(url))
        plans = [f"plan-{challenge}" for challenge in CHALLENGES]
        first = {
            "plans": [
                {"external_id": ext, "challenge": challenge, "title": {"en": f"Bench {challenge}"}}
                for ext, challenge in zip(plans, CHALLENGES, strict=True)
            ]
        }
        sync_headers = {"Authorization": partner, "Idempotency-Key": str(uuid.uuid4())}
        checked(
            client.post(f"/api/v1/transfer/cities/{CITY}/sync", json=first, headers=sync_headers),
            200,
        )
    return Plan(
        gateway=gateway,
        words=words or ["housing"],
        spaces=spaces + bookable,
        bookable=bookable,
        events=events,
        user=bearer(Principal(subject="bench-user", role=Role.EDITOR), secret),
        partner=partner,
        plans=plans,
        duration=args.duration,
        warmup=args.warmup,
        clients=args.clients,
    )


# --- the load (in its own process, on core 0) ----------------------------------------------


def next_request(plan: Plan, rng: random.Random) -> tuple[str, str, str, dict[str, Any]]:
    """(endpoint, method, path, aiohttp keyword arguments) of a client's next request."""
    kind = rng.choices(CLASSES, WEIGHTS)[0]
    if kind == "public read":
        pick = rng.randrange(3)
        if pick == 0:
            return (
                "search",
                "GET",
                "/api/v1/catalog/entries",
                {"params": {"q": rng.choice(plan.words)}},
            )
        if pick == 1:
            return "events", "GET", f"{P}/events", {}
        day = date.today() + timedelta(days=rng.randint(1, 30))
        path = f"{P}/spaces/{rng.choice(plan.spaces)}/availability"
        return "availability", "GET", path, {"params": {"date": day.isoformat()}}
    if kind == "write":
        if rng.random() < 0.5:
            email = f"load-{uuid.uuid4().hex}@example.org"
            body = {"name": "Bench", "email": email, "consent": True}
            return (
                "registration",
                "POST",
                f"{P}/events/{rng.choice(plan.events)}/registrations",
                {"json": body},
            )
        day = date.today() + timedelta(days=rng.randint(2, BOOKING_DAYS))
        starts = datetime(day.year, day.month, day.day, rng.randint(0, 22), tzinfo=HUB_TIMEZONE)
        body = {
            "space_id": rng.choice(plan.bookable),
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "purpose": "bench",
        }
        return (
            "booking",
            "POST",
            f"{P}/bookings",
            {"json": body, "headers": {"Authorization": plan.user}},
        )
    batch = {
        "milestones": [
            {
                "external_id": f"m-{uuid.uuid4().hex}",
                "plan_external_id": rng.choice(plan.plans),
                "title": {"en": "Bench milestone"},
                "due": f"2027-{rng.randint(1, 12):02d}-15",
            }
            for _ in range(MILESTONES_PER_SYNC)
        ]
    }
    headers = {"Authorization": plan.partner, "Idempotency-Key": str(uuid.uuid4())}
    return (
        "sync",
        "POST",
        f"/api/v1/transfer/cities/{CITY}/sync",
        {"json": batch, "headers": headers},
    )


async def closed_loop(plan: Plan) -> tuple[dict[str, Tally], float, dict[str, float]]:
    tallies = {endpoint: Tally() for endpoint in ENDPOINTS}
    began = time.perf_counter()
    measure_from = began + plan.warmup
    deadline = measure_from + plan.duration

    async def client(session: aiohttp.ClientSession, seed: int) -> None:
        rng = random.Random(seed)
        while (started := time.perf_counter()) < deadline:
            endpoint, method, path, options = next_request(plan, rng)
            status = 0
            try:
                async with session.request(method, plan.gateway + path, **options) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                pass
            if started < measure_from:
                continue
            tally = tallies[endpoint]
            if status:
                tally.latencies.append(time.perf_counter() - started)
                tally.statuses[status] = tally.statuses.get(status, 0) + 1
            else:
                tally.transport_errors += 1

    async def server_seconds() -> dict[str, float]:
        """CPU seconds each server spent in the measured window."""
        await asyncio.sleep(measure_from - time.perf_counter())
        pids = dict(plan.servers)
        if plan.database_url:  # the backends the servers' pools hold open
            connection = await asyncpg.connect(libpq_url(plan.database_url))
            try:
                backends = await connection.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
            finally:
                await connection.close()
            pids |= {f"database backend {row['pid']}": row["pid"] for row in backends}
        before = {name: tree_seconds(pid) for name, pid in pids.items()}
        await asyncio.sleep(deadline - time.perf_counter())
        used = {name: tree_seconds(pid) - before[name] for name, pid in pids.items()}
        servers = {name: used[name] for name in plan.servers}
        # A backend opened during the window is not counted: pools open theirs at warm-up.
        database = sum(seconds for name, seconds in used.items() if name not in servers)
        return {**servers, "database": max(database, 0.0)}

    connector = aiohttp.TCPConnector(limit=plan.clients)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        cpu = asyncio.create_task(server_seconds())
        await asyncio.gather(*(client(session, seed) for seed in range(plan.clients)))
    return tallies, time.perf_counter() - measure_from, await cpu


def run_load(plan: Plan, pin: bool = True) -> tuple[dict[str, Tally], float, dict[str, float]]:
    if pin and pinned(0):
        os.sched_setaffinity(0, {0})
    return asyncio.run(closed_loop(plan))


# --- the report ----------------------------------------------------------------------------


def figures(tallies: list[Tally], seconds: float) -> dict[str, Any]:
    latencies = sorted(latency for tally in tallies for latency in tally.latencies)
    statuses: dict[int, int] = {}
    for tally in tallies:
        for status, count in tally.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    transport_errors = sum(tally.transport_errors for tally in tallies)
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else []
    count = len(latencies) + transport_errors
    return {
        "requests": count,
        "per_second": count / seconds,
        **{f"p{p}_ms": round(cuts[p - 1] * 1000, 1) if cuts else None for p in (50, 95, 99)},
        "ok_2xx": sum(n for status, n in statuses.items() if status < 300),
        "expected_4xx": {str(s): n for s, n in sorted(statuses.items()) if 400 <= s < 500},
        "errors_5xx": sum(n for status, n in statuses.items() if status >= 500),
        "transport_errors": transport_errors,
    }


def summarize(
    tallies: dict[str, Tally], seconds: float, cpu: dict[str, float] | None = None
) -> dict[str, Any]:
    classes = {
        kind: figures([t for e, t in tallies.items() if ENDPOINTS[e] == kind], seconds)
        for kind in CLASSES
    }
    endpoints = {endpoint: figures([tally], seconds) for endpoint, tally in tallies.items()}
    total = sum(f["requests"] for f in classes.values())
    return {
        "seconds": seconds,
        "requests": total,
        "per_second": total / seconds,
        "errors": sum(f["errors_5xx"] + f["transport_errors"] for f in classes.values()),
        "classes": classes,
        "endpoints": endpoints,
        # CPU ms each server (and the database) spent per request of the mix
        "server_cpu_ms_per_request": {
            name: round(used * 1000 / max(total, 1), 3) for name, used in (cpu or {}).items()
        },
    }


def report(summary: dict[str, Any], database: str) -> None:
    print(f"\ndatabase: {database}; {summary['requests']} requests in {summary['seconds']:.1f} s")
    print(
        f"throughput: {summary['per_second']:,.0f} req/s; errors (5xx + transport): "
        f"{summary['errors']}"
    )
    cpu = summary.get("server_cpu_ms_per_request") or {}
    if cpu:
        shares = ", ".join(f"{name} {ms:.2f}" for name, ms in cpu.items())
        servers = sum(ms for name, ms in cpu.items() if name != "database")
        print(f"CPU ms per request of the mix: {shares} (servers {servers:.2f})")
    header = f"{'class':<12}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'2xx':>8}"
    print(f"\n{header}{'5xx':>6}{'transport':>11}  expected 4xx")
    rows = [*summary["classes"].items(), ("(by endpoint)", None), *summary["endpoints"].items()]
    for name, f in rows:
        if f is None:
            print(name)
            continue
        latency = "".join(
            f"{f[key] if f[key] is not None else '-':>9}" for key in ("p50_ms", "p95_ms", "p99_ms")
        )
        expected = ", ".join(f"{status}: {n}" for status, n in f["expected_4xx"].items()) or "none"
        print(
            f"{name:<12}{f['per_second']:>8,.0f}{latency}{f['ok_2xx']:>8}"
            f"{f['errors_5xx']:>6}{f['transport_errors']:>11}  {expected}"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--duration", type=float, default=30, help="measured seconds")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load not measured")
    parser.add_argument(
        "--entries",
        type=int,
        default=100_000,
        help="generated catalog entries loaded beside the demo data (as bench.catalog_search)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1],
        metavar="N",
        help="processes per service and gateway; several counts are compared in one run",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="interleaved rounds per worker count (medians)"
    )
    parser.add_argument(
        "--unpinned",
        action="store_true",
        help="let servers and the load generator use every core (two processes per service "
        "gain nothing when all servers share core 1)",
    )
    return parser.parse_args(argv)


def measure(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    """One run of the mix on a fresh bench database, `workers` processes per service."""
    prefix = () if args.unpinned else tuple(pinned(1))
    with bench_database(Settings(), BENCH_DATABASE) as url, ExitStack() as servers:
        if args.entries:
            rng = random.Random(42)
            asyncio.run(catalog_search.load(url, args.entries, catalog_search.TextMaker(rng), rng))
        ports = {name: free_port() for name in SERVICES}
        env = service_env(url, ports)
        pids: dict[str, int] = {}
        urls = start_services(
            servers, SERVICES, env, ports, prefix=prefix, workers=workers, pids=pids
        )
        prepared = prepare(url, urls["gateway"], env["MAGNET_SECRET_KEY"], args)
        plan = replace(prepared, servers=pids, database_url=url)
        print(f"{workers} process(es) per service: {args.warmup:g} s warm-up + {args.duration:g} s")
        # Its own process, so the generator's CPU never competes with this one's.
        with ProcessPoolExecutor(max_workers=1) as pool:
            tallies, seconds, cpu = pool.submit(run_load, plan, not args.unpinned).result()
    return summarize(tallies, seconds, cpu)


def compare(runs: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    """Medians per worker count, and each count's throughput against the first's."""
    medians: dict[str, Any] = {}
    for workers, summaries in runs.items():
        medians[str(workers)] = {
            "per_second": statistics.median(s["per_second"] for s in summaries),
            "errors": sum(s["errors"] for s in summaries),
            "p95_ms": {
                kind: statistics.median(s["classes"][kind]["p95_ms"] or 0 for s in summaries)
                for kind in CLASSES
            },
        }
    first = next(iter(medians.values()))["per_second"]
    print(f"\n{'processes':<11}{'req/s':>8}{'ratio':>7}{'errors':>8}  p95 ms by class")
    for count, m in medians.items():
        m["ratio"] = round(m["per_second"] / first, 2)
        p95 = ", ".join(f"{kind} {value:g}" for kind, value in m["p95_ms"].items())
        print(f"{count:<11}{m['per_second']:>8,.0f}{m['ratio']:>7}{m['errors']:>8}  {p95}")
    return medians


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    database = "server" if os.environ.get("DATABASE_URL") else "embedded"
    pinning = bool(pinned(0)) and not args.unpinned
    print(
        f"database: {database}; {args.clients} clients; pinned (load core 0, servers core 1): "
        f"{pinning}; processes per service: {args.workers}; rounds: {args.rounds}"
    )
    runs: dict[int, list[dict[str, Any]]] = {workers: [] for workers in args.workers}
    try:
        for _ in range(args.rounds):  # interleaved, so drift hits every count alike
            for workers in args.workers:
                summary = measure(args, workers)
                report(summary, database)
                runs[workers].append(summary)
    except KeyboardInterrupt:
        print("interrupted; servers stopped and the bench database dropped")
        return 130
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "pinned": pinning,
        "database": database,
        "clients": args.clients,
        "catalog_entries_generated": args.entries,
        "duration_s": args.duration,
        "mix": dict(zip(CLASSES, WEIGHTS, strict=True)),
        "runs": {str(workers): summaries for workers, summaries in runs.items()},
    }
    if len(runs) > 1 or args.rounds > 1:
        results["medians"] = compare(runs)
    (RESULTS_DIR / "load.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {RESULTS_DIR / 'load.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
