"""Residents' proposals in labs, their supports, comments, reports and revisions.

- `residents`: the one place a resident's personal data lives here (name, verified email,
  language, as their token carried them at their last contribution). Erasure deletes the
  row; proposals, comments and supports stay, no longer linked to anyone.
- `proposals.supports_count` is kept by triggers on `supports`: a support's insert or
  withdrawal updates the proposal's row under its lock, so the count is exact however many
  residents support at once; the proposal's `version` (its ETag) moves with its count, so a
  cached copy is never confirmed with a stale count. One active support per resident and
  proposal is a unique index, not a check in Python. A withdrawn support keeps its row
  (`withdrawn_at`), so a list sorted by supports reads them as of one moment on every page.
- A comment's parent is on the same proposal: a composite foreign key says so.
- One report per person and item: unique indexes.
- Search: the same configurations and functions as the catalog's (`shared.search_sql`),
  in this schema, over the proposals' titles and bodies.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared import search_sql
from shared.migration_ops import timestamps, translations_check

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "participation"
LANGUAGES = "'sl', 'en', 'hr', 'sk', 'it'"
STATES = "'published', 'evaluating', 'accepted', 'rejected', 'withdrawn', 'hidden'"
SHOWN_STATES = "'published', 'evaluating', 'accepted', 'rejected', 'withdrawn'"

COUNT_SUPPORTS = f"""
CREATE FUNCTION {SCHEMA}.count_supports() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE {SCHEMA}.proposals
        SET supports_count = supports_count + 1, version = version + 1
        WHERE id = NEW.proposal_id;
    ELSIF OLD.withdrawn_at IS NULL AND NEW.withdrawn_at IS NOT NULL THEN
        UPDATE {SCHEMA}.proposals
        SET supports_count = supports_count - 1, version = version + 1
        WHERE id = NEW.proposal_id;
    END IF;
    RETURN NULL;
