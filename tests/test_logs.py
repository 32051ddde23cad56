"""Logs that ingestion can trust: one JSON object per line, from every process, under bursts."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.observability import MAX_RECORD_BYTES
from tests.test_cli import start_up, up_env, wait_for_gateway

pytestmark = pytest.mark.slow

WRITER = """
import logging, sys
import structlog
from shared.observability import configure_logging

configure_logging("INFO", True, service=sys.argv[1])
log = structlog.get_logger("burst")
for i in range(int(sys.argv[2])):
    if i % 100 == 0:
        log.error("long", detail="x" * 9000, tail="the end")
    elif i % 2:
        logging.getLogger("library").warning("from the logging module %d", i)
    else:
        log.info("request", i=i, path="/api/v1/catalog/stories")
"""


def parse_lines(data: bytes) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(data.split(b"\n")[:-1], 1):
        record = json.loads(line)  # any line that is not one JSON object fails here
        assert isinstance(record, dict), f"line {number}: {line[:200]!r}"
        records.append(record)
    assert data.endswith(b"\n")
    return records


def assert_jq_reads(path: Path) -> None:
    """`jq -c .` reads the file line by line without one error, where jq is installed."""
    jq = shutil.which("jq")
    if jq is None:
        return
    with path.open("rb") as lines:
        result = subprocess.run([jq, "-c", "."], stdin=lines, capture_output=True)
    assert result.returncode == 0, result.stderr[:500]


def test_records_of_many_processes_on_one_pipe_stay_one_per_line(tmp_path: Path) -> None:
    per_process, processes = 3000, 4
    read_end, write_end = os.pipe()
    chunks: list[bytes] = []
    reader = threading.Thread(
        target=lambda: chunks.extend(iter(lambda: os.read(read_end, 65536), b""))
    )
    reader.start()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, f"writer-{n}", str(per_process)], stderr=write_end
        )
        for n in range(processes)
    ]
    os.close(write_end)
    for writer in writers:
        assert writer.wait(60) == 0
    reader.join(30)
    os.close(read_end)
    data = b"".join(chunks)
    (tmp_path / "log").write_bytes(data)

    records = parse_lines(data)

    assert len(records) == per_process * processes
    pids = {writer.pid for writer in writers}
    assert {record["process"] for record in records} == pids
    assert {record["service"] for record in records} == {f"writer-{n}" for n in range(4)}
    assert max(len(line) for line in data.split(b"\n")) < MAX_RECORD_BYTES
    long = [record for record in records if record["event"] == "long"]
    assert long and all(r["truncated"] and r["tail"] == "the end" for r in long)
    assert any(record.get("logger") == "library" for record in records)
    assert_jq_reads(tmp_path / "log")


async def burst(url: str, paths: list[str], total: int, concurrency: int) -> dict[int, int]:
    statuses: dict[int, int] = {}
    queue = iter(range(total))

    async def client_loop(client: httpx.AsyncClient) -> None:
        for n in queue:
            response = await client.get(paths[n % len(paths)])
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
    return statuses


def test_magnet_up_writes_json_lines_under_a_burst_of_proxied_requests(
    fresh_database: str, tmp_path: Path
) -> None:
    total = int(os.environ.get("MAGNET_TEST_LOG_BURST", "2000"))
    env, port = up_env(fresh_database)
    env.update(MAGNET_LOG_JSON="true", MAGNET_ACCESS_LOG="true")
    log = tmp_path / "up.log"
    process = start_up(env, port, log)
    try:
        wait_for_gateway(process, port, log)
        paths = [
            "/api/v1/transfer/cities",
            "/api/v1/participation/hubs",
            "/api/v1/catalog/entries?limit=5",
            "/api/v1/catalog/entries/no-such-entry",
        ]
        statuses = asyncio.run(burst(f"http://127.0.0.1:{port}", paths, total, 32))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

    records = parse_lines(log.read_bytes())

    assert set(statuses) <= {200, 404}, statuses
    access = [r for r in records if r.get("event") == "request"]
    assert len([r for r in access if r["service"] == "gateway"]) == total
    for name in ("catalog", "participation", "transfer"):
        assert any(r["service"] == name for r in access), name
    assert all(isinstance(r["process"], int) for r in records)
    assert {r["service"] for r in records} >= {"supervisor", "gateway", "catalog"}
    assert any(r.get("event") == "Stopped." for r in records)
    assert_jq_reads(log)
