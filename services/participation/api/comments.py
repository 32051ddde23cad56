"""Comments on proposals, their reports and moderation; a resident's own contributions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from services.participation.api.common import NOT_MODIFIED, PREFIX, Coordinator, created
from services.participation.api.proposals import Resident
from services.participation.schemas import proposals as schemas
from services.participation.service import comments, contributions, reports
from shared.auth import CurrentPrincipal, OptionalPrincipal
from shared.db import ReadConnection, Session
from shared.etag import IfMatch, conditional_get, with_etag
from shared.idempotency import Idempotency
from shared.merge_patch import merge_patch_of
from shared.pagination import Page, Paging
from shared.problems import problem_responses
from shared.settings import settings_of

router = APIRouter(prefix=PREFIX, tags=["proposals"])


@router.get(
    "/proposals/{proposal_id}/comments",
    summary="A proposal's comments, oldest first, threaded by parent_id",
    responses=problem_responses(400, 404),
)
async def list_comments(
    proposal_id: uuid.UUID,
    response: Response,
    connection: ReadConnection,
    paging: Paging,
    principal: OptionalPrincipal,
) -> Page[schemas.Comment]:
    page = await comments.list_comments(connection, proposal_id, principal, paging)
    return paging.page(response, page)


@router.post(
    "/proposals/{proposal_id}/comments",
    summary="Comment on a proposal or answer a comment (residents)",
    status_code=201,
    response_model=schemas.Comment,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
async def create_comment(
    proposal_id: uuid.UUID,
    body: schemas.CommentCreate,
    request: Request,
    session: Session,
    principal: Resident,
    idempotency: Idempotency,
) -> Response:
    return await idempotency.run(
        lambda: comments.create_comment(
            session, settings_of(request), proposal_id, principal, body
        ),
        headers=created("comments"),
    )


@router.get(
    "/comments/{comment_id}",
    summary="One comment",
    response_model=schemas.Comment,
    responses={**problem_responses(404), **NOT_MODIFIED},
)
async def get_comment(
    comment_id: uuid.UUID,
    request: Request,
    response: Response,
    connection: ReadConnection,
    principal: OptionalPrincipal,
) -> schemas.Comment | Response:
    comment = await comments.get_comment(connection, comment_id, principal)
    return conditional_get(request, response, comment)


@router.patch(
    "/comments/{comment_id}",
    summary="Edit one's comment; needs If-Match",
    responses=problem_responses(401, 403, 404, 409, 412, 415, 422, 428),
)
async def patch_comment(
    comment_id: uuid.UUID,
    principal: Resident,
    patch: Annotated[schemas.CommentPatch, merge_patch_of(schemas.CommentPatch)],
    response: Response,
    session: Session,
    if_match: IfMatch = None,
) -> schemas.Comment:
    comment = await comments.patch_comment(session, comment_id, principal, patch, if_match)
    return with_etag(response, comment)


@router.delete(
    "/comments/{comment_id}",
    summary="Delete one's comment (its place in the thread stays); needs If-Match",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409, 412, 428),
)
async def delete_comment(
    comment_id: uuid.UUID, principal: Resident, session: Session, if_match: IfMatch = None
) -> None:
    await comments.delete_comment(session, comment_id, principal, if_match)


@router.post(
    "/comments/{comment_id}/reports",
    summary="Report a comment (anyone signed in, once); enough reports hide it for review",
    operation_id="comment-report",
    status_code=201,
    response_model=schemas.Report,
    responses=problem_responses(401, 404, 409, 422, 429),
)
async def report_comment(
    comment_id: uuid.UUID,
    body: schemas.ReportCreate,
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    idempotency: Idempotency,
) -> Response:
    return await idempotency.run(
        lambda: reports.report_comment(
            session, settings_of(request), comment_id, principal, body.reason
        )
    )


@router.post(
    "/comments/{comment_id}/hide",
    summary="Hide a comment pending review (coordinators); its author sees why",
    operation_id="comment-hide",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def hide_comment(
    comment_id: uuid.UUID,
    body: schemas.HideRequest,
    response: Response,
    session: Session,
    principal: Coordinator,
) -> schemas.Comment:
    return with_etag(response, await comments.hide(session, comment_id, principal, body.reason))


@router.post(
    "/comments/{comment_id}/restore",
    summary="Show a hidden comment again (coordinators)",
    operation_id="comment-restore",
    responses=problem_responses(401, 403, 404, 409),
)
async def restore_comment(
    comment_id: uuid.UUID, response: Response, session: Session, principal: Coordinator
) -> schemas.Comment:
    return with_etag(response, await comments.restore(session, comment_id, principal))


@router.get(
    "/me/contributions",
    summary="What participation holds of the caller: data, proposals, comments, supports",
    operation_id="contributions-get",
    responses=problem_responses(401),
)
async def get_contributions(
    connection: ReadConnection, principal: CurrentPrincipal
) -> schemas.Contributions:
    return await contributions.of(connection, principal)


@router.delete(
    "/me/contributions",
    summary="Erase the caller's data here; their contributions stay, anonymised",
    operation_id="contributions-erase",
    status_code=204,
    responses=problem_responses(401),
)
async def erase_contributions(session: Session, principal: CurrentPrincipal) -> None:
    await contributions.erase(session, principal)
