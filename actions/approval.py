"""A manager approves or rejects a pending change: typed, a dtmd:// card button, or a card payload."""

from __future__ import annotations

from actions.base import TurnAction, blocking
from rasa_project.authz.roles import APPROVAL_DECIDE
from rasa_project.ordering import approvals


class ActionDecideApproval(TurnAction):
    """Intents approve / reject; entity order_no (a "/approve{"order_no": ...}" payload fills it too)."""

    permission = APPROVAL_DECIDE

    def name(self) -> str:
        return "action_decide_approval"

    async def handle(self, turn, reply, tracker, domain):
        decision = approvals.REJECT if turn.intent == "reject" else approvals.APPROVE
        order_no = turn.entity("order_no")
        note = approvals.note_from(turn.text, order_no) if decision == approvals.REJECT else ""
        outcome = await blocking(
            approvals.decide,
            turn.staff_id,
            turn.conversation_id,
            decision,
            order_no=order_no,
            ref=approvals.ref_in(turn.text),
            note=note,
        )
        reply.text(outcome.text(turn.lang), key=outcome.key)
        return []
