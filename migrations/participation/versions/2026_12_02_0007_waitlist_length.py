"""Each event keeps how many people wait for a seat, kept true by a trigger.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Every read of an event showed its waitlist by counting the waitlisted registrations; the
events list counted them for every event of the page, so its cost grew with the waitlists.
`events.waitlist_length` is counted by a trigger on `registrations` instead: whatever
writes a registration's status (or moves it, or deletes it), the count follows in the same
transaction. Writers that change seats lock the event row first (see seats.py), so the
trigger's update of that row waits for nothing new.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "participation"


def upgrade() -> None:
    op.add_column(
        "events",
        sa.Column("waitlist_length", sa.Integer, nullable=False, server_default="0"),
        schema=SCHEMA,
    )
    op.create_check_constraint(
        "ck_events_waitlist_length", "events", "waitlist_length >= 0", schema=SCHEMA
    )
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.count_waitlisted() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' AND OLD.status = 'waitlisted' THEN
                UPDATE {SCHEMA}.events SET waitlist_length = waitlist_length - 1
                WHERE id = OLD.event_id;
            END IF;
            IF TG_OP <> 'DELETE' AND NEW.status = 'waitlisted' THEN
                UPDATE {SCHEMA}.events SET waitlist_length = waitlist_length + 1
                WHERE id = NEW.event_id;
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        f"""
        CREATE TRIGGER registrations_count_waitlisted
        AFTER INSERT OR UPDATE OF status, event_id OR DELETE ON {SCHEMA}.registrations
        FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.count_waitlisted()
        """
    )
    op.execute(
        f"""
        UPDATE {SCHEMA}.events AS event SET waitlist_length = (
            SELECT count(*) FROM {SCHEMA}.registrations
            WHERE event_id = event.id AND status = 'waitlisted'
        )
        """
    )


def downgrade() -> None:
    op.execute(f"DROP TRIGGER registrations_count_waitlisted ON {SCHEMA}.registrations")
    op.execute(f"DROP FUNCTION {SCHEMA}.count_waitlisted()")
    op.drop_column("events", "waitlist_length", schema=SCHEMA)
