"""Lists of entries: filters, keyset pages by recency or relevance, snippets and facets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from services.catalog import schemas
from services.catalog.models import Challenge, Entry, InnovationBlock
from services.catalog.service.entries import sees_unpublished
from services.catalog.service.search import Search
from services.catalog.text import marked_snippet
from shared.auth import Principal
from shared.i18n import LANGUAGES, Language
from shared.pagination import paginate
from shared.settings import Settings

Status = schemas.EntryStatus


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


def _conditions(
    wanted: EntryFilter, search: Search | None, principal: Principal | None
) -> list[ColumnElement[bool]]:
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
    if search is not None:
        conditions.append(search.match)
    return conditions


def _published_only(wanted: EntryFilter, principal: Principal | None) -> bool:
    return not sees_unpublished(principal) or wanted.statuses == [Status.PUBLISHED]


def _sort_key(
    wanted: EntryFilter, search: Search | None, principal: Principal | None
) -> ColumnElement[Any]:
    if search is not None and wanted.sort is not Sort.RECENT:
        return search.rank
    # Keys that never change for the rows listed, so pages never repeat or skip: published
    # entries stay published (archiving hides them), and created_at never changes.
    column = Entry.published_at if _published_only(wanted, principal) else Entry.created_at
    return column.expression


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
    conditions = _conditions(wanted, search, principal)
    page = await paginate(
        connection,
        select(*LIST_COLUMNS).where(*conditions),
        key=[_sort_key(wanted, search, principal), Entry.id],
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
        facets=await _facets(connection, conditions) if facets else None,
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
    connection: AsyncConnection, conditions: list[ColumnElement[bool]]
) -> schemas.Facets:
    """Counts per kind, block and challenge over every entry the current query finds."""
    matches = (
        select(Entry.kind, Entry.innovation_blocks, Entry.challenges)
        .where(*conditions)
        .cte("matches")
    )
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
    return schemas.Facets.model_validate(facets)
