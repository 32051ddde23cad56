"""`magnet bench`: run the benches in `bench/` one after another and summarise their figures.

Each bench runs as `python -m bench.<name>` with durations short enough for a summary, and
writes its figures to `bench/results/<name>.json`; this reads those files and turns them
into rows (bench, figure, value, goal, PASS/MISS). A missed goal is reported, never fatal.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"


@dataclass(frozen=True)
class Row:
    bench: str
    figure: str
    value: str
    goal: str = ""
    verdict: str = ""  # PASS, MISS, or empty when the figure has no goal


def _verdict(met: bool) -> str:
    return "PASS" if met else "MISS"


def _baseline(results: dict[str, Any]) -> list[Row]:
    return [
        Row("baseline", ratio, f"{r['value']:.2f}", f">= {r['goal']}", _verdict(r["met"]))
        for ratio, r in results["ratios"].items()
    ]


def _gateway(results: dict[str, Any]) -> list[Row]:
    ratios = results["ratios"]
    added = results["added_p99_ms_vs_nginx"]
    return [
        Row("gateway", "gateway/direct req/s", f"{ratios['gateway/direct']:.2f}"),
        Row(
            "gateway",
            "gateway/nginx req/s",
            f"{ratios['gateway/nginx']:.2f}",
            ">= 0.9",
            _verdict(ratios["gateway/nginx"] >= 0.9),
        ),
        Row("gateway", "p99 vs nginx", f"{added:+.1f} ms", "<= +1 ms", _verdict(added <= 1.0)),
    ]


def _sync(results: dict[str, Any]) -> list[Row]:
    return [
        Row(
            "sync",
            f"{scenario}, s per 10 000",
            f"{figures['seconds_per_10000']:.2f}",
            "<= 2 s",
            _verdict(figures["met"]),
        )
        for scenario, figures in results["scenarios"].items()
    ]


def _catalog_search(results: dict[str, Any]) -> list[Row]:
    goal = results["goal_p95_ms"]
    return [
        Row("catalog_search", "entries searched", str(results["entries"])),
    ] + [
        Row(
            "catalog_search",
            f"{scenario} p95",
            f"{figures['p95_ms']:.1f} ms",
            f"<= {goal:g} ms" if figures["searches"] else "",
            _verdict(figures["p95_ms"] <= goal) if figures["searches"] else "",
        )
        for scenario, figures in results["scenarios"].items()
    ]


def _booking_contention(results: dict[str, Any]) -> list[Row]:
    return [
        Row("booking_contention", f"{name} throughput ratio", f"{value:.2f}")
        for name, value in results["ratios"].items()
    ]


def _load(results: dict[str, Any]) -> list[Row]:
    database = results["database"]
    rows = []
    errors = 0
    for workers, runs in results["runs"].items():  # one or more runs per process count
        per_second = statistics.median(run["per_second"] for run in runs)
        label = f"throughput, {workers} process(es) per service ({database} database)"
        rows.append(Row("load", label, f"{per_second:.0f} req/s"))
        for kind in runs[0]["classes"]:
            p95 = statistics.median(run["classes"][kind]["p95_ms"] or 0 for run in runs)
            rows.append(Row("load", f"{kind} p95, {workers} process(es)", f"{p95:g} ms"))
        errors += sum(run["errors"] for run in runs)
    rows.append(Row("load", "errors (5xx, transport)", str(errors), "0", _verdict(errors == 0)))
    return rows


def _notify(results: dict[str, Any]) -> list[Row]:
    p95 = results["p95_ms"]
    return [
        Row("notify", "mail latency p50", f"{results['p50_ms']} ms"),
        Row("notify", "mail latency p95", f"{p95} ms", "<= 5 s", _verdict(p95 <= 5000)),
    ]


def _participation(results: dict[str, Any]) -> list[Row]:
    return [
        Row(
            "participation",
            f"{kind} CPU service/raw",
            f"{figures['service/raw']:.2f}",
            "<= 2",
            _verdict(figures["service/raw"] <= 2),
        )
        for kind, figures in results.items()
    ]


def _participation_growth(results: dict[str, Any]) -> list[Row]:
    return [
        Row(
            "participation_growth",
            f"{kind} cost large/small",
            f"{figures['large/small']:.2f}",
            "<= 1.2",
            _verdict(figures["large/small"] <= 1.2),
        )
        for kind, figures in results.items()
    ]


@dataclass(frozen=True)
class Bench:
    name: str
    args: tuple[str, ...]
    quick_args: tuple[str, ...]
    rows: Callable[[dict[str, Any]], list[Row]]


BENCHES = (
    Bench("baseline", ("--duration", "3"), ("--duration", "1"), _baseline),
    Bench("gateway", ("--duration", "3"), ("--duration", "1"), _gateway),
    Bench(
        "catalog_search",
        ("--entries", "10000", "--queries", "100"),
        ("--entries", "2000", "--queries", "30"),
        _catalog_search,
    ),
    Bench("sync", (), ("--rounds", "1", "--records", "2000"), _sync),
    Bench("booking_contention", (), (), _booking_contention),
    Bench(
        "load",
        ("--duration", "10"),
        ("--duration", "5", "--warmup", "1", "--entries", "10000"),
        _load,
    ),
    Bench("notify", ("--count", "50"), ("--count", "10"), _notify),
    Bench(
        "participation",
        ("--requests", "1000"),
        ("--requests", "200", "--warmup", "50", "--rounds", "1"),
        _participation,
    ),
    Bench(
        "participation_growth",
        ("--requests", "1000"),
        ("--requests", "200", "--warmup", "50", "--rounds", "1", "--large", "20000"),
        _participation_growth,
    ),
)
NAMES = tuple(bench.name for bench in BENCHES)


def run(bench: Bench, quick: bool, say: Callable[[str], None]) -> list[Row]:
    """Run one bench (its output in `bench/results/<name>.out`); its rows."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    result = RESULTS_DIR / f"{bench.name}.json"
    result.unlink(missing_ok=True)  # never report an older run's figures as this one's
    output = RESULTS_DIR / f"{bench.name}.out"
    args = bench.quick_args if quick else bench.args
    command = [sys.executable, "-m", f"bench.{bench.name}", *args]
    say(f"{bench.name}: {' '.join(command[1:])} (output in {output})")
    started = time.monotonic()
    with output.open("wb") as log:
        code = subprocess.run(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False
        ).returncode
    say(f"{bench.name}: exit code {code} after {time.monotonic() - started:.0f} s")
    if not result.exists():
        return [Row(bench.name, "no result", f"exit code {code}", "", "MISS")]
    try:
        return bench.rows(json.loads(result.read_text()))
    except (KeyError, TypeError, ValueError) as exc:
        return [Row(bench.name, "unreadable result", repr(exc)[:60], "", "MISS")]
