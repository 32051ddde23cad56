"""Push sync: a partner system's batch, upserted by its own `external_id`, all or nothing.

Every record is classified first (created, updated, unchanged, conflict, invalid) against
the rows as they are, locked for the rest of the transaction; only when nothing is invalid
or in conflict is anything written, with one set-based statement per table. Batches of one
city run one at a time (a transaction-scoped advisory lock), so a classification can never
be overtaken by a concurrent batch.

A record the city has no row for by its `external_id` takes over the row made outside sync
(by staff or the demo data) that holds its unique key: a plan the plan of its challenge, an
indicator its plan's indicator of the same code. So a partner's first batch works on data
that already exists instead of colliding with it. A refused batch reports the records it
would have written as `not_applied`.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.transfer import schemas
from services.transfer.models import CityChallenge, Indicator, Plan
from services.transfer.service import sync_apply
from services.transfer.service.common import integrity_problem, unknown_practices
from services.transfer.service.sync_apply import KINDS, Kind
from shared.db import CompiledQuery, fetch_compiled
from shared.problems import UnprocessableContent, ValidationIssue

MAX_RECORDS = 10_000


@dataclass
class Item:
    """One record of the batch and what happens (or would happen) to it."""

    index: int
    external_id: str | None
    record: Any = None
    values: dict[str, Any] = field(default_factory=dict)
    existing: dict[str, Any] | None = None
    status: schemas.SyncStatus = "invalid"
    errors: list[ValidationIssue] = field(default_factory=list)
    result_id: uuid.UUID | None = None
    result_version: int | None = None
    taken_over: bool = False

    def invalid(self, loc: list[str | int], msg: str, kind: str = "invalid_record") -> None:
        self.status = "invalid"
        self.errors.append(ValidationIssue(loc=loc, msg=msg, type=kind))


def _parse(kind: Kind, raw: list[Any]) -> list[Item]:
    adapter: TypeAdapter[BaseModel] = TypeAdapter(kind.record)
    items = []
    for index, record in enumerate(raw):
        external_id = record.get("external_id") if isinstance(record, dict) else None
        item = Item(index, external_id if isinstance(external_id, str) else None)
        try:
            item.record = adapter.validate_python(record)
            item.status = "created"
        except ValidationError as exc:
            for error in exc.errors():
                item.invalid([kind.name, index, *error["loc"]], error["msg"], error["type"])
        items.append(item)
    seen = Counter(item.external_id for item in items if item.record is not None)
    for item in items:
        if item.record is not None and seen[item.external_id] > 1:
            item.invalid([kind.name, item.index, "external_id"], "repeated in this batch")
    return items


def parse_batch(batch: Any) -> dict[str, list[Item]]:
    if not isinstance(batch, dict) or set(batch) - set(KINDS):
        raise UnprocessableContent(
            "A batch is an object with the lists plans, milestones, indicators and reports."
        )
    lists = {name: batch.get(name) or [] for name in KINDS}
    if not all(isinstance(records, list) for records in lists.values()):
        raise UnprocessableContent("plans, milestones, indicators and reports must be lists.")
    if sum(len(records) for records in lists.values()) > MAX_RECORDS:
        raise UnprocessableContent(f"A batch holds at most {MAX_RECORDS} records; split it.")
    return {name: _parse(KINDS[name], lists[name]) for name in KINDS}


_CITY_LOCK = CompiledQuery(
    select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("key", type_=String), 0)))
)
_PLAN_IDS = CompiledQuery(
    select(Plan.external_id, Plan.id).where(
        Plan.city_code == bindparam("city", type_=String),
        Plan.external_id == any_(bindparam("external_ids", type_=ARRAY(String))),
    )
)


async def sync(
    session: AsyncSession, catalog: httpx.AsyncClient, city: str, batch: Any
) -> tuple[int, schemas.SyncAnswer]:
    items = parse_batch(batch)
    await fetch_compiled(session, _CITY_LOCK, key=f"transfer-sync:{city}")
    await _check_plans(session, catalog, city, items["plans"])
    await _classify(session, city, KINDS["plans"], items["plans"], {})
    plan_ids = await _plan_ids(session, city, items)
    for name in KINDS:
        if name != "plans":
            await _classify(session, city, KINDS[name], items[name], plan_ids)
    await _check_plans_taken(session, city, items["plans"])
    await _check_codes_taken(session, city, items["indicators"], plan_ids)
    found = Counter(item.status for group in items.values() for item in group)
    if found["invalid"]:
        status_code = 422
    elif found["conflict"]:
        status_code = 409
    else:
        status_code = 200
        try:
            await sync_apply.apply(session, city, items)
        except IntegrityError as exc:  # e.g. a plan created meanwhile through the plans API
            raise integrity_problem(exc) from exc
    refused = status_code != 200
    for item in (item for group in items.values() for item in group):
        if refused and item.status in ("created", "updated"):
            item.status = "not_applied"
    plan_keys = await _plan_keys(session, items)
    results = {
        name: [_result(KINDS[name], item, plan_keys) for item in items[name]] for name in KINDS
    }
    statuses = Counter(result.status for group in results.values() for result in group)
    answer = schemas.SyncAnswer(
        applied=not refused,
        summary={status: statuses[status] for status in sorted(statuses)},
        **results,
    )
    return status_code, answer


async def _plan_keys(session: AsyncSession, items: dict[str, list[Item]]) -> dict[str, str | None]:
    """The partner's keys of the plans that conflicting records hang on, by plan id."""
    plan_ids = {
        item.existing["plan_id"]
        for name in ("milestones", "indicators", "reports")
        for item in items[name]
        if item.status == "conflict" and item.existing is not None
    }
    if not plan_ids:
        return {}
    rows = await session.execute(select(Plan.id, Plan.external_id).where(Plan.id.in_(plan_ids)))
    return {str(plan_id): external_id for plan_id, external_id in rows.all()}


