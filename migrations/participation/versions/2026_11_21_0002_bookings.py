"""Bookings that can never overlap, and closures (holidays) of hubs and spaces.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

`blocked` is `during` with its end extended by the space's buffer minutes, kept by a
trigger in the inserting transaction, so the exclusion constraint enforces buffers too:
two bookings of one space conflict exactly when the later one starts before the earlier
one ends plus the buffer. Only pending and confirmed bookings hold their slot.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.migration_ops import timestamps

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "participation"


def upgrade() -> None:
    op.create_table(
        "closures",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "hub_id",
            sa.Uuid,
            sa.ForeignKey(f"{SCHEMA}.hubs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("space_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.spaces.id", ondelete="CASCADE")),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("reason", sa.String(300), nullable=False, server_default=""),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *timestamps(),
        sa.CheckConstraint("ends_on >= starts_on", name="ck_closures_dates"),
        schema=SCHEMA,
    )
    op.create_index("ix_closures_hub_id", "closures", ["hub_id", "starts_on"], schema=SCHEMA)
    op.create_table(
        "bookings",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("space_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.spaces.id"), nullable=False),
        sa.Column("during", postgresql.TSTZRANGE, nullable=False),
        sa.Column("blocked", postgresql.TSTZRANGE, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("purpose", sa.String(500), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False, server_default=""),
        sa.Column("booked_by", sa.String(200), nullable=False),
        sa.Column("event_id", sa.Uuid),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *timestamps(),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'rejected', 'cancelled')",
            name="ck_bookings_status",
        ),
        sa.CheckConstraint(
            "NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)",
            name="ck_bookings_during",
        ),
        schema=SCHEMA,
    )
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.booking_blocked_range() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.blocked := tstzrange(
                lower(NEW.during),
                upper(NEW.during) + make_interval(mins => (
                    SELECT buffer_minutes FROM {SCHEMA}.spaces WHERE id = NEW.space_id
                )),
                '[)'
            );
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        f"""
        CREATE TRIGGER bookings_blocked_range
        BEFORE INSERT OR UPDATE OF during, space_id ON {SCHEMA}.bookings
        FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.booking_blocked_range()
        """
    )
    op.execute(
        f"""
        ALTER TABLE {SCHEMA}.bookings ADD CONSTRAINT ex_bookings_no_overlap
        EXCLUDE USING gist (space_id WITH =, blocked WITH &&)
        WHERE (status IN ('pending', 'confirmed'))
        """
    )
    op.create_index("ix_bookings_booked_by", "bookings", ["booked_by"], schema=SCHEMA)
    op.create_index("ix_bookings_event_id", "bookings", ["event_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("bookings", schema=SCHEMA)
    op.execute(f"DROP FUNCTION {SCHEMA}.booking_blocked_range()")
    op.drop_table("closures", schema=SCHEMA)
