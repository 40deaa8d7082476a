"""The edge between a chat turn and the core: permission gate, audit of turns, error phrasing.

- ``Access.gate(turn, permission)``: LDAP roles via the Authorizer; fail closed; every decision
  audited; a refusal is an ``Outcome`` (catalog key + values).
- ``Access.record_understood`` / ``record_reply``: the inbound message with its NLU result, and
  each reply, go to the tamper-evident audit trail (the channel records the raw delivery).
- ``K3CallAudit``: the K/3 client's observer; each WebAPI call is recorded with who asked.
- ``describe_error(exc, lang)``: a typed error -> a specific sentence in the user's language, or
  None when the error is unexpected (the caller logs it and answers general.internal_error).
"""

from __future__ import annotations

import contextvars
import logging
from typing import TYPE_CHECKING

from k3_client.errors import K3Error
from rasa_project import catalog
from rasa_project.authz.errors import DirectoryUnavailable
from rasa_project.authz.service import refusal
from rasa_project.chat.k3_errors import describe
from rasa_project.chat.turn import Turn
from rasa_project.outcomes import Outcome

if TYPE_CHECKING:
    from rasa_project.audit.trail import AuditTrail
    from rasa_project.authz.service import Authorizer

log = logging.getLogger(__name__)


# The turn being handled, so K/3 calls made deep inside a service are audited with who asked.
# asyncio.to_thread copies the context, so the worker threads of the actions see it too.
current_turn: contextvars.ContextVar[Turn | None] = contextvars.ContextVar("current_turn", default=None)


class K3CallAudit:
    """K/3 client observer: operation, form, bill numbers, outcome; never credentials or bodies."""

    def __init__(self, trail: AuditTrail) -> None:
        self.trail = trail

    def __call__(self, record) -> None:
        turn = current_turn.get()
        self.trail.record(
            "k3_call",
            actor=turn.staff_id if turn else "system",
            conversation_id=turn.conversation_id if turn else None,
            order_bill_no=record.bill_nos[0] if record.bill_nos else None,
            operation=record.operation,
            form_id=record.form_id,
            bill_nos=list(record.bill_nos),
            bill_ids=list(getattr(record, "bill_ids", ())),
            ok=record.ok,
            error=record.error,
            msg_code=record.msg_code,
        )


class Access:
    def __init__(self, authorizer: Authorizer, trail: AuditTrail) -> None:
        self.authorizer = authorizer
        self.trail = trail

    def gate(self, turn: Turn, permission: str) -> Outcome | None:
        """None if ``turn.staff_id`` may do ``permission``; else the polite refusal (every decision audited)."""
        decision = self.authorizer.check(turn.staff_id or "", permission)
        self.trail.record(
            "decision",
            actor=turn.staff_id,
            conversation_id=turn.conversation_id,
            decision="authz",
            permission=permission,
            allowed=decision.allowed,
            roles=sorted(decision.roles or ()),
            reason=decision.reason_key,
            message_id=turn.message_id,
        )
        return refusal(decision)

    def record_understood(self, turn: Turn, action: str) -> None:
        self.trail.record(
            "nlu",
            actor=turn.staff_id,
            conversation_id=turn.conversation_id,
            order_bill_no=turn.entity("order_no"),
            message_id=turn.message_id,
            text=turn.text,
            intent=turn.intent,
            confidence=round(turn.confidence, 4),
            entities=turn.entities,
            language=turn.lang,
            action=action,
        )

    def record_reply(self, turn: Turn, *, key: str, text: str) -> None:
        try:
            self.trail.record(
                "reply",
                actor="bot",
                conversation_id=turn.conversation_id,
                to=turn.staff_id,
                in_reply_to=turn.message_id,
                key=key,
                text=text,
            )
        except Exception:  # a reply is still sent; the failure to audit it is loud in the log
            log.exception("could not audit a reply to %s", turn.sender_id)

    def record_decision(self, turn: Turn, **details) -> None:
        """A yes / no the person gave (what was pending, what came of it)."""
        self.trail.record("decision", actor=turn.staff_id, conversation_id=turn.conversation_id, **details)


def describe_error(exc: Exception, lang: str) -> str | None:
    if isinstance(exc, K3Error):
        return describe(exc, lang)
    if isinstance(exc, DirectoryUnavailable):
        return catalog.text("authz.directory_unavailable", lang)
    return None
