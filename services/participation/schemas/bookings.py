"""Bookings of hub spaces and their availability."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from services.participation.schemas.days import Instant
from services.participation.schemas.hubs import SpaceKind


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


HOLDING_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


class TimeRange(BaseModel):
    """A half-open interval `[starts_at, ends_at)`; the end must come after the start."""

    starts_at: Instant
    ends_at: Instant

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class BookingCreate(TimeRange):
    space_id: uuid.UUID
    purpose: str = Field(min_length=1, max_length=500)
    organisation: str = Field(default="", max_length=200)


class Booking(BaseModel):
    id: uuid.UUID
    space_id: uuid.UUID
    hub_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: BookingStatus
    purpose: str
    organisation: str
    event_id: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime


class BookingDecision(BaseModel):
    to: Literal[BookingStatus.CONFIRMED, BookingStatus.REJECTED]


class FreeInterval(BaseModel):
    starts_at: datetime
    ends_at: datetime


class SpaceAvailability(BaseModel):
    space_id: uuid.UUID
    hub_id: uuid.UUID
    slug: str
    name: dict[str, str]
    kind: SpaceKind
    capacity: int
    timezone: str
    free: list[FreeInterval]


class DayAvailability(SpaceAvailability):
    date: str = Field(examples=["2026-12-01"])
    closed: bool = Field(description="Closed all day (holiday, closure or no opening hours).")


class Availability(BaseModel):
    starts_at: datetime = Field(alias="from")
    ends_at: datetime = Field(alias="to")
    spaces: list[SpaceAvailability]

    model_config = {"populate_by_name": True, "serialize_by_alias": True}
