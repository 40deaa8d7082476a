"""OA approval instances of ours (issue 14): a new order waiting in K/3 status B for a DingTalk
approval, or a held change (approval_channel=oa). One row per subject (``key`` unique); the
instance id is stored with it. Times are UTC.

Revision ID: o002_oa_approvals
Revises: o001_oa_inbox
"""

import sqlalchemy as sa
from alembic import op

revision = "o002_oa_approvals"
down_revision = "o001_oa_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oa_approvals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("bill_no", sa.String(32), nullable=False),
        sa.Column("requester", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=True),
        sa.Column("instance_id", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("approvers", sa.JSON, nullable=False),
        sa.Column("escalated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("remark", sa.Text, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("id", name="pk_oa_approvals"),
        sa.UniqueConstraint("key", name="uq_oa_approvals_key"),
        sa.UniqueConstraint("instance_id", name="uq_oa_approvals_instance_id"),
    )
    op.create_index("ix_oa_approvals_state", "oa_approvals", ["state"])
    op.create_index("ix_oa_approvals_bill_no", "oa_approvals", ["bill_no"])


def downgrade() -> None:
    op.drop_index("ix_oa_approvals_bill_no", table_name="oa_approvals")
    op.drop_index("ix_oa_approvals_state", table_name="oa_approvals")
    op.drop_table("oa_approvals")
