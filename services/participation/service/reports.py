"""Reports by anyone signed in, one per person and item; enough of them hide the item.

The item's row is locked while its report is counted, so the report that reaches
`MAGNET_REPORTS_TO_HIDE` (not yet reviewed) is the one that hides it, exactly once. A
coordinator's restore marks the reports so far as reviewed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.participation.proposal_models import Comment, Proposal, Report
from services.participation.schemas import proposals as schemas
from services.participation.service import comments, proposals, residents
from shared.auth import Principal, Role
from shared.problems import Conflict
from shared.settings import Settings

# Who hides an item that enough people reported, in its revisions.
REPORTS_ACTOR = ("moderation:reports", "system")
PENDING_REVIEW = "Reported by {count} people; hidden until a coordinator reviews it."


async def _file(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    item: dict[str, Any],
    reason: str,
) -> schemas.Report:
    if principal.role is Role.RESIDENT:
        await residents.contribute(session, principal, settings.contributions_per_hour)
    try:
        async with session.begin_nested():
            row = (
                await session.execute(
                    insert(Report)
                    .values(**item, reporter=residents.actor_of(principal), reason=reason)
                    .returning(Report.id, Report.reason, Report.created_at)
                )
            ).one()
    except IntegrityError as exc:
        raise Conflict("You reported this already.") from exc
    return schemas.Report.model_validate(row._mapping)


async def report_proposal(
    session: AsyncSession,
    settings: Settings,
    proposal_id: uuid.UUID,
    principal: Principal,
    reason: str,
) -> schemas.Report:
    row = await proposals.locked(session, proposal_id, principal)
    report = await _file(session, settings, principal, {"proposal_id": proposal_id}, reason)
    proposal: Proposal = row.Proposal
    reports = proposal.reports_count + 1
    values: dict[str, Any] = {"reports_count": reports}
    if (
        proposal.state != "hidden"
        and reports - proposal.reports_reviewed >= settings.reports_to_hide
    ):
        hidden = proposals.hidden_values(proposal, PENDING_REVIEW.format(count=reports))
        changes = {
            name: {"from": getattr(proposal, name), "to": value} for name, value in hidden.items()
        }
        version = proposal.version + 1
        values |= hidden | {"version": version, "updated_at": func.now()}
        await proposals.record(session, proposal_id, version, "hidden", REPORTS_ACTOR, changes)
        if proposal.lab_outcome:
            await proposals.touch_lab(session, proposal.lab_id)
    await session.execute(update(Proposal).where(Proposal.id == proposal_id).values(**values))
    return report


async def report_comment(
    session: AsyncSession,
    settings: Settings,
    comment_id: uuid.UUID,
    principal: Principal,
    reason: str,
) -> schemas.Report:
    comment = await comments.locked(session, comment_id, principal)
    report = await _file(session, settings, principal, {"comment_id": comment_id}, reason)
    reports = comment.reports_count + 1
    values: dict[str, Any] = {"reports_count": reports}
    if not comment.hidden and reports - comment.reports_reviewed >= settings.reports_to_hide:
        values |= {"hidden": True, "hidden_reason": PENDING_REVIEW.format(count=reports)}
        values["version"] = Comment.version + 1
    await session.execute(update(Comment).where(Comment.id == comment_id).values(**values))
    return report
