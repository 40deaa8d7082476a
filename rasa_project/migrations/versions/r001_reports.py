"""Closed loop: shop-floor output reports, finish offers, and the notification outbox.

output_reports keeps every report we pushed to K/3 (with its idempotency request key) so a
redelivered chat message never reports twice and "改一下，刚才是110个" can reverse the right one.
notifications is the durable outbox for proactive DingTalk sends (approval cards, notices).

Revision ID: r001_reports
Revises: w001_workflow
"""

import sqlalchemy as sa
from alembic import op

revision = "r001_reports"
down_revision = "w001_workflow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "output_reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_key", sa.String(96), nullable=False),
        sa.Column("bill_no", sa.String(32), nullable=False),
        sa.Column("reporter", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=True),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("good", sa.Float, nullable=False),
        sa.Column("scrap", sa.Float, nullable=False),
        sa.Column("report_no", sa.String(32), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("corrects_id", sa.Integer, nullable=True),
        sa.Column("error", sa.JSON, nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_output_reports"),
        sa.UniqueConstraint("request_key", name="uq_output_reports_request_key"),
    )
    op.create_index("ix_output_reports_bill_no", "output_reports", ["bill_no"])
    op.create_index("ix_output_reports_reporter", "output_reports", ["reporter"])
    op.create_index("ix_output_reports_state", "output_reports", ["state"])

    op.create_table(
        "finish_offers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("bill_no", sa.String(32), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_finish_offers"),
    )
    op.create_index("ix_finish_offers_bill_no", "finish_offers", ["bill_no"])

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(191), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(32), nullable=True),
        sa.Column("target_kind", sa.String(8), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("dedupe_key", name="uq_notifications_dedupe_key"),
    )
    op.create_index("ix_notifications_state", "notifications", ["state"])
    op.create_index("ix_notifications_ref", "notifications", ["ref"])


def downgrade() -> None:
    op.drop_index("ix_notifications_ref", table_name="notifications")
    op.drop_index("ix_notifications_state", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_finish_offers_bill_no", table_name="finish_offers")
    op.drop_table("finish_offers")
    op.drop_index("ix_output_reports_state", table_name="output_reports")
    op.drop_index("ix_output_reports_reporter", table_name="output_reports")
    op.drop_index("ix_output_reports_bill_no", table_name="output_reports")
    op.drop_table("output_reports")
