"""Identity routes: token, users, API keys. Thin: parse, call the service, return."""

from __future__ import annotations

import math
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from services.gateway import residents, schemas, service
from services.gateway.oauth import oauth2_refusals
from services.gateway.passwords import PasswordHashing
from services.gateway.upstreams import upstream
from shared.auth import CLIENT_AUDIENCE, AdminPrincipal, CurrentPrincipal, Role, issue_token
from shared.db import DatabaseDep, ReadConnection, Session
from shared.etag import IfMatch, conditional_get, etag_of, require_if_match
from shared.idempotency import REPLAY_HEADER, Idempotency
from shared.merge_patch import merge_patch_of
from shared.pagination import Paging
from shared.problems import TooManyRequests, problem_responses
from shared.settings import settings_of

router = APIRouter(prefix="/api/v1/auth", tags=["identity"])


def _hashing(request: Request) -> PasswordHashing:
    hashing: PasswordHashing = request.app.state.password_hashing
    return hashing


@router.post(
    "/token",
    operation_id="token-create",
    summary="Exchange email and password for a bearer token (OAuth2 password grant)",
    responses=problem_responses(401, 422, 429, 503),
)
async def token(
    request: Request,
    _: Annotated[None, Depends(oauth2_refusals)],
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> schemas.Token:
    address = request.client.host if request.client else None
    if wait := request.app.state.login_limiter.wait(form.username, address):
        raise TooManyRequests(
            "Too many login attempts; retry later.",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    # No connection is taken for the whole request: `authenticate` holds one only to read.
    principal = await service.authenticate(
        request.app.state.database, _hashing(request), form.username, form.password, address
    )
    settings = settings_of(request)
    token = issue_token(principal, settings, audience=CLIENT_AUDIENCE)
    return schemas.Token(access_token=token, expires_in=settings.token_ttl_seconds)


@router.get(
    "/me",
    operation_id="me-get",
    summary="Who the bearer token belongs to (a resident's name, email and language too)",
    responses={
        200: {
            "description": "Successful Response",
            "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
        },
        **problem_responses(401),
    },
)
async def me(principal: CurrentPrincipal, response: Response, database: DatabaseDep) -> schemas.Me:
    if principal.role is Role.RESIDENT:
        # The account's version: `DELETE /api/v1/auth/me` needs it in `If-Match`.
        async with database.read_engine.connect() as connection:
            account = await residents.account(connection, principal)
        response.headers["ETag"] = etag_of(account.version)
    return schemas.Me.model_validate(principal.model_dump())


@router.post(
    "/users",
    status_code=201,
    response_model=schemas.User,
    summary="Create a user with a role (admin only)",
    responses={
        201: {"description": "Created", "headers": {}},  # answered without Location or ETag
        **problem_responses(401, 403, 409, 422, 503),
    },
)
async def create_user(
    request: Request,
    new: schemas.NewUser,
    _: AdminPrincipal,
    session: Session,
    idempotency: Idempotency,
) -> Response:
    async def create() -> schemas.User:
        if new.city is not None:
            await service.check_city(request.app.state.peers["transfer"], new.city)
        password_hash = await _hashing(request).hash(new.password.get_secret_value())
        return await service.create_user(session, new, password_hash=password_hash)

    return await idempotency.run(create)


@router.get(
    "/users",
    summary="All users, oldest first (admin only)",
    responses=problem_responses(400, 401, 403),
)
async def list_users(
    response: Response, paging: Paging, _: AdminPrincipal, connection: ReadConnection
) -> schemas.UserPage:
    return paging.page(response, await service.list_users(connection, paging))


@router.get(
    "/users/{user_id}",
    summary="One user (admin only)",
    response_model=schemas.User,
    responses={**problem_responses(401, 403, 404), 304: {"description": "Not modified"}},
)
async def get_user(
    user_id: uuid.UUID,
    request: Request,
    response: Response,
    _: AdminPrincipal,
    connection: ReadConnection,
) -> schemas.User | Response:
    return conditional_get(request, response, await service.get_user(connection, user_id))


@router.patch(
    "/users/{user_id}",
    summary="Change a user's role, city or `disabled` (admin only; refuses their tokens)",
    responses=problem_responses(401, 403, 404, 409, 412, 415, 422, 428, 503),
)
async def update_user(
    user_id: uuid.UUID,
    request: Request,
    patch: Annotated[schemas.UserPatch, merge_patch_of(schemas.UserPatch)],
    response: Response,
    admin: AdminPrincipal,
    session: Session,
    if_match: IfMatch = None,
) -> schemas.User:
    if patch.city is not None:
        await service.check_city(request.app.state.peers["transfer"], patch.city)
    user = await service.update_user(session, user_id, patch, if_match, acting=admin)
    response.headers["ETag"] = etag_of(user.version)
    return user


@router.delete(
    "/users/{user_id}",
    status_code=204,
    summary="Delete a user; their tokens are refused at once (admin only)",
    description=(
        "A resident's contributions are first anonymised by the participation service, as "
        "when they delete their own account; if it cannot, 503 and nothing is deleted."
    ),
    responses=problem_responses(401, 403, 404, 409, 412, 428, 503),
)
async def delete_user(
    user_id: uuid.UUID,
    request: Request,
    admin: AdminPrincipal,
    database: DatabaseDep,
    session: Session,
    if_match: IfMatch = None,
) -> Response:
    async with database.read_engine.connect() as connection:
        user = await service.get_user(connection, user_id)
    if user.role is Role.RESIDENT:
        require_if_match(if_match, user.version)  # before participation is asked anything
        authorization = residents.acting_for(user, settings_of(request))
        await residents.anonymise_contributions(
            upstream(request.app, "participation"), authorization
        )
    await service.delete_user(session, user_id, if_match, acting=admin)
    return Response(status_code=204)


@router.post(
    "/api-keys",
    status_code=201,
    response_model=schemas.ApiKeyCreated,
    summary="Create an API key for a partner city's system (admin only; shown once)",
    responses={
        201: {"description": "Created", "headers": {}},  # answered without Location or ETag
        **problem_responses(401, 403, 409, 422, 503),
    },
)
async def create_api_key(
    request: Request,
    new: schemas.NewApiKey,
    admin: AdminPrincipal,
    session: Session,
    idempotency: Idempotency,
) -> Response:
    settings = settings_of(request)
    if (previous := await idempotency.previous()) is not None:
        # The key itself is never stored: derive it again for the retry.
        stored = schemas.ApiKey.model_validate_json(bytes(previous.body))
        created = schemas.ApiKeyCreated(
            **stored.model_dump(), key=service.api_key_text(settings, stored.id)
        )
        return _created(created, replayed=True)
    await service.check_city(request.app.state.peers["transfer"], new.city)
    created = await service.create_api_key(session, settings, new, admin.subject)
    without_key = schemas.ApiKey.model_validate(created.model_dump())
    await idempotency.remember(201, without_key.model_dump_json().encode(), {})
    return _created(created, replayed=False)


def _created(created: schemas.ApiKeyCreated, *, replayed: bool) -> Response:
    headers = {REPLAY_HEADER: "true"} if replayed else {}
    return Response(
        created.model_dump_json(), status_code=201, media_type="application/json", headers=headers
    )


@router.get(
    "/api-keys",
    summary="All API keys, live and revoked (admin only)",
    responses=problem_responses(401, 403),
)
async def list_api_keys(_: AdminPrincipal, connection: ReadConnection) -> list[schemas.ApiKey]:
    return await service.list_api_keys(connection)


@router.get(
    "/api-keys/{key_id}",
    summary="One API key (admin only)",
    response_model=schemas.ApiKey,
    responses={**problem_responses(401, 403, 404), 304: {"description": "Not modified"}},
)
async def get_api_key(
    key_id: uuid.UUID,
    request: Request,
    response: Response,
    _: AdminPrincipal,
    connection: ReadConnection,
) -> schemas.ApiKey | Response:
    return conditional_get(request, response, await service.get_api_key(connection, key_id))


@router.delete(
    "/api-keys/{key_id}",
    status_code=204,
    summary="Revoke an API key at once (admin only)",
    responses=problem_responses(401, 403, 404, 412, 428),
)
async def revoke_api_key(
    key_id: uuid.UUID, _: AdminPrincipal, session: Session, if_match: IfMatch = None
) -> Response:
    await service.revoke_api_key(session, key_id, if_match)
    return Response(status_code=204)
