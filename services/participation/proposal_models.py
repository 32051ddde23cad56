"""Tables of residents' contributions to labs (migration 0006 is the source of truth)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import FetchedValue

from services.participation.models import Base, Lab


class Resident(Base):
    """The only personal data of residents in this schema, as their token last carried it."""

    __tablename__ = "residents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str | None] = mapped_column(String(2))
    window_started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    contributions_in_window: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Proposal(Base):
    """`supports_count` is kept by a trigger on `supports` (exact under concurrency)."""

    __tablename__ = "proposals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    lab_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Lab.id))
    phase: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[dict[str, str]] = mapped_column(JSONB)
    body: Mapped[dict[str, str]] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(String(20), server_default="published")
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Resident.id))
    answer: Mapped[dict[str, str] | None] = mapped_column(JSONB(none_as_null=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lab_outcome: Mapped[bool] = mapped_column(Boolean, server_default="false")
    state_before_hidden: Mapped[str | None] = mapped_column(String(20))
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    supports_count: Mapped[int] = mapped_column(Integer, server_default="0")
    reports_count: Mapped[int] = mapped_column(Integer, server_default="0")
    reports_reviewed: Mapped[int] = mapped_column(Integer, server_default="0")
    search_vector: Mapped[str] = mapped_column(TSVECTOR, server_default=FetchedValue())
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProposalRevision(Base):
    __tablename__ = "proposal_revisions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    proposal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Proposal.id))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(20))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Support(Base):
    """Active while `withdrawn_at` is null; one active support per resident and proposal."""

    __tablename__ = "supports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    proposal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Proposal.id))
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Resident.id))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    proposal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Proposal.id))
    parent_id: Mapped[uuid.UUID | None] = mapped_column()
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Resident.id))
    body: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden: Mapped[bool] = mapped_column(Boolean, server_default="false")
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    reports_count: Mapped[int] = mapped_column(Integer, server_default="0")
    reports_reviewed: Mapped[int] = mapped_column(Integer, server_default="0")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Proposal.id))
    comment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Comment.id))
    reporter: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
