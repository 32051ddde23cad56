"""Check a client's credential at the gateway's edge and forward a short-lived token instead.

An API key (`Authorization: Bearer mgk_…`) is looked up, and a user's token (audience
`CLIENT_AUDIENCE`) is checked against the account, on every request: a revoked key, or a
disabled, deleted or changed account, is refused at once. Either is then replaced by a
token of the principal for `SERVICE_AUDIENCE` that lives `FORWARDED_TOKEN_TTL_SECONDS`;
the gateway's own routes and every service see that one credential type and verify it
themselves. Anything else is passed on unchanged for the routes and services to judge.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import Scope

from services.gateway import service
from shared.auth import (
    CLIENT_AUDIENCE,
    FORWARDED_TOKEN_TTL_SECONDS,
    Principal,
    issue_token,
    token_audience,
    verify_token,
)
from shared.db import Database
from shared.problems import response_for
from shared.settings import Settings


async def exchange_credential(scope: Scope, authorization: bytes) -> Scope | Response:
    """The request with its credential replaced by a forwarded token of its principal (the
    scope as it is for other credentials), or the problem that refuses the credential."""
    scheme, _, credential = authorization.decode("latin-1").partition(" ")
    credential = credential.strip()
    is_key = credential.startswith(service.API_KEY_PREFIX)
    if scheme.lower() != "bearer" or not (is_key or token_audience(credential) == CLIENT_AUDIENCE):
        return scope
    database: Database = scope["app"].state.database
    settings: Settings = scope["app"].state.settings
    try:
        principal = await _principal(database, settings, credential, is_key=is_key)
    except Exception as exc:  # a refused credential, or a database that is away
        return await response_for(scope, exc)
    token = issue_token(principal, settings, ttl_seconds=FORWARDED_TOKEN_TTL_SECONDS)
    headers = [(k, v) for k, v in scope["headers"] if k != b"authorization"]
    return {**scope, "headers": [*headers, (b"authorization", f"Bearer {token}".encode())]}


async def _principal(
    database: Database, settings: Settings, credential: str, *, is_key: bool
) -> Principal:
    if is_key:
        async with database.read_engine.connect() as connection:
            return await service.resolve_api_key(connection, credential)
    claimed = verify_token(credential, settings, audience=CLIENT_AUDIENCE)
    async with database.read_engine.connect() as connection:
        return await service.resolve_user(connection, claimed)
