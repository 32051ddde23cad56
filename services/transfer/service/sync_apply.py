"""How each kind of sync record is stored, compared and written in one statement per table.

Writes go through `jsonb_to_recordset` with one JSON parameter per table: 10 000 records are
one round trip, not 10 000, and no statement approaches the driver's parameter limit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import String, any_, bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from services.transfer import schemas
from services.transfer.models import Indicator, IndicatorPeriod, Milestone, Plan, Report
from shared.db import CompiledQuery, fetch_compiled

if TYPE_CHECKING:
    from services.transfer.service.sync import Item


def _iso(value: Any) -> Any:
    return None if value is None else value.isoformat()


def _num(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _str(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def _plan_id(record: Any, plan_ids: dict[str, uuid.UUID | None]) -> str | None:
    return _str(plan_ids.get(record.plan_external_id))


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def plan_values(record: Any, _: dict[str, uuid.UUID | None]) -> dict[str, Any]:
    data = _json(record)
    return {
        "challenge": record.challenge,
        "title": data["title"],
        "stages": record.stages.model_dump(mode="json", exclude_none=True),
        "practice_ids": [str(practice) for practice in record.practice_ids],
    }


def plan_values_of(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "challenge": row["challenge"],
        "title": row["title"],
        "stages": row["stages"],
        "practice_ids": [str(practice) for practice in row["practice_ids"]],
    }


def milestone_values(record: Any, plan_ids: dict[str, uuid.UUID | None]) -> dict[str, Any]:
    data = _json(record)
    return {
        "plan_id": _plan_id(record, plan_ids),
        "title": data["title"],
        "due": data["due"],
        "status": record.status,
    }


def milestone_values_of(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "plan_id": _str(row["plan_id"]),
        "title": row["title"],
        "due": _iso(row["due"]),
        "status": row["status"],
    }


def indicator_values(record: Any, plan_ids: dict[str, uuid.UUID | None]) -> dict[str, Any]:
    data = _json(record)
    baseline = data["baseline"] or {}
    target = data["target"] or {}
    return {
        "plan_id": _plan_id(record, plan_ids),
        "code": record.code,
        "title": data["title"],
        "unit": record.unit,
        "measure": record.measure,
        "ascending": record.ascending,
        "baseline_value": baseline.get("value"),
        "baseline_date": baseline.get("date"),
        "target_value": target.get("value"),
        "target_date": target.get("date"),
        "periods": sorted(
            (
                {
                    "period_start": period["start"],
                    "period_end": period["end"],
                    "actual": period["actual"],
                    "comment": period["comment"],
                }
                for period in data["periods"]
            ),
            key=lambda period: period["period_start"],
        ),
    }


def indicator_values_of(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "plan_id": _str(row["plan_id"]),
        "code": row["code"],
        "title": row["title"],
        "unit": row["unit"],
        "measure": row["measure"],
        "ascending": row["ascending"],
        "baseline_value": _num(row["baseline_value"]),
        "baseline_date": _iso(row["baseline_date"]),
        "target_value": _num(row["target_value"]),
        "target_date": _iso(row["target_date"]),
        "periods": row["periods"],
    }


def report_values(record: Any, plan_ids: dict[str, uuid.UUID | None]) -> dict[str, Any]:
    data = _json(record)
    return {
        "plan_id": _plan_id(record, plan_ids),
        "period_start": data["period_start"],
        "period_end": data["period_end"],
        "narrative": data["narrative"],
    }


def report_values_of(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "plan_id": _str(row["plan_id"]),
        "period_start": _iso(row["period_start"]),
        "period_end": _iso(row["period_end"]),
        "narrative": row["narrative"],
    }


@dataclass(frozen=True)
class Kind:
    name: str
    record: type[BaseModel]
    table: Any
    constraint: str
    columns: Sequence[tuple[str, str]]
    values: Callable[[Any, dict[str, uuid.UUID | None]], dict[str, Any]]
    values_of: Callable[[dict[str, Any]], dict[str, Any]]
    # What a record without a stored external_id may take over: a row made outside sync
    # (staff, demo data) that holds the same unique key, e.g. the plan of the same challenge.
    claim_key: tuple[str, ...] = ()

    def claim(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[name] for name in self.claim_key)

    def public(self, row: dict[str, Any], plan_keys: dict[str, str | None]) -> dict[str, Any]:
        """The server's current record in the partner's terms: its keys, id and version."""
        values = self.values_of(row)
        keys = {"external_id": row["external_id"]}
        if "plan_id" in values:
            keys["plan_external_id"] = plan_keys.get(values["plan_id"])
        return {"id": str(row["id"]), **keys, "version": row["version"], **values}

    async def load_unclaimed(
        self, session: AsyncSession, city: str
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        """Rows without an external_id, locked, by their claim key (none if not claimable)."""
        if not self.claim_key:
            return {}
        table = self.table
        rows = (
            await session.execute(
                select(table)
                .where(table.c.city_code == city, table.c.external_id.is_(None))
                .with_for_update()
            )
        ).mappings()
        loaded = {row["id"]: dict(row) for row in rows}
        if self.name == "indicators" and loaded:
            await _attach_periods(session, loaded)
        return {self.claim(self.values_of(row)): row for row in loaded.values()}

    async def load(
        self, session: AsyncSession, city: str, external_ids: list[str | None]
    ) -> dict[str | None, dict[str, Any]]:
        if not external_ids:
            return {}
        rows = await fetch_compiled(session, _load(self.table), city=city, ids=external_ids)
        loaded = {row["external_id"]: dict(row) for row in rows}
        if self.name == "indicators" and loaded:
            await _attach_periods(session, loaded)
        return loaded

    async def upsert(
        self, session: AsyncSession, city: str, rows: list[dict[str, Any]]
    ) -> list[Any]:
        names = [name for name, _ in self.columns]
        definition = ", ".join(f"{name} {sql_type}" for name, sql_type in self.columns)
        updates = ", ".join(f"{name} = excluded.{name}" for name in names if name != "external_id")
        # Only names from KINDS below reach this SQL; every value is a bound parameter.
        statement = text(
            f"INSERT INTO transfer.{self.table.name} AS t (city_code, {', '.join(names)}) "  # noqa: S608
            f"SELECT :city, {', '.join(f'r.{name}' for name in names)} "
            f"FROM jsonb_to_recordset(:rows) AS r({definition}) "
            f"ON CONFLICT ON CONSTRAINT {self.constraint} DO UPDATE SET {updates}, "
            "version = t.version + 1, updated_at = now() "
            "RETURNING id, external_id, version"
        ).bindparams(bindparam("rows", type_=JSONB))
        result = await session.execute(statement, {"city": city, "rows": rows})
        return list(result.all())

    async def take_over(
        self, session: AsyncSession, city: str, rows: list[dict[str, Any]]
    ) -> list[Any]:
        """Give rows made outside sync the partner's external_id and the records' fields."""
        columns = [("id", "uuid"), *self.columns]
        definition = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
        updates = ", ".join(f"{name} = r.{name}" for name, _ in self.columns)
        # Only names from KINDS below reach this SQL; every value is a bound parameter.
        statement = text(
            f"UPDATE transfer.{self.table.name} AS t SET {updates}, "  # noqa: S608
            "version = t.version + 1, updated_at = now() "
            f"FROM jsonb_to_recordset(:rows) AS r({definition}) "
            "WHERE t.id = r.id AND t.city_code = :city AND t.external_id IS NULL "
            "RETURNING t.id, t.external_id, t.version"
        ).bindparams(bindparam("rows", type_=JSONB))
        result = await session.execute(statement, {"city": city, "rows": rows})
        return list(result.all())


@cache
def _load(table: Any) -> CompiledQuery:
    """A city's rows of `table` with the given external ids, locked (compiled once)."""
    return CompiledQuery(
        select(table)
        .where(
            table.c.city_code == bindparam("city", type_=String),
            table.c.external_id == any_(bindparam("ids", type_=ARRAY(String))),
        )
        .with_for_update()
    )


