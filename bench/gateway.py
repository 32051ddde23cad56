"""Gateway bench: one small JSON read direct to the transfer service, through the gateway,
through nginx (upstream keepalive 64) and through `bench/bare_proxy.py` (a Python proxy
that only forwards: what any Python proxy pays here) — in one run, the same load for each.

    .venv/bin/python -m bench.gateway [--duration 10] [--connections 32] [--profile]

Servers are pinned to core 1, the load generator (wrk) to core 0. Prints req/s and p50/p99
per scenario, the ratios gateway/direct and gateway/nginx and the p99 the gateway adds
compared with nginx. `--profile` also samples the gateway with py-spy during one run and
prints where its time goes. Goals are printed as PASS/MISS and never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.baseline import (
    LoadFn,
    Measurement,
    Runs,
    Scenario,
    check_same_answer,
    measure,
    median,
    pick_generator,
    pinned,
)
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

BENCH_DATABASE = "magnet_bench_gateway"
PATH = "/api/v1/transfer/cities/kosice"
SERVICES = ("catalog", "participation", "transfer", "gateway")
NGINX_CONFIG = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream transfer {{ server {host}:{upstream}; keepalive 64; }}
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://transfer;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
    }}
}}
"""


def ensure_nginx() -> str:
    if not shutil.which("nginx") and (apt_get := shutil.which("apt-get")):
        quiet = subprocess.DEVNULL
        subprocess.run([apt_get, "install", "-y", "-qq", "nginx"], stdout=quiet, stderr=quiet)
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        raise RuntimeError("nginx is not installed (apt-get install -y nginx)")
    return found


