"""Catalog schema: search extensions and the taxonomy (innovation blocks, challenges).

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.migration_ops import create_idempotency_table, translations_check

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "catalog"


def _taxonomy_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("label", postgresql.JSONB, nullable=False),
        sa.Column("description", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.CheckConstraint(translations_check("label"), name=f"ck_{name}_label"),
        sa.CheckConstraint("code ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=f"ck_{name}_code"),
        schema=SCHEMA,
    )


def upgrade() -> None:
    # Trusted extensions (PostgreSQL 13+): the database owner may create them.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
    _taxonomy_table("innovation_blocks")
    _taxonomy_table("challenges")
    create_idempotency_table(SCHEMA)


def downgrade() -> None:
    op.drop_table("idempotency_keys", schema=SCHEMA)
    op.drop_table("challenges", schema=SCHEMA)
    op.drop_table("innovation_blocks", schema=SCHEMA)
