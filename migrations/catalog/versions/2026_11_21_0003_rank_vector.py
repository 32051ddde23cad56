"""A small title + summary vector to rank search candidates with.

`search_vector` (title, summary and body in every language) averages ~4 kB and lives in
TOAST: ranking with it detoasts it row by row, which made a common word cost seconds. The
GIN index on `search_vector` still decides what matches; `rank_vector` (title A, summary
B: ~0.9 kB, stored in the row) orders the candidates, and a body-only match ranks below
any title or summary match.

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


def upgrade() -> None:
    op.execute(
        f"ALTER TABLE {SCHEMA}.entries ADD COLUMN rank_vector tsvector "
        f"GENERATED ALWAYS AS ({_rank_vector()}) STORED NOT NULL"
    )


def downgrade() -> None:
    op.execute(f"ALTER TABLE {SCHEMA}.entries DROP COLUMN rank_vector")
