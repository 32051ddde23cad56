"""Password hashing (argon2id) off the event loop, with bounded concurrency and bounded waits.

Argon2 is memory-hard and CPU-bound on purpose: a login costs tens of milliseconds of one
core. Unbounded, a flood of logins queues behind threads and starves every other request.
So hashing runs on at most `slots` threads (the cores this process may use), a request
waits for a slot at most `max_wait` seconds and only while fewer than `max_waiting` others
wait (else 503 with `Retry-After`), and one client address hashes at most
`per_address` passwords at a time (else 429 at once): a flood from one address takes a
share of the cores, never all of them, and other users' logins go through.

Nothing here holds a database connection; callers read what they need first.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import lru_cache

from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.problems import ServiceUnavailable, TooManyRequests

_hasher = PasswordHasher()
RETRY_AFTER = {"Retry-After": "1"}


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Verified against when there is no such user, so the answer's timing does not tell."""
    return _hasher.hash("not-a-password-of-anyone")


async def hash_password(password: str) -> str:
    """Unbounded: for the command line and start-up, where no crowd waits."""
    return await to_thread.run_sync(_hasher.hash, password)


class PasswordHashing:
    def __init__(
        self, *, slots: int, per_address: int, max_wait: float, max_waiting: int | None = None
    ) -> None:
        self.slots = asyncio.Semaphore(slots)
        self.per_address = per_address
        self.max_wait = max_wait
        self.max_waiting = max_waiting if max_waiting is not None else 8 * slots
        self._waiting = 0
        self._by_address: Counter[str] = Counter()

    async def hash(self, password: str) -> str:
        async with self.admission(None):
            return await to_thread.run_sync(_hasher.hash, password)

    async def verify(self, password_hash: str, password: str, *, address: str | None) -> bool:
        def verify() -> bool:
            try:
                return _hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        async with self.admission(address):
            return await to_thread.run_sync(verify)

    @asynccontextmanager
    async def admission(self, address: str | None) -> AsyncIterator[None]:
        if address is not None and self._by_address[address] >= self.per_address:
            raise TooManyRequests(
                "Another login from your address is being checked; retry in a moment.",
                headers=RETRY_AFTER,
            )
        if self.slots.locked() and self._waiting >= self.max_waiting:
            raise _busy()
        release = self._count(address)
        try:
            self._waiting += 1
            try:
                async with asyncio.timeout(self.max_wait):
                    await self.slots.acquire()
            except TimeoutError:
                raise _busy() from None
            finally:
                self._waiting -= 1
            try:
                yield
            finally:
                self.slots.release()
        finally:
            release()

    def _count(self, address: str | None) -> Callable[[], None]:
        if address is None:
            return lambda: None
        self._by_address[address] += 1

        def release() -> None:
            self._by_address[address] -= 1
            if not self._by_address[address]:
                del self._by_address[address]

        return release


def _busy() -> ServiceUnavailable:
    return ServiceUnavailable(
        "Too many passwords are being checked right now; retry in a moment.", headers=RETRY_AFTER
    )
