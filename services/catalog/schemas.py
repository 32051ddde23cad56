"""Catalog request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.i18n import Language, Translations
from shared.pagination import Page

CODE_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Code = Annotated[str, Field(max_length=40, pattern=CODE_PATTERN)]


def _not_an_id(slug: str) -> str:
    try:
        uuid.UUID(slug)
    except ValueError:
        return slug
    raise ValueError("a slug must not look like an entry id")


Slug = Annotated[
    str,
    Field(min_length=1, max_length=120, pattern=CODE_PATTERN, examples=["towns-living-room"]),
    AfterValidator(_not_an_id),
]


class TaxonomyTerm(BaseModel):
    code: str = Field(examples=["housing"])
    label: Translations
    description: dict[str, str] = Field(default_factory=dict)


class Taxonomy(BaseModel):
    innovation_blocks: list[TaxonomyTerm]
    challenges: list[TaxonomyTerm]


class EntryKind(StrEnum):
    STORY = "story"
    METHOD = "method"
    TOOL = "tool"
    PRACTICE = "practice"


class EntryStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


def _not_blank(value: dict[Language, str]) -> dict[Language, str]:
    if any(not text.strip() for text in value.values()):
        raise ValueError("translations must not be blank")
    return value


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("codes must not repeat")
    return values


OptionalTranslations = Annotated[
    dict[Language, Annotated[str, Field(max_length=100_000)]],
    Field(description="Text keyed by language code (sl, en, hr, sk, it); may be empty."),
    AfterValidator(_not_blank),
]
Codes = Annotated[list[Code], Field(max_length=20), AfterValidator(_unique)]


class EntryFields(BaseModel):
    """What an editor writes; the whole document a merge patch must still satisfy."""

    model_config = ConfigDict(extra="forbid")

    kind: EntryKind
    title: Translations
    summary: OptionalTranslations = Field(default_factory=dict)
    body: OptionalTranslations = Field(default_factory=dict)
    innovation_blocks: Codes = Field(
        default_factory=list, description="Codes from GET /api/v1/catalog/taxonomy."
    )
    challenges: Codes = Field(
        default_factory=list, description="Codes from GET /api/v1/catalog/taxonomy."
    )
    cities: Annotated[list[Code], Field(max_length=50), AfterValidator(_unique)] = Field(
        default_factory=list, examples=[["celje", "kosice"]]
    )


class NewEntry(EntryFields):
    slug: Slug | None = Field(
        default=None, description="Derived from the title (unaccented, hyphenated) when absent."
    )


class EntryUpdate(EntryFields):
    slug: Slug


class EntryBase(BaseModel):
    id: uuid.UUID
    slug: str
    kind: EntryKind
    title: dict[Language, str]
    summary: dict[Language, str]
    innovation_blocks: list[str]
    challenges: list[str]
    cities: list[str]
    status: EntryStatus
    published_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class Entry(EntryBase):
    body: dict[Language, str]


class EntryListItem(EntryBase):
    """An entry without its body; with `q`, which language matched and where."""

    matched_language: Language | None = None
    snippet: str | None = Field(
        default=None,
        description="Plain text around the match (HTML-escaped) with matches in <mark>…</mark>.",
    )


class Facets(BaseModel):
    kind: dict[str, int]
    block: dict[str, int]
    challenge: dict[str, int]
    complete: bool = Field(
        description=(
            "False when a search matched more entries than it ranks (200): the counts "
            "then cover those 200 candidates, not every match. Narrow the query for "
            "exact counts."
        )
    )


class EntryPage(Page[EntryListItem]):
    facets: Facets | None = None


class Transition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: EntryStatus


class Revision(BaseModel):
    id: int
    entry_id: uuid.UUID
    version: int
    action: str = Field(examples=["created", "updated", "transitioned", "deleted"])
    actor: str = Field(description="Who made the change (`user:<id>`).")
    actor_role: str
    changes: dict[str, Any] = Field(
        description='Per changed field: {"from": old, "to": new}.',
    )
    created_at: datetime
