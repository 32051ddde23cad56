"""What partner systems use: the change feed (pull)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.transfer import schemas
from services.transfer.api.common import PREFIX
from services.transfer.service import changes
from shared.auth import OptionalPrincipal
from shared.db import ReadConnection
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit
from shared.problems import problem_responses

router = APIRouter(prefix=PREFIX, tags=["transfer"])


@router.get(
    "/changes",
    summary="Changes after the cursor, in a commit-safe order (tombstones for deletions)",
    description=(
        "Follow `next_cursor` (always present) until `has_more` is false; store it and resume "
        "from it later. Reading from no cursor reproduces the current state. A cursor older "
        "than the retention window is a 410: read again from the start. Draft reports "
        "appear only to credentials that may write their city."
    ),
    responses=problem_responses(400, 410),
)
async def list_changes(
    request: Request,
    connection: ReadConnection,
    principal: OptionalPrincipal,
    city: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> schemas.ChangePage:
    return await changes.read_changes(
        connection,
        request.app.state.settings,
        city=city,
        cursor=cursor,
        limit=limit,
        principal=principal,
    )
