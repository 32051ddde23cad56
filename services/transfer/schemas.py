"""Transfer request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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
