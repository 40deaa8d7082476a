"""Workflow: order drafts, change requests and their append-only state history.

Revision ID: w001_workflow
Revises: 0001_base
"""

import sqlalchemy as sa
from alembic import op

revision = "w001_workflow"
down_revision = "0001_base"
branch_labels = ("workflow",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_drafts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_key", sa.String(36), nullable=False),
        sa.Column("requester", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=True),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("bill_no", sa.String(32), nullable=True),
        sa.Column("error", sa.JSON, nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("id", name="pk_order_drafts"),
        sa.UniqueConstraint("request_key", name="uq_order_drafts_request_key"),
    )
    op.create_index("ix_order_drafts_state", "order_drafts", ["state"])

    op.create_table(
        "change_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ref", sa.String(16), nullable=True),
        sa.Column("bill_no", sa.String(32), nullable=False),
        sa.Column("requester", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=True),
        sa.Column("material_number", sa.String(64), nullable=True),
        sa.Column("unit", sa.String(16), nullable=True),
        sa.Column("old_qty", sa.Float, nullable=True),
        sa.Column("new_qty", sa.Float, nullable=True),
        sa.Column("old_plan_finish", sa.Date, nullable=True),
        sa.Column("new_plan_finish", sa.Date, nullable=True),
        sa.Column("old_work_center", sa.String(32), nullable=True),
        sa.Column("new_work_center", sa.String(32), nullable=True),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("approver", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text, nullable=True),
        sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("id", name="pk_change_requests"),
        sa.UniqueConstraint("ref", name="uq_change_requests_ref"),
    )
    op.create_index("ix_change_requests_bill_no", "change_requests", ["bill_no"])
    op.create_index("ix_change_requests_state", "change_requests", ["state"])

    op.create_table(
        "change_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("change_id", sa.Integer, nullable=False),
        sa.Column("from_state", sa.String(24), nullable=True),
        sa.Column("to_state", sa.String(24), nullable=False),
        sa.Column("event", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("details", sa.JSON, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_events"),
        sa.ForeignKeyConstraint(
            ["change_id"], ["change_requests.id"], name="fk_change_events_change_id_change_requests"
        ),
    )
    op.create_index("ix_change_events_change_id", "change_events", ["change_id"])


def downgrade() -> None:
    op.drop_index("ix_change_events_change_id", table_name="change_events")
    op.drop_table("change_events")
    op.drop_index("ix_change_requests_state", table_name="change_requests")
    op.drop_index("ix_change_requests_bill_no", table_name="change_requests")
    op.drop_table("change_requests")
    op.drop_index("ix_order_drafts_state", table_name="order_drafts")
    op.drop_table("order_drafts")
