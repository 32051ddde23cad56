"""A city's transfer plans as IATI 2.03 activities: one model, rendered as JSON and as XML.

One activity per plan. Its results hold the plan's indicators in 2.03's shape: a baseline
with the year it was measured, and periods carrying both the target and the actual. Our
indicators keep one target with the date it should be reached; it goes into the reported
period that contains that date, or else into a period of its own that ends on it (from the
day after the last period before it, else from the baseline date, else from 1 January).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from services.transfer import schemas
from services.transfer.models import City
from services.transfer.service import read
from shared.db import Executor
from shared.problems import NotFound
from shared.settings import Settings

VERSION = "2.03"
IATI_MEASURE = {"unit": "1", "percentage": "2", "qualitative": "5"}
URBAN_DEVELOPMENT = "43030"  # OECD DAC 5-digit sector: urban development and management
FUNDER = "European Urban Initiative"
STATUS_PIPELINE, STATUS_IMPLEMENTATION, STATUS_FINALISATION = "1", "2", "3"
PLANNED_START, PLANNED_END = "1", "3"
Text = dict[str, str]


@dataclass(frozen=True)
class Org:
    name: Text
    role: str | None = None
    ref: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    actual: float | None = None
    comment: Text = field(default_factory=dict)
    target: float | None = None


@dataclass(frozen=True)
class Baseline:
    year: int
    iso_date: date | None
    value: float | None


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    measure: str
    ascending: bool
    title: Text
    unit: str
    baseline: Baseline | None
    periods: list[Period]
    progress: float | None


@dataclass(frozen=True)
class Activity:
    identifier: str
    plan_id: str
    last_updated: datetime
    title: Text
    description: Text
    reporting_org: Org
    participating: list[Org]
    status: str
    dates: list[tuple[str, date]]
    country: str
    challenge: str
    indicators: list[IndicatorResult]


async def activities(db: Executor, settings: Settings, city: str) -> list[Activity]:
    row = (
        await db.execute(select(City.name, City.country, City.coordinator).where(City.code == city))
    ).one_or_none()
    if row is None:
        raise NotFound(f"There is no partner city {city!r}.")
    plans = await read.plans_with_indicators(db, city)
    reporter = Org(
        name={"en": settings.iati_reporting_org_name},
        ref=settings.iati_reporting_org_ref,
        type=settings.iati_reporting_org_type,
    )
    return [
        _activity(
            plan,
            indicators,
            reporter,
            city_name=row.name,
            country=row.country,
            coordinator=row.coordinator,
            today=datetime.now(UTC).date(),
        )
        for plan, indicators in plans
    ]


def _activity(
    plan: dict[str, Any],
    indicators: list[schemas.Indicator],
    reporter: Org,
    *,
    city_name: str,
    country: str,
    coordinator: str,
    today: date,
) -> Activity:
    stages = [stage for stage in (plan["stages"] or {}).values() if stage]
    starts = sorted(date.fromisoformat(s["start"]) for s in stages if s.get("start"))
    ends = sorted(date.fromisoformat(s["end"]) for s in stages if s.get("end"))
    dates = [(PLANNED_START, starts[0] if starts else plan["created_at"].date())]
    if ends:
        dates.append((PLANNED_END, ends[-1]))
    description = (
        f"{city_name} transfers practices of Celje's MAGNET network for the challenge "
        f"{plan['challenge']}, through URBACT's stages understand, adapt and re-use."
    )
    return Activity(
        identifier=f"{reporter.ref}-{plan['id']}",
        plan_id=str(plan["id"]),
        last_updated=max([plan["updated_at"], *(i.updated_at for i in indicators)]),
        title=dict(plan["title"]),
        description={"en": description},
        reporting_org=reporter,
        participating=[
            Org(name={"en": FUNDER}, role="1"),
            replace(reporter, role="2"),
            Org(name={"en": coordinator}, role="4", type="10"),
        ],
        status=activity_status(starts, ends, today),
        dates=dates,
        country=country,
        challenge=plan["challenge"],
        indicators=[_indicator(indicator) for indicator in indicators],
    )


def activity_status(starts: list[date], ends: list[date], today: date) -> str:
    """IATI ActivityStatus from the plan's stages: before, during or after them."""
    if not starts or today < starts[0]:
        return STATUS_PIPELINE
    if ends and today > ends[-1]:
        return STATUS_FINALISATION
    return STATUS_IMPLEMENTATION


