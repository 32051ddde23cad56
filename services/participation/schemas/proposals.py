"""Residents' proposals in labs, their supports, comments, reports and moderation."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.participation.schemas.hubs import Slug
from shared.i18n import Language, Translations

TITLE_MAX_LENGTH = 200


class ProposalState(StrEnum):
    PUBLISHED = "published"
    EVALUATING = "evaluating"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    HIDDEN = "hidden"


class ProposalSort(StrEnum):
    RECENT = "recent"
    MOST_SUPPORTED = "most_supported"
    RANDOM = "random"


def _short(value: dict[Language, str]) -> dict[Language, str]:
    if any(len(text) > TITLE_MAX_LENGTH for text in value.values()):
        raise ValueError(f"a title has at most {TITLE_MAX_LENGTH} characters")
    return value


Title = Annotated[Translations, AfterValidator(_short)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
CommentText = Annotated[str, Field(min_length=1, max_length=5000)]


class ProposalCreate(BaseModel):
    title: Title
    body: Translations
    phase: Slug | None = Field(default=None, description="One of the lab's phase keys.")


class ProposalPatch(BaseModel):
    """JSON Merge Patch of a proposal, by its author until it is answered."""

    title: Title | None = None
    body: Translations | None = None
    phase: Slug | None = None


class Moderation(BaseModel):
    hidden: bool
    reason: str | None = Field(description="Why it was hidden (its author and coordinators).")


class OfficialAnswer(BaseModel):
    text: dict[str, str]
    answered_at: datetime


class Proposal(BaseModel):
    id: uuid.UUID
    lab_id: uuid.UUID
    phase: str | None
    title: dict[str, str]
    body: dict[str, str]
    state: ProposalState
    author_name: str | None = Field(
        description="How the author signs; null once they erased their data."
    )
    mine: bool = Field(description="The caller wrote it.")
    supports: int = Field(description="Residents supporting it now.")
    supported: bool = Field(description="The caller supports it.")
    answer: OfficialAnswer | None
    lab_outcome: bool = Field(description="Accepted and linked as an outcome of its lab.")
    moderation: Moderation | None = Field(
        description="Set when hidden, for its author and coordinators (others get 404)."
    )
    version: int
    created_at: datetime
    updated_at: datetime


class ProposalTransition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: ProposalState


class AnswerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Translations
    state: Literal["evaluating", "accepted", "rejected"]
    lab_outcome: bool = Field(
        default=False, description="Link an accepted proposal as an outcome of its lab."
    )


class HideRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=1000)]


class Report(BaseModel):
    id: int
    reason: str
    created_at: datetime


class Support(BaseModel):
    proposal_id: uuid.UUID
    supports: int = Field(description="Residents supporting the proposal now.")
    created_at: datetime


class ProposalRevision(BaseModel):
    id: int
    proposal_id: uuid.UUID
    version: int
    action: str = Field(examples=["created", "updated", "answered", "hidden"])
    actor: str = Field(description="Who made the change (`user:<id>`, `former-resident`).")
    actor_role: str
    changes: dict[str, Any] = Field(description='Per changed field: {"from": old, "to": new}.')
    created_at: datetime


class CommentCreate(BaseModel):
    body: CommentText
    parent_id: uuid.UUID | None = Field(
        default=None, description="The comment answered (on the same proposal)."
    )


class CommentPatch(BaseModel):
    """JSON Merge Patch of a comment, by its author."""

    body: CommentText | None = None


class Comment(BaseModel):
    id: uuid.UUID
    proposal_id: uuid.UUID
    parent_id: uuid.UUID | None
    body: str | None = Field(description="null when deleted, or hidden from the caller.")
    author_name: str | None
    mine: bool
    deleted: bool
    moderation: Moderation | None
    version: int
    created_at: datetime
    updated_at: datetime


class SupportGiven(BaseModel):
    proposal_id: uuid.UUID
    proposal_title: dict[str, str]
    created_at: datetime


class ResidentData(BaseModel):
    name: str | None
    email: str | None
    language: str | None


class Contributions(BaseModel):
    """What participation holds of the caller: their data and contributions."""

    resident: ResidentData | None
    proposals: list[Proposal]
    comments: list[Comment]
    supports: list[SupportGiven]
