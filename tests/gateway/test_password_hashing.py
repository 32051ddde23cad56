"""Admission to password hashing: bounded per address, bounded waiting, quick refusals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from services.gateway.passwords import PasswordHashing, dummy_hash
from shared.problems import ServiceUnavailable, TooManyRequests


@pytest.fixture
async def held() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


class TestAdmission:
    async def test_one_address_may_not_hash_more_than_its_share_at_once(
        self, held: AsyncExitStack
    ) -> None:
        hashing = PasswordHashing(slots=4, per_address=2, max_wait=60)
        await held.enter_async_context(hashing.admission("198.51.100.7"))
        await held.enter_async_context(hashing.admission("198.51.100.7"))

        with pytest.raises(TooManyRequests) as refused:
            await held.enter_async_context(hashing.admission("198.51.100.7"))
        await held.enter_async_context(hashing.admission("203.0.113.9"))  # someone else

        assert refused.value.headers["Retry-After"] == "1"

    async def test_when_too_many_wait_the_next_is_refused_at_once(
        self, held: AsyncExitStack
    ) -> None:
        hashing = PasswordHashing(slots=1, per_address=10, max_wait=60, max_waiting=1)
        await held.enter_async_context(hashing.admission("198.51.100.1"))
        waiting = asyncio.ensure_future(held.enter_async_context(hashing.admission("198.51.100.2")))
        await asyncio.sleep(0)  # the second one is waiting now

        with pytest.raises(ServiceUnavailable) as refused:
            await held.enter_async_context(hashing.admission("198.51.100.3"))

        assert refused.value.headers["Retry-After"] == "1"
        waiting.cancel()

    async def test_a_wait_is_bounded(self, held: AsyncExitStack) -> None:
        hashing = PasswordHashing(slots=1, per_address=10, max_wait=0.01)
        await held.enter_async_context(hashing.admission("198.51.100.1"))

        with pytest.raises(ServiceUnavailable):
            await held.enter_async_context(hashing.admission("198.51.100.2"))

    async def test_slots_and_shares_are_given_back(self) -> None:
        hashing = PasswordHashing(slots=1, per_address=1, max_wait=60)

        for _ in range(3):  # a slot that was not given back would refuse the second
            assert not await hashing.verify(dummy_hash(), "wrong", address="198.51.100.1")

        assert await hashing.verify(await hashing.hash("right"), "right", address="198.51.100.1")
