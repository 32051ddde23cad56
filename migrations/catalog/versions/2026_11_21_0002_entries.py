"""Catalog entries, their revisions, and multilingual search.

PostgreSQL has no Slovenian, Croatian or Slovak stemmer, so those languages are indexed with
`magnet_unaccent` (unaccent + simple: case- and accent-insensitive, no stemming); English and
Italian use their snowball stemmers behind the same unaccent filter. One stored, weighted
`search_vector` (title A, summary B, body C) over all five languages carries the GIN index.
Typo tolerance uses pg_trgm on an unaccented, lower-cased copy of the titles.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.migration_ops import timestamps, translations_check

revision: str = "0002"
down_revision: str | None = "0001"
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
FIELD_WEIGHTS = {"title": "A", "summary": "B", "body": "C"}
SLUG = "^[a-z0-9]+(-[a-z0-9]+)*$"


def _search_vector() -> str:
    parts = [
        f"setweight(to_tsvector('{config}'::regconfig, coalesce({field} ->> '{language}', '')),"
        f" '{weight}')"
        for field, weight in FIELD_WEIGHTS.items()
        for language, config in LANGUAGE_CONFIGS.items()
    ]
    return "\n || ".join(parts)


def _search_title() -> str:
    titles = " || ' ' || ".join(
        f"coalesce(title ->> '{language}', '')" for language in LANGUAGE_CONFIGS
    )
    return f"catalog.immutable_unaccent(lower({titles}))"


def _text_search_configurations() -> None:
    # `unaccent` is a filtering dictionary: it hands the unaccented word on to the next one.
    for name, template, stemmer in (
        ("magnet_unaccent", "simple", "simple"),
        ("magnet_english", "english", "english_stem"),
        ("magnet_italian", "italian", "italian_stem"),
    ):
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {SCHEMA}.{name} (COPY = {template})")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {SCHEMA}.{name} "
            f"ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, {stemmer}"
        )
    # unaccent() is only STABLE (it looks its dictionary up by name at run time); naming the
    # dictionary explicitly makes the result depend on its input alone, so it may be indexed.
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.immutable_unaccent(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
        """
    )


def _taxonomy_guard() -> None:
    # Arrays cannot carry foreign keys; this trigger is the database's guarantee that every
    # tag names a taxonomy term (the service reports unknown codes as 422 before this fires).
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.check_entry_taxonomy() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (
                SELECT 1 FROM unnest(NEW.innovation_blocks) AS tag(code)
                WHERE NOT EXISTS (
                    SELECT 1 FROM {SCHEMA}.innovation_blocks b WHERE b.code = tag.code)
            ) THEN
                RAISE foreign_key_violation USING
                    CONSTRAINT = 'fk_entries_innovation_blocks',
                    MESSAGE = 'unknown innovation block';
            END IF;
            IF EXISTS (
                SELECT 1 FROM unnest(NEW.challenges) AS tag(code)
                WHERE NOT EXISTS (SELECT 1 FROM {SCHEMA}.challenges c WHERE c.code = tag.code)
            ) THEN
                RAISE foreign_key_violation USING
                    CONSTRAINT = 'fk_entries_challenges',
                    MESSAGE = 'unknown challenge';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        f"""
        CREATE TRIGGER entries_taxonomy BEFORE INSERT OR UPDATE OF innovation_blocks, challenges
        ON {SCHEMA}.entries FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.check_entry_taxonomy()
        """
    )


def _entries_table() -> None:
    empty_array = sa.text("'{}'::varchar[]")
    op.create_table(
        "entries",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", postgresql.JSONB, nullable=False),
        sa.Column("summary", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("body", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column(
            "innovation_blocks",
            postgresql.ARRAY(sa.String(40)),
            nullable=False,
            server_default=empty_array,
        ),
        sa.Column(
            "challenges",
            postgresql.ARRAY(sa.String(40)),
            nullable=False,
            server_default=empty_array,
        ),
        sa.Column(
            "cities", postgresql.ARRAY(sa.String(40)), nullable=False, server_default=empty_array
        ),
        sa.Column("status", sa.String(20), nullable=False, server_default="draft"),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        *timestamps(),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR,
            sa.Computed(_search_vector(), persisted=True),
            nullable=False,
        ),
        sa.Column("search_title", sa.Text, sa.Computed(_search_title(), persisted=True)),
        sa.UniqueConstraint("slug", name="uq_entries_slug"),
        sa.CheckConstraint(f"slug ~ '{SLUG}'", name="ck_entries_slug"),
        sa.CheckConstraint(
            "kind IN ('story', 'method', 'tool', 'practice')", name="ck_entries_kind"
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'in_review', 'published', 'archived')", name="ck_entries_status"
        ),
        sa.CheckConstraint(
            "(status IN ('published', 'archived')) = (published_at IS NOT NULL)",
            name="ck_entries_published_at",
        ),
        sa.CheckConstraint(translations_check("title"), name="ck_entries_title"),
        sa.CheckConstraint(
            "summary = '{}'::jsonb OR (" + translations_check("summary") + ")",
            name="ck_entries_summary",
        ),
        sa.CheckConstraint(
            "body = '{}'::jsonb OR (" + translations_check("body") + ")", name="ck_entries_body"
        ),
        sa.CheckConstraint("version >= 1", name="ck_entries_version"),
        schema=SCHEMA,
    )
    op.execute(
        f"CREATE INDEX ix_entries_search_vector ON {SCHEMA}.entries USING gin (search_vector)"
    )
    op.execute(
        f"CREATE INDEX ix_entries_search_title ON {SCHEMA}.entries "
        "USING gin (search_title public.gin_trgm_ops)"
    )
    for column in ("innovation_blocks", "challenges", "cities"):
        op.execute(f"CREATE INDEX ix_entries_{column} ON {SCHEMA}.entries USING gin ({column})")
    # Keyset pagination: the public list by publication, the editors' list by creation.
    op.execute(
        f"CREATE INDEX ix_entries_published ON {SCHEMA}.entries (published_at DESC, id DESC) "
        "WHERE status = 'published'"
    )
    op.execute(f"CREATE INDEX ix_entries_created ON {SCHEMA}.entries (created_at DESC, id DESC)")


def _revisions_table() -> None:
    # No foreign key to entries: the history of a deleted entry is kept.
    op.create_table(
        "entry_revisions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("entry_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_role", sa.String(20), nullable=False),
        sa.Column("changes", postgresql.JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint(
            "action IN ('created', 'updated', 'transitioned', 'deleted')",
            name="ck_entry_revisions_action",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_entry_revisions_entry", "entry_revisions", ["entry_id", "id"], schema=SCHEMA
    )


def upgrade() -> None:
    _text_search_configurations()
    _entries_table()
    _taxonomy_guard()
    _revisions_table()


def downgrade() -> None:
    op.drop_table("entry_revisions", schema=SCHEMA)
    op.drop_table("entries", schema=SCHEMA)
    op.execute(f"DROP FUNCTION {SCHEMA}.check_entry_taxonomy()")
    op.execute(f"DROP FUNCTION {SCHEMA}.immutable_unaccent(text)")
    for name in ("magnet_unaccent", "magnet_english", "magnet_italian"):
        op.execute(f"DROP TEXT SEARCH CONFIGURATION {SCHEMA}.{name}")
