"""Search finds what people type: the names of an entry's tags, and typos in any word.

- `tag_names`: per language, the labels of an entry's innovation blocks and challenges and
  the names of its cities (`catalog.cities`; a code without a name counts as its words),
  kept by a trigger when the tags change and when a label changes. `search_vector` and
  `language_lexemes` now include them (weight D), so `Varaždin` finds an entry tagged with
  that city in any language, and `stanovanja` an entry tagged `housing` written in English.
- `search_words` replaces `title_words`: every distinct unaccented word of four letters or
  more of the titles, summaries, bodies and tag names, so a typo is corrected towards any
  word a search can match, not only title words.
- `search_corrections(words)`: per typed word, at most three words of `search_words` among
  its nearest by trigram distance (the GiST index walks them first) that are either
  similar by trigrams or one edit away (two from eight letters), nearest edits first. A
  single similarity threshold missed one-letter substitutions in short words (`hausing` →
  `housing` is 0.45 by trigrams). One call corrects every word: no round trip per word.
- `search_match` falls back to the first language the entry has when only its tag names or
  corrections matched, so such a hit still shows a language and the start of its text.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-02
"""

import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"
SAMPLED = "uuid_hash(id) % 8 = 0"
LANGUAGE_CONFIGS = {
    "sl": "catalog.magnet_unaccent",
    "hr": "catalog.magnet_unaccent",
    "sk": "catalog.magnet_unaccent",
    "en": "catalog.magnet_english",
    "it": "catalog.magnet_italian",
}
FIELD_WEIGHTS = {"title": "A", "summary": "B", "body": "C", "tag_names": "D"}
# The network's places, by the codes entries carry; other codes count as their words.
CITIES = {
    "celje": "Celje",
    "prebold": "Prebold",
    "varazdin": "Varaždin",
    "kosice": "Košice",
    "nardo": "Nardò",
}
LANGUAGES = tuple(LANGUAGE_CONFIGS)
# Words of at least four letters, not only digits: what a typo may be corrected to. In
# order, so writers adding the same new words at once wait for each other, never deadlock.
WORDS = (
    "SELECT DISTINCT word FROM {rows}, regexp_split_to_table("
    "catalog.immutable_unaccent(lower(concat_ws(' ', title::text, summary::text, body::text, "
    "tag_names::text))), '[^[:alnum:]]+') AS word "
    "WHERE length(word) BETWEEN 4 AND 40 AND word !~ '^[0-9]+$' ORDER BY word"
)


def _search_vector(weights: dict[str, str]) -> str:
    return "\n || ".join(
        f"setweight(to_tsvector('{config}'::regconfig, coalesce({field} ->> '{language}', '')),"
        f" '{weight}')"
        for field, weight in weights.items()
        for language, config in LANGUAGE_CONFIGS.items()
    )


LANGUAGE_VALUES = ", ".join(
    f"('{code}', '{config}'::regconfig)" for code, config in LANGUAGE_CONFIGS.items()
)
LANGUAGE_LEXEMES = f"""
CREATE FUNCTION {SCHEMA}.language_lexemes(title jsonb, summary jsonb, body jsonb, tags jsonb)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(languages.code || ' ' || lexemes.lexeme)), '')
    FROM (VALUES {LANGUAGE_VALUES}) AS languages(code, config)
    CROSS JOIN LATERAL unnest(to_tsvector(
        languages.config,
        concat_ws(' ', title ->> languages.code, summary ->> languages.code,
                  body ->> languages.code, tags ->> languages.code)
    )) AS lexemes
$$
"""

# Per language: each tag's label in it (else in English, else any), each city's name.
TAG_NAMES = f"""
CREATE FUNCTION {SCHEMA}.tag_names(blocks varchar[], challenges varchar[], cities varchar[])
RETURNS jsonb LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(language, names), '{{}}'::jsonb)
    FROM (
        SELECT language, string_agg(name, ' ' ORDER BY kind, position) AS names
        FROM unnest(ARRAY{list(LANGUAGES)}::text[]) AS language
        CROSS JOIN LATERAL (
            SELECT 1 AS kind, tag.position,
                   coalesce(b.label ->> language, b.label ->> 'en', tag.code) AS name
            FROM unnest(blocks) WITH ORDINALITY AS tag(code, position)
            JOIN {SCHEMA}.innovation_blocks b ON b.code = tag.code
            UNION ALL
            SELECT 2, tag.position, coalesce(c.label ->> language, c.label ->> 'en', tag.code)
            FROM unnest(challenges) WITH ORDINALITY AS tag(code, position)
            JOIN {SCHEMA}.challenges c ON c.code = tag.code
            UNION ALL
            SELECT 3, tag.position,
                   coalesce(place.label ->> language, place.label ->> 'en',
                            replace(tag.code, '-', ' '))
            FROM unnest(cities) WITH ORDINALITY AS tag(code, position)
            LEFT JOIN {SCHEMA}.cities place ON place.code = tag.code
        ) AS tags
        GROUP BY language
    ) AS per_language
$$
"""

