"""Transfer tables (schema `transfer`); the migrations are the source of truth."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import UserDefinedType

SCHEMA = "transfer"


class Xid8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id (asyncpg returns it as an int)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


class City(Base):
    __tablename__ = "cities"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    coordinator: Mapped[str] = mapped_column(String(300))
    description: Mapped[dict[str, str]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CityChallenge(Base):
    __tablename__ = "city_challenges"

    city_code: Mapped[str] = mapped_column(ForeignKey(City.code), primary_key=True)
    challenge: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)


class _CityOwned:
    id: Mapped[uuid.UUID] = mapped_column(
        UUID, primary_key=True, server_default=text("gen_random_uuid()")
    )
    city_code: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Plan(_CityOwned, Base):
    __tablename__ = "plans"

    challenge: Mapped[str] = mapped_column(String(40))
    title: Mapped[dict[str, str]] = mapped_column(JSONB)
    stages: Mapped[dict[str, Any]] = mapped_column(JSONB)
    practice_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID))


class Milestone(_CityOwned, Base):
    __tablename__ = "milestones"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Plan.id))
    title: Mapped[dict[str, str]] = mapped_column(JSONB)
    due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))


class Indicator(_CityOwned, Base):
    __tablename__ = "indicators"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Plan.id))
    code: Mapped[str] = mapped_column(String(60))
    title: Mapped[dict[str, str]] = mapped_column(JSONB)
    unit: Mapped[str] = mapped_column(String(60))
    measure: Mapped[str] = mapped_column(String(20))
    ascending: Mapped[bool] = mapped_column(Boolean)
    baseline_value: Mapped[Decimal | None] = mapped_column(Numeric)
    baseline_date: Mapped[date | None] = mapped_column(Date)
    target_value: Mapped[Decimal | None] = mapped_column(Numeric)
    target_date: Mapped[date | None] = mapped_column(Date)


class IndicatorPeriod(Base):
    __tablename__ = "indicator_periods"

    id: Mapped[uuid.UUID] = mapped_column(
        UUID, primary_key=True, server_default=text("gen_random_uuid()")
    )
    indicator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Indicator.id))
    city_code: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    actual: Mapped[Decimal | None] = mapped_column(Numeric)
    comment: Mapped[dict[str, str] | None] = mapped_column(JSONB(none_as_null=True))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Report(_CityOwned, Base):
    __tablename__ = "reports"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Plan.id))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    narrative: Mapped[dict[str, str]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), server_default="draft")
    revision: Mapped[int] = mapped_column(Integer, server_default="0")
    snapshot: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB(none_as_null=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReportRevision(Base):
    __tablename__ = "report_revisions"

    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Report.id), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    narrative: Mapped[dict[str, str]] = mapped_column(JSONB)
    snapshot: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Change(Base):
    """One row per created, updated or deleted record, written by triggers."""

    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    xid: Mapped[int] = mapped_column(Xid8)
    city_code: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[uuid.UUID] = mapped_column(UUID)
    op: Mapped[str] = mapped_column(String(10))
    version: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChangeHorizon(Base):
    __tablename__ = "change_horizon"

    singleton: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    xid: Mapped[int] = mapped_column(Xid8)
    seq: Mapped[int] = mapped_column(BigInteger)


class WebhookEndpoint(Base):
    """A partner system's receiver of this city's changes (deliveries: the outbox)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    city_code: Mapped[str] = mapped_column(ForeignKey(City.code))
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), server_default="")
    secret: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
