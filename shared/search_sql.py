"""The database side of multilingual search, for a schema's migrations to create once.

What the catalog's migrations 0002, 0005 and 0007 created in `catalog` (and keep there as
frozen history), written here as SQL for any schema, so a second service searches the same
way rather than a second way (`shared.search` is the Python side):

- `magnet_unaccent` (unaccent + simple, for sl, hr and sk, which PostgreSQL cannot stem),
  `magnet_english` and `magnet_italian` (their snowball stemmers behind unaccent);
- `immutable_unaccent(text)`, indexable;
- `search_query(groups)`: each group an OR of space-separated terms under the three
  configurations, the groups ANDed;
- a `search_words` table of every distinct unaccented word of four letters or more and
  `search_corrections(words, nearest, similar_enough, per_word)`: the known words a typed
  word may be a typo of (similar by trigrams, or an edit or two away).

Each schema gets its own copies: services share no database objects, so one may move to
its own database without the other noticing.
"""

# ruff: noqa: S608 (schema and table names are constants of the migrations, never input)
from __future__ import annotations

LANGUAGES = ("sl", "en", "hr", "sk", "it")
WORDS_MIN_LENGTH = 4


def language_configs(schema: str) -> dict[str, str]:
    return {
        "sl": f"{schema}.magnet_unaccent",
        "hr": f"{schema}.magnet_unaccent",
        "sk": f"{schema}.magnet_unaccent",
        "en": f"{schema}.magnet_english",
        "it": f"{schema}.magnet_italian",
    }


def create_configurations(schema: str) -> list[str]:
    """The extensions, the three text-search configurations and `immutable_unaccent`."""
    statements = [
        "CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public",
        "CREATE EXTENSION IF NOT EXISTS fuzzystrmatch WITH SCHEMA public",
    ]
    for name, template, stemmer in (
        ("magnet_unaccent", "simple", "simple"),
        ("magnet_english", "english", "english_stem"),
        ("magnet_italian", "italian", "italian_stem"),
    ):
        statements += [
            f"CREATE TEXT SEARCH CONFIGURATION {schema}.{name} (COPY = {template})",
            # `unaccent` is a filtering dictionary: it hands the unaccented word on.
            f"ALTER TEXT SEARCH CONFIGURATION {schema}.{name} "
            f"ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, {stemmer}",
        ]
    # unaccent() is only STABLE; naming its dictionary makes the result indexable.
    statements.append(
        f"CREATE FUNCTION {schema}.immutable_unaccent(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
        "AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$"
    )
    return statements


def drop_configurations(schema: str) -> list[str]:
    return [
        f"DROP FUNCTION {schema}.immutable_unaccent(text)",
        *(
            f"DROP TEXT SEARCH CONFIGURATION {schema}.{name}"
            for name in ("magnet_unaccent", "magnet_english", "magnet_italian")
        ),
    ]


def search_vector(schema: str, weights: dict[str, str]) -> str:
    """A weighted tsvector over the jsonb translations `weights` names, in every language."""
    return "\n || ".join(
        f"setweight(to_tsvector('{config}'::regconfig, coalesce({column} ->> '{language}', '')),"
        f" '{weight}')"
        for column, weight in weights.items()
        for language, config in language_configs(schema).items()
    )


def create_search_query(schema: str) -> str:
    configs = ", ".join(
        f"'{schema}.{name}'" for name in ("magnet_unaccent", "magnet_english", "magnet_italian")
    )
    return f"""
CREATE FUNCTION {schema}.search_query(groups text[]) RETURNS tsquery
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
            FROM unnest(ARRAY[{configs}]::regconfig[]) AS config
        ) AS alternatives
        WHERE alternative <> ''
        GROUP BY grouped.position
    ) AS anded);
END
$$
"""


def create_search_words(schema: str, table: str, columns: tuple[str, ...]) -> list[str]:
    """`search_words`, filled from `table`'s jsonb `columns` and kept by statement triggers."""
    texts = ", ".join(f"{column}::text" for column in columns)
    words = (
        "SELECT DISTINCT word FROM {rows}, regexp_split_to_table("
        f"{schema}.immutable_unaccent(lower(concat_ws(' ', {texts}))), '[^[:alnum:]]+') AS word "
        f"WHERE length(word) BETWEEN {WORDS_MIN_LENGTH} AND 40 AND word !~ '^[0-9]+$' "
        "ORDER BY word"
    )
    statements = [
        f"CREATE TABLE {schema}.search_words (word text PRIMARY KEY)",
        f"CREATE INDEX ix_search_words_nearest ON {schema}.search_words "
        "USING gist (word public.gist_trgm_ops)",
        f"INSERT INTO {schema}.search_words (word) " + words.format(rows=f"{schema}.{table}"),
        f"""
CREATE FUNCTION {schema}.remember_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.search_words (word)
    {words.format(rows="changed")}
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
""",
    ]
    for event in ("INSERT", "UPDATE"):
        statements.append(
            f"CREATE TRIGGER {table}_search_words_{event.lower()} AFTER {event} "
            f"ON {schema}.{table} REFERENCING NEW TABLE AS changed "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {schema}.remember_search_words()"
        )
    return statements


def create_search_corrections(schema: str) -> str:
    return f"""
CREATE FUNCTION {schema}.search_corrections(
    typed_words text[], nearest integer, similar_enough real, per_word integer
)
RETURNS TABLE (typed_word text, correction text)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN QUERY
    SELECT typed.word, corrected.word
    FROM unnest(typed_words) AS typed(word)
    CROSS JOIN LATERAL (
        SELECT near.word
        FROM (
            SELECT known.word, public.similarity(known.word, typed.word) AS similarity
            FROM {schema}.search_words AS known
            ORDER BY known.word OPERATOR(public.<->) typed.word
            LIMIT nearest
        ) AS near
        CROSS JOIN LATERAL (
            SELECT public.levenshtein_less_equal(near.word, typed.word, 3) AS edits,
                   CASE WHEN length(typed.word) >= 8 THEN 2 ELSE 1 END AS allowed
        ) AS distance
        WHERE near.similarity >= similar_enough OR distance.edits <= distance.allowed
        ORDER BY distance.edits, near.similarity DESC, near.word
        LIMIT per_word
    ) AS corrected;
END
$$
"""


def drop_search(schema: str, table: str) -> list[str]:
    return [
        f"DROP FUNCTION {schema}.search_corrections(text[], integer, real, integer)",
        *(
            f"DROP TRIGGER {table}_search_words_{event} ON {schema}.{table}"
            for event in ("insert", "update")
        ),
        f"DROP FUNCTION {schema}.remember_search_words()",
        f"DROP TABLE {schema}.search_words",
        f"DROP FUNCTION {schema}.search_query(text[])",
    ]
