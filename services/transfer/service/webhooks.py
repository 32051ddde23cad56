"""Partner systems' webhook endpoints; their deliveries are queued by a database trigger.

Every change the change log records queues one delivery per active endpoint of the city, in
the changing transaction (migration 0005), so nothing is told that did not commit and
nothing committed goes untold. Only the city's partners and admins manage its endpoints.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, insert, select, text, update
from sqlalchemy import delete as delete_statement
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.transfer import webhook_schemas as schemas
from services.transfer.models import WebhookEndpoint
from services.transfer.service.common import ensure_city
from shared.auth import Principal, Role
from shared.db import Executor
from shared.outbox import outbox_table
from shared.pagination import Page, PageQuery, paginate
from shared.problems import Forbidden, NotFound, UnprocessableContent, ValidationIssue
from shared.webhooks import new_secret, refused_target

_COLUMNS = (
    WebhookEndpoint.id,
    WebhookEndpoint.city_code.label("city"),
    WebhookEndpoint.url,
    WebhookEndpoint.description,
    WebhookEndpoint.created_at,
    WebhookEndpoint.disabled_at,
    WebhookEndpoint.disabled_reason,
)
_OUTBOX = outbox_table("transfer")


def ensure_may_manage(principal: Principal, city: str) -> None:
    if not (
        principal.role is Role.ADMIN or (principal.role is Role.PARTNER and principal.city == city)
    ):
        raise Forbidden(f"Only {city!r}'s partners and admins manage its webhooks.")


async def create(
    session: AsyncSession,
    principal: Principal,
    city: str,
    body: schemas.WebhookCreate,
    *,
    allow_private: bool,
) -> schemas.NewWebhook:
    ensure_may_manage(principal, city)
    await ensure_city(session, city)
    if reason := await refused_target(body.url, allow_private=allow_private):
        raise UnprocessableContent(
            f"This URL cannot receive webhooks: {reason}.",
            errors=[ValidationIssue(loc=["body", "url"], msg=reason)],
        )
    endpoint_id, secret = uuid.uuid4(), new_secret()
    await session.execute(
        insert(WebhookEndpoint).values(
            id=endpoint_id,
            city_code=city,
            url=body.url,
            description=body.description,
            secret=secret,
            created_by=principal.subject,
        )
    )
    created = await _get(session, city, endpoint_id)
    return schemas.NewWebhook(**created.model_dump(), secret=secret)


async def _get(connection: Executor, city: str, endpoint_id: uuid.UUID) -> schemas.Webhook:
    row = (
        await connection.execute(
            select(*_COLUMNS).where(
                WebhookEndpoint.id == endpoint_id, WebhookEndpoint.city_code == city
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"There is no webhook {endpoint_id} of {city!r}.")
    return schemas.Webhook.model_validate(row._mapping)


async def list_webhooks(
    connection: AsyncConnection, principal: Principal, city: str, paging: PageQuery
) -> Page[schemas.Webhook]:
    ensure_may_manage(principal, city)
    await ensure_city(connection, city)
    return await paginate(
        connection,
        select(*_COLUMNS).where(WebhookEndpoint.city_code == city),
        key=[WebhookEndpoint.created_at, WebhookEndpoint.id],
        paging=paging,
        item=lambda row: schemas.Webhook.model_validate(row._mapping),
    )


async def delete(
    session: AsyncSession, principal: Principal, city: str, endpoint_id: uuid.UUID
) -> None:
    """Remove the endpoint; deliveries not yet made are dropped with it."""
    ensure_may_manage(principal, city)
    await _get(session, city, endpoint_id)
    await session.execute(
        _OUTBOX.delete().where(_OUTBOX.c.target == str(endpoint_id), _OUTBOX.c.sent_at.is_(None))
    )
    await session.execute(
        delete_statement(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    )


def _delivery(row: Row[Any]) -> schemas.Delivery:
    status = "delivered" if row.sent_at else "failed" if row.failed_at else "pending"
    return schemas.Delivery(
        id=row.id,
        message_id=row.message_id,
        type=row.topic,
        status=status,
        attempts=row.attempts,
        created_at=row.created_at,
        last_attempt_at=row.last_attempt_at,
        last_status=row.last_status,
        last_error=row.last_error,
        next_attempt_at=row.due_at if status == "pending" else None,
        delivered_at=row.sent_at,
    )


async def list_deliveries(
    connection: AsyncConnection,
    principal: Principal,
    city: str,
    endpoint_id: uuid.UUID,
    paging: PageQuery,
) -> Page[schemas.Delivery]:
    ensure_may_manage(principal, city)
    await _get(connection, city, endpoint_id)
    return await paginate(
        connection,
        select(_OUTBOX).where(_OUTBOX.c.target == str(endpoint_id)),
        key=[_OUTBOX.c.created_at, _OUTBOX.c.id],
        paging=paging,
        item=_delivery,
    )


async def endpoint_for_delivery(connection: AsyncConnection, target: str) -> Row[str, str] | None:
    """The active endpoint a queued delivery goes to (the worker's read)."""
    return (
        await connection.execute(
            select(WebhookEndpoint.url, WebhookEndpoint.secret).where(
                WebhookEndpoint.id == uuid.UUID(target), WebhookEndpoint.disabled_at.is_(None)
            )
        )
    ).one_or_none()


async def disable(connection: AsyncConnection, target: str, reason: str) -> None:
    """Stop delivering to an endpoint (its receiver answered 410 Gone)."""
    await connection.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == uuid.UUID(target), WebhookEndpoint.disabled_at.is_(None))
        .values(disabled_at=text("now()"), disabled_reason=reason[:300])
    )
    # Rows another worker holds are skipped: it finds the endpoint disabled and gives up.
    waiting = (
        select(_OUTBOX.c.id)
        .where(
            _OUTBOX.c.target == target,
            _OUTBOX.c.sent_at.is_(None),
            _OUTBOX.c.failed_at.is_(None),
        )
        .with_for_update(skip_locked=True)
    )
    await connection.execute(
        _OUTBOX.update()
        .where(_OUTBOX.c.id.in_(waiting.scalar_subquery()))
        .values(failed_at=text("now()"), last_error="endpoint disabled")
    )
