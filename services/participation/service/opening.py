"""Opening hours and free time, computed in the hub's local time zone.

Opening hours are local wall-clock times per weekday; turning them into instants with
`zoneinfo` for each calendar day keeps them right across daylight-saving changes (09:00 in
Celje is 08:00 UTC in winter and 07:00 UTC in summer).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.participation.schemas.hubs import OpeningHours

Interval = tuple[datetime, datetime]


def local_days(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> Iterator[date]:
    """Every local calendar day that `[starts_at, ends_at)` touches."""
    day = starts_at.astimezone(zone).date()
    last = (ends_at - timedelta(microseconds=1)).astimezone(zone).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def opening_intervals(hours: OpeningHours, zone: ZoneInfo, day: date) -> list[Interval]:
    """The instants (UTC) the space is open on a local day, ignoring closures."""
    return [
        (
            datetime.combine(day, interval.opens, zone).astimezone(UTC),
            datetime.combine(day, interval.closes, zone).astimezone(UTC),
        )
        for interval in hours.on(day)
    ]


def within_opening_hours(
    hours: OpeningHours, zone: ZoneInfo, starts_at: datetime, ends_at: datetime
) -> bool:
    """True when the whole range lies inside one opening interval of its local day."""
    day = starts_at.astimezone(zone).date()
    return any(
        opens <= starts_at and ends_at <= closes
        for opens, closes in opening_intervals(hours, zone, day)
    )


def subtract(free: Iterable[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """`free` minus the union of `busy`; both are half-open intervals."""
    busy_sorted = sorted(busy)
    result: list[Interval] = []
    for start, end in sorted(free):
        cursor = start
        for busy_start, busy_end in busy_sorted:
            if busy_end <= cursor or busy_start >= end:
                continue
            if busy_start > cursor:
                result.append((cursor, busy_start))
            cursor = max(cursor, busy_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def clip(intervals: Iterable[Interval], starts_at: datetime, ends_at: datetime) -> list[Interval]:
    clipped = ((max(start, starts_at), min(end, ends_at)) for start, end in intervals)
    return [(start, end) for start, end in clipped if start < end]
