"""Rate limits shared through Redis by every gateway replica, and failing open without it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from shared.settings import SERVICE_NAMES
from tests.conftest import TEST_SECRET
from tests.ports import free_port
from tests.stack import Stack, stack_env, start_service, stop, wait_ready

pytestmark = pytest.mark.slow

REDIS_URL = "redis://127.0.0.1:6379/0"  # the machine's Redis
CITIES = "/api/v1/transfer/cities"


@contextmanager
def gateways(stack: Stack, database_url: str, count: int, **settings: str) -> Iterator[list[str]]:
    """`count` more gateway processes in front of the stack's services."""
    ports = [free_port() for _ in range(count)]
    processes = {}
    try:
        for port in ports:
            env = stack_env(
                database_url,
                {**{name: stack.ports[name] for name in SERVICE_NAMES}, "gateway": port},
                secret_key=TEST_SECRET,
                **settings,
            )
            processes[port] = start_service("gateway", port, env)
        for port in ports:
            wait_ready(f"http://127.0.0.1:{port}", processes[port])
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        stop({str(port): process for port, process in processes.items()})


def statuses(url: str, count: int) -> list[int]:
    with httpx.Client(base_url=url, timeout=10) as client:
        return [client.get(CITIES).status_code for _ in range(count)]


def fail_open_count(url: str) -> float:
    metrics = httpx.get(f"{url}/metrics", timeout=10).text
    line = next(
        line for line in metrics.splitlines() if line.startswith("magnet_rate_limit_fail_open_")
    )
    return float(line.split()[-1])


def test_two_gateway_replicas_share_one_limit_through_redis(
    stack: Stack, database_url: str
) -> None:
    shared = {
        "redis_url": REDIS_URL,
        "rate_limit_key_prefix": f"magnet-test-{uuid.uuid4().hex}",
        "rate_limit_per_address_per_minute": "30",
    }
    with gateways(stack, database_url, 2, **shared) as (first, second):
        from_first = statuses(first, 20)
        from_second = statuses(second, 20)
        refused = httpx.get(f"{second}{CITIES}", timeout=10)

    assert from_first == [200] * 20
    assert from_second == [200] * 10 + [429] * 10  # the first's 20 counted here too
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60


def test_without_redis_each_replica_counts_alone(stack: Stack, database_url: str) -> None:
    with gateways(stack, database_url, 2, rate_limit_per_address_per_minute="30") as urls:
        counted = [statuses(url, 20) for url in urls]

    assert counted == [[200] * 20, [200] * 20]


def test_a_gateway_whose_redis_is_gone_keeps_serving_and_counts_it(
    stack: Stack, database_url: str
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with gateways(
        stack, database_url, 1, redis_url=dead, rate_limit_per_address_per_minute="5"
    ) as (url,):
        served = statuses(url, 20)
        let_through = fail_open_count(url)

    assert served == [200] * 20  # over the limit of 5, but the limit cannot be counted
    assert let_through >= 20
