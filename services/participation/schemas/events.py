"""Events and their registrations."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, EmailStr, Field, model_validator

from services.participation.schemas.days import Instant
from shared.i18n import Language, Translations
from shared.idempotency import SHOWN_ONCE


class AgeBand(StrEnum):
    UNDER_15 = "under-15"
    FROM_15_TO_29 = "15-29"
    FROM_30_TO_49 = "30-49"
    FROM_50_TO_64 = "50-64"
    FROM_65 = "65-plus"


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class RegistrationWindow(BaseModel):
    registration_opens_at: Instant | None = None
    registration_closes_at: Instant | None = None

    @model_validator(mode="after")
    def _window_in_order(self) -> Self:
        opens, closes = self.registration_opens_at, self.registration_closes_at
        if opens is not None and closes is not None and closes <= opens:
            raise ValueError("registration_closes_at must be after registration_opens_at")
        return self


class EventCreate(RegistrationWindow):
    title: Translations
    description: dict[str, str] = Field(default_factory=dict)
    lab_id: uuid.UUID | None = None
    space_id: uuid.UUID | None = Field(
        default=None, description="A hub space, reserved with the event; or give `address`."
    )
    address: str | None = Field(default=None, min_length=1, max_length=300)
    starts_at: Instant
    ends_at: Instant
    capacity: int = Field(gt=0, le=100_000)
    is_public: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if (self.space_id is None) == (self.address is None):
            raise ValueError("give either space_id or address")
        return self


class EventPatch(RegistrationWindow):
    """JSON Merge Patch of an event (its time and place are fixed: cancel and recreate)."""

    title: Translations | None = None
    description: dict[str, str] | None = None
    capacity: int | None = Field(default=None, gt=0, le=100_000)
    is_public: bool | None = None


class Event(BaseModel):
    id: uuid.UUID
    title: dict[str, str]
    description: dict[str, str]
    lab_id: uuid.UUID | None
    space_id: uuid.UUID | None
    hub_id: uuid.UUID | None
    address: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str = "Europe/Ljubljana"
    capacity: int
    confirmed: int = Field(description="Seats taken.")
    waitlisted: int
    seats_left: int
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    registration_open: bool
    is_public: bool
    status: EventStatus
    version: int
    created_at: datetime
    updated_at: datetime


class RegistrationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    consent: Literal[True] = Field(
        description="Consent to keep name and email for this event; must be true."
    )
    age_band: AgeBand | None = Field(default=None, description="Optional, for inclusion stats.")
    language: Language = Field(
        default=Language.EN, description="The language the registrant's mails are written in."
    )


class Registration(BaseModel):
    """What the registrant (with the cancel token) and coordinators see."""

    id: uuid.UUID
    event_id: uuid.UUID
    name: str | None
    email: str | None
    age_band: AgeBand | None
    status: RegistrationStatus
    waitlist_position: int | None = Field(description="1 = next to get a seat.")
    attended: bool
    erased: bool
    version: int
    created_at: datetime
    updated_at: datetime


class NewRegistration(Registration):
    cancel_token: str | None = Field(
        description=(
            "Shown once: send it as `X-Cancel-Token` to read, cancel or erase. Null in a "
            "replay to an anonymous caller (Idempotency-Key), who may not be the one it was "
            "issued to."
        ),
        json_schema_extra=SHOWN_ONCE,
    )


class Attendance(BaseModel):
    attended: bool