END
$$
"""


def _residents() -> None:
    op.create_table(
        "residents",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("subject", sa.String(200), nullable=False, unique=True),
        sa.Column("name", sa.String(200)),
        sa.Column("email", sa.String(320)),
        sa.Column("language", sa.String(2)),
        # Contributions in the current hour: the per-resident limit, under this row's lock.
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("contributions_in_window", sa.Integer, nullable=False, server_default="0"),
        *timestamps(),
        sa.CheckConstraint(f"language IS NULL OR language IN ({LANGUAGES})",
                           name="ck_residents_language"),
        sa.CheckConstraint("contributions_in_window >= 0", name="ck_residents_window"),
        schema=SCHEMA,
    )  # fmt: skip


def _proposals() -> None:
    vector = search_sql.search_vector(SCHEMA, {"title": "A", "body": "B"})
    op.create_table(
        "proposals",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("lab_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.labs.id"), nullable=False),
        sa.Column("phase", sa.String(40)),
        sa.Column("title", postgresql.JSONB, nullable=False),
        sa.Column("body", postgresql.JSONB, nullable=False),
        sa.Column("state", sa.String(20), nullable=False, server_default="published"),
        sa.Column("author_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.residents.id",
                                                      ondelete="SET NULL")),
        sa.Column("answer", postgresql.JSONB),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("lab_outcome", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("state_before_hidden", sa.String(20)),
        sa.Column("hidden_reason", sa.String(500)),
        sa.Column("supports_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reports_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reports_reviewed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *timestamps(),
        sa.CheckConstraint(translations_check("title"), name="ck_proposals_title"),
        sa.CheckConstraint(translations_check("body"), name="ck_proposals_body"),
        sa.CheckConstraint(f"state IN ({STATES})", name="ck_proposals_state"),
        sa.CheckConstraint(
            f"(state = 'hidden') = (state_before_hidden IS NOT NULL) "
            f"AND (state_before_hidden IS NULL OR state_before_hidden IN ({SHOWN_STATES}))",
            name="ck_proposals_hidden",
        ),
        sa.CheckConstraint("answer IS NULL OR " + translations_check("answer"),
                           name="ck_proposals_answer"),
        sa.CheckConstraint(
            "NOT lab_outcome OR state = 'accepted' OR state_before_hidden = 'accepted'",
            name="ck_proposals_outcome_accepted",
        ),
        sa.CheckConstraint("supports_count >= 0", name="ck_proposals_supports_count"),
        sa.CheckConstraint("reports_reviewed <= reports_count", name="ck_proposals_reports"),
        schema=SCHEMA,
    )  # fmt: skip
    op.execute(
        f"ALTER TABLE {SCHEMA}.proposals ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({vector}) STORED NOT NULL"
    )
    op.create_index("ix_proposals_search_vector", "proposals", ["search_vector"],
                    schema=SCHEMA, postgresql_using="gin")  # fmt: skip
    op.create_index("ix_proposals_lab_recent", "proposals", ["lab_id", "created_at", "id"],
                    schema=SCHEMA)  # fmt: skip
    op.create_index("ix_proposals_author", "proposals", ["author_id"], schema=SCHEMA)
    op.create_table(
        "proposal_revisions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("proposal_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.proposals.id"),
                  nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_role", sa.String(20), nullable=False),
        sa.Column("changes", postgresql.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        schema=SCHEMA,
    )  # fmt: skip
    op.create_index("ix_proposal_revisions_proposal", "proposal_revisions",
                    ["proposal_id", "id"], schema=SCHEMA)  # fmt: skip


def _supports() -> None:
    op.create_table(
        "supports",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("proposal_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.proposals.id"),
                  nullable=False),
        sa.Column("resident_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.residents.id",
                                                        ondelete="SET NULL")),
        # clock_timestamp(): the list sorted by supports reads counts as of an instant.
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("clock_timestamp()")),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("withdrawn_at IS NULL OR withdrawn_at >= created_at",
                           name="ck_supports_withdrawn"),
        schema=SCHEMA,
    )  # fmt: skip
    op.create_index("uq_supports_active", "supports", ["proposal_id", "resident_id"],
                    unique=True, schema=SCHEMA,
                    postgresql_where=sa.text("withdrawn_at IS NULL"))  # fmt: skip
    op.create_index("ix_supports_resident", "supports", ["resident_id"], schema=SCHEMA)
    op.execute(COUNT_SUPPORTS)
    op.execute(
        f"CREATE TRIGGER supports_count AFTER INSERT OR UPDATE OF withdrawn_at "
        f"ON {SCHEMA}.supports FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.count_supports()"
    )


def _comments_and_reports() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("proposal_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.proposals.id"),
                  nullable=False),
        sa.Column("parent_id", sa.Uuid),
        sa.Column("author_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.residents.id",
                                                      ondelete="SET NULL")),
        sa.Column("body", sa.Text),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("hidden", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("hidden_reason", sa.String(500)),
        sa.Column("reports_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reports_reviewed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        *timestamps(),
        sa.UniqueConstraint("id", "proposal_id", name="uq_comments_id_proposal"),
        sa.ForeignKeyConstraint(["parent_id", "proposal_id"],
                                [f"{SCHEMA}.comments.id", f"{SCHEMA}.comments.proposal_id"],
                                name="fk_comments_parent_on_same_proposal"),
        sa.CheckConstraint("(deleted_at IS NULL) = (body IS NOT NULL)",
                           name="ck_comments_deleted_has_no_body"),
        sa.CheckConstraint("char_length(body) BETWEEN 1 AND 5000", name="ck_comments_body"),
        sa.CheckConstraint("reports_reviewed <= reports_count", name="ck_comments_reports"),
        schema=SCHEMA,
    )  # fmt: skip
    op.create_index("ix_comments_proposal", "comments", ["proposal_id", "created_at", "id"],
                    schema=SCHEMA)  # fmt: skip
    op.create_index("ix_comments_author", "comments", ["author_id"], schema=SCHEMA)
    op.create_table(
        "reports",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("proposal_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.proposals.id")),
        sa.Column("comment_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.comments.id")),
        sa.Column("reporter", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("(proposal_id IS NULL) <> (comment_id IS NULL)",
                           name="ck_reports_one_item"),
        schema=SCHEMA,
    )  # fmt: skip
    for item in ("proposal_id", "comment_id"):
        op.create_index(f"uq_reports_{item}_reporter", "reports", [item, "reporter"],
                        unique=True, schema=SCHEMA,
                        postgresql_where=sa.text(f"{item} IS NOT NULL"))  # fmt: skip


def upgrade() -> None:
    for statement in search_sql.create_configurations(SCHEMA):
        op.execute(statement)
    op.execute(search_sql.create_search_query(SCHEMA))
    op.add_column(
        "labs",
        sa.Column("supports_per_resident", sa.Integer,
                  sa.CheckConstraint("supports_per_resident > 0",
                                     name="ck_labs_supports_per_resident")),
        schema=SCHEMA,
    )  # fmt: skip
    _residents()
    _proposals()
    _supports()
    _comments_and_reports()
    for statement in search_sql.create_search_words(SCHEMA, "proposals", ("title", "body")):
        op.execute(statement)
    op.execute(search_sql.create_search_corrections(SCHEMA))


def downgrade() -> None:
    for statement in search_sql.drop_search(SCHEMA, "proposals"):
        op.execute(statement)
    op.drop_table("reports", schema=SCHEMA)
    op.drop_table("comments", schema=SCHEMA)
    op.execute(f"DROP TRIGGER supports_count ON {SCHEMA}.supports")
    op.execute(f"DROP FUNCTION {SCHEMA}.count_supports()")
    op.drop_table("supports", schema=SCHEMA)
    op.drop_table("proposal_revisions", schema=SCHEMA)
    op.drop_table("proposals", schema=SCHEMA)
    op.drop_table("residents", schema=SCHEMA)
    op.drop_column("labs", "supports_per_resident", schema=SCHEMA)
    for statement in search_sql.drop_configurations(SCHEMA):
        op.execute(statement)
