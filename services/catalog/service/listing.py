"""Lists of entries: filters, keyset pages by recency or relevance, snippets and facets.

A search ranks a bounded set of candidates: at most `CANDIDATES` matching entries, taken
from the GIN index in the order the table stores them, never every match of a common word.
Facets count those same candidates.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Integer, Subquery, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from services.catalog import schemas
from services.catalog.models import Challenge, Entry, InnovationBlock, TitleWord
from services.catalog.service.entries import sees_unpublished
from services.catalog.service.search import Level, Search
from services.catalog.text import marked_snippet
from shared.auth import Principal
from shared.i18n import LANGUAGES, Language
from shared.pagination import AnySelect, decode_cursor, paginate
from shared.problems import BadRequest
from shared.settings import Settings

Status = schemas.EntryStatus
CANDIDATES = 1000
# A level that finds fewer entries than this widens to the next (prefix, then typos).
ENOUGH_MATCHES = 20
# A typo is corrected to at most this many title words at least this similar (pg_trgm).
CORRECTIONS = 3
SIMILAR_ENOUGH = 0.5


class Sort(StrEnum):
    RELEVANCE = "relevance"
    RECENT = "recent"


@dataclass
class EntryFilter:
    q: str | None = None
    kinds: list[schemas.EntryKind] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    challenges: list[str] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    lang: str | None = None
    sort: Sort | None = None


LIST_COLUMNS = (
    Entry.id,
    Entry.slug,
    Entry.kind,
    Entry.title,
    Entry.summary,
    Entry.innovation_blocks,
    Entry.challenges,
    Entry.cities,
    Entry.status,
    Entry.published_at,
    Entry.version,
    Entry.created_at,
    Entry.updated_at,
)


def _conditions(wanted: EntryFilter, principal: Principal | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if not sees_unpublished(principal):
        # Unpublished entries do not exist for the public: asking for them finds nothing.
        conditions.append(Entry.status == Status.PUBLISHED)
    if wanted.statuses:
        conditions.append(Entry.status.in_(wanted.statuses))
    if wanted.kinds:
        conditions.append(Entry.kind.in_(wanted.kinds))
    # Tags narrow: an entry must carry every block, challenge and city asked for.
    if wanted.blocks:
        conditions.append(Entry.innovation_blocks.contains(wanted.blocks))
    if wanted.challenges:
        conditions.append(Entry.challenges.contains(wanted.challenges))
    if wanted.cities:
        conditions.append(Entry.cities.contains(wanted.cities))
    if wanted.lang:
        conditions.append(Entry.title.has_key(wanted.lang))
    return conditions


def _published_only(wanted: EntryFilter, principal: Principal | None) -> bool:
    return not sees_unpublished(principal) or wanted.statuses == [Status.PUBLISHED]


def _recency_key(wanted: EntryFilter, principal: Principal | None) -> ColumnElement[Any]:
    # Keys that never change for the rows listed, so pages never repeat or skip: published
    # entries stay published (archiving hides them), and created_at never changes.
    column = Entry.published_at if _published_only(wanted, principal) else Entry.created_at
    return column.expression


def _candidates(search: Search, conditions: list[ColumnElement[bool]]) -> Subquery:
    """At most CANDIDATES matching entries with their rank, found through the indexes."""
    full_text = (
        select(Entry.id, search.full_text_rank.label("rank"))
        .where(*conditions, search.full_text_match)
        .limit(CANDIDATES)
    )
    if search.level is not Level.TYPO or not any(search.corrections.values()):
        return full_text.subquery("candidates")
    typo = (
        select(Entry.id, search.typo_rank.label("rank"))
        .where(*conditions, search.typo_match)
        .limit(CANDIDATES)
    )
    both = union_all(full_text, typo).subquery("both")
    return (
        select(both.c.id, func.max(both.c.rank).label("rank"))
        .group_by(both.c.id)
        .subquery("candidates")
    )


async def _finds_enough(
    connection: AsyncConnection, search: Search, conditions: list[ColumnElement[bool]]
) -> bool:
    found = select(Entry.id).where(*conditions, search.full_text_match).limit(ENOUGH_MATCHES)
    count = select(func.count()).select_from(found.subquery())
    return (await connection.execute(count)).scalar_one() >= ENOUGH_MATCHES


async def _corrections(connection: AsyncConnection, search: Search) -> dict[str, tuple[str, ...]]:
    corrections: dict[str, tuple[str, ...]] = {}
    for word in search.typo_words:
        similarity = func.similarity(TitleWord.word, word)
        similar = (
            select(TitleWord.word)
            .where(TitleWord.word.op("%")(word), similarity >= SIMILAR_ENOUGH)
            .order_by(similarity.desc(), TitleWord.word)
            .limit(CORRECTIONS)
        )
        corrections[word] = tuple((await connection.execute(similar)).scalars())
    return corrections


async def _level(
    connection: AsyncConnection,
    settings: Settings,
    search: Search,
    conditions: list[ColumnElement[bool]],
    cursor: str | None,
) -> Level:
    """The narrowest level that finds enough; a cursor keeps the level of its first page."""
    if cursor is not None:
        position = decode_cursor(settings, cursor).get("after")
        if not isinstance(position, list) or not position or position[0] not in search.levels:
            raise BadRequest("The cursor is not valid for this search; start again without one.")
        return Level(position[0])
    *narrower, widest = search.levels
    for level in narrower:
        if await _finds_enough(connection, search.at(level), conditions):
            return level
    return widest


async def list_entries(
    connection: AsyncConnection,
    settings: Settings,
    wanted: EntryFilter,
    principal: Principal | None,
    *,
    limit: int,
    cursor: str | None,
    facets: bool,
) -> schemas.EntryPage:
    search = Search.parse(wanted.q)
    conditions = _conditions(wanted, principal)
    statement: AnySelect = select(*LIST_COLUMNS).where(*conditions)
    key: list[ColumnElement[Any]] = [_recency_key(wanted, principal), Entry.id.expression]
    counted: AnySelect = select(Entry.kind, Entry.innovation_blocks, Entry.challenges).where(
        *conditions
    )
    if search is not None:
        level = await _level(connection, settings, search, conditions, cursor)
        search = search.at(level)
        if level is Level.TYPO:
            search = search.corrected(await _corrections(connection, search))
        candidates = _candidates(search, conditions)
        statement = select(*LIST_COLUMNS).join(candidates, candidates.c.id == Entry.id)
        if wanted.sort is not Sort.RECENT:
            key[0] = candidates.c.rank
        key.insert(0, literal(int(level), Integer))
        counted = select(Entry.kind, Entry.innovation_blocks, Entry.challenges).join(
            candidates, candidates.c.id == Entry.id
        )
    page = await paginate(
        connection,
        statement,
        key=key,
        limit=limit,
        cursor=cursor,
        settings=settings,
        item=lambda row: schemas.EntryListItem.model_validate(row._mapping),
        descending=True,
    )
    items = page.items
    if search is not None and items:
        found = await _matches(connection, search, [item.id for item in items], wanted.lang)
        items = [
            item.model_copy(
                update={"matched_language": found[item.id][0], "snippet": found[item.id][1]}
            )
            for item in items
        ]
    return schemas.EntryPage(
        items=items,
        next_cursor=page.next_cursor,
        facets=await _facets(connection, counted, bounded=search is not None) if facets else None,
    )


async def _matches(
    connection: AsyncConnection, search: Search, ids: list[uuid.UUID], preferred: str | None
) -> dict[uuid.UUID, tuple[Language | None, str | None]]:
    """Which language matched each entry of a page, and a highlighted snippet in it."""
    # MATERIALIZED: the language is decided once per row, not once per CASE branch below.
    matched = (
        select(
            Entry.id,
            Entry.title,
            Entry.summary,
            Entry.body,
            search.matched_language(preferred).label("language"),
        )
        .where(Entry.id.in_(ids))
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )

    def text_in(language: str) -> ColumnElement[str]:
        return func.concat_ws(
            "\n",
            matched.c.title[language].astext,
            matched.c.summary[language].astext,
            matched.c.body[language].astext,
        )

    headline = case(
        *(
            (matched.c.language == language, search.headline(language, text_in(language)))
            for language in LANGUAGES
        ),
        else_=None,
    )
    rows = await connection.execute(
        select(matched.c.id, matched.c.language, headline.label("headline"))
    )
    return {
        row.id: (
            Language(row.language) if row.language else None,
            marked_snippet(row.headline) if row.headline else None,
        )
        for row in rows
    }


async def _facets(
    connection: AsyncConnection, counted: AnySelect, *, bounded: bool
) -> schemas.Facets:
    """Counts per kind, block and challenge over the entries `counted` selects."""
    matches = counted.cte("matches")
    blocks = select(func.unnest(matches.c.innovation_blocks).label("code")).subquery()
    challenges = select(func.unnest(matches.c.challenges).label("code")).subquery()
    counts = union_all(
        select(literal("kind"), matches.c.kind, func.count()).group_by(matches.c.kind),
        select(literal("block"), blocks.c.code, func.count()).group_by(blocks.c.code),
        select(literal("challenge"), challenges.c.code, func.count()).group_by(challenges.c.code),
    )
    facets: dict[str, dict[str, int]] = {
        "kind": dict.fromkeys((kind.value for kind in schemas.EntryKind), 0),
        "block": dict.fromkeys(
            (
                await connection.execute(
                    select(InnovationBlock.code).order_by(InnovationBlock.position)
                )
            ).scalars(),
            0,
        ),
        "challenge": dict.fromkeys(
            (
                await connection.execute(select(Challenge.code).order_by(Challenge.position))
            ).scalars(),
            0,
        ),
    }
    for facet, code, count in await connection.execute(counts):
        facets[facet][code] = count
    complete = not bounded or sum(facets["kind"].values()) < CANDIDATES
    return schemas.Facets.model_validate({**facets, "complete": complete})
