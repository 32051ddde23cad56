"""`magnet serve NAME --workers N`: one port, several processes, metrics that add up, and a
SIGTERM that lets requests in flight finish."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import TEST_SECRET
from tests.ports import free_port
from tests.stack import stack_env, wait_ready

pytestmark = pytest.mark.slow
ENTRIES = "/api/v1/catalog/entries"


def serve(database_url: str, workers: int, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = stack_env(database_url, {"catalog": port}, secret_key=TEST_SECRET)
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "catalog", "--workers", str(workers)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def figures(url: str) -> dict[tuple[str, str], float]:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    found: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "magnet_http_requests_total" and sample.labels["route"] == ENTRIES:
                key = (sample.name, sample.labels["status"])
                found[key] = found.get(key, 0) + sample.value
            elif sample.name == "magnet_db_pool_connections":
                found[sample.name, sample.labels["state"]] = sample.value
    return found


@pytest.fixture
def two_workers(database_url: str, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    process = serve(database_url, 2, port, tmp_path / "serve.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, timeout=60)
        yield url, process
    finally:
        stop_with_workers(process)


def stop_with_workers(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as ops stop it; a supervisor killed outright would leave its workers
    serving on the port after the test."""
    if process.poll() is not None:
        return
    workers = psutil.Process(process.pid).children(recursive=True)
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for worker in workers:
        if worker.is_running():
            worker.kill()


def test_workers_share_the_port_and_their_metrics_add_up(
    two_workers: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, process = two_workers
    children = psutil.Process(process.pid).children()
    workers = [child for child in children if "spawn_main" in " ".join(child.cmdline())]
    for _ in range(60):  # a new connection each: the kernel spreads them over the workers
        assert httpx.get(f"{url}{ENTRIES}?limit=1", timeout=10).status_code == 200
    deadline = time.monotonic() + 30
    while (seen := figures(url)).get(("magnet_db_pool_connections", "size")) != 8:
        assert time.monotonic() < deadline, seen  # both workers report within seconds
        time.sleep(0.5)
    scrapes = [figures(url) for _ in range(6)]  # whichever worker answers

    assert len(workers) == 2
    assert all(s["magnet_http_requests_total", "200"] == 60 for s in scrapes), scrapes
    assert seen["magnet_db_pool_connections", "size"] == 8  # 4 per worker, one pool each


def test_sigterm_lets_a_request_in_flight_finish(
    two_workers: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, process = two_workers
    body_started = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield b'{"kind": "story", '
        body_started.set()
        time.sleep(2)  # SIGTERM arrives meanwhile
        yield b'"title": {"en": "x"}}'

    answers: list[httpx.Response | Exception] = []

    def send() -> None:
        try:
            answers.append(
                httpx.post(
                    f"{url}{ENTRIES}",
                    content=slow_body(),
                    headers={"content-type": "application/json"},
                    timeout=30,
                )
            )
        except httpx.HTTPError as exc:
            answers.append(exc)

    sender = threading.Thread(target=send)
    sender.start()
    assert body_started.wait(10)
    time.sleep(0.3)
    workers = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGTERM)
    sender.join(30)
    process.wait(30)
    _, still_running = psutil.wait_procs(workers, timeout=10)

    (answer,) = answers
    assert isinstance(answer, httpx.Response), answer  # answered, not cut off
    assert answer.status_code == 401  # the whole body was read, then refused: no credentials
    assert process.returncode == 0
    assert still_running == []  # no worker outlives the supervisor
