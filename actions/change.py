"""Change an order's quantity, finish date or work center through the checked state machine."""

from __future__ import annotations

from actions.approval import ActionDecideApproval
from actions.base import TurnAction, blocking, pending_events, use_cases
from actions.report import ActionReportProgress
from rasa_project.authz.roles import ORDER_CHANGE


class ActionRequestChange(TurnAction):
    permission = ORDER_CHANGE

    def name(self) -> str:
        return "action_request_change"

    def redirect(self, turn):
        if use_cases().reads_as_decision(turn):  # "ok setuju MO000124, stok kontrol nanti ditambah"
            return ActionDecideApproval()
        return ActionReportProgress() if use_cases().corrects_last_report(turn) else None

    async def handle(self, turn, reply, tracker, domain):
        answer = await blocking(use_cases().request_change, turn)
        reply.answer(answer)
        return pending_events(answer)
