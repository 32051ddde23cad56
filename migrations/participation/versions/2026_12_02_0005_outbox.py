"""The outbox of mail to registrants and bookers; what a registrant's mails are written in.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02

Each outgoing message is a row written in the transaction that causes it; a statement
trigger wakes the workers (NOTIFY is delivered only on commit). `reminded_at` marks an
event whose day-before reminders are queued, so a reminder is queued once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.migration_ops import create_outbox, drop_outbox

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "participation"
LANGUAGES = "'sl', 'en', 'hr', 'sk', 'it'"


def upgrade() -> None:
    create_outbox(SCHEMA)
    op.add_column(
        "registrations",
        sa.Column("language", sa.String(2), nullable=False, server_default="en"),
        schema=SCHEMA,
    )
    op.create_check_constraint(
        "ck_registrations_language", "registrations", f"language IN ({LANGUAGES})", schema=SCHEMA
    )
    op.add_column("events", sa.Column("reminded_at", sa.DateTime(timezone=True)), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("events", "reminded_at", schema=SCHEMA)
    op.drop_constraint("ck_registrations_language", "registrations", schema=SCHEMA)
    op.drop_column("registrations", "language", schema=SCHEMA)
    drop_outbox(SCHEMA)