def _indicator(indicator: schemas.Indicator) -> IndicatorResult:
    base = indicator.baseline
    baseline = None
    if base is not None:
        measured = base.date.year if base.date else indicator.created_at.year
        baseline = Baseline(year=measured, iso_date=base.date, value=base.value)
    return IndicatorResult(
        code=indicator.code,
        measure=IATI_MEASURE[indicator.measure],
        ascending=indicator.ascending,
        title=dict(indicator.title),
        unit=indicator.unit,
        baseline=baseline,
        periods=_periods(indicator),
        progress=indicator.progress,
    )


def _periods(indicator: schemas.Indicator) -> list[Period]:
    periods = [
        Period(p.start, p.end, actual=p.actual, comment=dict(p.comment or {}))
        for p in indicator.periods
    ]
    target = indicator.target
    if target is None or target.value is None:
        return periods
    if target.date is None:  # no date to place it by: the latest period carries it
        if periods:
            periods[-1] = replace(periods[-1], target=target.value)
        return periods
    due = target.date
    for index, period in enumerate(periods):
        if period.start <= due <= period.end:
            periods[index] = replace(period, target=target.value)
            return periods
    earlier = [period.end for period in periods if period.end < due]
    base = indicator.baseline.date if indicator.baseline else None
    if earlier:
        start = max(earlier) + timedelta(days=1)
    elif base is not None and base < due:
        start = base
    else:
        start = date(due.year, 1, 1)
    periods.append(Period(start, due, target=target.value))
    return sorted(periods, key=lambda period: period.start)


def number(value: float) -> str:
    """IATI values are text: 40, not 40.0."""
    return str(int(value)) if value.is_integer() else repr(value)


def _narratives(text: Text) -> dict[str, list[dict[str, str]]]:
    return {"narrative": [{"lang": lang, "text": value} for lang, value in sorted(text.items())]}


def _org(org: Org) -> dict[str, Any]:
    attributes = {"role": org.role, "ref": org.ref, "type": org.type}
    return {**{k: v for k, v in attributes.items() if v is not None}, **_narratives(org.name)}


def as_json(city: str, generated: datetime, found: list[Activity]) -> dict[str, Any]:
    """The same model as iati.xml, with IATI's element and attribute names."""
    return {
        "iati-version": VERSION,
        "generated-datetime": generated.isoformat(),
        "city": city,
        "iati-activity": [_activity_json(activity) for activity in found],
    }


def _activity_json(activity: Activity) -> dict[str, Any]:
    return {
        "iati-identifier": activity.identifier,
        "last-updated-datetime": activity.last_updated.isoformat(),
        "reporting-org": _org(activity.reporting_org),
        "title": _narratives(activity.title),
        "description": [{"type": "1", **_narratives(activity.description)}],
        "participating-org": [_org(org) for org in activity.participating],
        "other-identifier": [{"ref": activity.plan_id, "type": "A1"}],
        "activity-status": {"code": activity.status},
        "activity-date": [
            {"type": kind, "iso-date": on.isoformat()} for kind, on in activity.dates
        ],
        "recipient-country": [{"code": activity.country, "percentage": 100}],
        "sector": [
            {"vocabulary": "1", "code": URBAN_DEVELOPMENT, "percentage": 100},
            {"vocabulary": "99", "code": activity.challenge, "percentage": 100},
        ],
        "result": [
            {
                "type": "2",
                "title": _narratives(activity.title),
                "indicator": [_indicator_json(i) for i in activity.indicators],
            }
        ]
        if activity.indicators
        else [],
    }


def _indicator_json(indicator: IndicatorResult) -> dict[str, Any]:
    baseline = indicator.baseline
    return {
        "ref": indicator.code,
        "measure": indicator.measure,
        "ascending": "1" if indicator.ascending else "0",
        "unit": indicator.unit,
        "progress": indicator.progress,
        "title": _narratives(indicator.title),
        "baseline": [
            {
                "year": baseline.year,
                "iso-date": baseline.iso_date.isoformat() if baseline.iso_date else None,
                "value": baseline.value,
            }
        ]
        if baseline
        else [],
        "period": [
            {
                "period-start": {"iso-date": period.start.isoformat()},
                "period-end": {"iso-date": period.end.isoformat()},
                "target": [] if period.target is None else [{"value": period.target}],
                "actual": []
                if period.actual is None and not period.comment
                else [{"value": period.actual, "comment": _narratives(period.comment)}],
            }
            for period in indicator.periods
        ],
    }
