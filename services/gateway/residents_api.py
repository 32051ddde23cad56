"""Residents' routes: sign up, verify, reset a password, export and delete one's account.
Thin: limit, hash (before any database connection is taken), call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from services.gateway import residents, schemas
from services.gateway.passwords import PasswordHashing
from services.gateway.resident_limits import ResidentLimits
from services.gateway.tokens import Purpose, holder, token_key
from services.gateway.upstreams import Upstream, upstream
from shared.auth import CurrentPrincipal, Principal, Role
from shared.db import DatabaseDep, Session
from shared.etag import IfMatch
from shared.problems import Forbidden, problem_responses
from shared.settings import settings_of

router = APIRouter(prefix="/api/v1/auth", tags=["identity"])


def _hashing(request: Request) -> PasswordHashing:
    hashing: PasswordHashing = request.app.state.password_hashing
    return hashing


def _limits(request: Request) -> ResidentLimits:
    limits: ResidentLimits = request.app.state.resident_limits
    return limits


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _participation(request: Request) -> Upstream:
    return upstream(request.app, "participation")


async def _resident(principal: CurrentPrincipal) -> Principal:
    if principal.role is not Role.RESIDENT:
        raise Forbidden(
            "Only residents export or delete their own account here; staff accounts are "
            "managed by an administrator."
        )
    return principal


ResidentPrincipal = Annotated[Principal, Depends(_resident)]


def _authorization(request: Request) -> str:
    """The resident's forwarded token (the edge exchanged their client token for it)."""
    return request.headers["authorization"]


@router.post(
    "/residents",
    status_code=202,
    operation_id="resident-sign-up",
    summary="Sign up as a resident; a mail with a link to verify the address follows",
    description=(
        "Always 202 with the same body, whether the address has an account or not: an "
        "address with an account gets a mail saying so, never a second account. The account "
        "is inactive until `POST /api/v1/auth/residents/verify` with the mailed token."
    ),
    responses=problem_responses(422, 429, 503),
)
async def sign_up_resident(
    request: Request, new: schemas.NewResident, session: Session
) -> schemas.Accepted:
    await _limits(request).admit("sign-up", _address(request), new.email)
    # Hashed for every sign-up, known address or not: the answer takes as long either way.
    password_hash = await _hashing(request).hash(new.password.get_secret_value())
    key = token_key(settings_of(request))
    await residents.sign_up(session, new, password_hash=password_hash, key=key)
    return schemas.Accepted(detail=residents.ACCEPTED_SIGN_UP)


@router.post(
    "/residents/verify",
    status_code=204,
    operation_id="resident-verify",
    summary="Verify a resident's address with the mailed token: the account is active",
    responses=problem_responses(400, 422),
)
async def verify_resident(body: schemas.ResidentVerification, session: Session) -> Response:
    await residents.verify(session, body.token)
    return Response(status_code=204)


@router.post(
    "/password-reset",
    status_code=202,
    operation_id="password-reset-request",
    summary="Ask for a mail with a link to choose a new password",
    description=(
        "Always 202 with the same body: only a resident's verified address is mailed, and "
        "the answer never tells whether it has an account."
    ),
    responses=problem_responses(422, 429),
)
async def request_password_reset(
    request: Request, body: schemas.PasswordResetRequest, session: Session
) -> schemas.Accepted:
    await _limits(request).admit("password-reset", _address(request), body.email)
    await residents.request_reset(session, body.email, key=token_key(settings_of(request)))
    return schemas.Accepted(detail=residents.ACCEPTED_RESET)


@router.post(
    "/password-reset/confirm",
    status_code=204,
    operation_id="password-reset-confirm",
    summary="Set a new password with the mailed token; earlier tokens are refused at once",
    responses=problem_responses(400, 422, 503),
)
async def confirm_password_reset(
    request: Request,
    body: schemas.PasswordResetConfirmation,
    database: DatabaseDep,
    session: Session,
) -> Response:
    # A made-up token costs no hashing: it is looked up first, on a connection let go
    # before argon2 runs; the token is used (once) in the transaction that sets the password.
    async with database.read_engine.connect() as connection:
        if await holder(connection, body.token, Purpose.RESET) is None:
            raise residents.refuse_reset_link()
    password_hash = await _hashing(request).hash(body.password.get_secret_value())
    await residents.reset_password(session, body.token, password_hash=password_hash)
    return Response(status_code=204)


@router.get(
    "/me/export",
    operation_id="me-export",
    summary="Everything the platform keeps about the signed-in resident (residents only)",
    responses=problem_responses(401, 403, 404, 503),
)
async def export_me(
    request: Request, principal: ResidentPrincipal, database: DatabaseDep
) -> schemas.ResidentExport:
    async with database.read_engine.connect() as connection:
        account = await residents.account(connection, principal)
    return await residents.export(account, _participation(request), _authorization(request))


@router.delete(
    "/me",
    status_code=204,
    operation_id="me-delete",
    summary="Delete the signed-in resident's account; their contributions stay, anonymised",
    description=(
        "The participation service first anonymises the resident's contributions; if it "
        "cannot, the answer is 503 and nothing is deleted. `If-Match` is the ETag of "
        "`GET /api/v1/auth/me`."
    ),
    responses=problem_responses(401, 403, 404, 412, 428, 503),
)
async def delete_me(
    request: Request,
    principal: ResidentPrincipal,
    database: DatabaseDep,
    session: Session,
    if_match: IfMatch = None,
) -> Response:
    async with database.read_engine.connect() as connection:
        await residents.check_deletion(connection, principal, if_match)
    # No database connection is held while participation works.
    await residents.anonymise_contributions(_participation(request), _authorization(request))
    await residents.delete_account(session, principal, if_match)
    return Response(status_code=204)
