"""Typo corrections by nearest title words (GiST trigram index) instead of a GIN filter.

`word % typed` with the GIN trigram index was planned as a sequential scan of
`title_words` computing the similarity of every word (~25 ms at 20 000 words in
EXPLAIN ANALYZE). A GiST trigram index answers `ORDER BY word <-> typed LIMIT n` by walking
the nearest words first (~3.5 ms); the GIN index then serves nothing and only costs writes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"


def upgrade() -> None:
    op.execute(
        f"CREATE INDEX ix_title_words_nearest ON {SCHEMA}.title_words "
        "USING gist (word public.gist_trgm_ops)"
    )
    op.execute(f"DROP INDEX {SCHEMA}.ix_title_words_trigrams")


def downgrade() -> None:
    op.execute(
        f"CREATE INDEX ix_title_words_trigrams ON {SCHEMA}.title_words "
        "USING gin (word public.gin_trgm_ops)"
    )
    op.execute(f"DROP INDEX {SCHEMA}.ix_title_words_nearest")
