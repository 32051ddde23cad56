"""Learning labs with phases, events, and registrations with a waitlist.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

`events.confirmed_seats` is kept under the event's row lock by every transaction that
registers or cancels, and the CHECK makes overbooking impossible even for a faulty writer.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.migration_ops import timestamps, translations_check

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "participation"
AGE_BANDS = "'under-15', '15-29', '30-49', '50-64', '65-plus'"


def upgrade() -> None:
    op.create_table(
        "labs",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("slug", sa.String(80), nullable=False, unique=True),
        sa.Column("title", postgresql.JSONB, nullable=False),
        sa.Column("description", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("challenge", sa.String(40), nullable=False),
        sa.Column("hub_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.hubs.id"), nullable=False),
        sa.Column("partners", postgresql.JSONB, nullable=False, server_default="[]"),
        sa.Column("methods", postgresql.ARRAY(sa.Uuid), nullable=False, server_default="{}"),
        sa.Column("outcomes", postgresql.ARRAY(sa.Uuid), nullable=False, server_default="{}"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *timestamps(),
        sa.CheckConstraint(translations_check("title"), name="ck_labs_title"),
        schema=SCHEMA,
    )
    op.create_table(
        "lab_phases",
        sa.Column(
            "lab_id",
            sa.Uuid,
            sa.ForeignKey(f"{SCHEMA}.labs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.SmallInteger, primary_key=True),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("title", postgresql.JSONB, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.CheckConstraint("ends_on >= starts_on", name="ck_lab_phases_dates"),
        sa.CheckConstraint(translations_check("title"), name="ck_lab_phases_title"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_lab_phases_one_current",
        "lab_phases",
        ["lab_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("is_current"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("title", postgresql.JSONB, nullable=False),
        sa.Column("description", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("lab_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.labs.id", ondelete="SET NULL")),
        sa.Column("space_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.spaces.id")),
        sa.Column("address", sa.String(300)),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("registration_opens_at", sa.DateTime(timezone=True)),
        sa.Column("registration_closes_at", sa.DateTime(timezone=True)),
        sa.Column("is_public", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("status", sa.String(20), nullable=False, server_default="scheduled"),
        sa.Column("confirmed_seats", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_waitlist_number", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *timestamps(),
        sa.CheckConstraint(translations_check("title"), name="ck_events_title"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_events_times"),
        sa.CheckConstraint("capacity > 0", name="ck_events_capacity"),
        sa.CheckConstraint(
            "confirmed_seats BETWEEN 0 AND capacity", name="ck_events_confirmed_within_capacity"
        ),
        sa.CheckConstraint(
            "(space_id IS NULL) <> (address IS NULL)", name="ck_events_space_or_address"
        ),
        sa.CheckConstraint(
            "registration_closes_at IS NULL OR registration_opens_at IS NULL"
            " OR registration_closes_at > registration_opens_at",
            name="ck_events_registration_window",
        ),
        sa.CheckConstraint("status IN ('scheduled', 'cancelled')", name="ck_events_status"),
        schema=SCHEMA,
    )
    op.create_index("ix_events_starts_at", "events", ["starts_at", "id"], schema=SCHEMA)
    op.create_index("ix_events_lab_id", "events", ["lab_id"], schema=SCHEMA)
    op.create_foreign_key(
        "fk_bookings_event_id",
        "bookings",
        "events",
        ["event_id"],
        ["id"],
        source_schema=SCHEMA,
        referent_schema=SCHEMA,
    )
    op.create_table(
        "registrations",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "event_id",
            sa.Uuid,
            sa.ForeignKey(f"{SCHEMA}.events.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200)),
        sa.Column("email", sa.String(320)),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("age_band", sa.String(20)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("waitlist_number", sa.Integer),
        sa.Column("cancel_token_hash", sa.LargeBinary, nullable=False),
        sa.Column("attended", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("erased_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *timestamps(),
        sa.CheckConstraint(
            "status IN ('confirmed', 'waitlisted', 'cancelled')", name="ck_registrations_status"
        ),
        sa.CheckConstraint(f"age_band IN ({AGE_BANDS})", name="ck_registrations_age_band"),
        sa.CheckConstraint(
            "status <> 'waitlisted' OR waitlist_number IS NOT NULL",
            name="ck_registrations_waitlist_number",
        ),
        sa.CheckConstraint(
            "(erased_at IS NULL) = (email IS NOT NULL AND name IS NOT NULL)",
            name="ck_registrations_erased",
        ),
        schema=SCHEMA,
    )
    op.execute(
        f"CREATE UNIQUE INDEX uq_registrations_event_email ON {SCHEMA}.registrations"
        " (event_id, lower(email)) WHERE status <> 'cancelled' AND email IS NOT NULL"
    )
    op.create_index(
        "ix_registrations_waitlist",
        "registrations",
        ["event_id", "waitlist_number"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'waitlisted'"),
    )


def downgrade() -> None:
    op.drop_table("registrations", schema=SCHEMA)
    op.drop_constraint("fk_bookings_event_id", "bookings", schema=SCHEMA, type_="foreignkey")
    op.drop_table("events", schema=SCHEMA)
    op.drop_table("lab_phases", schema=SCHEMA)
    op.drop_table("labs", schema=SCHEMA)
