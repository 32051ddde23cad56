"""Participation request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from enum import StrEnum

from pydantic import BaseModel, Field

from shared.i18n import Translations


class SpaceKind(StrEnum):
    ROOM = "room"
    DESK = "desk"
    WORKSHOP = "workshop"
    EQUIPMENT = "equipment"


class OpeningInterval(BaseModel):
    opens: time = Field(examples=["08:00"])
    closes: time = Field(examples=["20:00"])


class OpeningHours(BaseModel):
    """Local opening hours per weekday, in the hub's time zone; a missing day is closed."""

    mon: list[OpeningInterval] = []
    tue: list[OpeningInterval] = []
    wed: list[OpeningInterval] = []
    thu: list[OpeningInterval] = []
    fri: list[OpeningInterval] = []
    sat: list[OpeningInterval] = []
    sun: list[OpeningInterval] = []


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
