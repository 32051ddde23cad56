"""Search helpers in the database: the tsquery and the match; a sample for common words.

Building the search expressions in Python cost ~10 ms per request (a tree of `to_tsquery`
calls per word and configuration, and a `CASE` over five languages for the matched language
and snippet); these functions let each statement be compiled once, with the words as
parameters. They are PL/pgSQL so their plans are cached per session (a SQL function that
cannot be inlined is planned again on every call).

- `search_query(groups)`: each group is an OR of space-separated terms (`word` or
  `word:*`), each under the three text-search configurations; the groups are ANDed.
  Identical lexemes are kept once: GIN never merges duplicate entries of a tsquery, so
  `'sta':* | 'sta':*` read the same posting lists twice.
- `search_match(...)`: the first language (in the order given) whose text matches, else
  whose title holds every typo word, with a snippet cut from the title and summary when
  they match, else from the body too. `language_lexemes` (each language's lexemes tagged
  with its code, stored) answers which language matches without parsing the texts again:
  finding it parsed up to five bodies per row.

A partial GIN index over a fixed eighth of the entries (by a hash of the id) lets a query
that matches very many entries find its 200 candidates there: GIN has no early stop for
a LIMIT, so a word in 40 % of 100 000 entries decoded and sorted ~40 000 postings (5-7 ms)
to return 200; the sample's posting list is an eighth of that. When the sample holds fewer
than 200 matches the whole table is searched, as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"
# A fixed eighth of the entries, by id: the candidate query's partial index (see below).
SAMPLED = "uuid_hash(id) % 8 = 0"

QUERY_CONFIGS = f"'{SCHEMA}.magnet_unaccent', '{SCHEMA}.magnet_english', '{SCHEMA}.magnet_italian'"

SEARCH_QUERY = f"""
CREATE FUNCTION {SCHEMA}.search_query(groups text[]) RETURNS tsquery
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT string_agg(alternatives, ' & ')::tsquery
    FROM (
        SELECT '(' || string_agg(DISTINCT '(' || alternative || ')', ' | ') || ')'
            AS alternatives
        FROM unnest(groups) WITH ORDINALITY AS grouped(terms, position)
        CROSS JOIN LATERAL regexp_split_to_table(grouped.terms, ' ') AS term
        CROSS JOIN LATERAL (
            SELECT to_tsquery(config, term)::text AS alternative
            FROM unnest(ARRAY[{QUERY_CONFIGS}]::regconfig[]) AS config
        ) AS alternatives
        WHERE alternative <> ''
        GROUP BY grouped.position
    ) AS anded);
END
$$
"""

LANGUAGE_CONFIGS = {
    "sl": "catalog.magnet_unaccent",
    "hr": "catalog.magnet_unaccent",
    "sk": "catalog.magnet_unaccent",
    "en": "catalog.magnet_english",
    "it": "catalog.magnet_italian",
}
CONFIG_OF_LANGUAGE = (
    "CASE language "
    + " ".join(
        f"WHEN '{code}' THEN '{config}'"
        for code, config in LANGUAGE_CONFIGS.items()
        if config != LANGUAGE_CONFIGS["sl"]
    )
    + f" ELSE '{LANGUAGE_CONFIGS['sl']}' END"
)
LANGUAGE_VALUES = ", ".join(
    f"('{code}', '{config}'::regconfig)" for code, config in LANGUAGE_CONFIGS.items()
)

LANGUAGE_LEXEMES = f"""
CREATE FUNCTION {SCHEMA}.language_lexemes(title jsonb, summary jsonb, body jsonb)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(languages.code || ' ' || lexemes.lexeme)), '')
    FROM (VALUES {LANGUAGE_VALUES}) AS languages(code, config)
    CROSS JOIN LATERAL unnest(to_tsvector(
        languages.config,
        concat_ws(' ', title ->> languages.code, summary ->> languages.code,
                  body ->> languages.code)
    )) AS lexemes
$$
"""

# Every lexeme of `query` prefixed with the language, as `language_lexemes` stores them.
IN_LANGUAGE = f"""
CREATE FUNCTION {SCHEMA}.in_language(query tsquery, language text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT regexp_replace(
        query::text, '''([^'']*)''', '''' || language || ' \\1''', 'g'
    )::tsquery
$$
"""

SEARCH_MATCH = f"""
CREATE FUNCTION {SCHEMA}.search_match(
    title jsonb, summary jsonb, body jsonb, lexemes tsvector, query tsquery,
    languages text[], typo_words text[], options text, OUT language text, OUT headline text
)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    config regconfig;
    head text;
BEGIN
    FOREACH language IN ARRAY languages LOOP
        CONTINUE WHEN NOT title ? language
            OR NOT lexemes @@ {SCHEMA}.in_language(query, language);
        config := {CONFIG_OF_LANGUAGE};
        head := concat_ws(E'\\n', title ->> language, summary ->> language);
        -- The snippet comes from the title and summary when they match, else the body too.
        IF to_tsvector(config, head) @@ query THEN
            headline := ts_headline(config, head, query, options);
        ELSE
            headline := ts_headline(
                config, concat_ws(E'\\n', head, body ->> language), query, options
            );
        END IF;
        RETURN;
    END LOOP;
    FOREACH language IN ARRAY languages LOOP
        CONTINUE WHEN NOT title ? language OR cardinality(typo_words) = 0;
        IF (
            SELECT bool_and(word <% {SCHEMA}.immutable_unaccent(lower(title ->> language)))
            FROM unnest(typo_words) AS word
        ) THEN
            -- Nothing in this language matches the query: the snippet is the start of the
            -- title and summary (parsing the body too cost ~0.3 ms a row for nothing).
            config := {CONFIG_OF_LANGUAGE};
            headline := ts_headline(
                config, concat_ws(E'\\n', title ->> language, summary ->> language), query, options
            );
            RETURN;
        END IF;
    END LOOP;
    language := NULL;
END
$$
"""


def upgrade() -> None:
    op.execute(SEARCH_QUERY)
    op.execute(LANGUAGE_LEXEMES)
    op.execute(
        f"ALTER TABLE {SCHEMA}.entries ADD COLUMN language_lexemes tsvector "
        f"GENERATED ALWAYS AS ({SCHEMA}.language_lexemes(title, summary, body)) STORED NOT NULL"
    )
    op.execute(IN_LANGUAGE)
    op.execute(SEARCH_MATCH)
    op.execute(
        f"CREATE INDEX ix_entries_search_sample ON {SCHEMA}.entries USING gin (search_vector) "
        f"WHERE {SAMPLED}"
    )


def downgrade() -> None:
    op.execute(f"DROP INDEX {SCHEMA}.ix_entries_search_sample")
    op.execute(
        f"DROP FUNCTION {SCHEMA}.search_match("
        "jsonb, jsonb, jsonb, tsvector, tsquery, text[], text[], text)"
    )
    op.execute(f"DROP FUNCTION {SCHEMA}.in_language(tsquery, text)")
    op.execute(f"ALTER TABLE {SCHEMA}.entries DROP COLUMN language_lexemes")
    op.execute(f"DROP FUNCTION {SCHEMA}.language_lexemes(jsonb, jsonb, jsonb)")
    op.execute(f"DROP FUNCTION {SCHEMA}.search_query(text[])")