def start_servers(stack: ExitStack, url: str) -> tuple[list[Scenario], dict[str, int]]:
    """The services and the gateway, and nginx before transfer, all on core 1."""
    ports = {name: free_port() for name in (*SERVICES, "nginx", "bare")}
    env = service_env(url, {name: ports[name] for name in SERVICES})
    # The bench is one client address hammering the gateway: limits it never reaches, so the
    # limiter still does its work on every request (0 would switch it off).
    never = str(10**9)
    env |= {
        "MAGNET_RATE_LIMIT_PER_MINUTE": never,
        "MAGNET_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": never,
    }
    pending = {}
    for name in SERVICES:
        serve = [MAGNET, "serve", name, "--host", HOST, "--port", str(ports[name])]
        ready = f"http://{HOST}:{ports[name]}/readyz"
        pending[name] = (spawn(stack, name, [*pinned(1), *serve], env), ready)
    directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="magnet-nginx-")))
    config = directory / "nginx.conf"
    config.write_text(
        NGINX_CONFIG.format(
            dir=directory, host=HOST, port=ports["nginx"], upstream=ports["transfer"]
        )
    )
    nginx = [*pinned(1), ensure_nginx(), "-c", str(config), "-p", str(directory)]
    pending["nginx"] = (spawn(stack, "nginx", nginx, env), f"http://{HOST}:{ports['nginx']}/readyz")
    bare = [sys.executable, "-m", "uvicorn", "bench.bare_proxy:app", "--host", HOST]
    bare += ["--port", str(ports["bare"]), "--no-access-log", "--log-level", "warning"]
    bare_env = env | {"BARE_PROXY_UPSTREAM": f"http://{HOST}:{ports['transfer']}"}
    bare_ready = f"http://{HOST}:{ports['bare']}{PATH}"
    pending["bare"] = (spawn(stack, "bare", [*pinned(1), *bare], bare_env), bare_ready)
    # taskset, `magnet serve`, uvicorn and nginx exec in place: the servers' own pids.
    pids = {name: pending[name][0].pid for name in ("transfer", "gateway", "nginx", "bare")}
    wait_ready(pending)
    return [
        Scenario("direct", f"http://{HOST}:{ports['transfer']}{PATH}"),
        Scenario("gateway", f"http://{HOST}:{ports['gateway']}{PATH}"),
        Scenario("nginx", f"http://{HOST}:{ports['nginx']}{PATH}"),
        Scenario("bare", f"http://{HOST}:{ports['bare']}{PATH}"),
    ], pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (nginx's worker)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(child)) for child in children)


class MeteredLoad:
    """A load function that also records, per scenario, the CPU microseconds per request
    spent by the service and by the proxy in front of it (gateway or nginx): a figure that
    other work on the machine hardly moves, unlike requests per second."""

    def __init__(self, load: LoadFn, pids: dict[str, int], scenarios: list[Scenario]) -> None:
        self.load = load
        self.pids = pids
        self.names = {scenario.url: scenario.name for scenario in scenarios}
        self.cpu: dict[str, list[dict[str, float]]] = {}

    def __call__(self, url: str, connections: int, duration: int) -> Measurement:
        name = self.names[url]
        watched = {"service": self.pids["transfer"]}
        if name != "direct":
            watched["proxy"] = self.pids[name]
        before = {role: cpu_seconds(pid) for role, pid in watched.items()}
        result = self.load(url, connections, duration)
        requests = result.requests_per_second * duration
        if requests:
            used = {role: cpu_seconds(pid) - before[role] for role, pid in watched.items()}
            self.cpu.setdefault(name, []).append(
                {role: 1e6 * seconds / requests for role, seconds in used.items()}
            )
        return result

    def medians(self) -> dict[str, dict[str, float]]:
        return {
            name: {role: statistics.median(run[role] for run in runs) for role in runs[0]}
            for name, runs in self.cpu.items()
        }


def profile(pid: int, scenario: Scenario, load: LoadFn, args: argparse.Namespace) -> str:
    """Sample the gateway with py-spy while it serves one run; its top functions."""
    beside = Path(sys.executable).with_name("py-spy")
    spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if not pid or spy is None:
        return "py-spy not available"
    out = RESULTS_DIR / "gateway-profile.txt"
    command = [spy, "record", "--pid", str(pid), "--duration", str(args.duration)]
    command += ["--format", "raw", "--output", str(out), "--nonblocking"]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    load(scenario.url, args.connections, args.duration)
    recorder.wait(30)
    if not out.exists():
        return "py-spy recorded nothing (needs ptrace permission)"
    return summarize(out.read_text())


def summarize(raw: str, top: int = 15) -> str:
    """Self and inclusive share of samples per function, from py-spy's collapsed stacks."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [frame.split(" (")[0] + " " + frame.split("/")[-1].split(":")[0].rstrip(")")
                  for frame in stack.split(";")]  # fmt: skip
        own[frames[-1]] = own.get(frames[-1], 0) + samples
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + samples
    if not total:
        return "no samples"
    lines = ["self %   function"]
    for frame, samples in sorted(own.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"{100 * samples / total:5.1f}   {frame}")
    lines.append("incl %  function (selected)")
    for frame, samples in sorted(inclusive.items(), key=lambda item: -item[1]):
        if any(word in frame for word in ("forward", "request", "Middleware", "__call__")):
            lines.append(f"{100 * samples / total:5.1f}   {frame}")
    return "\n".join(lines[: top + 30])


def report(
    runs: Runs, generator: str, args: argparse.Namespace, cpu: dict[str, dict[str, float]]
) -> dict[str, Any]:
    medians = {name: median(results) for name, results in runs.items()}
    print(f"\n{'scenario':<10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, result in medians.items():
        print(
            f"{name:<10}{result.requests_per_second:>10,.0f}{result.p50_ms:>9.2f}"
            f"{result.p99_ms:>9.2f}{result.errors:>8}"
        )
    print("\nCPU per request (microseconds, median of the rounds)")
    print(f"{'scenario':<10}{'service':>10}{'proxy':>10}")
    for name, used in cpu.items():
        proxy = f"{used['proxy']:>10.0f}" if "proxy" in used else f"{'-':>10}"
        print(f"{name:<10}{used['service']:>10.0f}{proxy}")
    gateway, direct, nginx = medians["gateway"], medians["direct"], medians["nginx"]
    vs_direct = gateway.requests_per_second / direct.requests_per_second
    vs_nginx = gateway.requests_per_second / nginx.requests_per_second
    added_p99 = gateway.p99_ms - nginx.p99_ms
    bare_vs_nginx = medians["bare"].requests_per_second / nginx.requests_per_second
    print(f"bare/nginx:     {bare_vs_nginx:.2f} (a Python proxy that only forwards: the floor)")
    print(f"gateway/direct: {vs_direct:.2f}")
    print(f"gateway/nginx:  {vs_nginx:.2f} (goal >= 0.9) {'PASS' if vs_nginx >= 0.9 else 'MISS'}")
    verdict = "PASS" if added_p99 <= 1.0 else "MISS"
    print(f"gateway p99 - nginx p99: {added_p99:+.2f} ms (goal <= +1 ms) {verdict}")
    return {
        "generator": generator,
        "duration_s": args.duration,
        "connections": args.connections,
        "pinned": bool(pinned(0)),
        "medians": {name: vars(result) for name, result in medians.items()},
        "ratios": {
            "gateway/direct": vs_direct,
            "gateway/nginx": vs_nginx,
            "bare/nginx": bare_vs_nginx,
        },
        "added_p99_ms_vs_nginx": added_p99,
        "cpu_us_per_request": cpu,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway", description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--profile", action="store_true", help="sample the gateway (py-spy)")
    args = parser.parse_args(argv)
    args.generator = "auto"
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    generator, load = pick_generator(args.generator)
    print(f"load generator: {generator}; pinned to separate cores: {bool(pinned(0))}")
    try:
        with bench_database(Settings(), BENCH_DATABASE) as url, ExitStack() as servers:
            scenarios, pids = start_servers(servers, url)
            check_same_answer([Scenario("raw", scenarios[0].url), *scenarios])
            metered = MeteredLoad(load, pids, scenarios)
            runs = measure(scenarios, metered, args)
            hot_spots = profile(pids["gateway"], scenarios[1], load, args) if args.profile else ""
    except KeyboardInterrupt:
        print("interrupted; servers stopped and the bench database dropped")
        return 130
    results = report(runs, generator, args, metered.medians())
    if hot_spots:
        print(f"\nwhere the gateway's time goes (py-spy):\n{hot_spots}")
    (RESULTS_DIR / "gateway.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {RESULTS_DIR / 'gateway.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
