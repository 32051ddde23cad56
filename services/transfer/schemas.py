"""Transfer request and response bodies."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.i18n import Translations
from shared.problems import ValidationIssue

MilestoneStatus = Literal["planned", "in_progress", "done", "dropped"]
Measure = Literal["unit", "percentage", "qualitative"]
ReportStatus = Literal["draft", "submitted"]
STAGES = ("understand", "adapt", "reuse")


class City(BaseModel):
    code: str = Field(examples=["varazdin"])
    name: str = Field(examples=["Varaždin"])
    country: str = Field(examples=["HR"], description="ISO 3166-1 alpha-2")
    coordinator: str = Field(description="The local coordinator organisation")
    challenges: list[str] = Field(description="Challenge codes adopted, from the taxonomy")
    description: dict[str, str]
    version: int
    created_at: datetime
    updated_at: datetime


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Stage(Strict):
    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start and self.end and self.end < self.start:
            raise ValueError("a stage must not end before it starts")
        return self


class Stages(Strict):
    """URBACT's transfer stages, in this order: understand → adapt → re-use."""

    understand: Stage | None = None
    adapt: Stage | None = None
    reuse: Stage | None = None

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        starts = [s.start for s in (self.understand, self.adapt, self.reuse) if s and s.start]
        if starts != sorted(starts):
            raise ValueError("stages must start in the order understand, adapt, reuse")
        return self


