"""OA approval events: the durable inbox every verified DingTalk event lands in before processing.

One row per OA state change (``event_key`` is unique, so a redelivery, or the same change
arriving over Stream and HTTP, is stored once). Workers take rows with a lease (``claimed_by``,
``claim_token``, ``lease_until``) so two of them never process one event at the same time.
Times are naive UTC.

Revision ID: o001_oa_inbox
Revises: 0001_base
"""

import sqlalchemy as sa
from alembic import op

revision = "o001_oa_inbox"
down_revision = "0001_base"
branch_labels = ("oa",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oa_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_key", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("corp_id", sa.String(64), nullable=True),
        sa.Column("instance_id", sa.String(64), nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False, server_default="1"),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claim_token", sa.String(36), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=False), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=False), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_oa_events"),
        sa.UniqueConstraint("event_key", name="uq_oa_events_event_key"),
    )
    op.create_index("ix_oa_events_state", "oa_events", ["state", "lease_until"])
    op.create_index("ix_oa_events_instance_id", "oa_events", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_oa_events_instance_id", table_name="oa_events")
    op.drop_index("ix_oa_events_state", table_name="oa_events")
    op.drop_table("oa_events")
