"""Partner systems' webhook endpoints, and their deliveries queued with each change.

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-02

A trigger on the change log queues one delivery per active endpoint of the changed city, in
the transaction that changed the data: a sync, an edit through the API, anything the change
feed records. Every statement of one transaction adds its changes to the same delivery
(`dedupe_key` = transaction and endpoint), so a committed sync is one delivery.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.migration_ops import create_outbox, drop_outbox

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "transfer"


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "city_code",
            sa.String(40),
            sa.ForeignKey(f"{SCHEMA}.cities.code", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("description", sa.String(500), nullable=False, server_default=""),
        # Kept as is: every delivery is signed with it (Standard Webhooks, symmetric).
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
        sa.Column("disabled_reason", sa.String(300)),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_webhook_endpoints_city", "webhook_endpoints", ["city_code", "created_at"], schema=SCHEMA
    )
    create_outbox(SCHEMA)
    op.execute(f"""
        CREATE FUNCTION {SCHEMA}.queue_webhook_deliveries() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {SCHEMA}.outbox (id, kind, topic, target, message_id, dedupe_key, payload)
            SELECT gen_random_uuid(), 'webhook', 'transfer.changed', endpoint.id::text,
                   'msg_' || replace(gen_random_uuid()::text, '-', ''),
                   pg_current_xact_id()::text || ':' || endpoint.id::text,
                   jsonb_build_object(
                       'type', 'transfer.changed',
                       'timestamp', to_jsonb(now()),
                       'data', jsonb_build_object('city', changed.city_code,
                                                  'changes', changed.changes))
            FROM (
                SELECT city_code,
                       jsonb_agg(jsonb_build_object('entity', entity, 'id', entity_id,
                                                    'op', op, 'version', version)
                                 ORDER BY seq) AS changes
                FROM new_changes GROUP BY city_code
            ) AS changed
            JOIN {SCHEMA}.webhook_endpoints AS endpoint
              ON endpoint.city_code = changed.city_code AND endpoint.disabled_at IS NULL
            ON CONFLICT (dedupe_key) DO UPDATE
            SET payload = jsonb_set(
                {SCHEMA}.outbox.payload, '{{data,changes}}',
                ({SCHEMA}.outbox.payload -> 'data' -> 'changes')
                    || (EXCLUDED.payload -> 'data' -> 'changes'));
            RETURN NULL;
        END
        $$
    """)
    op.execute(
        f"CREATE TRIGGER changes_queue_webhooks AFTER INSERT ON {SCHEMA}.changes "
        "REFERENCING NEW TABLE AS new_changes "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.queue_webhook_deliveries()"
    )


def downgrade() -> None:
    op.execute(f"DROP TRIGGER IF EXISTS changes_queue_webhooks ON {SCHEMA}.changes")
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.queue_webhook_deliveries()")
    drop_outbox(SCHEMA)
    op.drop_table("webhook_endpoints", schema=SCHEMA)
