"""Transfer plans, milestones, IATI-shaped indicators, reports, and the change log.

Every table carries `city_code` (so a partner's `external_id` is unique per city and type,
and the change feed can be filtered by city) and a `version`. Triggers write the change log
in the same transaction as each change, so no write path can forget it; each change records
`pg_current_xact_id()` so readers can return changes in a commit-safe order.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.migration_ops import timestamps, translations_check

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "transfer"
NEW_UUID = sa.text("gen_random_uuid()")
TRACKED = ("plans", "milestones", "indicators", "indicator_periods", "reports")


def _common() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "id", postgresql.UUID, primary_key=True, server_default=sa.text("gen_random_uuid()")
        ),
        sa.Column(
            "city_code",
            sa.String(40),
            sa.ForeignKey(f"{SCHEMA}.cities.code", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(200)),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *timestamps(),
    ]


def _plan_child() -> sa.Column[object]:
    return sa.Column(
        "plan_id",
        postgresql.UUID,
        sa.ForeignKey(f"{SCHEMA}.plans.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "plans",
        *_common(),
        sa.Column("challenge", sa.String(40), nullable=False),
        sa.Column("title", postgresql.JSONB, nullable=False),
        sa.Column("stages", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column(
            "practice_ids",
            postgresql.ARRAY(postgresql.UUID),
            nullable=False,
            server_default="{}",
        ),
        sa.ForeignKeyConstraint(
            ["city_code", "challenge"],
            [f"{SCHEMA}.city_challenges.city_code", f"{SCHEMA}.city_challenges.challenge"],
            name="fk_plans_adopted_challenge",
        ),
        sa.UniqueConstraint("city_code", "challenge", name="uq_plans_city_challenge"),
        sa.UniqueConstraint("city_code", "external_id", name="uq_plans_external_id"),
        sa.CheckConstraint(translations_check("title"), name="ck_plans_title"),
        schema=SCHEMA,
    )
    op.create_table(
        "milestones",
        *_common(),
        _plan_child(),
        sa.Column("title", postgresql.JSONB, nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="planned"),
        sa.UniqueConstraint("city_code", "external_id", name="uq_milestones_external_id"),
        sa.CheckConstraint(translations_check("title"), name="ck_milestones_title"),
        sa.CheckConstraint(
            "status IN ('planned', 'in_progress', 'done', 'dropped')",
            name="ck_milestones_status",
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_milestones_plan", "milestones", ["plan_id", "due"], schema=SCHEMA)
    op.create_table(
        "indicators",
        *_common(),
        _plan_child(),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("title", postgresql.JSONB, nullable=False),
        sa.Column("unit", sa.String(60), nullable=False),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("ascending", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("baseline_value", sa.Numeric),
        sa.Column("baseline_date", sa.Date),
        sa.Column("target_value", sa.Numeric),
        sa.Column("target_date", sa.Date),
        sa.UniqueConstraint("city_code", "external_id", name="uq_indicators_external_id"),
        sa.UniqueConstraint("plan_id", "code", name="uq_indicators_plan_code"),
        sa.CheckConstraint(translations_check("title"), name="ck_indicators_title"),
        sa.CheckConstraint(
            "measure IN ('unit', 'percentage', 'qualitative')", name="ck_indicators_measure"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_indicators_plan", "indicators", ["plan_id"], schema=SCHEMA)
    op.create_table(
        "indicator_periods",
        sa.Column(
            "id", postgresql.UUID, primary_key=True, server_default=sa.text("gen_random_uuid()")
        ),
        sa.Column(
            "indicator_id",
            postgresql.UUID,
            sa.ForeignKey(f"{SCHEMA}.indicators.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("city_code", sa.String(40), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("actual", sa.Numeric),
        sa.Column("comment", postgresql.JSONB),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *timestamps(),
        sa.CheckConstraint("period_end > period_start", name="ck_indicator_periods_order"),
        sa.CheckConstraint(
            f"comment IS NULL OR ({translations_check('comment')})",
            name="ck_indicator_periods_comment",
        ),
        schema=SCHEMA,
    )
    # IATI periods are inclusive dates: [start, end] of one indicator never overlap.
    op.execute(
        f"ALTER TABLE {SCHEMA}.indicator_periods ADD CONSTRAINT ex_indicator_periods_overlap "
        "EXCLUDE USING gist (indicator_id WITH =, "
        "daterange(period_start, period_end, '[]') WITH &&)"
    )
    op.create_table(
        "reports",
        *_common(),
        _plan_child(),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("narrative", postgresql.JSONB, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="draft"),
        sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
        sa.Column("snapshot", postgresql.JSONB),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("city_code", "external_id", name="uq_reports_external_id"),
        sa.CheckConstraint("period_end > period_start", name="ck_reports_period"),
        sa.CheckConstraint(translations_check("narrative"), name="ck_reports_narrative"),
        sa.CheckConstraint("status IN ('draft', 'submitted')", name="ck_reports_status"),
        sa.CheckConstraint(
            "(status = 'submitted') = (snapshot IS NOT NULL AND submitted_at IS NOT NULL)",
            name="ck_reports_frozen",
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_reports_plan", "reports", ["plan_id", "period_start"], schema=SCHEMA)
    op.create_table(
        "report_revisions",
        sa.Column(
            "report_id",
            postgresql.UUID,
            sa.ForeignKey(f"{SCHEMA}.reports.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("revision", sa.Integer, primary_key=True),
        sa.Column("narrative", postgresql.JSONB, nullable=False),
        sa.Column("snapshot", postgresql.JSONB, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    _create_change_log()


def _create_change_log() -> None:
    op.execute(
        f"CREATE TABLE {SCHEMA}.changes ("
        " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " xid xid8 NOT NULL DEFAULT pg_current_xact_id(),"
        " city_code varchar(40) NOT NULL,"
        " entity varchar(30) NOT NULL,"
        " entity_id uuid NOT NULL,"
        " op varchar(10) NOT NULL CONSTRAINT ck_changes_op CHECK (op IN ('upsert', 'delete')),"
        " version integer,"
        " data jsonb,"
        " changed_at timestamptz NOT NULL DEFAULT now())"
    )
    op.create_index("ix_changes_position", "changes", ["xid", "seq"], schema=SCHEMA)
    op.create_index(
        "ix_changes_city_position", "changes", ["city_code", "xid", "seq"], schema=SCHEMA
    )
    op.create_index("ix_changes_entity", "changes", ["entity_id", "xid", "seq"], schema=SCHEMA)
    # The newest position pruned away: a cursor before it can no longer be followed (410).
    op.execute(
        f"CREATE TABLE {SCHEMA}.change_horizon ("
        " singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),"
        " xid xid8 NOT NULL, seq bigint NOT NULL)"
    )
    op.execute(f"INSERT INTO {SCHEMA}.change_horizon (xid, seq) VALUES ('0'::xid8, 0)")
    op.execute(f"""
        CREATE FUNCTION {SCHEMA}.record_changes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                INSERT INTO {SCHEMA}.changes (city_code, entity, entity_id, op, version, data)
                SELECT city_code, TG_ARGV[0], id, 'delete', NULL, NULL FROM old_rows;
            ELSE
                INSERT INTO {SCHEMA}.changes (city_code, entity, entity_id, op, version, data)
                SELECT city_code, TG_ARGV[0], id, 'upsert', version,
                       to_jsonb(new_rows) - 'city_code'
                FROM new_rows;
            END IF;
            RETURN NULL;
        END
        $$
    """)
    entities = {
        "plans": "plan",
        "milestones": "milestone",
        "indicators": "indicator",
        "indicator_periods": "period",
        "reports": "report",
    }
    for table in TRACKED:
        entity = entities[table]
        for event, transition in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            op.execute(
                f"CREATE TRIGGER {table}_log_{event.lower()} AFTER {event} "
                f"ON {SCHEMA}.{table} REFERENCING {transition} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.record_changes('{entity}')"
            )


def downgrade() -> None:
    for table in TRACKED:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_log_{event} ON {SCHEMA}.{table}")
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.record_changes()")
    op.execute(f"DROP TABLE IF EXISTS {SCHEMA}.change_horizon")
    op.drop_table("changes", schema=SCHEMA)
    op.drop_table("report_revisions", schema=SCHEMA)
    op.drop_table("reports", schema=SCHEMA)
    op.drop_table("indicator_periods", schema=SCHEMA)
    op.drop_table("indicators", schema=SCHEMA)
    op.drop_table("milestones", schema=SCHEMA)
    op.drop_table("plans", schema=SCHEMA)
