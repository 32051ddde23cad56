"""Transfer schema: partner cities and the challenges each adopted.

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

SCHEMA = "transfer"


def upgrade() -> None:
    op.create_table(
        "cities",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("coordinator", sa.String(300), nullable=False),
        sa.Column("description", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *timestamps(),
        sa.CheckConstraint("code ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="ck_cities_code"),
        sa.CheckConstraint("country ~ '^[A-Z]{2}$'", name="ck_cities_country"),
        sa.CheckConstraint(
            f"description = '{{}}'::jsonb OR ({translations_check('description')})",
            name="ck_cities_description",
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "city_challenges",
        sa.Column(
            "city_code",
            sa.String(40),
            sa.ForeignKey(f"{SCHEMA}.cities.code", ondelete="CASCADE"),
            primary_key=True,
        ),
        # A taxonomy code owned by the catalog service: no foreign key across schemas.
        sa.Column("challenge", sa.String(40), primary_key=True),
        sa.Column("position", sa.SmallInteger, nullable=False),
        schema=SCHEMA,
    )
    create_idempotency_table(SCHEMA)


def downgrade() -> None:
    op.drop_table("idempotency_keys", schema=SCHEMA)
    op.drop_table("city_challenges", schema=SCHEMA)
    op.drop_table("cities", schema=SCHEMA)
