"""Participation schema: hubs and their spaces.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.migration_ops import create_idempotency_table, timestamps, translations_check

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "participation"


def upgrade() -> None:
    # btree_gist lets the booking exclusion constraint combine `=` on a space with `&&`.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public")
    op.create_table(
        "hubs",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("slug", sa.String(80), nullable=False, unique=True),
        sa.Column("name", postgresql.JSONB, nullable=False),
        sa.Column("description", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("town", sa.String(120), nullable=False),
        sa.Column("address", sa.String(300)),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *timestamps(),
        sa.CheckConstraint(translations_check("name"), name="ck_hubs_name"),
        schema=SCHEMA,
    )
    op.create_table(
        "spaces",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "hub_id",
            sa.Uuid,
            sa.ForeignKey(f"{SCHEMA}.hubs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("name", postgresql.JSONB, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("opening_hours", postgresql.JSONB, nullable=False),
        sa.Column("buffer_minutes", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("requires_approval", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *timestamps(),
        sa.UniqueConstraint("hub_id", "slug", name="uq_spaces_hub_slug"),
        sa.CheckConstraint(translations_check("name"), name="ck_spaces_name"),
        sa.CheckConstraint(
            "kind IN ('room', 'desk', 'workshop', 'equipment')", name="ck_spaces_kind"
        ),
        sa.CheckConstraint("capacity > 0", name="ck_spaces_capacity"),
        sa.CheckConstraint("buffer_minutes BETWEEN 0 AND 240", name="ck_spaces_buffer"),
        schema=SCHEMA,
    )
    op.create_index("ix_spaces_hub_id", "spaces", ["hub_id"], schema=SCHEMA)
    create_idempotency_table(SCHEMA)


def downgrade() -> None:
    op.drop_table("idempotency_keys", schema=SCHEMA)
    op.drop_table("spaces", schema=SCHEMA)
    op.drop_table("hubs", schema=SCHEMA)
