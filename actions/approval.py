"""A manager approves or rejects a pending change: typed, a dtmd:// card button, or a card payload."""

from __future__ import annotations

from actions.base import TurnAction, blocking, use_cases
from rasa_project.authz.roles import APPROVAL_DECIDE


class ActionDecideApproval(TurnAction):
    """Intents approve / reject; entity order_no (a "/approve{"order_no": ...}" payload fills it too)."""

    permission = APPROVAL_DECIDE

    def name(self) -> str:
        return "action_decide_approval"

    async def handle(self, turn, reply, tracker, domain):
        reply.answer(await blocking(use_cases().decide, turn))
        return []
