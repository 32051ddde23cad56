"""Reading proposals as one caller may see them, and listing them in three orders.

Hidden proposals exist only for their author and coordinators: to everyone else a hidden
proposal is 404 and absent from lists. Lists leave out withdrawn proposals unless asked
for by `state`.

Orders, each a keyset over an immutable key, so paging never repeats or skips:
- `recent`: newest first.
- `random`: by md5(seed || id), a shuffle that is the same for one seed on every page and
  different per visitor, so early ideas do not bury later ones.
- `most_supported`: by the number of supports as of the instant the first page was read
  (the cursor carries it; supports keep their time of withdrawal), then newest first.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Text,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP
from sqlalchemy.ext.asyncio import AsyncConnection

from services.participation.models import Lab, LabPhase
from services.participation.proposal_models import Proposal, Resident, Support
from services.participation.schemas import proposals as schemas
from shared.auth import Principal, Role
from shared.db import Executor
from shared.pagination import Page, PageQuery, cursor_context, paginate
from shared.problems import NotFound, UnprocessableContent, ValidationIssue
from shared.search import Level, Search

# Typos are corrected to at most this many known words among the nearest by trigrams.
CORRECTIONS, SIMILAR_ENOUGH, NEAREST = 3, 0.5, 10
MODERATORS = frozenset({Role.COORDINATOR, Role.ADMIN})


def moderates(principal: Principal | None) -> bool:
    return principal is not None and principal.role in MODERATORS


def _subject(principal: Principal | None) -> str | None:
    return principal.subject if principal else None


def columns(principal: Principal | None) -> tuple[Any, ...]:
    subject = _subject(principal)
    # Never correlated to the author's row the proposal is joined with.
    caller = (
        select(Resident.id).where(Resident.subject == subject).correlate(None).scalar_subquery()
    )
    supported = exists().where(
        Support.proposal_id == Proposal.id,
        Support.resident_id == caller,
        Support.withdrawn_at.is_(None),
    )
    mine = (Resident.subject == subject) if subject is not None else false()
    return (
        Proposal.id,
        Proposal.lab_id,
        Proposal.phase,
        Proposal.title,
        Proposal.body,
        Proposal.state,
        Resident.name.label("author_name"),
        func.coalesce(mine, false()).label("mine"),
        Proposal.supports_count,
        supported.label("supported"),
        Proposal.answer,
        Proposal.answered_at,
        Proposal.lab_outcome,
        Proposal.hidden_reason,
        Proposal.version,
        Proposal.created_at,
        Proposal.updated_at,
    )


def visible_to(principal: Principal | None) -> ColumnElement[bool]:
    """Hidden proposals are seen by their author and coordinators only."""
    if moderates(principal):
        return true()
    shown = Proposal.state != schemas.ProposalState.HIDDEN.value
    if principal is None:
        return shown
    return or_(shown, Resident.subject == principal.subject)


def base(principal: Principal | None) -> Any:
    return select(*columns(principal)).outerjoin(Resident, Resident.id == Proposal.author_id)


def to_proposal(row: Row[Any]) -> schemas.Proposal:
    hidden = row.state == schemas.ProposalState.HIDDEN.value
    return schemas.Proposal(
        id=row.id,
        lab_id=row.lab_id,
        phase=row.phase,
        title=row.title,
        body=row.body,
        state=row.state,
        author_name=row.author_name,
        mine=row.mine,
        supports=row.supports_count,
        supported=row.supported,
        answer=(
            schemas.OfficialAnswer(text=row.answer, answered_at=row.answered_at)
            if row.answer is not None and row.answered_at is not None
            else None
        ),
        lab_outcome=row.lab_outcome,
        moderation=schemas.Moderation(hidden=True, reason=row.hidden_reason) if hidden else None,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def get_proposal(
    connection: Executor,
    proposal_id: uuid.UUID,
    principal: Principal | None,
) -> schemas.Proposal:
    statement = base(principal).where(Proposal.id == proposal_id, visible_to(principal))
    row = (await connection.execute(statement)).one_or_none()
    if row is None:
        raise NotFound(f"There is no proposal {proposal_id}.")
    return to_proposal(row)


async def lab_phases(connection: Executor, lab_id: uuid.UUID) -> list[str]:
    """The keys of the lab's phases; 404 when there is no such lab."""
    found = await connection.scalar(select(Lab.id).where(Lab.id == lab_id))
    if found is None:
        raise NotFound(f"There is no lab {lab_id}.")
    return list(await connection.scalars(select(LabPhase.key).where(LabPhase.lab_id == lab_id)))


