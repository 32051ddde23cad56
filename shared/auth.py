"""Bearer tokens and role checks, verified by every service itself (defence in depth).

The gateway issues HS256 JWTs signed with a key derived from `MAGNET_SECRET_KEY`; the
`kid` header names that key so keys can be rotated without a flag day: a new
`MAGNET_SECRET_KEY` signs, the secrets in `MAGNET_PREVIOUS_SECRET_KEYS` still verify. A
partner system's API key is exchanged by the gateway for a short-lived token of the same
shape, so services see one kind of credential.

Two audiences keep a disabled or deleted user out at once: `POST /api/v1/auth/token` hands
clients a token for `CLIENT_AUDIENCE` that carries the user's `generation` (the version of
their account). The gateway checks it against the account on every request, as it looks up
API keys, and forwards a short-lived token for `SERVICE_AUDIENCE` in its place; services
accept only the latter, so a client token sent to a service directly is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from shared.problems import Forbidden, Unauthorized
from shared.settings import Settings

ISSUER = "magnet"
CLIENT_AUDIENCE = "magnet-api"
SERVICE_AUDIENCE = "magnet-services"
ALGORITHM = "HS256"
# What a token the gateway forwards to the services lives: a credential withdrawn at the
# gateway is refused there at once, and a forwarded token cannot outlive it by more than this.
FORWARDED_TOKEN_TTL_SECONDS = 120


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    COORDINATOR = "coordinator"
    PARTNER = "partner"
    RESIDENT = "resident"


class Principal(BaseModel):
    # Immutable: one verified token's principal serves every request that carries it.
    model_config = ConfigDict(frozen=True)

    subject: str
    role: Role
    city: str | None = None
    kind: Literal["user", "api_key"] = "user"
    # The account's version when a client token was issued; None in forwarded tokens.
    generation: int | None = None
    # A resident's name (signs contributions), verified email and language (for the mail
    # their contributions bring); None for staff and partner credentials.
    name: str | None = None
    email: str | None = None
    language: str | None = None

    def may_write_city(self, city: str) -> bool:
        if self.role in (Role.ADMIN, Role.COORDINATOR):
            return True
        return self.role is Role.PARTNER and self.city == city


def derive_key(settings: Settings, purpose: str) -> bytes:
    """A separate key per purpose, so one secret never signs two kinds of thing."""
    return _derive(settings.secret_key.get_secret_value(), purpose)


def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


@lru_cache(maxsize=32)
def _jwt_key(secret: str) -> tuple[str, bytes]:
    key = _derive(secret, "jwt")
    return hashlib.sha256(key).hexdigest()[:12], key


def _signing_key(settings: Settings) -> tuple[str, bytes]:
    return _jwt_key(settings.secret_key.get_secret_value())


def issue_token(
    principal: Principal,
    settings: Settings,
    ttl_seconds: int | None = None,
    *,
    audience: str = SERVICE_AUDIENCE,
) -> str:
    kid, key = _signing_key(settings)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": audience,
        "sub": principal.subject,
        "role": principal.role.value,
        "city": principal.city,
        "kind": principal.kind,
        "iat": now,
        "exp": now + (ttl_seconds or settings.token_ttl_seconds),
    }
    if principal.generation is not None:
        claims["gen"] = principal.generation
    for claim in ("name", "email", "language"):
        if (value := getattr(principal, claim)) is not None:
            claims[claim] = value
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})


def token_audience(token: str) -> object:
    """The audience a token claims, unverified: which check it needs (None if not a JWT)."""
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("aud")
    except jwt.InvalidTokenError:
        return None


def verify_token(token: str, settings: Settings, *, audience: str = SERVICE_AUDIENCE) -> Principal:
    secrets = (settings.secret_key, *settings.previous_secret_keys)
    principal, expires = _verified(token, audience, tuple(s.get_secret_value() for s in secrets))
    if expires <= time.time():  # what PyJWT checks, for a token verified while it was valid
        raise Unauthorized("The token has expired.")
    return principal


# Clients send the same token with request after request, and checking its signature and
# claims is a seventh of a booking's CPU (bench/README.md). A token is verified once per
# secret set and audience; only its expiry is checked again. Refusals are never cached.
@lru_cache(maxsize=4096)
def _verified(token: str, audience: str, secrets: tuple[str, ...]) -> tuple[Principal, float]:
    try:
        header = jwt.get_unverified_header(token)
        keys = (_jwt_key(secret) for secret in secrets)
        key = next((key for kid, key in keys if kid == header.get("kid")), None)
        if key is None:
            raise Unauthorized("The token was signed with an unknown key.")
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub"]},
        )
        principal = Principal(
            subject=claims["sub"],
            role=Role(claims["role"]),
            city=claims.get("city"),
            kind=claims.get("kind", "user"),
            generation=claims.get("gen"),
            name=claims.get("name"),
            email=claims.get("email"),
            language=claims.get("language"),
        )
        return principal, float(claims["exp"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired.") from exc
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError) as exc:
        raise Unauthorized("The token is not valid.") from exc


_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token")


async def optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        if "authorization" in request.headers:
            raise Unauthorized("The Authorization header must be `Bearer <token>`.")
        return None
    settings: Settings = request.app.state.settings
    return verify_token(credentials.credentials, settings)


async def required_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthorized()
    return principal


def require_roles(*roles: Role) -> Any:
    """A dependency admitting only the given roles (admins are always admitted)."""
    allowed = {Role.ADMIN, *roles}

    async def dependency(
        principal: Annotated[Principal, Depends(required_principal)],
    ) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"The role {principal.role.value!r} may not do this.")
        return principal

    return Depends(dependency)


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(required_principal)]
AdminPrincipal = Annotated[Principal, require_roles()]
