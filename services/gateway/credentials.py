"""Exchange a partner system's API key for a short-lived token, before anything else runs.

A pure ASGI middleware: with `Authorization: Bearer mgk_…` it looks the key up (on every
request, so a revoked key is refused at once) and replaces the header with a token of the
key's principal. The gateway's own routes and every service then see one credential type.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway import service
from shared.auth import issue_token
from shared.db import Database
from shared.problems import Problem, problem_response
from shared.settings import Settings

API_KEY_TOKEN_TTL_SECONDS = 120


class ApiKeyExchangeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        key = _api_key(headers)
        if key is None:
            await self.app(scope, receive, send)
            return
        database: Database = scope["app"].state.database
        settings: Settings = scope["app"].state.settings
        try:
            async with database.read_engine.connect() as connection:
                principal = await service.resolve_api_key(connection, key)
        except Problem as problem:
            response = problem_response(
                problem.status,
                detail=problem.detail,
                slug=problem.slug,
                instance=scope["path"],
                headers=problem.headers,
            )
            await response(scope, receive, send)
            return
        token = issue_token(principal, settings, ttl_seconds=API_KEY_TOKEN_TTL_SECONDS)
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in headers if k != b"authorization"] + [
            (b"authorization", f"Bearer {token}".encode())
        ]
        await self.app(scope, receive, send)


def _api_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            scheme, _, credential = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credential.startswith(service.API_KEY_PREFIX):
                return credential.strip()
    return None
