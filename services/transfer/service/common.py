"""What every transfer write needs: access, the city, catalog checks, constraint mapping."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import httpx
from sqlalchemy import String, bindparam, select
from sqlalchemy.exc import IntegrityError

from services.transfer.models import City
from shared.auth import Principal
from shared.constraints import constraint_name
from shared.db import CompiledQuery, Executor, fetch_compiled
from shared.peers import peer_get
from shared.problems import Conflict, Forbidden, NotFound, Problem, UnprocessableContent
from shared.problems import ValidationIssue as Issue

CATALOG_CHECKS_AT_ONCE = 8


def ensure_may_write(principal: Principal, city: str) -> None:
    if not principal.may_write_city(city):
        raise Forbidden(f"Your credential may not change the transfer data of {city!r}.")


_CITY = CompiledQuery(select(City.code).where(City.code == bindparam("city", type_=String)))


async def ensure_city(db: Executor, city: str) -> None:
    if not await fetch_compiled(db, _CITY, city=city):
        raise NotFound(f"There is no partner city {city!r}.")


async def unknown_practices(
    catalog: httpx.AsyncClient, practice_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """The ids the catalog does not know; a catalog that cannot answer is a 503."""
    gate = asyncio.Semaphore(CATALOG_CHECKS_AT_ONCE)

    async def known(practice_id: uuid.UUID) -> bool:
        async with gate:
            response = await peer_get(catalog, f"/api/v1/catalog/entries/{practice_id}", "catalog")
        return response.status_code != 404

    unique = list(dict.fromkeys(practice_ids))
    answers = await asyncio.gather(*(known(practice_id) for practice_id in unique))
    return {practice_id for practice_id, ok in zip(unique, answers, strict=True) if not ok}


async def check_practices(catalog: httpx.AsyncClient, practice_ids: Sequence[uuid.UUID]) -> None:
    unknown = await unknown_practices(catalog, practice_ids)
    if unknown:
        raise UnprocessableContent(
            "Some linked practices do not exist in the catalog.",
            errors=[
                Issue(loc=["body", "practice_ids", index], msg=f"unknown catalog entry {value}")
                for index, value in enumerate(practice_ids)
                if value in unknown
            ],
        )


_CONFLICTS = {
    "uq_plans_city_challenge": "This city already has a plan for that challenge.",
    "uq_indicators_plan_code": "This plan already has an indicator with that code.",
    "ex_indicator_periods_overlap": "The period overlaps another period of this indicator.",
    "uq_plans_external_id": "Another plan already has this external_id.",
    "uq_milestones_external_id": "Another milestone already has this external_id.",
    "uq_indicators_external_id": "Another indicator already has this external_id.",
    "uq_reports_external_id": "Another report already has this external_id.",
}
_INVALID = {
    "fk_plans_adopted_challenge": (["body", "challenge"], "the city has not adopted it"),
}


def integrity_problem(exc: IntegrityError) -> Problem:
    """A constraint the database enforced, as the 409/422 problem a client can act on."""
    name = constraint_name(exc)
    if name in _CONFLICTS:
        return Conflict(_CONFLICTS[name], constraint=name)
    if name in _INVALID:
        loc, msg = _INVALID[name]
        return UnprocessableContent("The request breaks a rule.", errors=[Issue(loc=loc, msg=msg)])
    return UnprocessableContent("The request breaks a rule of the data model.", constraint=name)


def clamp(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)


def indicator_progress(
    *,
    measure: str,
    ascending: bool,
    baseline: float | None,
    target: float | None,
    actual: float | None,
) -> float | None:
    """How far the latest actual went from baseline to target, 0..1; None when undefined.

    Qualitative indicators and those without baseline or target have no numeric progress.
    No actual yet means no progress. A target equal to the baseline (hold the level) counts
    as reached when the actual is on the right side of it.
    """
    if measure == "qualitative" or baseline is None or target is None:
        return None
    if actual is None:
        return 0.0
    if target == baseline:
        reached = actual >= target if ascending else actual <= target
        return 1.0 if reached else 0.0
    return clamp((actual - baseline) / (target - baseline))
