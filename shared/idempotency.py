"""`Idempotency-Key` for POSTs that create: a retry returns the first answer, creates nothing.

The stored answer is written in the same transaction as the effect it describes, so the two
commit or vanish together. While the first request with a key is still running, a
transaction-scoped advisory lock makes a concurrent retry answer 409 at once instead of
waiting; the same key with a different body is a client error (422). Keys are scoped per
caller and kept for `RETENTION`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from functools import cache
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import OptionalPrincipal
from shared.db import Session
from shared.problems import Conflict, UnprocessableContent

RETENTION = timedelta(hours=24)
REPLAY_HEADER = "Idempotent-Replayed"


@cache
def idempotency_table(schema: str) -> Table:
    return Table(
        "idempotency_keys",
        MetaData(schema=schema),
        Column("caller", String(200), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("content_type", String(100), nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def _lock_id(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class IdempotencyGuard:
    """Wraps one creating request; without a key it simply runs the creation."""

    def __init__(
        self, session: AsyncSession, schema: str, caller: str, key: str | None, fingerprint: str
    ) -> None:
        self.session = session
        self.table = idempotency_table(schema)
        self.caller = caller
        self.key = key
        self.fingerprint = fingerprint
        self.schema = schema

    async def previous(self) -> Response | None:
        """The first answer to this key, or None when this request is the first."""
        if self.key is None:
            return None
        locked = await self.session.scalar(
            select(func.pg_try_advisory_xact_lock(_lock_id(self.schema, self.caller, self.key)))
        )
        if not locked:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                headers={"Retry-After": "1"},
            )
        table = self.table
        mine = (table.c.caller == self.caller) & (table.c.key == self.key)
        await self.session.execute(
            delete(table).where(mine, table.c.created_at < func.now() - RETENTION)
        )
        row = (await self.session.execute(select(table).where(mine))).one_or_none()
        if row is None:
            return None
        if row.fingerprint != self.fingerprint:
            raise UnprocessableContent(
                "This Idempotency-Key was already used with a different request body."
            )
        return Response(
            content=row.body,
            status_code=row.status_code,
            media_type=row.content_type,
            headers={**row.headers, REPLAY_HEADER: "true"},
        )

    async def remember(self, status_code: int, body: bytes, headers: Mapping[str, str]) -> None:
        """Keep this answer for retries, in the transaction that made its effect."""
        if self.key is None:
            return
        await self.session.execute(
            self.table.insert().values(
                caller=self.caller,
                key=self.key,
                fingerprint=self.fingerprint,
                status_code=status_code,
                content_type="application/json",
                headers=dict(headers),
                body=body,
            )
        )

    async def run(
        self,
        create: Callable[[], Awaitable[BaseModel]],
        *,
        status_code: int = 201,
        headers: Callable[[BaseModel], Mapping[str, str]] | None = None,
    ) -> Response:
        if (previous := await self.previous()) is not None:
            return previous
        created = await create()
        body = created.model_dump_json().encode()
        extra_headers = dict(headers(created)) if headers else {}
        await self.remember(status_code, body, extra_headers)
        return Response(
            content=body,
            status_code=status_code,
            media_type="application/json",
            headers=extra_headers,
        )


async def _guard(
    request: Request,
    session: Session,
    principal: OptionalPrincipal,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            description="Retries with the same key and body return the first answer.",
        ),
    ] = None,
) -> IdempotencyGuard:
    body = await request.body()
    fingerprint = hashlib.sha256(
        request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
    ).hexdigest()
    caller = f"{principal.kind}:{principal.subject}" if principal else "anonymous"
    return IdempotencyGuard(session, request.app.state.schema, caller, idempotency_key, fingerprint)


Idempotency = Annotated[IdempotencyGuard, Depends(_guard)]


async def expire_keys(session: AsyncSession, schema: str) -> int:
    """Forget answers kept longer than `RETENTION` (the worker runs this on a schedule)."""
    table = idempotency_table(schema)
    result = await session.execute(delete(table).where(table.c.created_at < func.now() - RETENTION))
    return int(getattr(result, "rowcount", 0) or 0)
