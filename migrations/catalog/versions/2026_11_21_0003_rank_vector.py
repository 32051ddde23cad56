"""A small title + summary vector to rank search candidates with, and a title vocabulary.

`search_vector` (title, summary and body in every language) averages ~4 kB and lives in
TOAST: ranking with it detoasts it row by row, which made a common word cost seconds. The
GIN index on `search_vector` still decides what matches; `rank_vector` (title A, summary
B: ~0.9 kB, stored in the row) orders the candidates, and a body-only match ranks below
any title or summary match.

Typo tolerance compared the typed word with whole titles by trigram word similarity: the
index could only pre-filter (15 000 candidate titles for one word at 100 000 entries), and
rechecking them took ~400 ms. `title_words` holds each distinct unaccented title word once
(kept by statement triggers; a word is never removed, a stale one simply matches nothing);
a typo is corrected against it through a trigram index, and the corrections are then
matched through the full-text index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"
LANGUAGE_CONFIGS = {
    "sl": "catalog.magnet_unaccent",
    "hr": "catalog.magnet_unaccent",
    "sk": "catalog.magnet_unaccent",
    "en": "catalog.magnet_english",
    "it": "catalog.magnet_italian",
}
FIELD_WEIGHTS = {"title": "A", "summary": "B"}


def _rank_vector() -> str:
    parts = [
        f"setweight(to_tsvector('{config}'::regconfig, coalesce({field} ->> '{language}', '')),"
        f" '{weight}')"
        for field, weight in FIELD_WEIGHTS.items()
        for language, config in LANGUAGE_CONFIGS.items()
    ]
    return "\n || ".join(parts)


TITLE_WORDS = (
    "SELECT DISTINCT word FROM {rows}, regexp_split_to_table(search_title, '\\W+') AS word "
    "WHERE length(word) >= 4"
)


def _title_words() -> None:
    op.execute(f"CREATE TABLE {SCHEMA}.title_words (word text PRIMARY KEY)")
    op.execute(
        f"CREATE INDEX ix_title_words_trigrams ON {SCHEMA}.title_words "
        "USING gin (word public.gin_trgm_ops)"
    )
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.remember_title_words() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {SCHEMA}.title_words (word)
            {TITLE_WORDS.format(rows="changed")}
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        END
        $$
        """
    )
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER entries_title_words_{event.lower()} AFTER {event} "
            f"ON {SCHEMA}.entries REFERENCING NEW TABLE AS changed "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.remember_title_words()"
        )
    op.execute(
        f"INSERT INTO {SCHEMA}.title_words (word) " + TITLE_WORDS.format(rows=f"{SCHEMA}.entries")
    )


def upgrade() -> None:
    op.execute(
        f"ALTER TABLE {SCHEMA}.entries ADD COLUMN rank_vector tsvector "
        f"GENERATED ALWAYS AS ({_rank_vector()}) STORED NOT NULL"
    )
    _title_words()


def downgrade() -> None:
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER entries_title_words_{event} ON {SCHEMA}.entries")
    op.execute(f"DROP FUNCTION {SCHEMA}.remember_title_words()")
    op.execute(f"DROP TABLE {SCHEMA}.title_words")
    op.execute(f"ALTER TABLE {SCHEMA}.entries DROP COLUMN rank_vector")