def _result(kind: Kind, item: Item, plan_keys: dict[str, str | None]) -> schemas.SyncResult:
    if item.status == "invalid":
        return schemas.SyncResult(
            external_id=item.external_id, status="invalid", errors=item.errors
        )
    existing = item.existing
    if item.status == "conflict":
        current = None if existing is None else kind.public(existing, plan_keys)
        return schemas.SyncResult(
            external_id=item.external_id,
            status="conflict",
            id=existing["id"] if existing else None,
            version=existing["version"] if existing else None,
            current=current,
        )
    return schemas.SyncResult(
        external_id=item.external_id,
        status=item.status,
        id=item.result_id or (existing["id"] if existing else None),
        version=item.result_version or (existing["version"] if existing else None),
    )


async def _check_plans(
    session: AsyncSession, catalog: httpx.AsyncClient, city: str, items: list[Item]
) -> None:
    valid = [item for item in items if item.record is not None and item.status != "invalid"]
    if not valid:
        return
    adopted = set(
        await session.scalars(
            select(CityChallenge.challenge).where(CityChallenge.city_code == city)
        )
    )
    practices = [p for item in valid for p in item.record.practice_ids]
    unknown = await unknown_practices(catalog, practices) if practices else set()
    for item in valid:
        record: schemas.PlanRecord = item.record
        if record.challenge not in adopted:
            item.invalid(["plans", item.index, "challenge"], "the city has not adopted it")
        for position, practice in enumerate(record.practice_ids):
            if practice in unknown:
                item.invalid(
                    ["plans", item.index, "practice_ids", position],
                    f"unknown catalog entry {practice}",
                )
    challenges = Counter(item.record.challenge for item in valid)
    for item in valid:
        if challenges[item.record.challenge] > 1:
            item.invalid(["plans", item.index, "challenge"], "two plans for one challenge")


async def _plan_ids(
    session: AsyncSession, city: str, items: dict[str, list[Item]]
) -> dict[str, uuid.UUID | None]:
    """Plans children refer to: stored ones by id; those only in this batch map to None."""
    referenced = {
        item.record.plan_external_id
        for name in ("milestones", "indicators", "reports")
        for item in items[name]
        if item.record is not None
    }
    stored = await fetch_compiled(session, _PLAN_IDS, city=city, external_ids=list(referenced))
    known: dict[str, uuid.UUID | None] = {str(key): value for key, value in stored}
    for item in items["plans"]:
        if item.status == "invalid":
            continue
        if item.taken_over and item.existing is not None:
            known[item.record.external_id] = item.existing["id"]
        else:
            known.setdefault(item.record.external_id, None)
    return known


