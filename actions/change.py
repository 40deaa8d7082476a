"""Change an order's quantity, finish date or work center through the checked state machine.
A question is answered as a query; a new value while a summary waits amends that summary."""

from __future__ import annotations

from actions.approval import ActionDecideApproval
from actions.base import TurnAction, blocking, pending_events, use_cases
from actions.query import ActionQueryOrder
from actions.report import ActionReportProgress
from actions.undo import undo_or_amend
from rasa_project.authz.roles import ORDER_CHANGE


class ActionRequestChange(TurnAction):
    permission = ORDER_CHANGE

    def name(self) -> str:
        return "action_request_change"

    def redirect_for(self, turn, tracker):
        chat = use_cases()
        other = undo_or_amend(turn, tracker)
        if other is not None:
            return other
        if chat.asks_question(turn):
            return ActionQueryOrder()
        if chat.reads_as_decision(turn):  # "ok setuju MO000124, stok kontrol nanti ditambah"
            return ActionDecideApproval()
        if chat.corrects_last_report(turn) or chat.reads_as_worker_report(turn):  # "P20250403 jadi 90 pcs"
            return ActionReportProgress()
        return None

    async def handle(self, turn, reply, tracker, domain):
        answer = await blocking(use_cases().request_change, turn)
        reply.answer(answer)
        return pending_events(answer)
