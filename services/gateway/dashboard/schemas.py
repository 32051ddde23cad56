"""Dashboard bodies. Every section is either `ok` with its data or `unavailable`."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.i18n import Language


class Unavailable(BaseModel):
    status: Literal["unavailable"] = "unavailable"
    reason: str = Field(description="Why this part is missing; the rest of the answer holds.")


class Upstream(BaseModel):
    """What the gateway reads from a service: only the fields it shows, nothing else."""

    model_config = ConfigDict(extra="ignore")


# --- read from the services -------------------------------------------------------------


class CityIn(Upstream):
    code: str
    name: str
    country: str
    challenges: list[str]


class MilestoneProgress(Upstream):
    total: int
    done: int
    progress: float | None


class IndicatorProgress(Upstream):
    measured: int
    progress: float | None


class PlanProgress(Upstream):
    milestones: MilestoneProgress
    indicators: IndicatorProgress
    overall: float | None


class PlanIn(Upstream):
    id: uuid.UUID
    challenge: str
    title: dict[str, str]
    practice_ids: list[uuid.UUID]
    progress: PlanProgress


class MilestoneIn(Upstream):
    id: uuid.UUID
    title: dict[str, str]
    due: date
    status: str


class ValueIn(Upstream):
    value: float | None = None
    date: dt.date | None = None


class IndicatorIn(Upstream):
    id: uuid.UUID
    code: str
    title: dict[str, str]
    unit: str
    ascending: bool
    baseline: ValueIn | None
    target: ValueIn | None
    latest_actual: float | None
    progress: float | None


class EntryIn(Upstream):
    id: uuid.UUID
    slug: str
    kind: str
    title: dict[str, str]


class EventIn(Upstream):
    id: uuid.UUID
    title: dict[str, str]
    hub_id: uuid.UUID | None
    address: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    seats_left: int
    registration_open: bool
    status: str


# --- shown ------------------------------------------------------------------------------


class City(BaseModel):
    code: str
    name: str
    country: str
    challenges: list[str]


class Milestone(BaseModel):
    id: uuid.UUID
    title: str
    due: date
    status: str


class Indicator(BaseModel):
    id: uuid.UUID
    code: str
    title: str
    unit: str
    ascending: bool
    baseline: ValueIn | None
    target: ValueIn | None
    latest_actual: float | None
    progress: float | None = Field(description="From baseline towards target, 0..1")


class Plan(BaseModel):
    id: uuid.UUID
    challenge: str
    title: str
    progress: PlanProgress
    milestones: list[Milestone]
    indicators: list[Indicator]
    practice_ids: list[uuid.UUID]


class Transfer(BaseModel):
    status: Literal["ok"] = "ok"
    city: City
    plans: list[Plan]


class Practice(BaseModel):
    id: uuid.UUID
    slug: str
    title: str
    challenges: list[str] = Field(description="The city's challenges whose plan links it")
    href: str


class Practices(BaseModel):
    status: Literal["ok"] = "ok"
    items: list[Practice]


class Event(BaseModel):
    id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    hub_id: uuid.UUID | None
    address: str | None
    seats_left: int
    registration_open: bool
    href: str


class Events(BaseModel):
    status: Literal["ok"] = "ok"
    items: list[Event]


TransferSection = Annotated[Transfer | Unavailable, Field(discriminator="status")]
PracticesSection = Annotated[Practices | Unavailable, Field(discriminator="status")]
EventsSection = Annotated[Events | Unavailable, Field(discriminator="status")]


class CityDashboard(BaseModel):
    city: str
    lang: Language
    generated_at: datetime
    transfer: TransferSection
    practices: PracticesSection
    events: EventsSection


class CityOverview(BaseModel):
    city: str
    transfer: TransferSection
    practices: PracticesSection


class Overview(BaseModel):
    lang: Language
    generated_at: datetime
    cities: list[CityOverview]
    events: EventsSection
