"""Lists of entries: filters, keyset pages by recency, searches and facets.

A search ranks a bounded set of candidates (see `ranked`): at most `ranked.CANDIDATES`
matching entries, taken from the GIN index in the order the table stores them (from a fixed
sample of the entries when that alone holds enough, see `statements.candidates`), never
every match of a common word. Facets count those same candidates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from services.catalog import schemas
from services.catalog.models import Entry
from services.catalog.service import filters, ranked, statements
from services.catalog.service.entries import sees_unpublished
from services.catalog.service.search import Search
from shared.auth import Principal
from shared.db import fetch_compiled
from shared.pagination import AnySelect, PageQuery, paginate

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


def _filters(wanted: EntryFilter, principal: Principal | None) -> dict[str, Any]:
    """The filters that apply (see `filters.CONDITIONS`), by name, with their values."""
    chosen: dict[str, Any] = {} if sees_unpublished(principal) else {"published": None}
    given = {
        "statuses": [status.value for status in wanted.statuses],
        "kinds": [kind.value for kind in wanted.kinds],
        "blocks": wanted.blocks,
        "challenges": wanted.challenges,
        "cities": wanted.cities,
        "lang": wanted.lang,
    }
    return chosen | {name: value for name, value in given.items() if value}


def _published_only(wanted: EntryFilter, principal: Principal | None) -> bool:
    return not sees_unpublished(principal) or wanted.statuses == [Status.PUBLISHED]


def _recency_key(wanted: EntryFilter, principal: Principal | None) -> str:
    # Keys that never change for the rows listed, so pages never repeat or skip: published
    # entries stay published (archiving hides them), and created_at never changes.
    return "published_at" if _published_only(wanted, principal) else "created_at"


async def list_entries(
    connection: AsyncConnection,
    wanted: EntryFilter,
    principal: Principal | None,
    *,
    paging: PageQuery,
    facets: bool,
) -> schemas.EntryPage:
    search = Search.parse(wanted.q)
    where = ranked.Where(_filters(wanted, principal), _recency_key(wanted, principal))
    if search is not None:
        return await _search_entries(connection, search, wanted, where, paging, facets)
    conditions = filters.conditions(tuple(where.filters))
    recency = getattr(Entry, where.recency).expression
    page = await paginate(
        connection,
        select(*LIST_COLUMNS).where(*conditions).params(where.filters),
        key=[recency, Entry.id.expression],
        paging=paging,
        item=lambda row: schemas.EntryListItem.model_validate(row._mapping),
        descending=True,
    )
    counted = (
        select(Entry.kind, Entry.innovation_blocks, Entry.challenges)
        .where(*conditions)
        .params(where.filters)
    )
    return schemas.EntryPage(
        items=page.items,
        next_cursor=page.next_cursor,
        facets=await _facets(connection, counted) if facets else None,
    )


async def _search_entries(
    connection: AsyncConnection,
    search: Search,
    wanted: EntryFilter,
    where: ranked.Where,
    paging: PageQuery,
    facets: bool,
) -> schemas.EntryPage:
    settings, cursor = paging.settings, paging.cursor
    level = ranked.cursor_level(settings, search, cursor, scope=paging.scope)
    found = await ranked.candidates(connection, search, where, level)
    ids, next_cursor = ranked.page_of(
        settings,
        found,
        by_recency=wanted.sort is Sort.RECENT,
        limit=paging.limit,
        cursor=cursor,
        scope=paging.scope,
    )
    items = await ranked.page_items(connection, found.search, ids, wanted.lang, LIST_COLUMNS)
    counted = None
    if facets:
        counts = ranked.facet_counts(found)
        codes = await _facet_codes(connection)
        counted = _facets_from(codes, counts, complete=found.complete)
    return schemas.EntryPage(items=items, next_cursor=next_cursor, facets=counted)


async def _facet_codes(connection: AsyncConnection) -> dict[str, list[str]]:
    """Every kind, block and challenge code, in taxonomy order: each facet lists them all."""
    codes: dict[str, list[str]] = {
        "kind": [kind.value for kind in schemas.EntryKind],
        "block": [],
        "challenge": [],
    }
    for facet, code in await fetch_compiled(connection, statements.FACET_CODES):
        codes[facet].append(code)
    return codes


def _facets_from(
    codes: dict[str, list[str]], counts: Mapping[str, Mapping[str, int]], *, complete: bool
) -> schemas.Facets:
    facets = {
        facet: {code: 0 for code in every} | dict(counts.get(facet, {}))
        for facet, every in codes.items()
    }
    return schemas.Facets.model_validate({**facets, "complete": complete})


async def _facets(connection: AsyncConnection, counted: AnySelect) -> schemas.Facets:
    """Counts per kind, block and challenge over the entries `counted` selects."""
    matches = counted.cte("matches")
    blocks = select(func.unnest(matches.c.innovation_blocks).label("code")).subquery()
    challenges = select(func.unnest(matches.c.challenges).label("code")).subquery()
    counts_query = union_all(
        select(literal("kind"), matches.c.kind, func.count()).group_by(matches.c.kind),
        select(literal("block"), blocks.c.code, func.count()).group_by(blocks.c.code),
        select(literal("challenge"), challenges.c.code, func.count()).group_by(challenges.c.code),
    )
    counts: dict[str, dict[str, int]] = {"kind": {}, "block": {}, "challenge": {}}
    for facet, code, count in await connection.execute(counts_query):
        counts[facet][code] = count
    return _facets_from(await _facet_codes(connection), counts, complete=True)
