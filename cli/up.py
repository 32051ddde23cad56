"""`magnet up`: the whole stack in one command, stopped cleanly on Ctrl-C or SIGTERM.

The supervisor migrates, seeds, then starts each service and the gateway as its own
uvicorn process and waits for every `/readyz`. Children run in their own session, so a
Ctrl-C reaches only the supervisor, which stops them in order; and each child is told by
the kernel (PR_SET_PDEATHSIG) to stop if the supervisor is killed outright. A child that
dies is started again after a backoff that doubles while it keeps dying; the others keep
serving meanwhile.

Children write their JSON log lines straight to the supervisor's stderr (each record one
atomic write: `shared.observability`). The supervisor's own messages are a human's view in
a terminal, and JSON lines like the children's when its output goes to a file or a pipe
with JSON logs on, so that everything `magnet up` writes there is one JSON object per line.
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
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import httpx
import structlog
from rich.console import Console
from rich.table import Table

from cli.data import seed_all
from cli.database import CommandError, database_url, describe
from cli.worker import maildir_of
from shared.embedded import data_dir
from shared.migrate import migrate_all
from shared.observability import configure_logging
from shared.settings import SERVICE_NAMES, Settings

STACK = (*SERVICE_NAMES, "gateway", "worker")
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
STABLE_AFTER_SECONDS = 60.0  # a child up this long starts again from the first backoff
_PR_SET_PDEATHSIG = 1


class StopRequested(Exception):
    pass


@dataclass
class Child:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)
    backoff: float = FIRST_BACKOFF_SECONDS
    restart_at: float | None = None  # when it died: when it is started again


class Reporter:
    """What the supervisor tells the person or the log collector watching it."""

    def __init__(self, settings: Settings) -> None:
        self.console = Console(stderr=True)
        self.json = settings.log_json and not self.console.is_terminal
        if self.json:
            configure_logging(settings.log_level, json_logs=True, service="supervisor")
        self.log = structlog.get_logger("magnet.supervisor")

    def say(self, message: str, **fields: object) -> None:
        if self.json:
            self.log.info(message.strip(), **fields)
        else:
            self.console.print(message)

    def warn(self, message: str, **fields: object) -> None:
        if self.json:
            self.log.warning(message.strip(), **fields)
        else:
            self.console.print(f"[yellow]{message}[/]")

    def status(self, message: str) -> Any:
        """A spinner in a terminal; nothing in a log (its steps are said when done)."""
        return nullcontext() if self.json else self.console.status(message)

    def table(self, title: str, rows: list[tuple[str, str]]) -> None:
        if self.json:
            self.log.info(title, **{what.replace(" ", "_"): where for what, where in rows})
            return
        table = Table(title=title, show_header=True, header_style="bold")
        table.add_column("what")
        table.add_column("where")
        for row in rows:
            table.add_row(*row)
        self.console.print(table)


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


def _wait_ready(children: list[Child], host: str, reporter: Reporter) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    pending = {child.name: child for child in children}
    with httpx.Client(timeout=1.0) as client, reporter.status("Waiting for readiness…") as status:
        while pending:
            # Any child, also one that was ready already: the rest may wait on it forever.
            for child in children:
                if child.process.poll() is not None:
                    raise CommandError(
                        f"the {child.name} exited with code {child.process.returncode}"
                    )
            for name, child in list(pending.items()):
                try:
                    if client.get(f"http://{host}:{child.port}/readyz").status_code == 200:
                        reporter.say(f"  ✓ {name} ready on port {child.port}", service_ready=name)
                        del pending[name]
                except httpx.HTTPError:
                    pass
            if status is not None:
                status.update(f"Waiting for readiness: {', '.join(pending)}")
            if time.monotonic() > deadline:
                raise CommandError(
                    f"not ready after {READY_TIMEOUT_SECONDS:.0f} s: {', '.join(pending)}"
                )
            if pending:
                time.sleep(0.2)


def _stop(children: list[Child], reporter: Reporter) -> None:
    for child in reversed(children):
        if child.process.poll() is None:
            child.process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in reversed(children):
        try:
            child.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            reporter.warn(f"  {child.name} did not stop in time; killing it")
            child.process.kill()
            child.process.wait()


def _database_row(settings: Settings, url: str) -> str:
    if settings.database_url is not None:
        return describe(url)
    return f"embedded PostgreSQL, data in {data_dir(settings) / 'pgdata'}"


def _summary(settings: Settings, host: str, database: str) -> list[tuple[str, str]]:
    gateway = f"http://{host}:{settings.gateway_port}"
    return [
        ("gateway (public API)", gateway),
        ("API docs", f"{gateway}/docs"),
        *(
            (f"{name} service", f"http://{host}:{settings.service_port(name)}")
            for name in SERVICE_NAMES
        ),
        ("database", database),
        ("mail", settings.smtp_url or f"delivered into the Maildir {maildir_of(settings)}"),
    ]


@dataclass
class Running:
    children: list[Child]
    host: str
    env: dict[str, str]


def _bring_up(settings: Settings, stack: ExitStack, reporter: Reporter) -> Running:
    host = settings.host
    check_ports_free(host, {name: settings.service_port(name) for name in STACK})
    with reporter.status("Preparing the database…"):
        url = stack.enter_context(database_url(settings))
    database = _database_row(settings, url)
    reporter.say(f"  ✓ database: {database}")
    with reporter.status("Applying migrations…"):
        migrate_all(url)
    reporter.say("  ✓ migrations applied")
    with reporter.status("Loading demo data…"):
        seeded = asyncio.run(seed_all(url, settings))
    reporter.say(f"  ✓ {seeded.describe()}")
    env = {**os.environ, "DATABASE_URL": url, "MAGNET_HOST": host}
    for name in STACK:
        env.pop(f"MAGNET_{name.upper()}_URL", None)
        env[f"MAGNET_{name.upper()}_PORT"] = str(settings.service_port(name))
    children: list[Child] = []
    stack.callback(_stop, children, reporter)
    for name in STACK:
        children.append(_start(name, host, settings.service_port(name), env))
    _wait_ready(children, host, reporter)
    reporter.table("MAGNET is up", _summary(settings, host, database))
    return Running(children, host, env)


def supervise(running: Running, reporter: Reporter) -> None:
    """Start again, after a backoff, each child that died; never returns (a signal stops it)."""
    while True:
        now = time.monotonic()
        for index, child in enumerate(running.children):
            if child.restart_at is None and (code := child.process.poll()) is not None:
                if now - child.started > STABLE_AFTER_SECONDS:
                    child.backoff = FIRST_BACKOFF_SECONDS
                child.restart_at = now + child.backoff
                reporter.warn(
                    f"the {child.name} exited with code {code}; "
                    f"starting it again in {child.backoff:g} s",
                    child=child.name,
                    exit_code=code,
                    backoff_seconds=child.backoff,
                )
            elif child.restart_at is not None and now >= child.restart_at:
                restarted = _start(child.name, running.host, child.port, running.env)
                restarted.backoff = min(child.backoff * 2, MAX_BACKOFF_SECONDS)
                running.children[index] = restarted
                reporter.say(
                    f"  ↻ {child.name} started again (pid {restarted.process.pid})",
                    child=child.name,
                    pid=restarted.process.pid,
                )
        time.sleep(0.2)


def run(settings: Settings) -> int:
    """Bring the stack up and keep it up until a signal; the exit code of the run."""
    reporter = Reporter(settings)
    started = time.monotonic()
    stack = ExitStack()
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        running = _bring_up(settings, stack, reporter)
        reporter.say(f"Started in {time.monotonic() - started:.1f} s. Press Ctrl-C to stop.")
        supervise(running, reporter)
    except StopRequested:
        return 0
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        reporter.say("Stopping…")
        stack.close()
        reporter.say("Stopped.")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
