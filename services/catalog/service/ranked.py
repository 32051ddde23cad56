"""A search's page: a bounded candidate set ranked in Python, then the page in one query.

Each level is one index-backed query for at most `CANDIDATES` matching entries with their
rank, sort key and tags (a few hundred bytes each, no body). How many it returns is also
what decides whether the level finds enough, so no separate count runs: a count with
`LIMIT 20` let the planner choose a sequential scan that detoasted `search_vector` row by
row for a rare prefix. The candidates are sorted and paged here, facets are counted from
them, and only the returned page's rows (with language and snippet) are read afterwards.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.catalog import schemas
from services.catalog.service import statements
from services.catalog.service.search import HEADLINE_OPTIONS, Level, Search, language_order
from services.catalog.text import marked_snippet
from shared.db import fetch_compiled
from shared.pagination import decode_cursor, encode_cursor
from shared.problems import BadRequest
from shared.settings import Settings

CANDIDATES = statements.CANDIDATES
# Full-text matches rank 1 + ts_rank over title (A) and summary (B): a title hit ~1.6, a
# summary hit ~1.24, a body-only hit 1. A typo-only match ranks below 1, under all of them.
FULL_TEXT_RANK_BASE = 1.0
# A level that finds fewer entries than this widens to the next (prefix, then typos).
ENOUGH_MATCHES = 20
INVALID_CURSOR = "The cursor is not valid for this search; start again without one."


@dataclass(frozen=True)
class Where:
    """A search's filters (name → value, see `filters`) and its recency column."""

    filters: dict[str, Any]
    recency: str


@dataclass(frozen=True)
class Candidate:
    id: uuid.UUID
    rank: float
    recency: datetime
    kind: str
    innovation_blocks: Sequence[str]
    challenges: Sequence[str]


@dataclass(frozen=True)
class Candidates:
    search: Search  # at the level that was used, with its corrections
    found: list[Candidate]
    complete: bool  # False when a query stopped at CANDIDATES


async def _fetch(
    connection: AsyncConnection, search: Search, where: Where, *, typo: bool = False
) -> tuple[list[Candidate], bool]:
    statement = statements.candidates(tuple(where.filters), where.recency)
    rows = await fetch_compiled(
        connection, statement, groups=search.groups(typo=typo), **where.filters
    )
    found = [
        # A typo match ranks in [0, 0.5): below every full-text match.
        Candidate(identifier, rank / (1.0 + rank) if typo else FULL_TEXT_RANK_BASE + rank, *rest)
        for identifier, rank, *rest in rows
    ]
    return found, len(found) < CANDIDATES


async def _corrections(connection: AsyncConnection, search: Search) -> dict[str, tuple[str, ...]]:
    """Every typo word's corrections, in one query."""
    corrections: dict[str, list[str]] = {word: [] for word in search.typo_words}
    rows = await fetch_compiled(connection, statements.CORRECTED, words=list(corrections))
    for typed, correction in rows:
        corrections[typed].append(correction)
    return {word: tuple(found) for word, found in corrections.items()}


async def candidates(
    connection: AsyncConnection, search: Search, where: Where, level: Level | None
) -> Candidates:
    """At the narrowest level that finds enough, or at `level` (a cursor's) when given."""

    async def at(level: Level) -> tuple[Search, list[Candidate], bool]:
        return search.at(level), *await _fetch(connection, search.at(level), where)

    prefix: tuple[list[Candidate], bool] | None = None
    if level is None:
        *narrower, widest = search.levels
        for narrow in narrower:
            used, found, complete = await at(narrow)
            if len(found) >= ENOUGH_MATCHES:
                return Candidates(used, found, complete)
            prefix = (found, complete) if narrow is Level.PREFIX else None
        level = widest
    if level is not Level.TYPO:
        return Candidates(*await at(level))
    # Typos widen the prefix level: its matches keep their (higher) full-text rank.
    found, complete = prefix or (await at(Level.PREFIX))[1:]
    typo = search.at(Level.TYPO)
    typo = typo.corrected(await _corrections(connection, typo))
    if not any(typo.corrections.values()):
        return Candidates(typo, found, complete)
    corrected, typo_complete = await _fetch(connection, typo, where, typo=True)
    best = {candidate.id: candidate for candidate in corrected}
    for candidate in found:
        if candidate.id not in best or candidate.rank > best[candidate.id].rank:
            best[candidate.id] = candidate
    return Candidates(typo, list(best.values()), complete and typo_complete)


