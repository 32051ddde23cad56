"""Catalog request and response bodies."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.i18n import Translations


class TaxonomyTerm(BaseModel):
    code: str = Field(examples=["housing"])
    label: Translations
    description: dict[str, str] = Field(default_factory=dict)


class Taxonomy(BaseModel):
    innovation_blocks: list[TaxonomyTerm]
    challenges: list[TaxonomyTerm]
