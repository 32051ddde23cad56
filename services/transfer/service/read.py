"""Reading plans, milestones, indicators and reports into their public shapes.

Progress is derived here, on every read, from the stored facts; it is never stored.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from services.transfer import schemas
from services.transfer.models import City, Indicator, IndicatorPeriod, Milestone, Plan, Report
from services.transfer.service.common import indicator_progress
from shared.db import Executor
from shared.problems import NotFound


def _number(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _stored(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "city": row["city_code"],
        "external_id": row["external_id"],
        "version": row["version"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def indicator_from(
    row: Mapping[Any, Any], periods: Sequence[Mapping[Any, Any]]
) -> schemas.Indicator:
    reported = [p for p in periods if p["actual"] is not None]
    latest = _number(max(reported, key=lambda p: p["period_end"])["actual"]) if reported else None
    baseline = _number(row["baseline_value"])
    target = _number(row["target_value"])
    return schemas.Indicator(
        **_stored(row),
        plan_id=row["plan_id"],
        code=row["code"],
        title=row["title"],
        unit=row["unit"],
        measure=row["measure"],
        ascending=row["ascending"],
        baseline=_value(baseline, row["baseline_date"]),
        target=_value(target, row["target_date"]),
        periods=[
            schemas.Period(
                start=p["period_start"],
                end=p["period_end"],
                actual=_number(p["actual"]),
                comment=p["comment"],
            )
            for p in periods
        ],
        latest_actual=latest,
        progress=indicator_progress(
            measure=row["measure"],
            ascending=row["ascending"],
            baseline=baseline,
            target=target,
            actual=latest,
        ),
    )


def _value(value: float | None, on: Any) -> schemas.Value | None:
    return None if value is None and on is None else schemas.Value(value=value, date=on)


async def load_indicators(db: Executor, where: ColumnElement[bool]) -> list[schemas.Indicator]:
    statement = select(Indicator.__table__).where(where).order_by(Indicator.code, Indicator.id)
    rows = (await db.execute(statement)).mappings().all()
    if not rows:
        return []
    periods = await _periods(db, [row["id"] for row in rows])
    return [indicator_from(row, periods.get(row["id"], [])) for row in rows]


async def _periods(db: Executor, indicator_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    rows = (
        await db.execute(
            select(IndicatorPeriod.__table__)
            .where(IndicatorPeriod.indicator_id.in_(indicator_ids))
            .order_by(IndicatorPeriod.period_start)
        )
    ).mappings()
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row["indicator_id"]].append(row)
    return grouped


async def get_indicator(db: Executor, city: str, indicator_id: uuid.UUID) -> schemas.Indicator:
    found = await load_indicators(
        db, (Indicator.city_code == city) & (Indicator.id == indicator_id)
    )
    if not found:
        raise NotFound(f"There is no indicator {indicator_id} in {city!r}.")
    return found[0]


def milestone_from(row: Mapping[Any, Any]) -> schemas.Milestone:
    return schemas.Milestone(
        **_stored(row),
        plan_id=row["plan_id"],
        title=row["title"],
        due=row["due"],
        status=row["status"],
    )


async def get_milestone(db: Executor, city: str, milestone_id: uuid.UUID) -> schemas.Milestone:
    row = (
        (
            await db.execute(
                select(Milestone.__table__).where(
                    Milestone.city_code == city, Milestone.id == milestone_id
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFound(f"There is no milestone {milestone_id} in {city!r}.")
    return milestone_from(row)


async def plans_from(db: Executor, rows: Iterable[Mapping[Any, Any]]) -> list[schemas.Plan]:
    rows = list(rows)
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    counted = await db.execute(
        select(
            Milestone.plan_id,
            func.count().filter(Milestone.status != "dropped"),
            func.count().filter(Milestone.status == "done"),
        )
        .where(Milestone.plan_id.in_(ids))
        .group_by(Milestone.plan_id)
    )
    milestones = {plan_id: (total, done) for plan_id, total, done in counted}
    indicators: dict[uuid.UUID, list[float]] = defaultdict(list)
    for indicator in await load_indicators(db, Indicator.plan_id.in_(ids)):
        if indicator.progress is not None:
            indicators[indicator.plan_id].append(indicator.progress)
    return [
        schemas.Plan(
            **_stored(row),
            challenge=row["challenge"],
            title=row["title"],
            stages=schemas.Stages.model_validate(row["stages"]),
            practice_ids=row["practice_ids"],
            progress=plan_progress(milestones.get(row["id"], (0, 0)), indicators[row["id"]]),
        )
        for row in rows
    ]


def plan_progress(milestones: tuple[int, int], indicators: list[float]) -> schemas.PlanProgress:
    total, done = milestones
    milestone_share = done / total if total else None
    indicator_share = sum(indicators) / len(indicators) if indicators else None
    parts = [share for share in (milestone_share, indicator_share) if share is not None]
    return schemas.PlanProgress(
        milestones=schemas.MilestoneProgress(
            total=total, done=done, progress=_round(milestone_share)
        ),
        indicators=schemas.IndicatorProgress(
            measured=len(indicators), progress=_round(indicator_share)
        ),
        overall=_round(sum(parts) / len(parts)) if parts else None,
    )


def _round(share: float | None) -> float | None:
    return None if share is None else round(share, 4)


async def get_plan(db: Executor, city: str, plan_id: uuid.UUID) -> schemas.Plan:
    rows = (
        (await db.execute(select(Plan.__table__).where(Plan.city_code == city, Plan.id == plan_id)))
        .mappings()
        .all()
    )
    if not rows:
        raise NotFound(f"There is no plan {plan_id} in {city!r}.")
    return (await plans_from(db, rows))[0]


def report_from(row: Mapping[Any, Any]) -> schemas.Report:
    return schemas.Report(
        **_stored(row),
        plan_id=row["plan_id"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        narrative=row["narrative"],
        status=row["status"],
        revision=row["revision"],
        snapshot=row["snapshot"],
        submitted_at=row["submitted_at"],
    )


def visible_reports(may_see_drafts: bool) -> ColumnElement[bool]:
    """Reports are public once submitted; drafts only to those who may write the city."""
    return case((Report.status == "submitted", True), else_=may_see_drafts)


async def get_report(
    db: Executor, city: str, report_id: uuid.UUID, *, may_see_drafts: bool
) -> schemas.Report:
    row = (
        (
            await db.execute(
                select(Report.__table__).where(
                    Report.city_code == city,
                    Report.id == report_id,
                    visible_reports(may_see_drafts),
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFound(f"There is no report {report_id} in {city!r}.")
    return report_from(row)


async def ensure_city_exists(db: Executor, city: str) -> None:
    if await db.scalar(select(City.code).where(City.code == city)) is None:
        raise NotFound(f"There is no partner city {city!r}.")


async def plans_with_indicators(
    db: Executor, city: str
) -> list[tuple[dict[str, Any], list[schemas.Indicator]]]:
    """The city's plans (stored rows, by challenge), each with its indicators."""
    plans = (
        (
            await db.execute(
                select(Plan.__table__).where(Plan.city_code == city).order_by(Plan.challenge)
            )
        )
        .mappings()
        .all()
    )
    indicators = await load_indicators(db, Indicator.city_code == city)
    return [(dict(plan), [i for i in indicators if i.plan_id == plan["id"]]) for plan in plans]
