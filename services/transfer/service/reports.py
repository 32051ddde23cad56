"""Progress reports: drafts change freely; submission freezes a snapshot of the indicators.

A submitted report never changes in place: a correction is a new revision with its own
snapshot, and every revision stays readable.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.transfer import schemas
from services.transfer.models import Indicator, Report, ReportRevision
from services.transfer.service import read
from services.transfer.service.common import indicator_progress
from services.transfer.service.plans import _locked, validation_problem
from shared.db import Executor
from shared.etag import require_if_match
from shared.merge_patch import merge_patch
from shared.problems import Conflict


async def create_report(
    session: AsyncSession, city: str, plan_id: uuid.UUID, new: schemas.ReportIn
) -> schemas.Report:
    await read.get_plan(session, city, plan_id)
    report_id = await session.scalar(
        insert(Report)
        .values(city_code=city, plan_id=plan_id, **new.model_dump())
        .returning(Report.id)
    )
    assert report_id is not None
    return await read.get_report(session, city, report_id, may_see_drafts=True)


def _refuse_frozen(current: Any) -> None:
    if current["status"] == "submitted":
        raise Conflict(
            "A submitted report is frozen; POST a correction to make a new revision.",
            revision=current["revision"],
        )


async def patch_report(
    session: AsyncSession,
    city: str,
    report_id: uuid.UUID,
    patch: dict[str, Any],
    if_match: str | None,
) -> schemas.Report:
    current = await _locked(session, Report, city, report_id)
    require_if_match(if_match, current["version"])
    _refuse_frozen(current)
    before = {
        "period_start": current["period_start"].isoformat(),
        "period_end": current["period_end"].isoformat(),
        "narrative": current["narrative"],
    }
    try:
        changed = schemas.ReportIn.model_validate(merge_patch(before, patch))
    except ValidationError as exc:
        raise validation_problem(exc) from exc
    if changed.model_dump(mode="json") != before:
        await session.execute(
            update(Report)
            .where(Report.id == report_id)
            .values(**changed.model_dump(), version=Report.version + 1, updated_at=func.now())
        )
    return await read.get_report(session, city, report_id, may_see_drafts=True)


async def snapshot(session: AsyncSession, plan_id: uuid.UUID, until: Any) -> list[dict[str, Any]]:
    """The plan's indicators as they stand for a period ending `until`."""
    indicators = await read.load_indicators(session, Indicator.plan_id == plan_id)
    values = []
    for indicator in indicators:
        reported = [p for p in indicator.periods if p.actual is not None and p.end <= until]
        actual = max(reported, key=lambda p: p.end).actual if reported else None
        baseline = indicator.baseline.value if indicator.baseline else None
        target = indicator.target.value if indicator.target else None
        values.append(
            schemas.SnapshotValue(
                indicator_id=indicator.id,
                code=indicator.code,
                baseline=baseline,
                target=target,
                actual=actual,
                progress=indicator_progress(
                    measure=indicator.measure,
                    ascending=indicator.ascending,
                    baseline=baseline,
                    target=target,
                    actual=actual,
                ),
            ).model_dump(mode="json")
        )
    return values


async def _freeze(session: AsyncSession, current: Any, narrative: dict[Any, str]) -> None:
    frozen = await snapshot(session, current["plan_id"], current["period_end"])
    revision = current["revision"] + 1
    submitted_at = await session.scalar(
        update(Report)
        .where(Report.id == current["id"])
        .values(
            status="submitted",
            narrative=narrative,
            revision=revision,
            snapshot=frozen,
            submitted_at=func.now(),
            version=Report.version + 1,
            updated_at=func.now(),
        )
        .returning(Report.submitted_at)
    )
    await session.execute(
        insert(ReportRevision).values(
            report_id=current["id"],
            revision=revision,
            narrative=narrative,
            snapshot=frozen,
            submitted_at=submitted_at,
        )
    )


async def submit_report(
    session: AsyncSession, city: str, report_id: uuid.UUID, if_match: str | None
) -> schemas.Report:
    current = await _locked(session, Report, city, report_id)
    if if_match is not None:
        require_if_match(if_match, current["version"])
    _refuse_frozen(current)
    await _freeze(session, current, current["narrative"])
    return await read.get_report(session, city, report_id, may_see_drafts=True)


async def correct_report(
    session: AsyncSession,
    city: str,
    report_id: uuid.UUID,
    correction: schemas.Correction,
    if_match: str | None,
) -> schemas.Report:
    current = await _locked(session, Report, city, report_id)
    if if_match is not None:
        require_if_match(if_match, current["version"])
    if current["status"] != "submitted":
        raise Conflict("Only a submitted report is corrected; change the draft instead.")
    await _freeze(session, current, correction.narrative or current["narrative"])
    return await read.get_report(session, city, report_id, may_see_drafts=True)


async def revisions(db: Executor, city: str, report_id: uuid.UUID) -> list[schemas.ReportRevision]:
    await read.get_report(db, city, report_id, may_see_drafts=False)
    rows = (
        await db.execute(
            select(ReportRevision.__table__)
            .where(ReportRevision.report_id == report_id)
            .order_by(ReportRevision.revision)
        )
    ).mappings()
    return [schemas.ReportRevision.model_validate(row) for row in rows]
