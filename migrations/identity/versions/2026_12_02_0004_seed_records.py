"""Seed records: the demo rows this schema was given once, never given again.

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

from shared.migration_ops import create_seed_records_table

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"


def upgrade() -> None:
    create_seed_records_table(SCHEMA)


def downgrade() -> None:
    op.drop_table("seed_records", schema=SCHEMA)
