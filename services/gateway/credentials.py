"""Exchange a partner system's API key for a short-lived token, at the gateway's edge.

With `Authorization: Bearer mgk_…` the edge looks the key up (on every request, so a
revoked key is refused at once) and replaces the header with a token of the key's
principal. The gateway's own routes and every service then see one credential type.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import Scope

from services.gateway import service
from shared.auth import issue_token
from shared.db import Database
from shared.problems import response_for
from shared.settings import Settings

API_KEY_TOKEN_TTL_SECONDS = 120


async def exchange_api_key(scope: Scope, authorization: bytes) -> Scope | Response:
    """The request with its API key replaced by a token of the key's principal (the scope
    as it is for other credentials), or the problem that refuses the key."""
    scheme, _, credential = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not credential.startswith(service.API_KEY_PREFIX):
        return scope
    database: Database = scope["app"].state.database
    settings: Settings = scope["app"].state.settings
    try:
        async with database.read_engine.connect() as connection:
            principal = await service.resolve_api_key(connection, credential.strip())
    except Exception as exc:  # an unknown key, or a database that is away
        return await response_for(scope, exc)
    token = issue_token(principal, settings, ttl_seconds=API_KEY_TOKEN_TTL_SECONDS)
    headers = [(k, v) for k, v in scope["headers"] if k != b"authorization"]
    return {**scope, "headers": [*headers, (b"authorization", f"Bearer {token}".encode())]}
