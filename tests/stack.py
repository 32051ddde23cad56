"""Run the gateway and services as real processes for tests, on free ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from shared.settings import SERVICE_NAMES
from tests.pgbouncer import served_url, through_pgbouncer
from tests.ports import free_port

STACK = (*SERVICE_NAMES, "gateway")


@dataclass
class Stack:
    ports: dict[str, int]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def gateway_url(self) -> str:
        return self.url("gateway")


def stack_env(database_url: str | None, ports: dict[str, int], **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAGNET_")}
    env.pop("DATABASE_URL", None)
    if database_url is not None:
        env["DATABASE_URL"] = served_url(database_url)
        if through_pgbouncer():
            env["MAGNET_DB_PGBOUNCER"] = "true"
    env["MAGNET_ENVIRONMENT"] = "test"
    env["MAGNET_ACCESS_LOG"] = "false"
    env["MAGNET_DB_POOL_SIZE"] = "4"
    env["MAGNET_DB_POOL_OVERFLOW"] = "4"
    env["MAGNET_DB_POOL_TIMEOUT"] = "30"
    for name, port in ports.items():
        env[f"MAGNET_{name.upper()}_PORT"] = str(port)
    env.update({f"MAGNET_{key.upper()}": value for key, value in settings.items()})
    return env


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready after {timeout} s")


def stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_service(name: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "cli", "serve", name, "--port", str(port)]
    return subprocess.Popen(command, env=env)


@contextmanager
def start_stack(database_url: str, **settings: str) -> Iterator[Stack]:
    stack = Stack(ports={name: free_port() for name in STACK})
    env = stack_env(database_url, stack.ports, **settings)
    try:
        for name in STACK:
            stack.processes[name] = start_service(name, stack.ports[name], env)
        for name in STACK:
            wait_ready(stack.url(name), stack.processes[name])
        yield stack
    finally:
        stop(stack.processes)
