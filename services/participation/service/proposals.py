"""Proposals: create, edit, the state machine, answers, moderation; each change a revision.

States: `published → evaluating → accepted | rejected`. The author withdraws a published
or evaluating proposal; coordinators move it to `evaluating` and answer (to `evaluating`,
`accepted` or `rejected`, with a text); moderation hides any state and restores the one it
hid. Everything else is a 409. The author edits title, body and phase until the proposal
is answered. Every change writes a revision in the same transaction, as catalog entries do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.participation.models import Lab
from services.participation.proposal_models import Proposal, ProposalRevision, Resident
from services.participation.schemas import proposals as schemas
from services.participation.service import proposal_notices, residents
from services.participation.service.proposal_reads import (
    check_phase,
    get_proposal,
    lab_phases,
    moderates,
)
from shared.auth import Principal, Role
from shared.etag import require_if_match
from shared.pagination import Page, PageQuery, paginate
from shared.problems import Conflict, Forbidden, NotFound, UnprocessableContent, ValidationIssue
from shared.settings import Settings

State = schemas.ProposalState


@dataclass(frozen=True)
class LockedRow:
    """A proposal under its row lock, with its author's subject (None once erased)."""

    Proposal: Proposal
    author_subject: str | None


OPEN = frozenset({State.PUBLISHED.value, State.EVALUATING.value})


async def record(
    session: AsyncSession,
    proposal_id: uuid.UUID,
    version: int,
    action: str,
    actor: tuple[str, str],
    changes: dict[str, Any],
) -> None:
    """A revision: who (`actor`, `actor_role`) changed what, in the change's transaction."""
    await session.execute(
        insert(ProposalRevision).values(
            proposal_id=proposal_id,
            version=version,
            action=action,
            actor=actor[0],
            actor_role=actor[1],
            changes=changes,
        )
    )


def _actor(principal: Principal) -> tuple[str, str]:
    return residents.actor_of(principal), principal.role.value


async def locked(session: AsyncSession, proposal_id: uuid.UUID, principal: Principal) -> LockedRow:
    """The proposal under its row lock, as far as the caller may see it (else 404)."""
    row = (
        await session.execute(
            select(Proposal, Resident.subject.label("author_subject"))
            .outerjoin(Resident, Resident.id == Proposal.author_id)
            .where(Proposal.id == proposal_id)
            .with_for_update(of=Proposal)
        )
    ).one_or_none()
    hidden_from_caller = (
        row is not None
        and row.Proposal.state == State.HIDDEN.value
        and not moderates(principal)
        and row.author_subject != principal.subject
    )
    if row is None or hidden_from_caller:
        raise NotFound(f"There is no proposal {proposal_id}.")
    return LockedRow(row.Proposal, row.author_subject)


def _is_author(row: LockedRow, principal: Principal) -> bool:
    return principal.role is Role.RESIDENT and row.author_subject == principal.subject


