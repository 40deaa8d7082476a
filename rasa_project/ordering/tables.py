"""SQL tables of the workflow (schema: migrations/versions/w001_workflow.py).

Every state of a draft or change request lives here, so a restarted action server resumes
where the last one stopped. ``version`` guards every state change (optimistic locking).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Column, Date, DateTime, Float, ForeignKey, Integer, String, Text

from rasa_project.db import Base


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class OrderDraftRow(Base):
    __tablename__ = "order_drafts"

    id = Column(Integer, primary_key=True, autoincrement=True)
    request_key = Column(String(36), nullable=False, unique=True)
    requester = Column(String(64), nullable=False)
    conversation_id = Column(String(128), nullable=True)
    values = Column(JSON, nullable=False)
    state = Column(String(16), nullable=False, index=True)
    bill_no = Column(String(32), nullable=True)
    error = Column(JSON, nullable=True)
    confirmed_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)
    version = Column(Integer, nullable=False, default=1)


class ChangeRequestRow(Base):
    __tablename__ = "change_requests"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ref = Column(String(16), nullable=True, unique=True)
    bill_no = Column(String(32), nullable=False, index=True)
    requester = Column(String(64), nullable=False)
    conversation_id = Column(String(128), nullable=True)
    material_number = Column(String(64), nullable=True)
    unit = Column(String(16), nullable=True)
    old_qty = Column(Float, nullable=True)
    new_qty = Column(Float, nullable=True)
    old_plan_finish = Column(Date, nullable=True)
    new_plan_finish = Column(Date, nullable=True)
    old_work_center = Column(String(32), nullable=True)
    new_work_center = Column(String(32), nullable=True)
    state = Column(String(24), nullable=False, index=True)
    reasons = Column(JSON, nullable=False)
    approver = Column(String(64), nullable=True)
    decided_at = Column(DateTime(timezone=True), nullable=True)
    decision_note = Column(Text, nullable=True)
    pending_since = Column(DateTime(timezone=True), nullable=True)
    reminded_at = Column(DateTime(timezone=True), nullable=True)
    applied_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)
    version = Column(Integer, nullable=False, default=1)


class ChangeEventRow(Base):
    """Append-only history of a change request's states."""

    __tablename__ = "change_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    change_id = Column(Integer, ForeignKey("change_requests.id"), nullable=False, index=True)
    from_state = Column(String(24), nullable=True)
    to_state = Column(String(24), nullable=False)
    event = Column(String(24), nullable=False)
    actor = Column(String(64), nullable=True)
    details = Column(JSON, nullable=True)
    at = Column(DateTime(timezone=True), nullable=False)


class OaApprovalRow(Base):
    """One DingTalk OA approval (审批) instance of ours: a new order waiting in K/3 status B, or a
    held change (approval_channel=oa). Schema: migrations/versions/o002_oa_approvals.py.

    ``key`` is ``order:<bill no>`` or ``change:<CR ref>``, so one subject has one approval. States:
    starting (row written, instance not started yet) -> pending (instance running) -> agreed |
    refused | terminated | expired (applied: K/3 done and people told), or failed (K/3 refused the
    result; the requester was told)."""

    __tablename__ = "oa_approvals"

    id = Column(Integer, primary_key=True, autoincrement=True)
    key = Column(String(64), nullable=False, unique=True)
    subject = Column(String(16), nullable=False)  # order | change
    ref = Column(String(32), nullable=False)  # bill number or CR ref
    bill_no = Column(String(32), nullable=False, index=True)
    requester = Column(String(64), nullable=False)
    conversation_id = Column(String(128), nullable=True)
    instance_id = Column(String(64), nullable=True, unique=True)
    state = Column(String(16), nullable=False, index=True)
    approvers = Column(JSON, nullable=False)  # staff ids asked, in order
    escalated = Column(Integer, nullable=False, default=0)  # 1: the requester was the only manager
    summary = Column(JSON, nullable=False)  # what the notices say (material, qty, dates, risks ...)
    decided_by = Column(String(64), nullable=True)
    remark = Column(Text, nullable=True)
    last_error = Column(Text, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    started_at = Column(DateTime(timezone=True), nullable=True)
    polled_at = Column(DateTime(timezone=True), nullable=True)
    reminded_at = Column(DateTime(timezone=True), nullable=True)
    decided_at = Column(DateTime(timezone=True), nullable=True)
    version = Column(Integer, nullable=False, default=1)
