"""The change feed partner systems pull: every change, in a commit-safe order.

Triggers write one `changes` row per created, updated or deleted record, in the writing
transaction, stamped with its transaction id (`xid8`). Readers order by (xid, seq) and only
return changes of transactions older than the oldest transaction still running
(`pg_snapshot_xmin`): every such transaction has ended, and no later transaction can get a
smaller xid, so nothing can ever appear behind a cursor — changes of transactions still
running are returned once they end, never skipped.

Retention: `prune` drops changes superseded by a newer change of the same record and
tombstones older than the retention window, so reading from the start still reproduces
the current state. A cursor behind the newest pruned tombstone could miss a deletion, so
it is refused with 410 and the client resyncs from the start.

Draft reports are not public: they appear only to credentials that may write their city.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.transfer import schemas
from shared.auth import Principal, Role
from shared.pagination import decode_cursor, encode_cursor
from shared.problems import BadRequest, Gone
from shared.settings import Settings

RETENTION = timedelta(days=30)

_READ = """
SELECT seq, xid::text AS xid, city_code AS city, entity, entity_id AS id, op, version, data,
       changed_at
FROM transfer.changes
WHERE (xid, seq) > (CAST(:xid AS xid8), :seq)
  AND xid < pg_snapshot_xmin(pg_current_snapshot())
  {city_filter}
  {draft_filter}
ORDER BY xid, seq
LIMIT :limit
"""

_HORIZON = "SELECT xid::text AS xid, seq FROM transfer.change_horizon"

_PRUNE = """
WITH doomed AS (
    DELETE FROM transfer.changes AS old
    WHERE old.xid < pg_snapshot_xmin(pg_current_snapshot())
      AND (
        (old.op = 'delete' AND old.changed_at < now() - CAST(:retention AS interval))
        OR EXISTS (
            SELECT 1 FROM transfer.changes AS newer
            WHERE newer.entity_id = old.entity_id
              AND (newer.xid, newer.seq) > (old.xid, old.seq)
              AND newer.xid < pg_snapshot_xmin(pg_current_snapshot())
        )
      )
    RETURNING old.xid, old.seq, old.op
), newest_tombstone AS (
    SELECT xid, seq FROM doomed WHERE op = 'delete' ORDER BY xid DESC, seq DESC LIMIT 1
), moved AS (
    UPDATE transfer.change_horizon AS horizon
    SET xid = newest_tombstone.xid, seq = newest_tombstone.seq
    FROM newest_tombstone
    WHERE (newest_tombstone.xid, newest_tombstone.seq) > (horizon.xid, horizon.seq)
)
SELECT count(*) FROM doomed
"""


CHANGE_FEED = "/api/v1/transfer/changes"  # the list its cursors belong to


def _position(settings: Settings, cursor: str | None, city: str | None) -> tuple[int, int]:
    if cursor is None:
        return 0, 0
    position = decode_cursor(settings, cursor, scope=CHANGE_FEED)
    try:
        xid, seq, scope = int(position["x"]), int(position["s"]), position["c"]
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequest("The cursor is not valid for the change feed.") from exc
    if scope != (city or ""):
        raise BadRequest("The cursor belongs to another city's feed; keep one cursor per feed.")
    return xid, seq


# Tombstones (data is null) stay visible: a reader may have seen the report once submitted.
_DRAFT = "entity = 'report' AND coalesce(data->>'status', '') = 'draft'"


def _draft_filter(principal: Principal | None) -> tuple[str, dict[str, Any]]:
    """Hide draft reports from whoever may not write their city."""
    if principal is not None and principal.role in (Role.ADMIN, Role.COORDINATOR):
        return "", {}
    if principal is not None and principal.role is Role.PARTNER and principal.city:
        return f"AND NOT ({_DRAFT} AND city_code <> :own_city)", {"own_city": principal.city}
    return f"AND NOT ({_DRAFT})", {}


def _cursor(settings: Settings, xid: int, seq: int, city: str | None) -> str:
    return encode_cursor(settings, {"x": str(xid), "s": seq, "c": city or ""}, scope=CHANGE_FEED)


async def read_changes(
    connection: AsyncConnection,
    settings: Settings,
    *,
    city: str | None,
    cursor: str | None,
    limit: int,
    principal: Principal | None = None,
) -> schemas.ChangePage:
    xid, seq = _position(settings, cursor, city)
    draft_filter, parameters = _draft_filter(principal)
    statement = text(
        _READ.format(city_filter="AND city_code = :city" if city else "", draft_filter=draft_filter)
    )
    parameters |= {"xid": xid, "seq": seq, "limit": limit + 1}
    if city:
        parameters["city"] = city
    rows = (await connection.execute(statement, parameters)).mappings().all()
    # Checked after reading: a prune that committed before the read shows up here.
    horizon = (await connection.execute(text(_HORIZON))).mappings().one()
    if cursor is not None and (xid, seq) < (int(horizon["xid"]), horizon["seq"]):
        raise Gone(
            "This cursor is older than the change log keeps; resync from the start "
            "(read the feed without a cursor).",
            resync_from_start=True,
        )
    has_more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        xid, seq = int(rows[-1]["xid"]), rows[-1]["seq"]
    return schemas.ChangePage(
        items=[schemas.Change.model_validate(row) for row in rows],
        next_cursor=_cursor(settings, xid, seq, city),
        has_more=has_more,
    )


async def prune(session: AsyncSession, retention: timedelta = RETENTION) -> int:
    """Drop superseded changes and old tombstones; returns how many went."""
    removed = await session.scalar(text(_PRUNE), {"retention": retention})
    return int(removed or 0)