async def _change(
    session: AsyncSession,
    row: LockedRow,
    principal: Principal,
    action: str,
    values: dict[str, Any],
) -> schemas.Proposal:
    proposal: Proposal = row.Proposal
    # Read before the UPDATE, which brings the loaded row up to date.
    proposal_id, version = proposal.id, proposal.version
    before = {name: getattr(proposal, name) for name in values}
    await session.execute(
        update(Proposal)
        .where(Proposal.id == proposal_id)
        .values(**values, version=Proposal.version + 1, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )
    changes = {
        name: {"from": before[name], "to": value}
        for name, value in values.items()
        if name != "answered_at" and before[name] != value
    }
    await record(session, proposal_id, version + 1, action, _actor(principal), changes)
    return await get_proposal(session, proposal_id, principal)


async def create_proposal(
    session: AsyncSession,
    settings: Settings,
    lab_id: uuid.UUID,
    principal: Principal,
    body: schemas.ProposalCreate,
) -> schemas.Proposal:
    residents.require_resident(principal)
    check_phase(body.phase, await lab_phases(session, lab_id))
    author_id = await residents.contribute(session, principal, settings.contributions_per_hour)
    proposal_id = uuid.uuid4()
    values = body.model_dump(mode="json")
    await session.execute(
        insert(Proposal).values(id=proposal_id, lab_id=lab_id, author_id=author_id, **values)
    )
    changes = {name: {"from": None, "to": value} for name, value in values.items() if value}
    await record(session, proposal_id, 1, "created", _actor(principal), changes)
    return await get_proposal(session, proposal_id, principal)


async def patch_proposal(
    session: AsyncSession,
    proposal_id: uuid.UUID,
    principal: Principal,
    patch: schemas.ProposalPatch,
    if_match: str | None,
) -> schemas.Proposal:
    row = await locked(session, proposal_id, principal)
    if not _is_author(row, principal):
        raise Forbidden("Only its author edits a proposal.")
    proposal: Proposal = row.Proposal
    require_if_match(if_match, proposal.version)
    if proposal.state not in OPEN or proposal.answer is not None:
        raise Conflict(f"A proposal that is {proposal.state} or answered can no longer be edited.")
    values = {
        name: value
        for name, value in patch.model_dump(mode="json", exclude_unset=True).items()
        if value is not None or name == "phase"
    }
    if "phase" in values:
        check_phase(values["phase"], await lab_phases(session, proposal.lab_id))
    return await _change(session, row, principal, "updated", values)


# (from, to) → who may make the move; every other move is a 409.
_MOVES: dict[tuple[str, str], str] = {
    ("published", "evaluating"): "coordinator",
    ("published", "withdrawn"): "author",
    ("evaluating", "withdrawn"): "author",
}


async def transition(
    session: AsyncSession,
    proposal_id: uuid.UUID,
    principal: Principal,
    to: schemas.ProposalState,
) -> schemas.Proposal:
    row = await locked(session, proposal_id, principal)
    state = row.Proposal.state
    who = _MOVES.get((state, to.value))
    if who is None:
        hint = {
            "accepted": " (coordinators answer: POST .../answer)",
            "rejected": " (coordinators answer: POST .../answer)",
            "hidden": " (coordinators hide: POST .../hide)",
        }.get(to.value, "")
        raise Conflict(f"A proposal cannot move from {state} to {to.value}{hint}.")
    allowed = _is_author(row, principal) if who == "author" else moderates(principal)
    if not allowed:
        raise Forbidden(f"Only the {who} moves a proposal from {state} to {to.value}.")
    return await _change(session, row, principal, "transitioned", {"state": to.value})


async def answer(
    session: AsyncSession,
    proposal_id: uuid.UUID,
    principal: Principal,
    body: schemas.AnswerCreate,
) -> schemas.Proposal:
    row = await locked(session, proposal_id, principal)
    proposal: Proposal = row.Proposal
    if proposal.state not in OPEN:
        raise Conflict(f"A proposal that is {proposal.state} cannot be answered.")
    if body.lab_outcome and body.state != State.ACCEPTED.value:
        raise UnprocessableContent(
            "Only an accepted proposal is linked as an outcome of its lab.",
            errors=[ValidationIssue(loc=["body", "lab_outcome"], msg="needs state accepted")],
        )
    author_id, text = proposal.author_id, body.model_dump(mode="json")["text"]
    lab_id = proposal.lab_id
    values = {
        "state": body.state,
        "answer": text,
        "answered_at": func.now(),
        "lab_outcome": body.lab_outcome,
    }
    answered = await _change(session, row, principal, "answered", values)
    if body.lab_outcome:
        await touch_lab(session, lab_id)
    if author_id is not None:
        await proposal_notices.answered(session, proposal_id, author_id)
    return answered


async def hide(
    session: AsyncSession, proposal_id: uuid.UUID, principal: Principal, reason: str
) -> schemas.Proposal:
    row = await locked(session, proposal_id, principal)
    if row.Proposal.state == State.HIDDEN.value:
        raise Conflict("The proposal is hidden already.")
    if row.Proposal.lab_outcome:
        await touch_lab(session, row.Proposal.lab_id)
    return await _change(session, row, principal, "hidden", hidden_values(row.Proposal, reason))


async def touch_lab(session: AsyncSession, lab_id: uuid.UUID) -> None:
    """A new version of the lab, whose `outcome_proposals` a proposal's change moves."""
    await session.execute(
        update(Lab)
        .where(Lab.id == lab_id)
        .values(version=Lab.version + 1, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )


def hidden_values(proposal: Proposal, reason: str) -> dict[str, Any]:
    return {
        "state": State.HIDDEN.value,
        "state_before_hidden": proposal.state,
        "hidden_reason": reason,
    }


async def restore(
    session: AsyncSession, proposal_id: uuid.UUID, principal: Principal
) -> schemas.Proposal:
    row = await locked(session, proposal_id, principal)
    proposal: Proposal = row.Proposal
    if proposal.state != State.HIDDEN.value:
        raise Conflict("Only a hidden proposal is restored.")
    values = {
        "state": proposal.state_before_hidden,
        "state_before_hidden": None,
        "hidden_reason": None,
        # The reports so far were reviewed: only new ones count towards hiding it again.
        "reports_reviewed": proposal.reports_count,
    }
    if proposal.lab_outcome:
        await touch_lab(session, proposal.lab_id)
    return await _change(session, row, principal, "restored", values)


async def list_revisions(
    connection: AsyncConnection,
    proposal_id: uuid.UUID,
    principal: Principal | None,
    paging: PageQuery,
) -> Page[schemas.ProposalRevision]:
    """Revisions name who changed what: for the author and coordinators only."""
    proposal = await get_proposal(connection, proposal_id, principal)
    if not (proposal.mine or moderates(principal)):
        raise Forbidden("A proposal's revisions are for its author and coordinators.")
    return await paginate(
        connection,
        select(
            ProposalRevision.id,
            ProposalRevision.proposal_id,
            ProposalRevision.version,
            ProposalRevision.action,
            ProposalRevision.actor,
            ProposalRevision.actor_role,
            ProposalRevision.changes,
            ProposalRevision.created_at,
        ).where(ProposalRevision.proposal_id == proposal_id),
        key=[ProposalRevision.id],
        paging=paging,
        item=lambda row: schemas.ProposalRevision.model_validate(row._mapping),
    )