def cursor_level(
    settings: Settings, search: Search, cursor: str | None, *, scope: str
) -> Level | None:
    if cursor is None:
        return None
    position = decode_cursor(settings, cursor, scope=scope).get("after")
    if not isinstance(position, list) or not position or position[0] not in search.levels:
        raise BadRequest(INVALID_CURSOR)
    return Level(position[0])


def _sort_key(candidate: Candidate, by_recency: bool) -> Any:
    return (candidate.recency, candidate.id) if by_recency else (candidate.rank, candidate.id)


def _after(position: Any, by_recency: bool) -> Any:
    """The sort key a cursor's position stands for; 400 when it is not one of ours."""
    if not isinstance(position, list) or len(position) != 3:
        raise BadRequest(INVALID_CURSOR)
    _, value, identifier = position
    try:
        if by_recency:
            if not isinstance(value, str):
                raise ValueError(value)
            key: Any = datetime.fromisoformat(value)
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(value)
            key = float(value)
            if not math.isfinite(key):
                raise ValueError(value)
        return (key, uuid.UUID(str(identifier)))
    except (TypeError, ValueError) as exc:
        raise BadRequest(INVALID_CURSOR) from exc


def page_of(
    settings: Settings,
    ranked: Candidates,
    *,
    by_recency: bool,
    limit: int,
    cursor: str | None,
    scope: str,
) -> tuple[list[uuid.UUID], str | None]:
    """The ids of one page, best (or newest) first, and the cursor of the next page."""
    ordered = sorted(
        ranked.found, key=lambda candidate: _sort_key(candidate, by_recency), reverse=True
    )
    if cursor is not None:
        after = _after(decode_cursor(settings, cursor, scope=scope).get("after"), by_recency)
        ordered = [c for c in ordered if _sort_key(c, by_recency) < after]
    page = ordered[: limit + 1]
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        value, identifier = _sort_key(page[-1], by_recency)
        encoded = value.isoformat() if isinstance(value, datetime) else value
        next_cursor = encode_cursor(
            settings, {"after": [int(ranked.search.level), encoded, str(identifier)]}, scope=scope
        )
    return [candidate.id for candidate in page], next_cursor


def facet_counts(ranked: Candidates) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {facet: Counter() for facet in ("kind", "block", "challenge")}
    for candidate in ranked.found:
        counts["kind"][candidate.kind] += 1
        counts["block"].update(candidate.innovation_blocks)
        counts["challenge"].update(candidate.challenges)
    return counts


async def page_items(
    connection: AsyncConnection,
    search: Search,
    ids: list[uuid.UUID],
    preferred: str | None,
    columns: Sequence[Any],
) -> list[schemas.EntryListItem]:
    """The page's entries in `ids` order, with the language that matched and a snippet."""
    if not ids:
        return []
    rows = await fetch_compiled(
        connection,
        statements.page(tuple(columns)),
        ids=ids,
        groups=search.groups(typo=True),
        languages=language_order(preferred),
        typo_words=search.typo_words,
        options=HEADLINE_OPTIONS,
    )
    items: dict[uuid.UUID, schemas.EntryListItem] = {}
    for row in rows:
        item = schemas.EntryListItem.model_validate(dict(row))
        snippet = marked_snippet(row["headline"]) if row["headline"] else None
        items[item.id] = item.model_copy(update={"snippet": snippet})
    return [items[identifier] for identifier in ids if identifier in items]
