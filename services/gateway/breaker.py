"""A circuit breaker per upstream: stop calling a service that keeps failing, probe it later.

Closed: calls go through; `threshold` consecutive failures (refused connections, resets,
timeouts) open it. Open: calls are refused at once, for `pause` seconds. Then half-open:
exactly one call goes through as a probe while the others are still refused; its success
closes the breaker, its failure opens it for another pause. An answer of any status counts
as success: the service is there, and a 4xx or 500 is its own business.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class BreakerOpen(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"open, retry after {retry_after} s")
        self.retry_after = retry_after


class CircuitBreaker:
    def __init__(
        self, *, threshold: int, pause: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.pause = pause
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._probing or self._clock() - self._opened_at >= self.pause:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def retry_after(self) -> int:
        if self._opened_at is None:
            return 0
        return max(1, math.ceil(self._opened_at + self.pause - self._clock()))

    def admit(self) -> None:
        """Raise `BreakerOpen` unless a call may go through now (maybe as the probe)."""
        state = self.state
        if state is BreakerState.CLOSED:
            return
        if state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return
        raise BreakerOpen(self.retry_after())

    def succeeded(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def failed(self) -> None:
        self._failures += 1
        if self._probing or self._failures >= self.threshold:
            self._opened_at = self._clock()
        self._probing = False

    def abandoned(self) -> None:
        """The call was cancelled before it told anything: let another call probe."""
        self._probing = False

    def report(self) -> dict[str, object]:
        report: dict[str, object] = {
            "breaker": self.state.value,
            "consecutive_failures": self._failures,
        }
        if self.state is BreakerState.OPEN:
            report["retry_after"] = self.retry_after()
        return report
