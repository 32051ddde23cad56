"""Comments on proposals, threaded by `parent_id` (a parent on the same proposal: the
database's composite foreign key says so), edited and deleted by their author.

A deleted comment keeps its place in the thread with no text; a hidden one shows its text
to its author and coordinators only (with why), to others a placeholder (`body: null`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, false, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.participation.proposal_models import Comment, Resident
from services.participation.schemas import proposals as schemas
from services.participation.service import residents
from services.participation.service.proposal_reads import get_proposal, moderates
from shared.auth import Principal, Role
from shared.db import Executor
from shared.etag import require_if_match
from shared.pagination import Page, PageQuery, paginate
from shared.problems import (
    Conflict,
    Forbidden,
    NotFound,
    UnprocessableContent,
    ValidationIssue,
)
from shared.settings import Settings


def _columns(principal: Principal | None) -> tuple[Any, ...]:
    subject = principal.subject if principal else None
    mine = (Resident.subject == subject) if subject is not None else false()
    return (
        Comment.id,
        Comment.proposal_id,
        Comment.parent_id,
        Comment.body,
        Comment.deleted_at,
        Comment.hidden,
        Comment.hidden_reason,
        Resident.name.label("author_name"),
        func.coalesce(mine, false()).label("mine"),
        Comment.version,
        Comment.created_at,
        Comment.updated_at,
    )


def base(principal: Principal | None) -> Any:
    return select(*_columns(principal)).outerjoin(Resident, Resident.id == Comment.author_id)


def to_comment(principal: Principal | None) -> Any:
    sees_hidden = moderates(principal)

    def convert(row: Row[Any]) -> schemas.Comment:
        shown = not row.hidden or sees_hidden or row.mine
        return schemas.Comment(
            id=row.id,
            proposal_id=row.proposal_id,
            parent_id=row.parent_id,
            body=row.body if shown else None,
            author_name=row.author_name,
            mine=row.mine,
            deleted=row.deleted_at is not None,
            moderation=(
                schemas.Moderation(hidden=True, reason=row.hidden_reason if shown else None)
                if row.hidden
                else None
            ),
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    return convert


async def get_comment(
    connection: Executor, comment_id: uuid.UUID, principal: Principal | None
) -> schemas.Comment:
    row = (await connection.execute(base(principal).where(Comment.id == comment_id))).one_or_none()
    if row is None:
        raise NotFound(f"There is no comment {comment_id}.")
    await get_proposal(connection, row.proposal_id, principal)
    converted: schemas.Comment = to_comment(principal)(row)
    return converted


async def list_comments(
    connection: AsyncConnection,
    proposal_id: uuid.UUID,
    principal: Principal | None,
    paging: PageQuery,
) -> Page[schemas.Comment]:
    """Oldest first; a reader builds the threads from `parent_id`."""
    await get_proposal(connection, proposal_id, principal)
    return await paginate(
        connection,
        base(principal).where(Comment.proposal_id == proposal_id),
        key=[Comment.created_at, Comment.id],
        paging=paging,
        item=to_comment(principal),
    )


async def create_comment(
    session: AsyncSession,
    settings: Settings,
    proposal_id: uuid.UUID,
    principal: Principal,
    body: schemas.CommentCreate,
) -> schemas.Comment:
    residents.require_resident(principal)
    proposal = await get_proposal(session, proposal_id, principal)
    if proposal.state == schemas.ProposalState.HIDDEN:
        raise Conflict("A hidden proposal takes no comments until it is restored.")
    author_id = await residents.contribute(session, principal, settings.contributions_per_hour)
    comment_id = uuid.uuid4()
    try:
        async with session.begin_nested():
            await session.execute(
                insert(Comment).values(
                    id=comment_id,
                    proposal_id=proposal_id,
                    parent_id=body.parent_id,
                    author_id=author_id,
                    body=body.body,
                )
            )
    except IntegrityError as exc:
        raise UnprocessableContent(
            f"There is no comment {body.parent_id} on this proposal to answer.",
            errors=[
                ValidationIssue(loc=["body", "parent_id"], msg="not a comment of this proposal")
            ],
        ) from exc
    return await get_comment(session, comment_id, principal)


async def locked(session: AsyncSession, comment_id: uuid.UUID, principal: Principal) -> Any:
    """The comment under its row lock, with its author's subject; 404 when not visible."""
    row = (
        await session.execute(
            select(Comment, Resident.subject.label("author_subject"))
            .outerjoin(Resident, Resident.id == Comment.author_id)
            .where(Comment.id == comment_id)
            .with_for_update(of=Comment)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"There is no comment {comment_id}.")
    await get_proposal(session, row.Comment.proposal_id, principal)
    comment: Any = row.Comment
    comment.author_subject = row.author_subject
    return comment


async def _own(
    session: AsyncSession, comment_id: uuid.UUID, principal: Principal, if_match: str | None
) -> Comment:
    comment = await locked(session, comment_id, principal)
    if comment.author_subject != principal.subject or principal.role is not Role.RESIDENT:
        raise Forbidden("Only its author changes a comment.")
    require_if_match(if_match, comment.version)
    if comment.deleted_at is not None:
        raise Conflict("The comment was deleted.")
    if comment.hidden:
        raise Conflict("A hidden comment cannot be changed until a coordinator restores it.")
    result: Comment = comment
    return result


async def _set(session: AsyncSession, comment_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        update(Comment)
        .where(Comment.id == comment_id)
        .values(**values, version=Comment.version + 1, updated_at=func.now())
    )


async def patch_comment(
    session: AsyncSession,
    comment_id: uuid.UUID,
    principal: Principal,
    patch: schemas.CommentPatch,
    if_match: str | None,
) -> schemas.Comment:
    await _own(session, comment_id, principal, if_match)
    if patch.body is not None:
        await _set(session, comment_id, body=patch.body)
    return await get_comment(session, comment_id, principal)


async def delete_comment(
    session: AsyncSession, comment_id: uuid.UUID, principal: Principal, if_match: str | None
) -> None:
    await _own(session, comment_id, principal, if_match)
    await _set(session, comment_id, body=None, deleted_at=func.now())


async def hide(
    session: AsyncSession, comment_id: uuid.UUID, principal: Principal, reason: str
) -> schemas.Comment:
    comment = await locked(session, comment_id, principal)
    if comment.hidden:
        raise Conflict("The comment is hidden already.")
    await _set(session, comment_id, hidden=True, hidden_reason=reason)
    return await get_comment(session, comment_id, principal)


async def restore(
    session: AsyncSession, comment_id: uuid.UUID, principal: Principal
) -> schemas.Comment:
    comment = await locked(session, comment_id, principal)
    if not comment.hidden:
        raise Conflict("Only a hidden comment is restored.")
    await _set(
        session,
        comment_id,
        hidden=False,
        hidden_reason=None,
        reports_reviewed=comment.reports_count,
    )
    return await get_comment(session, comment_id, principal)