class PlanIn(Strict):
    challenge: str = Field(max_length=40, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: Translations
    stages: Stages = Stages()
    practice_ids: list[uuid.UUID] = Field(
        default=[], max_length=50, description="Catalog practices transferred (checked)."
    )

    @model_validator(mode="after")
    def _unique_practices(self) -> Self:
        if len(set(self.practice_ids)) != len(self.practice_ids):
            raise ValueError("practice_ids must not repeat")
        return self


class MilestoneIn(Strict):
    title: Translations
    due: date
    status: MilestoneStatus = "planned"


class Value(Strict):
    value: float | None = None
    date: dt.date | None = None


class PeriodIn(Strict):
    start: date
    end: date
    actual: float | None = None
    comment: Translations | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")
        return self


class IndicatorIn(Strict):
    code: str = Field(max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    title: Translations
    unit: str = Field(min_length=1, max_length=60, examples=["households"])
    measure: Measure = "unit"
    ascending: bool = True
    baseline: Value | None = None
    target: Value | None = None
    periods: list[PeriodIn] = Field(default=[], max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ordered = sorted(self.periods, key=lambda period: period.start)
        for earlier, later in itertools.pairwise(ordered):
            if later.start <= earlier.end:
                raise ValueError(
                    f"periods overlap: {earlier.start}..{earlier.end} and {later.start}"
                )
        base = self.baseline.value if self.baseline else None
        goal = self.target.value if self.target else None
        moving = base is not None and goal is not None and goal != base
        if moving and (goal > base) != self.ascending:  # type: ignore[operator]
            direction = "above" if self.ascending else "below"
            raise ValueError(f"the target must be {direction} the baseline (see ascending)")
        if self.measure == "percentage":
            values = [base, goal, *(period.actual for period in self.periods)]
            if any(v is not None and not 0 <= v <= 100 for v in values):
                raise ValueError("percentages must lie between 0 and 100")
        return self


class ReportIn(Strict):
    period_start: date
    period_end: date
    narrative: Translations

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.period_end <= self.period_start:
            raise ValueError("a report period must end after it starts")
        return self


class Correction(Strict):
    narrative: Translations | None = None


class Stored(BaseModel):
    id: uuid.UUID
    city: str
    external_id: str | None = Field(None, description="The partner system's own key (sync).")
    version: int
    created_at: datetime
    updated_at: datetime


class MilestoneProgress(BaseModel):
    total: int = Field(description="Milestones not dropped")
    done: int
    progress: float | None


class IndicatorProgress(BaseModel):
    measured: int = Field(description="Indicators with a derivable progress")
    progress: float | None


class PlanProgress(BaseModel):
    """Derived, never typed in: the mean of milestone and indicator progress (0..1)."""

    milestones: MilestoneProgress
    indicators: IndicatorProgress
    overall: float | None


class Plan(Stored):
    challenge: str
    title: dict[str, str]
    stages: Stages
    practice_ids: list[uuid.UUID]
    progress: PlanProgress


class Milestone(Stored):
    plan_id: uuid.UUID
    title: dict[str, str]
    due: date
    status: MilestoneStatus


class Period(BaseModel):
    start: date
    end: date
    actual: float | None
    comment: dict[str, str] | None


class Indicator(Stored):
    plan_id: uuid.UUID
    code: str
    title: dict[str, str]
    unit: str
    measure: Measure
    ascending: bool
    baseline: Value | None
    target: Value | None
    periods: list[Period]
    latest_actual: float | None = Field(description="The actual of the latest period reported")
    progress: float | None = Field(
        description="Derived from baseline, target, latest actual and ascending; 0..1"
    )


class SnapshotValue(BaseModel):
    indicator_id: uuid.UUID
    code: str
    baseline: float | None
    target: float | None
    actual: float | None
    progress: float | None


class Report(Stored):
    plan_id: uuid.UUID
    period_start: date
    period_end: date
    narrative: dict[str, str]
    status: ReportStatus
    revision: int = Field(description="0 while a draft; +1 at submission and each correction")
    snapshot: list[SnapshotValue] | None
    submitted_at: datetime | None


class ReportRevision(BaseModel):
    revision: int
    narrative: dict[str, str]
    snapshot: list[SnapshotValue]
    submitted_at: datetime


class Change(BaseModel):
    entity: Literal["plan", "milestone", "indicator", "period", "report"]
    id: uuid.UUID
    city: str
    op: Literal["upsert", "delete"] = Field(description="`delete` is a tombstone")
    version: int | None
    data: dict[str, Any] | None = Field(description="The record as stored; null for deletes")
    changed_at: datetime


class ChangePage(BaseModel):
    items: list[Change]
    next_cursor: str = Field(description="Where to resume; always present")
    has_more: bool


SyncStatus = Literal["created", "updated", "unchanged", "not_applied", "conflict", "invalid"]


class SyncResult(BaseModel):
    external_id: str | None
    status: SyncStatus
    id: uuid.UUID | None = None
    version: int | None = None
    errors: list[ValidationIssue] | None = None
    current: dict[str, Any] | None = Field(
        None,
        description=(
            "For conflicts: the server's current record with its keys in the partner's terms "
            "(`external_id`, and `plan_external_id` for milestones, indicators and reports)"
        ),
    )


class SyncAnswer(BaseModel):
    applied: bool
    summary: dict[str, int] = Field(description="How many records have each status above")
    plans: list[SyncResult]
    milestones: list[SyncResult]
    indicators: list[SyncResult]
    reports: list[SyncResult]


class SyncKey(Strict):
    external_id: str = Field(min_length=1, max_length=200, description="The partner's own key")
    base_version: int | None = Field(
        None, ge=1, description="The version this change is based on; stale → conflict"
    )


class PlanRecord(PlanIn, SyncKey):
    pass


class PlanChild(SyncKey):
    plan_external_id: str = Field(min_length=1, max_length=200)


class MilestoneRecord(MilestoneIn, PlanChild):
    pass


class IndicatorRecord(IndicatorIn, PlanChild):
    pass


class ReportRecord(ReportIn, PlanChild):
    pass


class SyncBatch(Strict):
    """What `POST /cities/{city}/sync` reads (documented for clients; records are checked
    one by one, so an invalid one is reported in the answer, not as a whole-body error)."""

    plans: list[PlanRecord] = []
    milestones: list[MilestoneRecord] = []
    indicators: list[IndicatorRecord] = []
    reports: list[ReportRecord] = []
