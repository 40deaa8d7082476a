"""Tamper-evident audit trail: an append-only, hash-chained log of what the assistant did."""

from rasa_project.audit.chain import AuditKind, VerifyResult  # noqa: E402
from rasa_project.audit.models import AuditRecord  # noqa: E402
from rasa_project.audit.redaction import redact  # noqa: E402
from rasa_project.audit.trail import AuditTrail, get_audit_trail  # noqa: E402

__all__ = ["AuditKind", "AuditRecord", "AuditTrail", "VerifyResult", "get_audit_trail", "redact"]