KEEP_TAG_NAMES = f"""
CREATE FUNCTION {SCHEMA}.keep_tag_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.tag_names := {SCHEMA}.tag_names(NEW.innovation_blocks, NEW.challenges, NEW.cities);
    RETURN NEW;
END
$$
"""

# A renamed label renames it in the entries that carry the tag.
RELABEL = f"""
CREATE FUNCTION {SCHEMA}.relabel_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {SCHEMA}.entries
    SET tag_names = {SCHEMA}.tag_names(innovation_blocks, challenges, cities)
    WHERE CASE TG_TABLE_NAME
        WHEN 'innovation_blocks' THEN innovation_blocks @> ARRAY[NEW.code]::varchar[]
        WHEN 'challenges' THEN challenges @> ARRAY[NEW.code]::varchar[]
        ELSE cities @> ARRAY[NEW.code]::varchar[]
    END;
    RETURN NULL;
END
$$
"""

REMEMBER_WORDS = f"""
CREATE FUNCTION {SCHEMA}.remember_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {SCHEMA}.search_words (word)
    {WORDS.format(rows="changed")}
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""

SEARCH_CORRECTIONS = f"""
CREATE FUNCTION {SCHEMA}.search_corrections(
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
            FROM {SCHEMA}.search_words AS known
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

CONFIG_OF_LANGUAGE = (
    "CASE language "
    + " ".join(
        f"WHEN '{code}' THEN '{config}'"
        for code, config in LANGUAGE_CONFIGS.items()
        if config != LANGUAGE_CONFIGS["sl"]
    )
    + f" ELSE '{LANGUAGE_CONFIGS['sl']}' END"
)

SEARCH_MATCH = f"""
CREATE OR REPLACE FUNCTION {SCHEMA}.search_match(
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
    -- Only tag names, or words across languages, matched: the entry's first language in
    -- the order asked for, with the start of its title and summary.
    FOREACH language IN ARRAY languages LOOP
        CONTINUE WHEN NOT title ? language;
        config := {CONFIG_OF_LANGUAGE};
        headline := ts_headline(
            config, concat_ws(E'\\n', title ->> language, summary ->> language), query, options
        );
        RETURN;
    END LOOP;
    language := NULL;
END
$$
"""


def _cities() -> None:
    op.execute(
        f"CREATE TABLE {SCHEMA}.cities ("
        "code varchar(40) PRIMARY KEY CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$'), "
        "label jsonb NOT NULL CHECK (jsonb_typeof(label) = 'object' AND label <> '{}'::jsonb))"
    )
    for code, name in CITIES.items():
        label = json.dumps(dict.fromkeys(LANGUAGES, name), ensure_ascii=False)
        op.execute(
            f"INSERT INTO {SCHEMA}.cities (code, label) VALUES ('{code}', '{label}'::jsonb) "
            "ON CONFLICT DO NOTHING"
        )


def _tag_names() -> None:
    op.execute(TAG_NAMES)
    op.execute(KEEP_TAG_NAMES)
    op.execute(
        f"ALTER TABLE {SCHEMA}.entries ADD COLUMN tag_names jsonb NOT NULL DEFAULT '{{}}'::jsonb"
    )
    op.execute(
        f"UPDATE {SCHEMA}.entries "
        f"SET tag_names = {SCHEMA}.tag_names(innovation_blocks, challenges, cities)"
    )
    op.execute(
        f"CREATE TRIGGER entries_tag_names BEFORE INSERT OR UPDATE OF "
        f"innovation_blocks, challenges, cities ON {SCHEMA}.entries "
        f"FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.keep_tag_names()"
    )
    op.execute(RELABEL)
    for table in ("innovation_blocks", "challenges", "cities"):
        op.execute(
            f"CREATE TRIGGER {table}_relabel AFTER UPDATE OF label ON {SCHEMA}.{table} "
            "FOR EACH ROW WHEN (OLD.label IS DISTINCT FROM NEW.label) "
            f"EXECUTE FUNCTION {SCHEMA}.relabel_entries()"
        )


def _search_columns(weights: dict[str, str], lexemes: str) -> None:
    """Generated columns cannot change their expression before PostgreSQL 17: re-add them."""
    op.execute(f"ALTER TABLE {SCHEMA}.entries DROP COLUMN search_vector")  # drops its indexes
    op.execute(
        f"ALTER TABLE {SCHEMA}.entries ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({_search_vector(weights)}) STORED NOT NULL"
    )
    op.execute(f"ALTER TABLE {SCHEMA}.entries DROP COLUMN language_lexemes")
    op.execute(
        f"ALTER TABLE {SCHEMA}.entries ADD COLUMN language_lexemes tsvector "
        f"GENERATED ALWAYS AS ({SCHEMA}.language_lexemes({lexemes})) STORED NOT NULL"
    )
    op.execute(
        f"CREATE INDEX ix_entries_search_vector ON {SCHEMA}.entries USING gin (search_vector)"
    )
    op.execute(
        f"CREATE INDEX ix_entries_search_sample ON {SCHEMA}.entries USING gin (search_vector) "
        f"WHERE {SAMPLED}"
    )


def _search_words() -> None:
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER entries_title_words_{event} ON {SCHEMA}.entries")
    op.execute(f"DROP FUNCTION {SCHEMA}.remember_title_words()")
    op.execute(f"DROP TABLE {SCHEMA}.title_words")
    op.execute(f"CREATE TABLE {SCHEMA}.search_words (word text PRIMARY KEY)")
    op.execute(
        f"INSERT INTO {SCHEMA}.search_words (word) " + WORDS.format(rows=f"{SCHEMA}.entries")
    )
    op.execute(
        f"CREATE INDEX ix_search_words_nearest ON {SCHEMA}.search_words "
        "USING gist (word public.gist_trgm_ops)"
    )
    op.execute(REMEMBER_WORDS)
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER entries_search_words_{event.lower()} AFTER {event} "
            f"ON {SCHEMA}.entries REFERENCING NEW TABLE AS changed "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.remember_search_words()"
        )


