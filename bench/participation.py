"""Participation bench: service CPU per request beside a raw handler running the same SQL.

    .venv/bin/python -m bench.participation [--requests 2000] [--rounds 3]

For the events list, a space's availability, a registration and a booking, the participation
service and `bench/raw_participation.py` (FastAPI + asyncpg, the same statements and round
trips) each answer `--requests` requests at concurrency 16, in interleaved rounds; the bench
prints the median CPU milliseconds per request of each server process (utime+stime from
/proc) and of the PostgreSQL backends it holds, and service/raw (goal <= 2). Both servers run
pinned to core 1 and the client to core 0. `--service-root DIR` runs the service from another
checkout (e.g. an older commit, to print before/after in one run). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench.common import (
    HOST,
    MAGNET,
    RESULTS_DIR,
    bench_database,
    exit_on_sigterm,
    free_port,
    service_env,
    spawn,
    wait_ready,
)
from bench.cpu_cost import ALL_DAY, Fixture, Meter, P, Target, median_cost, rounds
from shared.auth import Principal, Role, issue_token
from shared.settings import Settings

BENCH_DATABASE = "magnet_bench_participation"
KINDS = ["events list", "availability", "registration", "booking"]
GOAL = 2.0
BOOKABLE = 16
EVENTS = 4


def pinned(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if (os.cpu_count() or 1) >= 2 else []


def bearer(secret: str, subject: str, role: Role) -> str:
    token = issue_token(Principal(subject=subject, role=role), Settings(secret_key=secret), 3600)
    return f"Bearer {token}"


def start_service(
    stack: ExitStack, name: str, url: str, env: dict[str, str], root: Path | None = None
) -> Target:
    """`magnet serve participation` on core 1 (from `root` when given) as target `name`."""
    port = free_port()
    env = service_env(url, {"participation": port}) | {
        key: value for key, value in env.items() if key == "MAGNET_SECRET_KEY"
    }
    if root is not None:
        env["PYTHONPATH"] = str(root)
    serve = [*pinned(1), MAGNET, "serve", "participation", "--host", HOST, "--port", str(port)]
    process = spawn(stack, name, serve, env)
    base = f"http://{HOST}:{port}"
    wait_ready({name: (process, f"{base}/readyz")})
    return Target(name, base, process.pid, "magnet-participation", url)


def start_raw(stack: ExitStack, url: str, env: dict[str, str]) -> Target:
    port = free_port()
    command = [*pinned(1), sys.executable, "-m", "uvicorn", "bench.raw_participation:app"]
    command += ["--host", HOST, "--port", str(port), "--loop", "uvloop", "--http", "httptools"]
    command += ["--no-access-log", "--log-level", "warning"]
    process = spawn(stack, "raw_participation", command, env)
    base = f"http://{HOST}:{port}"
    wait_ready({"raw_participation": (process, f"{base}{P}/events")})
    return Target("raw", base, process.pid, "bench-raw-participation", url)


def prepare(service: str, secret: str) -> Fixture:
    """Public events with room for every registration, and all-day desks to book."""
    coordinator = {"Authorization": bearer(secret, "bench", Role.COORDINATOR)}
    with httpx.Client(base_url=service, timeout=30) as client:

        def created(path: str, body: dict[str, object]) -> str:
            response = client.post(path, json=body, headers=coordinator)
            if response.status_code != 201:
                raise RuntimeError(f"{path} answered {response.status_code}: {response.text}")
            identifier: str = response.json()["id"]
            return identifier

        hubs = client.get(f"{P}/hubs").json()["items"]
        spaces = [
            space["id"]
            for hub in hubs
            for space in client.get(f"{P}/hubs/{hub['id']}/spaces").json()["items"]
        ]
        bookable = [
            created(
                f"{P}/hubs/{hubs[0]['id']}/spaces",
                {
                    "slug": f"bench-cpu-{index}",
                    "name": {"en": f"Bench desk {index}"},
                    "kind": "desk",
                    "capacity": 1,
                    "opening_hours": ALL_DAY,
                },
            )
            for index in range(BOOKABLE)
        ]
        events = [
            created(
                f"{P}/events",
                {
                    "title": {"en": f"Bench open day {index}"},
                    "address": "Celje",
                    "capacity": 100_000,
                    "starts_at": f"2030-0{index + 1}-10T16:00:00Z",
                    "ends_at": f"2030-0{index + 1}-10T19:00:00Z",
                },
            )
            for index in range(EVENTS)
        ]
    user = bearer(secret, "bench-user", Role.EDITOR)
    return Fixture(events=events, spaces=spaces + bookable, bookable=bookable, user=user)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per endpoint and round")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--service-root", type=Path, help="also run the service from here")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    RESULTS_DIR.mkdir(exist_ok=True)
    settings = Settings()
    with ExitStack() as stack:
        url = stack.enter_context(bench_database(settings, BENCH_DATABASE))
        env = service_env(url, {})
        targets = [start_service(stack, "service", url, env)]
        if args.service_root is not None:
            targets.append(start_service(stack, "other", url, env, args.service_root.resolve()))
        targets.append(start_raw(stack, url, env))
        fixture = prepare(targets[0].base_url, env["MAGNET_SECRET_KEY"])
        meter = Meter({target.name: fixture for target in targets})
        stack.callback(meter.close)
        runs = rounds(
            meter,
            targets,
            KINDS,
            requests=args.requests,
            warmup=args.warmup,
            count=args.rounds,
        )
    results = {
        kind: {target.name: median_cost(runs[kind, target.name]) for target in targets}
        for kind in KINDS
    }
    names = [target.name for target in targets]
    print(f"\nCPU ms per request, medians of {args.rounds} interleaved rounds")
    print(f"{'endpoint':<14}" + "".join(f"{name + ' (db)':>22}" for name in names) + "  ratio")
    summary: dict[str, dict[str, object]] = {}
    for kind in KINDS:
        costs = results[kind]
        cells = "".join(
            f"{costs[n].service_ms:>13.2f} ({costs[n].database_ms:>5.2f})" for n in names
        )
        ratios = {
            name: costs[name].service_ms / costs["raw"].service_ms
            for name in names
            if name != "raw"
        }
        verdict = "PASS" if ratios["service"] <= GOAL else "MISS"
        shown = " ".join(f"{name}/raw {ratio:.2f}x" for name, ratio in ratios.items())
        errors = sum(cost.errors for cost in costs.values())
        print(f"{kind:<14}{cells}  {shown} {verdict}" + (f" ({errors} errors)" if errors else ""))
        summary[kind] = {
            **{name: vars(cost) for name, cost in costs.items()},
            "service/raw": ratios["service"],
        }
    (RESULTS_DIR / "participation.json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
