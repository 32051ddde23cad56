"""`magnet up`: the whole stack in one command, stopped cleanly on Ctrl-C or SIGTERM.

The supervisor migrates, seeds, then starts each service and the gateway as its own
uvicorn process and waits for every `/readyz`. Children run in their own session, so a
Ctrl-C reaches only the supervisor, which stops them in order; and each child is told by
the kernel (PR_SET_PDEATHSIG) to stop if the supervisor is killed outright.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from types import FrameType

import httpx
from rich.console import Console
from rich.table import Table

from cli.data import seed_all
from cli.database import CommandError, database_url, describe
from cli.worker import maildir_of
from shared.migrate import migrate_all
from shared.settings import SERVICE_NAMES, Settings

STACK = (*SERVICE_NAMES, "gateway", "worker")
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1


class StopRequested(Exception):
    pass


@dataclass
class Child:
    name: str
    port: int
    process: subprocess.Popen[bytes]


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def check_ports_free(host: str, ports: dict[str, int]) -> None:
    for name, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                raise CommandError(
                    f"port {port} on {host} (for the {name}) is in use; "
                    f"choose another with --port or MAGNET_{name.upper()}_PORT"
                ) from exc


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise StopRequested(signal.Signals(signum).name)


def _start(name: str, host: str, port: int, env: dict[str, str]) -> Child:
    command = [
        sys.executable,
        "-m",
        "cli",
        "serve",
        name,
        "--host",
        host,
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        command, env=env, start_new_session=True, preexec_fn=_die_with_parent
    )
    return Child(name, port, process)


def _wait_ready(children: list[Child], host: str, console: Console) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    pending = {child.name: child for child in children}
    with httpx.Client(timeout=1.0) as client, console.status("Waiting for readiness…") as status:
        while pending:
            for name, child in list(pending.items()):
                if child.process.poll() is not None:
                    raise CommandError(f"the {name} exited with code {child.process.returncode}")
                try:
                    if client.get(f"http://{host}:{child.port}/readyz").status_code == 200:
                        console.print(f"  [green]✓[/] {name} ready on port {child.port}")
                        del pending[name]
                except httpx.HTTPError:
                    pass
            status.update(f"Waiting for readiness: {', '.join(pending)}")
            if time.monotonic() > deadline:
                raise CommandError(
                    f"not ready after {READY_TIMEOUT_SECONDS:.0f} s: {', '.join(pending)}"
                )
            if pending:
                time.sleep(0.2)


def _stop(children: list[Child], console: Console) -> None:
    for child in reversed(children):
        if child.process.poll() is None:
            child.process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in reversed(children):
        try:
            child.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            console.print(f"  {child.name} did not stop in time; killing it")
            child.process.kill()
            child.process.wait()


def _summary(settings: Settings, host: str, database: str) -> Table:
    table = Table(title="MAGNET is up", show_header=True, header_style="bold")
    table.add_column("what")
    table.add_column("where")
    gateway = f"http://{host}:{settings.gateway_port}"
    table.add_row("gateway (public API)", gateway)
    table.add_row("API docs", f"{gateway}/docs")
    for name in SERVICE_NAMES:
        table.add_row(f"{name} service", f"http://{host}:{settings.service_port(name)}")
    table.add_row("database", database)
    table.add_row("mail", settings.smtp_url or f"delivered into the Maildir {maildir_of(settings)}")
    return table


def _bring_up(settings: Settings, stack: ExitStack, console: Console) -> list[Child]:
    host = settings.host
    check_ports_free(host, {name: settings.service_port(name) for name in STACK})
    with console.status("Preparing the database…"):
        url = stack.enter_context(database_url(settings))
    console.print(f"  [green]✓[/] database: {describe(url)}")
    with console.status("Applying migrations…"):
        migrate_all(url)
    console.print("  [green]✓[/] migrations applied")
    with console.status("Loading demo data…"):
        changed = asyncio.run(seed_all(url, settings))
    console.print(f"  [green]✓[/] demo data loaded ({sum(changed.values())} rows changed)")
    env = {**os.environ, "DATABASE_URL": url, "MAGNET_HOST": host}
    for name in STACK:
        env.pop(f"MAGNET_{name.upper()}_URL", None)
        env[f"MAGNET_{name.upper()}_PORT"] = str(settings.service_port(name))
    children: list[Child] = []
    stack.callback(_stop, children, console)
    for name in STACK:
        children.append(_start(name, host, settings.service_port(name), env))
    _wait_ready(children, host, console)
    console.print(_summary(settings, host, describe(url)))
    return children


def run(settings: Settings) -> int:
    """Bring the stack up and keep it up until a signal; the exit code of the run."""
    console = Console(stderr=True)
    started = time.monotonic()
    stack = ExitStack()
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        children = _bring_up(settings, stack, console)
        console.print(f"Started in {time.monotonic() - started:.1f} s. Press Ctrl-C to stop.")
        while True:
            for child in children:
                if child.process.poll() is not None:
                    raise CommandError(
                        f"the {child.name} exited with code {child.process.returncode}"
                    )
            time.sleep(0.5)
    except StopRequested:
        return 0
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        console.print("Stopping…")
        stack.close()
        console.print("Stopped.")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
