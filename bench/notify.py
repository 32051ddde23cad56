"""Mail delivery latency: from a registration's commit to the mail accepted by SMTP.

Starts the participation service and one worker (`magnet serve worker`) as real processes
on a fresh database, an SMTP server (aiosmtpd) in this process, registers `--count` people
for one event (one every `--pace` seconds, never waiting for their mail), and prints p50,
p95 and max of (SMTP server accepted the mail) - (the registration's 201 arrived). The 201
is sent after the commit, so this slightly understates the time from the commit itself.

Run: `DATABASE_URL=postgresql://… .venv/bin/python -m bench.notify [--count 50]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.common import (
    HOST,
    MAGNET,
    RESULTS_DIR,
    bench_database,
    exit_on_sigterm,
    free_port,
    service_env,
    spawn,
    start_services,
    wait_ready,
)
from shared.auth import Principal, Role, issue_token
from shared.settings import Settings

API = "/api/v1/participation"


@dataclass
class Arrivals:
    at: dict[str, float] = field(default_factory=dict)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        for recipient in envelope.rcpt_tos:
            self.at.setdefault(str(recipient), time.time())
        return "250 OK"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(
    base: str, token: str, arrivals: Arrivals, count: int, pace: float
) -> list[float]:
    starts = datetime.now(UTC) + timedelta(days=30)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        event = await client.post(
            f"{API}/events",
            json={
                "title": {"en": "Latency bench"},
                "address": "Celje",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "capacity": count,
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        event.raise_for_status()
        answered: dict[str, float] = {}
        for index in range(count):
            address = f"bench-{index}-{uuid.uuid4().hex[:6]}@example.org"
            response = await client.post(
                f"{API}/events/{event.json()['id']}/registrations",
                json={"name": "Bench", "email": address, "consent": True},
            )
            response.raise_for_status()
            answered[address] = time.time()
            await asyncio.sleep(pace)
    deadline = time.monotonic() + 120
    while len(arrivals.at) < count and time.monotonic() < deadline:  # noqa: ASYNC110 (the SMTP server runs in its own thread)
        await asyncio.sleep(0.05)
    missing = set(answered) - set(arrivals.at)
    if missing:
        raise RuntimeError(f"{len(missing)} mails did not arrive within 120 s")
    return [arrivals.at[address] - answered[address] for address in answered]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--pace", type=float, default=0.1, help="seconds between registrations")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    RESULTS_DIR.mkdir(exist_ok=True)
    settings = Settings()
    arrivals = Arrivals()
    smtp_port = free_port()
    controller = Controller(arrivals, hostname=HOST, port=smtp_port)
    controller.start()
    try:
        with ExitStack() as stack, bench_database(settings, "magnet_bench_notify") as url:
            ports = {"participation": free_port(), "worker": free_port()}
            env = service_env(url, ports) | {"MAGNET_SMTP_URL": f"smtp://{HOST}:{smtp_port}"}
            urls = start_services(stack, ("participation",), env, ports)
            worker = [MAGNET, "serve", "worker", "--host", HOST, "--port", str(ports["worker"])]
            process = spawn(stack, "worker", worker, env)
            wait_ready({"worker": (process, f"http://{HOST}:{ports['worker']}/readyz")})
            signer = Settings(secret_key=env["MAGNET_SECRET_KEY"])
            token = issue_token(Principal(subject="bench", role=Role.COORDINATOR), signer)
            latencies = asyncio.run(
                measure(urls["participation"], token, arrivals, args.count, args.pace)
            )
    finally:
        controller.stop()
    figures = {
        "count": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }
    (RESULTS_DIR / "notify.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(
        f"mail delivery latency, 201 answered -> accepted by SMTP, {figures['count']} mails: "
        f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, max {figures['max_ms']} ms"
    )


if __name__ == "__main__":
    main()
