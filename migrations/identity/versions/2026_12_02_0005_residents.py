"""Residents sign up themselves: a verified email, a name and a language; one-time tokens for
verifying and resetting; the outbox of identity's mail.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Existing users keep every value: the new columns are empty for them (staff have no name or
language of their own here, and their addresses were given by an admin, not verified).
Tokens are kept only as SHA-256 digests, with their expiry and the moment they were used.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.migration_ops import create_outbox, drop_outbox

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "identity"
LANGUAGES = "'sl', 'en', 'hr', 'sk', 'it'"


def upgrade() -> None:
    op.add_column("users", sa.Column("name", sa.String(200)), schema=SCHEMA)
    op.add_column("users", sa.Column("language", sa.String(2)), schema=SCHEMA)
    op.add_column("users", sa.Column("verified_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.drop_constraint("ck_users_role", "users", schema=SCHEMA)
    op.create_check_constraint(
        "ck_users_role",
        "users",
        "role IN ('admin', 'editor', 'coordinator', 'partner', 'resident')",
        schema=SCHEMA,
    )
    op.create_check_constraint(
        "ck_users_language", "users", f"language IN ({LANGUAGES})", schema=SCHEMA
    )
    op.create_check_constraint(
        "ck_users_resident_profile",
        "users",
        "role <> 'resident' OR (name IS NOT NULL AND language IS NOT NULL)",
        schema=SCHEMA,
    )
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "user_id",
            sa.Uuid,
            sa.ForeignKey(f"{SCHEMA}.users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("purpose IN ('verify', 'reset')", name="ck_account_tokens_purpose"),
        sa.CheckConstraint("expires_at > created_at", name="ck_account_tokens_expiry"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_account_tokens_user", "account_tokens", ["user_id", "purpose"], schema=SCHEMA
    )
    create_outbox(SCHEMA)


def downgrade() -> None:
    drop_outbox(SCHEMA)
    op.drop_table("account_tokens", schema=SCHEMA)
    # The earlier schema has no residents: their accounts cannot be kept by it.
    op.execute(f"DELETE FROM {SCHEMA}.users WHERE role = 'resident'")
    op.drop_constraint("ck_users_resident_profile", "users", schema=SCHEMA)
    op.drop_constraint("ck_users_language", "users", schema=SCHEMA)
    op.drop_constraint("ck_users_role", "users", schema=SCHEMA)
    op.create_check_constraint(
        "ck_users_role",
        "users",
        "role IN ('admin', 'editor', 'coordinator', 'partner')",
        schema=SCHEMA,
    )
    op.drop_column("users", "verified_at", schema=SCHEMA)
    op.drop_column("users", "language", schema=SCHEMA)
    op.drop_column("users", "name", schema=SCHEMA)
