"""What every bench needs: a fresh database, services on free ports, and their clean-up.

Each bench creates its own database on the server of `DATABASE_URL` (or on the embedded
PostgreSQL when unset), migrates and seeds it, runs the services it measures with
`magnet serve` (their output in `bench/results/<name>.log`), and drops the database at the
end, also on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import asyncpg
import httpx

from cli.data import seed_all
from cli.database import database_url
from shared.db import libpq_url, with_database
from shared.migrate import migrate_all
from shared.settings import SERVICE_NAMES, Settings

HOST = "127.0.0.1"
READY_TIMEOUT_SECONDS = 60.0
ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
MAGNET = str(Path(sys.executable).with_name("magnet"))
_PR_SET_PDEATHSIG = 1

Popen = subprocess.Popen[bytes]


async def execute(server_url: str, *statements: str) -> None:
    connection = await asyncpg.connect(libpq_url(server_url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def bench_database(settings: Settings, name: str) -> Iterator[str]:
    """A fresh, migrated and seeded database `name`, dropped when the block ends."""
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    with database_url(settings) as server_url:
        asyncio.run(execute(server_url, drop, f'CREATE DATABASE "{name}"'))
        try:
            url = with_database(server_url, name)
            migrate_all(url)
            asyncio.run(seed_all(url, settings))
            yield url
        finally:
            asyncio.run(execute(server_url, drop))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent() -> None:
    # A bench killed outright must not leave servers holding the database open.
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(stack: ExitStack, name: str, command: list[str], env: dict[str, str]) -> Popen:
    log = stack.enter_context((RESULTS_DIR / f"{name}.log").open("wb"))
    process = subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches only the bench, which stops them itself
        preexec_fn=_die_with_parent,
    )
    stack.callback(stop, process)
    return process


def stop(process: Popen) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_ready(pending: dict[str, tuple[Popen, str]]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    with httpx.Client(timeout=1.0) as client:
        while pending:
            for name, (process, url) in list(pending.items()):
                if process.poll() is not None:
                    log = RESULTS_DIR / f"{name}.log"
                    raise RuntimeError(f"{name} exited with {process.returncode}; see {log}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(url).status_code == 200:
                        del pending[name]
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {READY_TIMEOUT_SECONDS:.0f} s: {[*pending]}")
            time.sleep(0.2)


def service_env(url: str, ports: dict[str, int]) -> dict[str, str]:
    """The services' environment: this database, these ports, a secret of its own."""
    # Peers must find each other by port, not by any MAGNET_*_URL in the shell.
    env = {k: v for k, v in os.environ.items() if not re.fullmatch(r"MAGNET_\w+_URL", k)}
    env |= {f"MAGNET_{name.upper()}_PORT": str(ports[name]) for name in ports}
    env |= {"DATABASE_URL": libpq_url(url), "MAGNET_HOST": HOST, "MAGNET_ACCESS_LOG": "false"}
    env.setdefault("MAGNET_SECRET_KEY", secrets.token_urlsafe(32))
    # One load generator on one address: the edge's per-address limit would measure itself.
    env.setdefault("MAGNET_RATE_LIMIT_PER_MINUTE", "0")
    env.setdefault("MAGNET_RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "0")
    return env


def start_services(
    stack: ExitStack,
    names: tuple[str, ...],
    env: dict[str, str],
    ports: dict[str, int],
    prefix: tuple[str, ...] = (),
    workers: int = 1,
    pids: dict[str, int] | None = None,
) -> dict[str, str]:
    """`magnet serve` each of `names` (services or the gateway); their base URLs once ready.

    `prefix` goes before each command (e.g. `taskset -c 1` to pin them to a core); `workers`
    is the number of processes serving each port; `pids`, when given, receives each server's
    process id.
    """
    unknown = set(names) - {*SERVICE_NAMES, "gateway"}
    if unknown:
        raise ValueError(f"unknown services: {sorted(unknown)}")
    pending = {}
    processes = {}
    for name in names:
        serve = [*prefix, MAGNET, "serve", name, "--host", HOST, "--port", str(ports[name])]
        serve += ["--workers", str(workers)]
        processes[name] = spawn(stack, name, serve, env)
        pending[name] = (processes[name], f"http://{HOST}:{ports[name]}/readyz")
    wait_ready(pending)  # empties `pending`
    if pids is not None:
        pids.update({name: process.pid for name, process in processes.items()})
    return {name: f"http://{HOST}:{ports[name]}" for name in names}


def exit_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # the same clean-up as Ctrl-C
