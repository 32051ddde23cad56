"""A city's indicators as CSV, one row per indicator period (IATI shapes: `iati.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from services.transfer import schemas
from services.transfer.service import read
from shared.db import Executor
from shared.i18n import pick

CSV_COLUMNS = [
    "city",
    "plan_id",
    "challenge",
    "indicator_id",
    "code",
    "title",
    "unit",
    "measure",
    "ascending",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
    "period_start",
    "period_end",
    "actual",
    "comment",
    "progress",
]


async def indicators_csv(db: Executor, city: str, lang: str | None) -> list[list[Any]]:
    """One row per reported period (one row with empty period cells when none is)."""
    await read.ensure_city_exists(db, city)
    return list(_csv_rows(city, await read.plans_with_indicators(db, city), lang))


def _csv_rows(
    city: str, plans: list[tuple[dict[str, Any], list[schemas.Indicator]]], lang: str | None
) -> Iterator[list[Any]]:
    for plan, indicators in plans:
        for indicator in indicators:
            baseline, target = indicator.baseline, indicator.target
            common = [
                city,
                plan["id"],
                plan["challenge"],
                indicator.id,
                indicator.code,
                pick(dict(indicator.title), lang),
                indicator.unit,
                indicator.measure,
                str(indicator.ascending).lower(),
                baseline.value if baseline else None,
                baseline.date if baseline else None,
                target.value if target else None,
                target.date if target else None,
            ]
            periods: list[schemas.Period | None] = [*indicator.periods] or [None]
            for period in periods:
                yield [
                    *common,
                    period.start if period else None,
                    period.end if period else None,
                    period.actual if period else None,
                    pick(period.comment, lang) if period and period.comment else None,
                    indicator.progress,
                ]
