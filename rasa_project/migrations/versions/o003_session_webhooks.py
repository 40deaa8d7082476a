"""The latest sessionWebhook DingTalk gave us per group (issue 14, group notices that really @):
written by the channel (only URLs that passed its origin check), read by the notification outbox
of the worker. Times are epoch ms (DingTalk's ``sessionWebhookExpiredTime``) and UTC.

Revision ID: o003_session_webhooks
Revises: o002_oa_approvals
"""

import sqlalchemy as sa
from alembic import op

revision = "o003_session_webhooks"
down_revision = "o002_oa_approvals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_webhooks",
        sa.Column("conversation_id", sa.String(128), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("session_webhooks")
