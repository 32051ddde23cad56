"""Bookings of hub spaces."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from services.participation.api.common import NOT_MODIFIED, PREFIX, created
from services.participation.schemas import bookings as schemas
from services.participation.service import bookings
from shared.auth import CurrentPrincipal
from shared.db import ReadConnection, Session, Transaction
from shared.etag import IfMatch, conditional_get, etag_of
from shared.idempotency import TransactionIdempotency
from shared.pagination import Page, Paging
from shared.problems import problem_responses

router = APIRouter(prefix=PREFIX, tags=["bookings"])


@router.post(
    "/bookings",
    summary="Book a space; overlapping bookings (buffers included) are refused",
    status_code=201,
    response_model=schemas.Booking,
    responses=problem_responses(401, 409, 422),
)
async def create_booking(
    body: schemas.BookingCreate,
    transaction: Transaction,
    principal: CurrentPrincipal,
    idempotency: TransactionIdempotency,
) -> Response:
    return await idempotency.run(
        lambda: bookings.create_booking(transaction, principal, body), headers=created("bookings")
    )


@router.get(
    "/bookings",
    summary="Your bookings (coordinators: every booking)",
    responses=problem_responses(400, 401),
)
async def list_bookings(
    response: Response,
    connection: ReadConnection,
    principal: CurrentPrincipal,
    paging: Paging,
    space_id: uuid.UUID | None = None,
) -> Page[schemas.Booking]:
    page = await bookings.list_bookings(connection, principal, space_id=space_id, paging=paging)
    return paging.page(response, page)


@router.get(
    "/bookings/{booking_id}",
    summary="One booking (its owner or a coordinator)",
    response_model=schemas.Booking,
    responses={**problem_responses(401, 404), **NOT_MODIFIED},
)
async def get_booking(
    booking_id: uuid.UUID,
    request: Request,
    response: Response,
    connection: ReadConnection,
    principal: CurrentPrincipal,
) -> schemas.Booking | Response:
    booking = await bookings.get_booking(connection, principal, booking_id)
    return conditional_get(request, response, booking)


@router.delete(
    "/bookings/{booking_id}",
    summary="Cancel a booking (its owner or a coordinator); frees the slot",
    status_code=204,
    responses=problem_responses(401, 404, 409, 412, 428),
)
async def cancel_booking(
    booking_id: uuid.UUID,
    session: Session,
    principal: CurrentPrincipal,
    if_match: IfMatch = None,
) -> Response:
    await bookings.cancel_booking(session, principal, booking_id, if_match)
    return Response(status_code=204)


@router.post(
    "/bookings/{booking_id}/transitions",
    summary="Confirm or reject a pending booking (coordinators)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def decide_booking(
    booking_id: uuid.UUID,
    body: schemas.BookingDecision,
    response: Response,
    session: Session,
    principal: CurrentPrincipal,
) -> schemas.Booking:
    booking = await bookings.decide(session, principal, booking_id, body.to)
    response.headers["ETag"] = etag_of(booking.version)
    return booking
