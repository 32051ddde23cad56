"""Results shared by the requests that ask for the same thing at about the same time.

The overview asks the services some thirty questions; anonymous and the same for everyone
(per language), it is computed once and kept for `MAGNET_DASHBOARD_CACHE_SECONDS`, and
requests that arrive while it is being computed wait for that computation instead of
starting their own (single flight). A flood of overview requests then costs the services
one computation per language and period, whoever sends it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Entry(Generic[T]):
    task: asyncio.Task[T]
    expires: float = float("inf")  # set when the computation ends


class SharedResults(Generic[T]):
    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._entries: dict[str, _Entry[T]] = {}

    async def get(self, key: str, compute: Callable[[], Awaitable[T]]) -> T:
        entry = self._entries.get(key)
        if entry is None or entry.expires <= self._clock():
            entry = self._start(key, compute)
        # Shielded: a caller that goes away does not cancel what the others wait for.
        return await asyncio.shield(entry.task)

    def _start(self, key: str, compute: Callable[[], Awaitable[T]]) -> _Entry[T]:
        async def run() -> T:
            return await compute()

        entry = _Entry(asyncio.create_task(run()))

        def ended(task: asyncio.Task[T]) -> None:
            if task.cancelled() or task.exception() is not None:
                if self._entries.get(key) is entry:
                    del self._entries[key]  # a failure is not kept: the next caller retries
            else:
                entry.expires = self._clock() + self.seconds

        entry.task.add_done_callback(ended)
        self._entries[key] = entry
        return entry
