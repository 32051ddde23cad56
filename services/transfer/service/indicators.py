"""Indicators (IATI 2.03 result model) and their reporting periods.

Periods of one indicator never overlap: the database's exclusion constraint decides, so two
concurrent writers cannot both add overlapping periods.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.transfer import schemas
from services.transfer.models import Indicator, IndicatorPeriod
from services.transfer.service import read
from services.transfer.service.common import integrity_problem
from services.transfer.service.plans import _locked, validation_problem
from shared.etag import require_if_match
from shared.merge_patch import merge_patch


def indicator_values(indicator: schemas.IndicatorIn) -> dict[str, Any]:
    baseline = indicator.baseline or schemas.Value()
    target = indicator.target or schemas.Value()
    return {
        "code": indicator.code,
        "title": indicator.title,
        "unit": indicator.unit,
        "measure": indicator.measure,
        "ascending": indicator.ascending,
        "baseline_value": baseline.value,
        "baseline_date": baseline.date,
        "target_value": target.value,
        "target_date": target.date,
    }


def period_values(
    city: str, indicator_id: uuid.UUID, periods: list[schemas.PeriodIn]
) -> list[dict[str, Any]]:
    return [
        {
            "indicator_id": indicator_id,
            "city_code": city,
            "period_start": period.start,
            "period_end": period.end,
            "actual": period.actual,
            "comment": period.comment,
        }
        for period in periods
    ]


def as_input(indicator: schemas.Indicator) -> dict[str, Any]:
    """The writable part of a stored indicator, as a client would send it."""
    return indicator.model_dump(
        mode="json",
        include={"code", "title", "unit", "measure", "ascending", "baseline", "target", "periods"},
    )


async def create_indicator(
    session: AsyncSession, city: str, plan_id: uuid.UUID, new: schemas.IndicatorIn
) -> schemas.Indicator:
    await read.get_plan(session, city, plan_id)
    try:
        indicator_id = await session.scalar(
            insert(Indicator)
            .values(city_code=city, plan_id=plan_id, **indicator_values(new))
            .returning(Indicator.id)
        )
        assert indicator_id is not None
        if new.periods:
            await session.execute(
                insert(IndicatorPeriod), period_values(city, indicator_id, new.periods)
            )
    except IntegrityError as exc:
        raise integrity_problem(exc) from exc
    return await read.get_indicator(session, city, indicator_id)


async def patch_indicator(
    session: AsyncSession,
    city: str,
    indicator_id: uuid.UUID,
    patch: dict[str, Any],
    if_match: str | None,
) -> schemas.Indicator:
    locked = await _locked(session, Indicator, city, indicator_id)
    require_if_match(if_match, locked["version"])
    current = await read.get_indicator(session, city, indicator_id)
    before = as_input(current)
    try:
        changed = schemas.IndicatorIn.model_validate(merge_patch(before, patch))
    except ValidationError as exc:
        raise validation_problem(exc) from exc
    if changed.model_dump(mode="json") == schemas.IndicatorIn.model_validate(before).model_dump(
        mode="json"
    ):
        return current
    try:
        await session.execute(
            update(Indicator)
            .where(Indicator.id == indicator_id)
            .values(
                **indicator_values(changed), version=Indicator.version + 1, updated_at=func.now()
            )
        )
        if changed.periods != schemas.IndicatorIn.model_validate(before).periods:
            await replace_periods(session, city, indicator_id, changed.periods)
    except IntegrityError as exc:
        raise integrity_problem(exc) from exc
    return await read.get_indicator(session, city, indicator_id)


async def replace_periods(
    session: AsyncSession, city: str, indicator_id: uuid.UUID, periods: list[schemas.PeriodIn]
) -> None:
    await session.execute(
        delete(IndicatorPeriod).where(IndicatorPeriod.indicator_id == indicator_id)
    )
    if periods:
        await session.execute(insert(IndicatorPeriod), period_values(city, indicator_id, periods))


async def add_period(
    session: AsyncSession, city: str, indicator_id: uuid.UUID, period: schemas.PeriodIn
) -> schemas.Indicator:
    """Report one more period; an overlap with a stored period is a 409."""
    await _locked(session, Indicator, city, indicator_id)
    try:
        await session.execute(insert(IndicatorPeriod), period_values(city, indicator_id, [period]))
    except IntegrityError as exc:
        raise integrity_problem(exc) from exc
    await session.execute(
        update(Indicator)
        .where(Indicator.id == indicator_id)
        .values(version=Indicator.version + 1, updated_at=func.now())
    )
    return await read.get_indicator(session, city, indicator_id)


async def delete_indicator(
    session: AsyncSession, city: str, indicator_id: uuid.UUID, if_match: str | None
) -> None:
    current = await _locked(session, Indicator, city, indicator_id)
    require_if_match(if_match, current["version"])
    await session.execute(delete(Indicator).where(Indicator.id == indicator_id))
