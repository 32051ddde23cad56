"""Hubs, their spaces, opening hours and closures."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator

from services.participation.schemas.days import Day
from shared.i18n import Translations

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SpaceKind(StrEnum):
    ROOM = "room"
    DESK = "desk"
    WORKSHOP = "workshop"
    EQUIPMENT = "equipment"


class OpeningInterval(BaseModel):
    opens: time = Field(examples=["08:00"])
    closes: time = Field(examples=["20:00"])

    @model_validator(mode="after")
    def _opens_before_closing(self) -> Self:
        if self.closes <= self.opens:
            raise ValueError("closes must be after opens")
        return self


def _ordered_and_apart(intervals: list[OpeningInterval]) -> list[OpeningInterval]:
    ordered = sorted(intervals, key=lambda interval: interval.opens)
    for earlier, later in pairwise(ordered):
        if later.opens < earlier.closes:
            raise ValueError("opening intervals of one day must not overlap")
    return ordered


DayHours = Annotated[list[OpeningInterval], AfterValidator(_ordered_and_apart)]


class OpeningHours(BaseModel):
    """Local opening hours per weekday, in the hub's time zone; a missing day is closed."""

    mon: DayHours = []
    tue: DayHours = []
    wed: DayHours = []
    thu: DayHours = []
    fri: DayHours = []
    sat: DayHours = []
    sun: DayHours = []

    def on(self, day: date) -> list[OpeningInterval]:
        intervals: list[OpeningInterval] = getattr(self, WEEKDAYS[day.weekday()])
        return intervals


class Hub(BaseModel):
    id: uuid.UUID
    slug: str
    name: Translations
    description: dict[str, str]
    town: str
    address: str | None
    timezone: str = Field(examples=["Europe/Ljubljana"])
    version: int
    created_at: datetime
    updated_at: datetime


Slug = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
BufferMinutes = Annotated[int, Field(ge=0, le=240, description="Free minutes after a booking.")]


class Space(BaseModel):
    id: uuid.UUID
    hub_id: uuid.UUID
    slug: str
    name: Translations
    kind: SpaceKind
    capacity: int
    opening_hours: OpeningHours
    timezone: str
    buffer_minutes: int
    requires_approval: bool
    version: int
    created_at: datetime
    updated_at: datetime


class SpaceCreate(BaseModel):
    slug: Slug
    name: Translations
    kind: SpaceKind
    capacity: int = Field(gt=0, le=10_000)
    opening_hours: OpeningHours
    buffer_minutes: BufferMinutes = 0
    requires_approval: bool = False


class SpacePatch(BaseModel):
    """JSON Merge Patch of a space; absent fields stay as they are."""

    name: Translations | None = None
    kind: SpaceKind | None = None
    capacity: int | None = Field(default=None, gt=0, le=10_000)
    opening_hours: OpeningHours | None = None
    buffer_minutes: BufferMinutes | None = Field(
        default=None, description="Applies to bookings made from now on."
    )
    requires_approval: bool | None = None


class ClosureCreate(BaseModel):
    starts_on: Day
    ends_on: Day
    reason: str = Field(default="", max_length=300)
    space_id: uuid.UUID | None = Field(
        default=None, description="Only this space; without it the whole hub is closed."
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class Closure(BaseModel):
    id: uuid.UUID
    hub_id: uuid.UUID
    space_id: uuid.UUID | None
    starts_on: date
    ends_on: date
    reason: str
    version: int
    created_at: datetime
