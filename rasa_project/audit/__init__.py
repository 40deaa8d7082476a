"""Tamper-evident audit trail: an append-only, hash-chained log of what the assistant did."""

from rasa_project.audit.chain import AuditKind, VerifyResult
from rasa_project.audit.models import AuditRecord
from rasa_project.audit.redaction import redact
from rasa_project.audit.trail import AuditTrail

__all__ = ["AuditKind", "AuditRecord", "AuditTrail", "VerifyResult", "redact"]
