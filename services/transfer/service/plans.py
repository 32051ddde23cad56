"""Plans and their milestones: create, change (If-Match, merge patch) and delete."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.transfer import schemas
from services.transfer.models import Milestone, Plan
from services.transfer.service import read
from services.transfer.service.common import (
    check_practices,
    integrity_problem,
)
from shared.etag import require_if_match
from shared.merge_patch import merge_patch
from shared.problems import NotFound, UnprocessableContent, ValidationIssue


def validation_problem(exc: ValidationError) -> UnprocessableContent:
    return UnprocessableContent(
        "One or more fields are invalid; see errors.",
        errors=[
            ValidationIssue(loc=["body", *error["loc"]], msg=error["msg"], type=error["type"])
            for error in exc.errors()
        ],
    )


def plan_values(plan: schemas.PlanIn) -> dict[str, Any]:
    return {
        "challenge": plan.challenge,
        "title": plan.title,
        "stages": plan.stages.model_dump(mode="json", exclude_none=True),
        "practice_ids": plan.practice_ids,
    }


async def create_plan(
    session: AsyncSession, catalog: httpx.AsyncClient, city: str, new: schemas.PlanIn
) -> schemas.Plan:
    await check_practices(catalog, new.practice_ids)
    try:
        plan_id = await session.scalar(
            insert(Plan).values(city_code=city, **plan_values(new)).returning(Plan.id)
        )
    except IntegrityError as exc:
        raise integrity_problem(exc) from exc
    assert plan_id is not None
    return await read.get_plan(session, city, plan_id)


async def _locked(session: AsyncSession, model: Any, city: str, row_id: uuid.UUID) -> Any:
    row = (
        (
            await session.execute(
                select(model.__table__)
                .where(model.city_code == city, model.id == row_id)
                .with_for_update()
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFound(f"There is no {model.__tablename__[:-1]} {row_id} in {city!r}.")
    return row


async def patch_plan(
    session: AsyncSession,
    catalog: httpx.AsyncClient,
    city: str,
    plan_id: uuid.UUID,
    patch: dict[str, Any],
    if_match: str | None,
) -> schemas.Plan:
    current = await _locked(session, Plan, city, plan_id)
    require_if_match(if_match, current["version"])
    before = {
        "challenge": current["challenge"],
        "title": current["title"],
        "stages": current["stages"],
        "practice_ids": [str(practice) for practice in current["practice_ids"]],
    }
    try:
        changed = schemas.PlanIn.model_validate(merge_patch(before, patch))
    except ValidationError as exc:
        raise validation_problem(exc) from exc
    new_practices = [p for p in changed.practice_ids if p not in current["practice_ids"]]
    await check_practices(catalog, new_practices)
    values = plan_values(changed)
    if values != {**before, "practice_ids": current["practice_ids"]}:
        try:
            await session.execute(
                update(Plan)
                .where(Plan.id == plan_id)
                .values(**values, version=Plan.version + 1, updated_at=func.now())
            )
        except IntegrityError as exc:
            raise integrity_problem(exc) from exc
    return await read.get_plan(session, city, plan_id)


async def delete_plan(
    session: AsyncSession, city: str, plan_id: uuid.UUID, if_match: str | None
) -> None:
    current = await _locked(session, Plan, city, plan_id)
    require_if_match(if_match, current["version"])
    await session.execute(delete(Plan).where(Plan.id == plan_id))


async def create_milestone(
    session: AsyncSession, city: str, plan_id: uuid.UUID, new: schemas.MilestoneIn
) -> schemas.Milestone:
    await read.get_plan(session, city, plan_id)
    milestone_id = await session.scalar(
        insert(Milestone)
        .values(city_code=city, plan_id=plan_id, **new.model_dump())
        .returning(Milestone.id)
    )
    assert milestone_id is not None
    return await read.get_milestone(session, city, milestone_id)


async def patch_milestone(
    session: AsyncSession,
    city: str,
    milestone_id: uuid.UUID,
    patch: dict[str, Any],
    if_match: str | None,
) -> schemas.Milestone:
    current = await _locked(session, Milestone, city, milestone_id)
    require_if_match(if_match, current["version"])
    before = {
        "title": current["title"],
        "due": current["due"].isoformat(),
        "status": current["status"],
    }
    try:
        changed = schemas.MilestoneIn.model_validate(merge_patch(before, patch))
    except ValidationError as exc:
        raise validation_problem(exc) from exc
    values = changed.model_dump()
    if values != {**before, "due": current["due"]}:
        await session.execute(
            update(Milestone)
            .where(Milestone.id == milestone_id)
            .values(**values, version=Milestone.version + 1, updated_at=func.now())
        )
    return await read.get_milestone(session, city, milestone_id)


async def delete_milestone(
    session: AsyncSession, city: str, milestone_id: uuid.UUID, if_match: str | None
) -> None:
    current = await _locked(session, Milestone, city, milestone_id)
    require_if_match(if_match, current["version"])
    await session.execute(delete(Milestone).where(Milestone.id == milestone_id))
