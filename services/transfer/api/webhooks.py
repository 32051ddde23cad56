"""Webhook endpoints of a city's partner systems, and each endpoint's deliveries log."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from services.transfer import webhook_schemas as schemas
from services.transfer.api.common import PREFIX, CityCode
from services.transfer.service import webhooks as service
from shared.auth import CurrentPrincipal
from shared.db import ReadConnection, Session
from shared.idempotency import Idempotency
from shared.pagination import Page, Paging
from shared.problems import problem_responses
from shared.settings import Environment, Settings

router = APIRouter(prefix=PREFIX, tags=["webhooks"])


def _allow_private_targets(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return settings.environment in (Environment.LOCAL, Environment.TEST)


@router.get(
    "/cities/{city}/webhooks",
    summary="A city's webhook endpoints (its partners and admins)",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_webhooks(
    city: CityCode,
    response: Response,
    connection: ReadConnection,
    principal: CurrentPrincipal,
    paging: Paging,
) -> Page[schemas.Webhook]:
    page = await service.list_webhooks(connection, principal, city, paging)
    return paging.page(response, page)


@router.post(
    "/cities/{city}/webhooks",
    summary="Register an endpoint; the signing secret is shown only in this answer",
    status_code=201,
    response_model=schemas.NewWebhook,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def create_webhook(
    city: CityCode,
    body: schemas.WebhookCreate,
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    idempotency: Idempotency,
) -> Response:
    allow_private = _allow_private_targets(request)
    return await idempotency.run(
        lambda: service.create(session, principal, city, body, allow_private=allow_private),
        headers=lambda hook: {
            "Location": f"{PREFIX}/cities/{city}/webhooks/{hook.model_dump()['id']}",
            "Cache-Control": "no-store",
        },
    )


@router.delete(
    "/cities/{city}/webhooks/{webhook_id}",
    summary="Remove an endpoint; deliveries not yet made are dropped",
    status_code=204,
    responses=problem_responses(401, 403, 404),
)
async def delete_webhook(
    city: CityCode, webhook_id: uuid.UUID, session: Session, principal: CurrentPrincipal
) -> Response:
    await service.delete(session, principal, city, webhook_id)
    return Response(status_code=204)


@router.get(
    "/cities/{city}/webhooks/{webhook_id}/deliveries",
    summary="The endpoint's deliveries: pending, delivered or failed, newest last",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_deliveries(
    city: CityCode,
    webhook_id: uuid.UUID,
    response: Response,
    connection: ReadConnection,
    principal: CurrentPrincipal,
    paging: Paging,
) -> Page[schemas.Delivery]:
    page = await service.list_deliveries(connection, principal, city, webhook_id, paging)
    return paging.page(response, page)