def check_phase(phase: str | None, phases: list[str]) -> None:
    if phase is not None and phase not in phases:
        raise UnprocessableContent(
            f"The lab has no phase {phase!r}.",
            errors=[ValidationIssue(loc=["body", "phase"], msg=f"one of {phases}")],
        )


async def _search_condition(connection: AsyncConnection, search: Search) -> ColumnElement[bool]:
    """The widest level of the catalog's search: the last word a prefix, typos corrected."""
    corrected = func.participation.search_corrections(
        literal(search.typo_words, ARRAY(Text)),
        literal_column(str(NEAREST)),
        literal_column(str(SIMILAR_ENOUGH)),
        literal_column(str(CORRECTIONS)),
    ).table_valued("typed_word", "correction")
    corrections: dict[str, list[str]] = {word: [] for word in search.typo_words}
    if search.typo_words:
        for typed, correction in await connection.execute(
            select(corrected.c.typed_word, corrected.c.correction)
        ):
            corrections[typed].append(correction)
    widest = search.at(Level.TYPO).corrected(
        {word: tuple(found) for word, found in corrections.items()}
    )
    query = func.participation.search_query(literal(widest.groups(typo=True), ARRAY(Text)))
    return Proposal.search_vector.op("@@")(query)


async def list_proposals(
    connection: AsyncConnection,
    lab_id: uuid.UUID,
    principal: Principal | None,
    *,
    sort: schemas.ProposalSort,
    seed: str | None,
    state: schemas.ProposalState | None,
    phase: str | None,
    q: str | None,
    paging: PageQuery,
) -> Page[schemas.Proposal]:
    await lab_phases(connection, lab_id)
    statement = base(principal).where(Proposal.lab_id == lab_id)
    if state is None:
        statement = statement.where(Proposal.state.not_in(["hidden", "withdrawn"]))
    elif state is schemas.ProposalState.HIDDEN and not moderates(principal):
        statement = statement.where(false())
    else:
        statement = statement.where(Proposal.state == state.value)
    if phase is not None:
        statement = statement.where(Proposal.phase == phase)
    search = Search.parse(q)
    if search is not None:
        statement = statement.where(await _search_condition(connection, search))
    context: dict[str, Any] = {"sort": sort.value, "state": state, "phase": phase, "q": q}
    key: list[Any]
    if sort is schemas.ProposalSort.RANDOM:
        if seed is None:
            raise UnprocessableContent(
                "sort=random needs a seed: any text that stays the same while you page.",
                errors=[ValidationIssue(loc=["query", "seed"], msg="required with sort=random")],
            )
        context["seed"] = seed
        shuffled = func.md5(literal(seed) + func.cast(Proposal.id, Text), type_=Text)
        key = [shuffled, Proposal.id]
        return await paginate(
            connection, statement, key=key, paging=paging, item=to_proposal, context=context
        )
    if sort is schemas.ProposalSort.MOST_SUPPORTED:
        earlier = cursor_context(paging)
        as_of = (
            earlier["as_of"]
            if earlier and isinstance(earlier.get("as_of"), str)
            else (await connection.scalar(select(func.clock_timestamp()))).isoformat()  # type: ignore[union-attr]
        )
        context["as_of"] = as_of
        key = [_supports_as_of(datetime.fromisoformat(as_of)), Proposal.created_at, Proposal.id]
    else:
        key = [Proposal.created_at, Proposal.id]
    return await paginate(
        connection,
        statement,
        key=key,
        paging=paging,
        item=to_proposal,
        descending=True,
        context=context,
    )


def _supports_as_of(as_of: datetime) -> Any:
    instant = literal(as_of, TIMESTAMP(timezone=True))
    return (
        select(func.count())
        .where(
            Support.proposal_id == Proposal.id,
            Support.created_at <= instant,
            or_(Support.withdrawn_at.is_(None), Support.withdrawn_at > instant),
        )
        .correlate(Proposal)
        .scalar_subquery()
    )
