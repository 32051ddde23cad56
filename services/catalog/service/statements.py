"""The search's statements, each compiled once (per combination of filters) with parameters.

Building them per request cost more Python time than the SQL they ran. The words travel as
`groups` to `catalog.search_query` (migration 0005), in a MATERIALIZED CTE so the tsquery
is built once per statement, not once per row that `ts_rank` or the match reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Double,
    Select,
    String,
    Text,
    any_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from services.catalog.models import Challenge, Entry, InnovationBlock
from services.catalog.service.filters import conditions
from shared.db import CompiledQuery

CANDIDATES = 200
# A typo is corrected to at most this many known words, taken among its NEAREST by trigram
# distance that are at least this similar (pg_trgm) or an edit or two away.
CORRECTIONS = 3
SIMILAR_ENOUGH = 0.5
NEAREST = 10


def _tsquery() -> CTE:
    groups = bindparam("groups", type_=ARRAY(Text))
    return (
        select(func.catalog.search_query(groups).label("query"))
        .cte("query")
        .prefix_with("MATERIALIZED")
    )


# Entries whose id hashes into the first of SAMPLE buckets; a partial GIN index covers
# exactly them (migration 0005). Written with literals so the planner can prove it.
SAMPLE = 8
IN_SAMPLE = (func.uuid_hash(Entry.id) % literal_column(str(SAMPLE))) == literal_column("0")


@cache
def candidates(filters: tuple[str, ...], recency: str) -> CompiledQuery:
    """At most `CANDIDATES` matching entries with their ts_rank, sort key and tags.

    Taken from the sample when it alone holds `CANDIDATES` matches: a word in 40 % of the
    entries then costs its sampled posting list (~5 000 entries) instead of all of it
    (~40 000, 5-7 ms). Otherwise from the whole table, as the first `CANDIDATES` found.
    """
    query = _tsquery()

    def matching(*only: ColumnElement[bool]) -> Select[Any]:
        return (
            select(
                Entry.id,
                cast(func.ts_rank(Entry.rank_vector, query.c.query), Double).label("rank"),
                getattr(Entry, recency).label("recency"),
                Entry.kind,
                Entry.innovation_blocks,
                Entry.challenges,
            )
            .join_from(Entry, query, true())
            .where(*only, *conditions(filters), Entry.search_vector.op("@@")(query.c.query))
            .limit(CANDIDATES)
        )

    sampled = matching(IN_SAMPLE).cte("sampled").prefix_with("MATERIALIZED")
    in_sample = select(func.count()).select_from(sampled).scalar_subquery()
    statement = union_all(
        select(sampled).where(in_sample == CANDIDATES),
        matching(in_sample < CANDIDATES),
    )
    return CompiledQuery(statement)


@cache
def page(columns: Sequence[Any]) -> CompiledQuery:
    """The entries of `ids`, each with the language that matched and a snippet."""
    query = _tsquery()
    match = (
        func.catalog.search_match(
            Entry.title,
            Entry.summary,
            Entry.body,
            Entry.language_lexemes,
            query.c.query,
            bindparam("languages", type_=ARRAY(String)),
            bindparam("typo_words", type_=ARRAY(String)),
            bindparam("options", type_=String),
        )
        .table_valued("language", "headline")
        .lateral("match")
    )
    statement = (
        select(*columns, match.c.language.label("matched_language"), match.c.headline)
        .join_from(Entry, query, true())
        .join(match, true())
        .where(Entry.id == any_(bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))))
    )
    return CompiledQuery(statement)


def _corrections() -> CompiledQuery:
    """Per typed word, the known words it may be a typo of (`catalog.search_corrections`,
    migration 0007): among its `NEAREST` by trigrams, similar enough or an edit or two away."""
    corrected = func.catalog.search_corrections(
        bindparam("words", type_=ARRAY(Text)),
        literal_column(str(NEAREST)),
        literal_column(str(SIMILAR_ENOUGH)),
        literal_column(str(CORRECTIONS)),
    ).table_valued("typed_word", "correction")
    return CompiledQuery(select(corrected.c.typed_word, corrected.c.correction))


CORRECTED = _corrections()


def _facet_codes() -> CompiledQuery:
    terms = union_all(
        select(literal("block").label("facet"), InnovationBlock.code, InnovationBlock.position),
        select(literal("challenge"), Challenge.code, Challenge.position),
    ).subquery()
    return CompiledQuery(
        select(terms.c.facet, terms.c.code).order_by(terms.c.facet, terms.c.position)
    )


FACET_CODES = _facet_codes()
