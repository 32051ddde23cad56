"""`Idempotency-Key` for POSTs that create: a retry returns the first answer, creates nothing.

The stored answer is written in the same transaction as the effect it describes, so the two
commit or vanish together. While the first request with a key is still running, a
transaction-scoped advisory lock makes a concurrent retry answer 409 at once instead of
waiting; the same key with a different body is a client error (422). Keys are scoped per
caller and kept for `RETENTION`.

A 4xx answer applied nothing, so it is not kept: a retry after the cause is fixed runs again.

Anonymous callers have no identity to scope a key by: nothing in a request tells Alice from
someone who learnt her key and body. So an anonymous key is scoped by the request it came
with (a caller who reuses a key for another body simply makes a new request and learns
nothing of the first), and a replay to an anonymous caller never carries a secret shown
once: response fields marked `SHOWN_ONCE` are never stored for anonymous callers and come
back as null. An anonymous client that lost the first answer still gets the created
resource, without its secret; authenticated callers get the first answer in full.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import OptionalPrincipal, Principal
from shared.db import (
    CompiledQuery,
    Runner,
    Session,
    Transaction,
    fetch_compiled,
    fetch_one_compiled,
)
from shared.problems import Conflict, UnprocessableContent

RETENTION = timedelta(hours=24)
REPLAY_HEADER = "Idempotent-Replayed"
ANONYMOUS = "anonymous"
SHOWN_ONCE: dict[str, Any] = {"x-shown-once": True}
"""`json_schema_extra` of a response field holding a secret shown once (e.g. a cancel token)."""


def shown_once(model: BaseModel) -> set[str]:
    return {
        name
        for name, field in type(model).model_fields.items()
        if isinstance(field.json_schema_extra, dict)
        and field.json_schema_extra.get("x-shown-once") is True
    }


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


@dataclass(frozen=True)
class _Statements:
    lock: CompiledQuery
    previous: CompiledQuery
    remember: CompiledQuery


@cache
def _statements(schema: str) -> _Statements:
    """A schema's statements, compiled once (every idempotent request runs them)."""
    table = idempotency_table(schema)
    mine = (table.c.caller == bindparam("caller", type_=String)) & (
        table.c.key == bindparam("key", type_=String)
    )
    expired = table.c.created_at < func.now() - RETENTION
    # One round trip: an expired answer is deleted (an unreferenced CTE still runs) and not
    # read, as the SELECT sees the rows as they were before the DELETE.
    purge = delete(table).where(mine, expired).cte("purged")
    columns = ("caller", "key", "fingerprint", "status_code", "content_type", "headers", "body")
    return _Statements(
        lock=CompiledQuery(
            select(func.pg_try_advisory_xact_lock(bindparam("lock", type_=BigInteger)))
        ),
        previous=CompiledQuery(select(table).where(mine, ~expired).add_cte(purge)),
        remember=CompiledQuery(
            table.insert().values(
                {name: bindparam(name, type_=table.c[name].type) for name in columns}
            )
        ),
    )


def _lock_id(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class IdempotencyGuard:
    """Wraps one creating request; without a key it simply runs the creation."""

    def __init__(
        self, session: Runner, schema: str, caller: str, key: str | None, fingerprint: str
    ) -> None:
        self.session = session
        self.anonymous = caller == ANONYMOUS
        self.caller = f"{ANONYMOUS}:{fingerprint}" if self.anonymous else caller
        self.key = key
        self.fingerprint = fingerprint
        self.schema = schema

    async def previous(self) -> Response | None:
        """The first answer to this key, or None when this request is the first."""
        if self.key is None:
            return None
        statements = _statements(self.schema)
        lock = _lock_id(self.schema, self.caller, self.key)
        if not (await fetch_compiled(self.session, statements.lock, lock=lock))[0][0]:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                headers={"Retry-After": "1"},
            )
        row = await fetch_one_compiled(
            self.session, statements.previous, caller=self.caller, key=self.key
        )
        if row is None:
            return None
        if row["fingerprint"] != self.fingerprint:
            raise UnprocessableContent(
                "This Idempotency-Key was already used with a different request body."
            )
        return Response(
            content=row["body"],
            status_code=row["status_code"],
            media_type=row["content_type"],
            headers={**row["headers"], REPLAY_HEADER: "true"},
        )

    async def remember(self, status_code: int, body: bytes, headers: Mapping[str, str]) -> None:
        """Keep this answer for retries, in the transaction that made its effect.

        A 4xx is a refusal that applied nothing: it is not kept, so the retry that follows
        a fix (a corrected body elsewhere, a freed slot, a plan deleted) runs again.
        """
        if self.key is None or 400 <= status_code < 500:
            return
        await fetch_compiled(
            self.session,
            _statements(self.schema).remember,
            caller=self.caller,
            key=self.key,
            fingerprint=self.fingerprint,
            status_code=status_code,
            content_type="application/json",
            # The driver's JSONB codec (set up by SQLAlchemy) takes the document as text.
            headers=json.dumps(dict(headers)),
            body=body,
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
        if self.key is not None:
            kept = body
            if self.anonymous and (secrets := shown_once(created)):
                kept = created.model_copy(update=dict.fromkeys(secrets)).model_dump_json().encode()
            await self.remember(status_code, kept, extra_headers)
        return Response(
            content=body,
            status_code=status_code,
            media_type="application/json",
            headers=extra_headers,
        )


IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=255,
        description=(
            "Retries with the same key and body return the first answer (a 4xx is not "
            "kept). Anonymous callers' keys are scoped by the request, and a replay to "
            "them carries no secret shown once (it is null)."
        ),
    ),
]


async def _guard_of(
    request: Request, db: Runner, principal: Principal | None, key: str | None
) -> IdempotencyGuard:
    fingerprint = ""  # without a key, nothing is looked up or kept
    if key is not None:
        body = await request.body()
        fingerprint = hashlib.sha256(
            request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
        ).hexdigest()
    caller = f"{principal.kind}:{principal.subject}" if principal else ANONYMOUS
    return IdempotencyGuard(db, request.app.state.schema, caller, key, fingerprint)


async def _guard(
    request: Request,
    session: Session,
    principal: OptionalPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> IdempotencyGuard:
    return await _guard_of(request, session, principal, idempotency_key)


async def _guard_in_transaction(
    request: Request,
    transaction: Transaction,
    principal: OptionalPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> IdempotencyGuard:
    return await _guard_of(request, transaction, principal, idempotency_key)


# The answer is kept in the transaction of the effect: the guard of a route taking `Session`
# is `Idempotency`, of one taking `Transaction` `TransactionIdempotency`.
Idempotency = Annotated[IdempotencyGuard, Depends(_guard)]
TransactionIdempotency = Annotated[IdempotencyGuard, Depends(_guard_in_transaction)]


async def expire_keys(session: AsyncSession, schema: str) -> int:
    """Forget answers kept longer than `RETENTION` (the worker runs this on a schedule)."""
    table = idempotency_table(schema)
    result = await session.execute(delete(table).where(table.c.created_at < func.now() - RETENTION))
    return int(getattr(result, "rowcount", 0) or 0)
