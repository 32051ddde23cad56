"""Migration building blocks every schema needs, written once.

Migrations are frozen history: these helpers spell the columns out instead of reusing the
runtime table objects, so a later change to runtime code never rewrites an old migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def create_idempotency_table(schema: str) -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("caller", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("headers", postgresql.JSONB, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=schema,
    )
    op.create_index(
        "ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"], schema=schema
    )


def translations_check(column: str) -> str:
    """SQL CHECK: a translatable object with at least one known language and nothing else."""
    return (
        f"jsonb_typeof({column}) = 'object' AND {column} <> '{{}}'::jsonb "
        f"AND {column} - ARRAY['sl','en','hr','sk','it'] = '{{}}'::jsonb"
    )


def timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    ]


def create_seed_records_table(schema: str) -> None:
    """Which demo rows a schema was ever offered, so a later start never offers them again.

    `added` is false for a row that was skipped (people's data held its place) or adopted
    from a database seeded before these records existed.
    """
    op.create_table(
        "seed_records",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("added", sa.Boolean, nullable=False),
        sa.Column(
            "seeded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema=schema,
    )


def create_outbox(schema: str) -> None:
    """The transactional outbox of one schema (see `shared.outbox`) and the trigger that
    wakes the workers once a transaction that wrote to it commits."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("topic", sa.String(60), nullable=False),
        sa.Column("target", sa.String(320), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False, unique=True),
        sa.Column("dedupe_key", sa.String(200), unique=True),
        sa.Column("payload", postgresql.JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "due_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.String(500)),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("failed_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("kind IN ('mail', 'webhook')", name="ck_outbox_kind"),
        schema=schema,
    )
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["due_at"],
        schema=schema,
        postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
    )
    op.create_index("ix_outbox_target", "outbox", ["target", "created_at"], schema=schema)
    op.execute(f"""
        CREATE FUNCTION {schema}.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('magnet_outbox', '{schema}');
            RETURN NULL;
        END
        $$
    """)
    op.execute(
        f"CREATE TRIGGER outbox_notify AFTER INSERT ON {schema}.outbox "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {schema}.notify_outbox()"
    )


def drop_outbox(schema: str) -> None:
    op.drop_table("outbox", schema=schema)
    op.execute(f"DROP FUNCTION IF EXISTS {schema}.notify_outbox()")
