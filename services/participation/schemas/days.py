"""The days and instants participation reasons about: within years 1900 to 9998.

A local day becomes a pair of UTC instants, and buffers widen a booking by minutes: at the
edges of what Python's dates hold (year 1 in a zone east of UTC, 9999-12-31 plus a day)
that arithmetic overflows. No hub is booked, closed or open outside these years, so a
date or time beyond them is a 422 where it comes in, never an overflow further on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

EARLIEST = date(1900, 1, 1)
LATEST = date(9998, 12, 31)
_RANGE = f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def _day_in_range(day: date) -> date:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"a date must be {_RANGE}")
    return day


_FIRST_INSTANT = datetime.combine(EARLIEST, time.min, UTC)
_END_INSTANT = datetime.combine(LATEST + timedelta(days=1), time.min, UTC)


def _instant_in_range(instant: datetime) -> datetime:
    # Compared, not converted: converting an instant at the very edge may overflow.
    if not _FIRST_INSTANT <= instant < _END_INSTANT:
        raise ValueError(f"a time must be {_RANGE}")
    return instant


Day = Annotated[date, AfterValidator(_day_in_range)]
Instant = Annotated[AwareDatetime, AfterValidator(_instant_in_range)]
