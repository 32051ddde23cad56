"""RealLife Learning Labs: phases, partners, catalog methods and outcomes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from itertools import pairwise
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator

from services.participation.schemas.events import AgeBand
from services.participation.schemas.hubs import Slug
from shared.i18n import Translations


class Phase(BaseModel):
    key: Slug = Field(examples=["co-create"])
    title: Translations
    starts_on: date
    ends_on: date
    current: bool = False

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


def _ordered_with_one_current(phases: list[Phase]) -> list[Phase]:
    if sum(phase.current for phase in phases) != 1:
        raise ValueError("exactly one phase must be current")
    if len({phase.key for phase in phases}) != len(phases):
        raise ValueError("phase keys must be unique")
    for earlier, later in pairwise(phases):
        if later.starts_on < earlier.starts_on:
            raise ValueError("phases must be in chronological order")
    return phases


Phases = Annotated[
    list[Phase], Field(min_length=1, max_length=20), AfterValidator(_ordered_with_one_current)
]
SupportsLimit = Annotated[
    int | None,
    Field(ge=1, le=1000, description="Supports one resident may give in the lab (null: any)."),
]
EntryIds = Annotated[list[uuid.UUID], Field(max_length=50)]
Partners = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=50)
]


class LabCreate(BaseModel):
    slug: Slug
    title: Translations
    description: dict[str, str] = Field(default_factory=dict)
    challenge: str = Field(examples=["housing"], description="A challenge code of the catalog.")
    hub_id: uuid.UUID
    phases: Phases
    partners: Partners = []
    methods: EntryIds = Field(default=[], description="Catalog entry ids of the methods used.")
    outcomes: EntryIds = Field(default=[], description="Catalog entry ids the lab produced.")
    supports_per_resident: SupportsLimit = None


class LabPatch(BaseModel):
    """JSON Merge Patch of a lab; `phases` replaces the whole list."""

    title: Translations | None = None
    description: dict[str, str] | None = None
    challenge: str | None = None
    phases: Phases | None = None
    partners: Partners | None = None
    methods: EntryIds | None = None
    outcomes: EntryIds | None = None
    supports_per_resident: SupportsLimit = None


class PhaseOut(Phase):
    position: int


class Lab(BaseModel):
    id: uuid.UUID
    slug: str
    title: dict[str, str]
    description: dict[str, str]
    challenge: str
    hub_id: uuid.UUID
    phases: list[PhaseOut]
    current_phase: str | None
    partners: list[str]
    methods: list[uuid.UUID]
    outcomes: list[uuid.UUID]
    supports_per_resident: int | None = Field(
        description="How many of the lab's proposals one resident may support (null: any)."
    )
    outcome_proposals: list[uuid.UUID] = Field(
        description="Accepted proposals of residents linked as outcomes of the lab."
    )
    version: int
    created_at: datetime
    updated_at: datetime


class AgeBandStatistics(BaseModel):
    age_band: AgeBand | None = Field(description="null: not given")
    registered: int = Field(description="Confirmed registrations.")
    waitlisted: int
    attended: int


class LabStatistics(BaseModel):
    lab_id: uuid.UUID
    events: int
    registered: int
    waitlisted: int
    attended: int
    by_age_band: list[AgeBandStatistics]