def upgrade() -> None:
    # Trusted (PostgreSQL 13+): the database owner may create it; edit distances for typos.
    op.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch WITH SCHEMA public")
    _cities()
    _tag_names()
    op.execute(LANGUAGE_LEXEMES)
    _search_columns(FIELD_WEIGHTS, "title, summary, body, tag_names")
    _search_words()
    op.execute(SEARCH_CORRECTIONS)
    op.execute(SEARCH_MATCH)


def _earlier(name: str) -> ModuleType:
    """An earlier migration of this history, for what it created (migrations are frozen)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    rank_vector = _earlier("2026_11_21_0003_rank_vector")
    search_functions = _earlier("2026_11_21_0005_search_functions")
    op.execute(
        search_functions.SEARCH_MATCH.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    )
    op.execute(f"DROP FUNCTION {SCHEMA}.search_corrections(text[], integer, real, integer)")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER entries_search_words_{event} ON {SCHEMA}.entries")
    op.execute(f"DROP FUNCTION {SCHEMA}.remember_search_words()")
    op.execute(f"DROP TABLE {SCHEMA}.search_words")
    rank_vector._title_words()
    op.execute(
        f"CREATE INDEX ix_title_words_nearest ON {SCHEMA}.title_words "
        "USING gist (word public.gist_trgm_ops)"
    )
    op.execute(f"DROP INDEX {SCHEMA}.ix_title_words_trigrams")
    without_tags = {
        field: weight for field, weight in FIELD_WEIGHTS.items() if field != "tag_names"
    }
    _search_columns(without_tags, "title, summary, body")
    op.execute(f"DROP FUNCTION {SCHEMA}.language_lexemes(jsonb, jsonb, jsonb, jsonb)")
    for table in ("innovation_blocks", "challenges", "cities"):
        op.execute(f"DROP TRIGGER {table}_relabel ON {SCHEMA}.{table}")
    op.execute(f"DROP FUNCTION {SCHEMA}.relabel_entries()")
    op.execute(f"DROP TRIGGER entries_tag_names ON {SCHEMA}.entries")
    op.execute(f"DROP FUNCTION {SCHEMA}.keep_tag_names()")
    op.execute(f"ALTER TABLE {SCHEMA}.entries DROP COLUMN tag_names")
    op.execute(f"DROP FUNCTION {SCHEMA}.tag_names(varchar[], varchar[], varchar[])")
    op.execute(f"DROP TABLE {SCHEMA}.cities")
