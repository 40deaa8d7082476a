"""Delay risk (issue 15): levels announced per order, scheduled runs done, options shown in chat.

risk_levels: per open order the level last seen, the worst level announced since it was last on
track and a version (a warning's outbox key names it; the row moves on by a conditional UPDATE).
risk_runs: which business-clock slots and digest days a worker has taken (primary key = once).
risk_suggestions: the rescheduling options shown in a conversation, so "采用方案2" takes exactly
the option the person saw.

Revision ID: p001_delay_risk
Revises: r001_reports
"""

import sqlalchemy as sa
from alembic import op

revision = "p001_delay_risk"
down_revision = "r001_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_levels",
        sa.Column("bill_no", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("announced", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bill_no", name="pk_risk_levels"),
    )
    op.create_table(
        "risk_runs",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_risk_runs"),
    )
    op.create_table(
        "risk_suggestions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("bill_no", sa.String(32), nullable=False),
        sa.Column("requester", sa.String(64), nullable=False),
        sa.Column("as_of", sa.String(10), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_risk_suggestions"),
    )
    op.create_index("ix_risk_suggestions_conversation_id", "risk_suggestions", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_risk_suggestions_conversation_id", table_name="risk_suggestions")
    op.drop_table("risk_suggestions")
    op.drop_table("risk_runs")
    op.drop_table("risk_levels")
