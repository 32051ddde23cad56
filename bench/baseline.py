"""Baseline bench: one city read, raw asyncpg vs the transfer service vs through the gateway.

    .venv/bin/python -m bench.baseline [--duration 10] [--connections 32]

Servers run pinned to core 1 and the load generator to core 0 (when there are two cores), so
the figures compare the stacks' CPU cost per request rather than their fight for a core.
Goals are printed as PASS/MISS and never asserted; see bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
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
from shared.settings import Settings

BENCH_DATABASE = "magnet_bench"
CITY = "kosice"
ROUNDS = 3
WARMUP_SECONDS = 3
SERVICES = ("catalog", "participation", "transfer", "gateway")
# (numerator, denominator, goal) on requests per second.
GOALS = (("service", "raw", 0.5), ("gateway", "service", 0.9))


@dataclass(frozen=True)
class Scenario:
    name: str
    url: str


@dataclass(frozen=True)
class Measurement:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


LoadFn = Callable[[str, int, int], Measurement]
Runs = dict[str, list[Measurement]]

# --- the servers -------------------------------------------------------------------------


def pinned(core: int) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(core)]
    return []


def start_servers(stack: ExitStack, url: str) -> list[Scenario]:
    """Raw app, three services and the gateway, all on core 1; the scenarios they serve."""
    ports = {name: free_port() for name in ("raw", *SERVICES)}
    env = service_env(url, {name: ports[name] for name in SERVICES})
    raw_url = f"http://{HOST}:{ports['raw']}/cities/{CITY}"
    raw = [sys.executable, "-m", "uvicorn", "bench.raw_app:app", "--host", HOST]
    raw += ["--port", str(ports["raw"]), "--loop", "uvloop", "--http", "httptools"]
    raw += ["--no-access-log", "--log-level", "warning"]
    pending = {"raw": (spawn(stack, "raw", [*pinned(1), *raw], env), raw_url)}
    for name in SERVICES:
        serve = [MAGNET, "serve", name, "--host", HOST, "--port", str(ports[name])]
        ready = f"http://{HOST}:{ports[name]}/readyz"
        pending[name] = (spawn(stack, name, [*pinned(1), *serve], env), ready)
    wait_ready(pending)
    path = f"/api/v1/transfer/cities/{CITY}"
    return [
        Scenario("raw", raw_url),
        Scenario("service", f"http://{HOST}:{ports['transfer']}{path}"),
        Scenario("gateway", f"http://{HOST}:{ports['gateway']}{path}"),
    ]


def check_same_answer(scenarios: list[Scenario]) -> None:
    """Warn (never fail) when the scenarios do not answer the same body."""
    with httpx.Client(timeout=5.0) as client:
        answers = {scenario.name: client.get(scenario.url) for scenario in scenarios}
    bodies = {name: answer.json() for name, answer in answers.items()}
    for name, answer in answers.items():
        if answer.status_code != 200 or bodies[name] != bodies["raw"]:
            print(f"warning: {name} answers {answer.status_code}, body differs from raw's")


# --- the load ----------------------------------------------------------------------------

_WRK_LATENCY = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_WRK_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_WRK_ERRORS = re.compile(r"(?:responses:|connect|read|write|timeout) (\d+)")
_MS_PER_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_load(url: str, connections: int, duration: int) -> Measurement:
    command = [*pinned(0), "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = _WRK_LATENCY.findall(output)
    latency = {pct: float(value) * _MS_PER_UNIT[unit] for pct, value, unit in found}
    rate = _WRK_RATE.search(output)
    if rate is None or latency.keys() != {"50", "99"}:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    errors = sum(int(count) for count in _WRK_ERRORS.findall(output))
    return Measurement(float(rate[1]), latency["50"], latency["99"], errors)


async def _closed_loop(url: str, connections: int, duration: int) -> Measurement:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while (started := time.perf_counter()) < deadline:
            try:
                async with session.get(url) as response:
                    await response.read()
                    ok = response.status < 400
            except aiohttp.ClientError:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    began = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(connections)))
    elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Measurement(len(latencies) / elapsed, cuts[49] * 1000, cuts[98] * 1000, errors)


def _aiohttp_worker(url: str, connections: int, duration: int) -> Measurement:
    if pinned(0):
        os.sched_setaffinity(0, {0})
    return asyncio.run(_closed_loop(url, connections, duration))


def aiohttp_load(url: str, connections: int, duration: int) -> Measurement:
    # Its own process, so the generator's CPU never counts against the bench process.
    with ProcessPoolExecutor(max_workers=1) as pool:
        return pool.submit(_aiohttp_worker, url, connections, duration).result()


def pick_generator(preferred: str) -> tuple[str, LoadFn]:
    if preferred == "aiohttp":
        return "aiohttp", aiohttp_load
    if not shutil.which("wrk") and (apt_get := shutil.which("apt-get")):
        quiet = subprocess.DEVNULL
        subprocess.run([apt_get, "install", "-y", "-qq", "wrk"], stdout=quiet, stderr=quiet)
    return ("wrk", wrk_load) if shutil.which("wrk") else ("aiohttp", aiohttp_load)


# --- the run -----------------------------------------------------------------------------


def measure(scenarios: list[Scenario], load: LoadFn, args: argparse.Namespace) -> Runs:
    """Warm every target up, then interleave the scenarios over the rounds."""
    for scenario in scenarios:
        print(f"warming up {scenario.name} ({WARMUP_SECONDS} s)")
        load(scenario.url, args.connections, WARMUP_SECONDS)
    runs: Runs = {scenario.name: [] for scenario in scenarios}
    for round_number in range(1, ROUNDS + 1):
        for scenario in scenarios:
            result = load(scenario.url, args.connections, args.duration)
            runs[scenario.name].append(result)
            print(f"round {round_number} {scenario.name}: {result.requests_per_second:,.0f} req/s")
    return runs


def median(results: list[Measurement]) -> Measurement:
    return Measurement(
        statistics.median(result.requests_per_second for result in results),
        statistics.median(result.p50_ms for result in results),
        statistics.median(result.p99_ms for result in results),
        sum(result.errors for result in results),
    )


def report(runs: Runs, generator: str, args: argparse.Namespace) -> dict[str, Any]:
    medians = {name: median(results) for name, results in runs.items()}
    print(f"\n{'scenario':<10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, result in medians.items():
        print(
            f"{name:<10}{result.requests_per_second:>10,.0f}{result.p50_ms:>9.2f}"
            f"{result.p99_ms:>9.2f}{result.errors:>8}"
        )
    ratios: dict[str, dict[str, Any]] = {}
    for numerator, denominator, goal in GOALS:
        value = medians[numerator].requests_per_second / medians[denominator].requests_per_second
        ratios[f"{numerator}/{denominator}"] = {"value": value, "goal": goal, "met": value >= goal}
        verdict = "PASS" if value >= goal else "MISS"
        print(f"{numerator}/{denominator}: {value:.2f} (goal >= {goal}) {verdict}")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "pinned": bool(pinned(0)),
        "generator": generator,
        "duration_s": args.duration,
        "connections": args.connections,
        "rounds": ROUNDS,
        "medians": {name: asdict(result) for name, result in medians.items()},
        "runs": {name: [asdict(result) for result in results] for name, results in runs.items()},
        "ratios": ratios,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument(
        "--generator", choices=("auto", "aiohttp"), default="auto", help="auto prefers wrk"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    generator, load = pick_generator(args.generator)
    print(f"load generator: {generator}; pinned to separate cores: {bool(pinned(0))}")
    try:
        with bench_database(Settings(), BENCH_DATABASE) as url, ExitStack() as servers:
            scenarios = start_servers(servers, url)
            check_same_answer(scenarios)
            runs = measure(scenarios, load, args)
    except KeyboardInterrupt:
        print("interrupted; servers stopped and the bench database dropped")
        return 130
    results = report(runs, generator, args)
    (RESULTS_DIR / "baseline.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {RESULTS_DIR / 'baseline.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
