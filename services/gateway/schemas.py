"""Identity request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, EmailStr, Field, SecretStr, model_validator

from shared.auth import Role

CityCode = Annotated[
    str, Field(max_length=40, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", examples=["varazdin"])
]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the token expires")


class NewUser(BaseModel):
    email: EmailStr
    password: SecretStr = Field(min_length=12, max_length=200)
    role: Role
    city: CityCode | None = None

    @model_validator(mode="after")
    def _partner_has_city(self) -> Self:
        if (self.role is Role.PARTNER) != (self.city is not None):
            raise ValueError("a partner needs a city, and only a partner has one")
        return self


class User(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    city: str | None
    disabled: bool = Field(description="A disabled user cannot log in; their tokens are refused.")
    version: int
    created_at: datetime


class UserPage(BaseModel):
    items: list[User]
    next_cursor: str | None = None


class UserPatch(BaseModel):
    """JSON Merge Patch of a user; absent fields stay. `"city": null` removes the city (a
    partner, and only a partner, has one). Any change refuses the user's current tokens."""

    role: Role | None = None
    city: CityCode | None = None
    disabled: bool | None = None


class NewApiKey(BaseModel):
    city: CityCode
    name: str = Field(min_length=1, max_length=200, examples=["Varaždin reporting system"])


class ApiKey(BaseModel):
    id: uuid.UUID
    city: str
    name: str
    version: int
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKey):
    key: str = Field(description="Shown once: store it now; only its hash is kept.")


class Me(BaseModel):
    subject: str
    role: Role
    city: str | None
    kind: Literal["user", "api_key"]
