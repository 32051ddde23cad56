"""Residents' proposals in labs: lists, the proposal, its state machine, answers, supports."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.participation.api.common import NOT_MODIFIED, PREFIX, Coordinator, created
from services.participation.schemas import proposals as schemas
from services.participation.service import proposal_reads, proposals, reports, supports
from services.participation.service.residents import require_resident
from shared.auth import CurrentPrincipal, OptionalPrincipal, Principal, Role, require_roles
from shared.db import ReadConnection, Session
from shared.etag import IfMatch, conditional_get, with_etag
from shared.idempotency import Idempotency
from shared.merge_patch import merge_patch_of
from shared.pagination import Page, Paging
from shared.problems import problem_responses
from shared.settings import settings_of

router = APIRouter(prefix=PREFIX, tags=["proposals"])


async def _resident(principal: CurrentPrincipal) -> Principal:
    require_resident(principal)
    return principal


Resident = Annotated[Principal, Depends(_resident)]
# The author (a resident) or a coordinator; the rules decide which of them may move.
ResidentOrCoordinator = Annotated[Principal, require_roles(Role.RESIDENT, Role.COORDINATOR)]


@router.get(
    "/labs/{lab_id}/proposals",
    summary="Residents' proposals in a lab, newest, most supported or shuffled per seed",
    responses=problem_responses(400, 404, 422),
)
async def list_proposals(
    lab_id: uuid.UUID,
    response: Response,
    connection: ReadConnection,
    paging: Paging,
    principal: OptionalPrincipal,
    sort: schemas.ProposalSort = schemas.ProposalSort.RECENT,
    seed: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="With sort=random: any text kept while paging (a visitor's own order).",
        ),
    ] = None,
    state: schemas.ProposalState | None = None,
    phase: Annotated[str | None, Query(max_length=80)] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Words in any language; accents and typos forgiven."),
    ] = None,
) -> Page[schemas.Proposal]:
    page = await proposal_reads.list_proposals(
        connection,
        lab_id,
        principal,
        sort=sort,
        seed=seed,
        state=state,
        phase=phase,
        q=q,
        paging=paging,
    )
    return paging.page(response, page)


@router.post(
    "/labs/{lab_id}/proposals",
    summary="Propose an idea in a lab (residents)",
    status_code=201,
    response_model=schemas.Proposal,
    responses=problem_responses(401, 403, 404, 422, 429),
)
async def create_proposal(
    lab_id: uuid.UUID,
    body: schemas.ProposalCreate,
    request: Request,
    session: Session,
    principal: Resident,
    idempotency: Idempotency,
) -> Response:
    return await idempotency.run(
        lambda: proposals.create_proposal(session, settings_of(request), lab_id, principal, body),
        headers=created("proposals"),
    )


@router.get(
    "/proposals/{proposal_id}",
    summary="One proposal (a hidden one only for its author and coordinators)",
    response_model=schemas.Proposal,
    responses={**problem_responses(404), **NOT_MODIFIED},
)
async def get_proposal(
    proposal_id: uuid.UUID,
    request: Request,
    response: Response,
    connection: ReadConnection,
    principal: OptionalPrincipal,
) -> schemas.Proposal | Response:
    proposal = await proposal_reads.get_proposal(connection, proposal_id, principal)
    return conditional_get(request, response, proposal)


@router.patch(
    "/proposals/{proposal_id}",
    summary="Edit one's proposal until it is answered; needs If-Match",
    responses=problem_responses(401, 403, 404, 409, 412, 415, 422, 428),
)
async def patch_proposal(
    proposal_id: uuid.UUID,
    principal: Resident,
    patch: Annotated[schemas.ProposalPatch, merge_patch_of(schemas.ProposalPatch)],
    response: Response,
    session: Session,
    if_match: IfMatch = None,
) -> schemas.Proposal:
    proposal = await proposals.patch_proposal(session, proposal_id, principal, patch, if_match)
    return with_etag(response, proposal)


@router.get(
    "/proposals/{proposal_id}/revisions",
    summary="Every change of a proposal (its author and coordinators)",
    operation_id="proposal-revisions-list",
    responses=problem_responses(400, 401, 403, 404),
)
async def list_proposal_revisions(
    proposal_id: uuid.UUID,
    response: Response,
    connection: ReadConnection,
    paging: Paging,
    principal: CurrentPrincipal,
) -> Page[schemas.ProposalRevision]:
    page = await proposals.list_revisions(connection, proposal_id, principal, paging)
    return paging.page(response, page)


@router.post(
    "/proposals/{proposal_id}/transitions",
    summary="Withdraw (its author) or start evaluating (coordinators); other moves are 409",
    operation_id="proposal-transition",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def transition_proposal(
    proposal_id: uuid.UUID,
    body: schemas.ProposalTransition,
    response: Response,
    session: Session,
    principal: ResidentOrCoordinator,
) -> schemas.Proposal:
    proposal = await proposals.transition(session, proposal_id, principal, body.to)
    return with_etag(response, proposal)


@router.post(
    "/proposals/{proposal_id}/answer",
    summary="Answer a proposal (coordinators): evaluating, accepted or rejected; mails the author",
    operation_id="proposal-answer",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def answer_proposal(
    proposal_id: uuid.UUID,
    body: schemas.AnswerCreate,
    response: Response,
    session: Session,
    principal: Coordinator,
) -> schemas.Proposal:
    proposal = await proposals.answer(session, proposal_id, principal, body)
    return with_etag(response, proposal)


@router.post(
    "/proposals/{proposal_id}/hide",
    summary="Hide a proposal pending review (coordinators); its author sees why",
    operation_id="proposal-hide",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def hide_proposal(
    proposal_id: uuid.UUID,
    body: schemas.HideRequest,
    response: Response,
    session: Session,
    principal: Coordinator,
) -> schemas.Proposal:
    proposal = await proposals.hide(session, proposal_id, principal, body.reason)
    return with_etag(response, proposal)


@router.post(
    "/proposals/{proposal_id}/restore",
    summary="Show a hidden proposal again (coordinators)",
    operation_id="proposal-restore",
    responses=problem_responses(401, 403, 404, 409),
)
async def restore_proposal(
    proposal_id: uuid.UUID, response: Response, session: Session, principal: Coordinator
) -> schemas.Proposal:
    proposal = await proposals.restore(session, proposal_id, principal)
    return with_etag(response, proposal)


@router.post(
    "/proposals/{proposal_id}/reports",
    summary="Report a proposal (anyone signed in, once); enough reports hide it for review",
    operation_id="proposal-report",
    status_code=201,
    response_model=schemas.Report,
    responses=problem_responses(401, 404, 409, 422, 429),
)
async def report_proposal(
    proposal_id: uuid.UUID,
    body: schemas.ReportCreate,
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    idempotency: Idempotency,
) -> Response:
    return await idempotency.run(
        lambda: reports.report_proposal(
            session, settings_of(request), proposal_id, principal, body.reason
        )
    )


@router.post(
    "/proposals/{proposal_id}/supports",
    summary="Support a proposal (residents, once; a lab may limit supports per resident)",
    operation_id="support-create",
    status_code=201,
    response_model=schemas.Support,
    responses=problem_responses(401, 403, 404, 409, 429),
)
async def create_support(
    proposal_id: uuid.UUID,
    request: Request,
    session: Session,
    principal: Resident,
    idempotency: Idempotency,
) -> Response:
    return await idempotency.run(
        lambda: supports.support(session, settings_of(request), proposal_id, principal)
    )


@router.delete(
    "/proposals/{proposal_id}/supports",
    summary="Withdraw one's support",
    operation_id="support-delete",
    status_code=204,
    responses=problem_responses(401, 403, 404),
)
async def delete_support(proposal_id: uuid.UUID, session: Session, principal: Resident) -> None:
    await supports.withdraw(session, proposal_id, principal)
