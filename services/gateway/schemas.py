"""Identity request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    SecretStr,
    StringConstraints,
    model_validator,
)

from shared.auth import Role
from shared.i18n import Language

CityCode = Annotated[
    str, Field(max_length=40, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", examples=["varazdin"])
]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the token expires")


Password = Annotated[SecretStr, Field(min_length=12, max_length=200)]
STAFF_ROLES = "admin, editor, coordinator or partner"


class NewUser(BaseModel):
    email: EmailStr
    password: Password
    role: Role = Field(description=f"{STAFF_ROLES}: residents sign up themselves.")
    city: CityCode | None = None

    @model_validator(mode="after")
    def _partner_has_city(self) -> Self:
        if self.role is Role.RESIDENT:
            raise ValueError("residents sign up themselves (POST /api/v1/auth/residents)")
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
    name: str | None = Field(default=None, description="A resident's name; staff have none.")
    language: Language | None = Field(default=None, description="A resident's language.")
    verified_at: datetime | None = Field(
        default=None, description="When a resident verified their email; null until then."
    )


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
    subject: str = Field(description="The account's id (the API key's for a partner system).")
    role: Role
    city: str | None
    kind: Literal["user", "api_key"]
    email: str | None = None
    name: str | None = Field(default=None, description="A resident's name.")
    language: Language | None = Field(default=None, description="A resident's language.")


PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class NewResident(BaseModel):
    email: EmailStr
    name: PersonName = Field(description="Signs the resident's contributions.", examples=["Ana"])
    password: Password
    language: Language = Field(description="The language of the mail the resident gets.")


class Accepted(BaseModel):
    """The same answer whatever the address: it never tells whether an account exists."""

    detail: str


class ResidentVerification(BaseModel):
    token: str = Field(min_length=1, max_length=200, description="From the mail's link.")


class PasswordResetRequest(BaseModel):
    email: EmailStr


class PasswordResetConfirmation(BaseModel):
    token: str = Field(min_length=1, max_length=200, description="From the mail's link.")
    password: Password


class ResidentAccount(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    language: Language
    role: Role
    version: int
    created_at: datetime
    verified_at: datetime | None


class Contributions(BaseModel):
    """What the resident wrote in labs, as the participation service keeps it (anything
    more it keeps about them is exported too)."""

    model_config = ConfigDict(extra="allow")

    proposals: list[dict[str, Any]]
    comments: list[dict[str, Any]]
    supports: list[dict[str, Any]]


class ResidentExport(BaseModel):
    account: ResidentAccount
    contributions: Contributions
    exported_at: datetime