async def _classify(
    session: AsyncSession,
    city: str,
    kind: Kind,
    items: list[Item],
    plan_ids: dict[str, uuid.UUID | None],
) -> None:
    valid = [item for item in items if item.status != "invalid"]
    existing = await kind.load(session, city, [item.external_id for item in valid])
    unclaimed = await kind.load_unclaimed(session, city) if valid else {}
    for item in valid:
        if kind.name != "plans" and item.record.plan_external_id not in plan_ids:
            item.invalid(
                [kind.name, item.index, "plan_external_id"], "no such plan, here or stored"
            )
            continue
        item.existing = existing.get(item.external_id)
        item.values = kind.values(item.record, plan_ids)
        if item.existing is None and kind.claim_key:
            item.existing = unclaimed.pop(kind.claim(item.values), None)
            item.taken_over = item.existing is not None
        stored = item.existing
        if stored is None:
            item.status = "conflict" if item.record.base_version is not None else "created"
        elif item.taken_over:
            stale = item.record.base_version not in (None, stored["version"])
            item.status = "conflict" if stale else "updated"
        elif kind.values_of(stored) == item.values:
            item.status = "unchanged"
        elif item.record.base_version is not None and item.record.base_version != stored["version"]:
            item.status = "conflict"
        elif stored.get("status") == "submitted":
            item.invalid(
                [kind.name, item.index],
                "the report is submitted and frozen; correct it through the reports API",
            )
        else:
            item.status = "updated"


def _applicable(items: list[Item]) -> list[Item]:
    return [item for item in items if item.status in ("created", "updated")]


async def _check_plans_taken(session: AsyncSession, city: str, items: list[Item]) -> None:
    """One plan per challenge: a stored plan this batch does not carry keeps its challenge."""
    applicable = _applicable(items)
    if not applicable:
        return
    in_batch = {item.external_id for item in items} - {None}
    claimed = {item.existing["id"] for item in items if item.taken_over and item.existing}
    stored = await session.execute(
        select(Plan.challenge, Plan.external_id, Plan.id).where(Plan.city_code == city)
    )
    taken = {
        row.challenge: row
        for row in stored
        if row.external_id not in in_batch and row.id not in claimed
    }
    for item in applicable:
        if (holder := taken.get(item.record.challenge)) is not None:
            item.invalid(
                ["plans", item.index, "challenge"],
                f"the city already has a plan for it (id {holder.id}, "
                f"external_id {holder.external_id})",
            )


async def _check_codes_taken(
    session: AsyncSession, city: str, items: list[Item], plan_ids: dict[str, uuid.UUID | None]
) -> None:
    """Indicator codes are unique per plan, within the batch and against stored indicators."""
    applicable = _applicable(items)
    if not applicable:
        return
    in_batch = {item.external_id for item in items} - {None}
    claimed = {item.existing["id"] for item in items if item.taken_over and item.existing}
    codes = list({item.record.code for item in applicable})
    stored = await session.execute(
        select(Indicator.id, Indicator.plan_id, Indicator.code, Indicator.external_id).where(
            Indicator.city_code == city,
            Indicator.code == any_(bindparam("codes", codes, type_=ARRAY(String))),
        )
    )
    taken = {
        (row.plan_id, row.code)
        for row in stored
        if row.external_id not in in_batch and row.id not in claimed
    }
    present = [item for item in items if item.status in ("created", "updated", "unchanged")]
    repeated = Counter((item.record.plan_external_id, item.record.code) for item in present)
    for item in applicable:
        record = item.record
        if repeated[(record.plan_external_id, record.code)] > 1:
            item.invalid(["indicators", item.index, "code"], "repeated in this plan")
        elif (plan_ids.get(record.plan_external_id), record.code) in taken:
            item.invalid(["indicators", item.index, "code"], "the plan already has it")