async def _attach_periods(session: AsyncSession, loaded: dict[Any, dict[str, Any]]) -> None:
    by_id = {row["id"]: row for row in loaded.values()}
    for row in by_id.values():
        row["periods"] = []
    periods = (
        await session.execute(
            select(IndicatorPeriod.__table__)
            .where(IndicatorPeriod.indicator_id == any_(bindparam("ids", list(by_id))))
            .order_by(IndicatorPeriod.period_start)
        )
    ).mappings()
    for period in periods:
        by_id[period["indicator_id"]]["periods"].append(
            {
                "period_start": _iso(period["period_start"]),
                "period_end": _iso(period["period_end"]),
                "actual": _num(period["actual"]),
                "comment": period["comment"],
            }
        )


_CHILD = [("external_id", "text"), ("plan_id", "uuid")]
KINDS: dict[str, Kind] = {
    "plans": Kind(
        "plans",
        schemas.PlanRecord,
        Plan.__table__,
        "uq_plans_external_id",
        [
            ("external_id", "text"),
            ("challenge", "text"),
            ("title", "jsonb"),
            ("stages", "jsonb"),
            ("practice_ids", "uuid[]"),
        ],
        plan_values,
        plan_values_of,
        claim_key=("challenge",),
    ),
    "milestones": Kind(
        "milestones",
        schemas.MilestoneRecord,
        Milestone.__table__,
        "uq_milestones_external_id",
        [*_CHILD, ("title", "jsonb"), ("due", "date"), ("status", "text")],
        milestone_values,
        milestone_values_of,
    ),
    "indicators": Kind(
        "indicators",
        schemas.IndicatorRecord,
        Indicator.__table__,
        "uq_indicators_external_id",
        [
            *_CHILD,
            ("code", "text"),
            ("title", "jsonb"),
            ("unit", "text"),
            ("measure", "text"),
            ("ascending", "boolean"),
            ("baseline_value", "numeric"),
            ("baseline_date", "date"),
            ("target_value", "numeric"),
            ("target_date", "date"),
        ],
        indicator_values,
        indicator_values_of,
        claim_key=("plan_id", "code"),
    ),
    "reports": Kind(
        "reports",
        schemas.ReportRecord,
        Report.__table__,
        "uq_reports_external_id",
        [*_CHILD, ("period_start", "date"), ("period_end", "date"), ("narrative", "jsonb")],
        report_values,
        report_values_of,
    ),
}

