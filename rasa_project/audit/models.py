"""Tables of the audit trail (created by migration a001_audit)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Text

from rasa_project.db import Base

GENESIS_HASH = "0" * 64
HEAD_ID = 1


class AuditRecord(Base):
    """One link of the chain. ``created_at`` is naive UTC; ids are contiguous from 1."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True, autoincrement=False)
    created_at = Column(DateTime(timezone=False), nullable=False)
    kind = Column(String(16), nullable=False, index=True)
    actor = Column(String(64), nullable=True, index=True)
    conversation_id = Column(String(128), nullable=True)
    order_bill_no = Column(String(64), nullable=True, index=True)
    payload = Column(Text, nullable=False)  # canonical JSON of the redacted details
    prev_hash = Column(String(64), nullable=False)
    hash = Column(String(64), nullable=False, unique=True)

    def __repr__(self) -> str:
        return f"<AuditRecord #{self.id} {self.kind} {self.order_bill_no or ''}>"


class AuditChainHead(Base):
    """Singleton row (id 1): the last link. Writers lock it, so the chain cannot fork."""

    __tablename__ = "audit_chain_head"

    id = Column(Integer, primary_key=True, autoincrement=False)
    last_id = Column(Integer, nullable=False)
    last_hash = Column(String(64), nullable=False)