_REPLACE_PERIODS = text(
    "INSERT INTO transfer.indicator_periods "
    "(indicator_id, city_code, period_start, period_end, actual, comment) "
    "SELECT r.indicator_id, :city, r.period_start, r.period_end, r.actual, r.comment "
    "FROM jsonb_to_recordset(:rows) AS r(indicator_id uuid, period_start date, "
    "period_end date, actual numeric, comment jsonb)"
).bindparams(bindparam("rows", type_=JSONB))


async def apply(session: AsyncSession, city: str, items: dict[str, list[Item]]) -> None:
    """Write every created or updated record; parents first so children can refer to them."""
    plan_ids: dict[str, str] = {}
    for name, kind in KINDS.items():
        writes = [item for item in items[name] if item.status in ("created", "updated")]
        upserts, takeovers = [], []
        for item in writes:
            values = {k: v for k, v in item.values.items() if k != "periods"}
            if "plan_id" in values and values["plan_id"] is None:
                values["plan_id"] = plan_ids[item.record.plan_external_id]
            row = {"external_id": item.external_id, **values}
            if item.taken_over:
                takeovers.append({"id": str(item.existing["id"]), **row})  # type: ignore[index]
            else:
                upserts.append(row)
        returned = await kind.take_over(session, city, takeovers) if takeovers else []
        returned += await kind.upsert(session, city, upserts) if upserts else []
        written = {external_id: (row_id, version) for row_id, external_id, version in returned}
        for item in writes:
            item.result_id, item.result_version = written[item.external_id]
        if name == "plans":
            plan_ids = {ext: str(row_id) for ext, (row_id, _) in written.items()}
        if name == "indicators":
            await _replace_periods(session, city, writes)


async def _replace_periods(session: AsyncSession, city: str, writes: list[Item]) -> None:
    changed = [
        item
        for item in writes
        if item.existing is None or item.existing["periods"] != item.values["periods"]
    ]
    stale = [item.result_id for item in changed if item.existing is not None]
    if stale:
        await session.execute(
            delete(IndicatorPeriod).where(
                IndicatorPeriod.indicator_id == any_(bindparam("stale", stale))
            )
        )
    rows = [
        {"indicator_id": str(item.result_id), **period}
        for item in changed
        for period in item.values["periods"]
    ]
    if rows:
        await session.execute(_REPLACE_PERIODS, {"city": city, "rows": rows})
