"""Shop-floor output report ("P20250401 完成 120，报废 4") or a correction of the last one
("改一下，刚才是110个": detected by rasa_project.ordering.reports.is_correction on the message text).
Either is a summary that waits for Confirm; a question about an order is answered as a query."""

from __future__ import annotations

from actions.approval import ActionDecideApproval
from actions.base import TurnAction, blocking, pending_events, use_cases
from actions.query import ActionQueryOrder
from actions.undo import undo_or_amend
from rasa_project.authz.roles import REPORT_OUTPUT


class ActionReportProgress(TurnAction):
    permission = REPORT_OUTPUT

    def name(self) -> str:
        return "action_report_progress"

    def redirect_for(self, turn, tracker):
        other = undo_or_amend(turn, tracker)
        if other is not None:
            return other
        chat = use_cases()
        if chat.decides_a_request(turn):  # "go ahead with CR-000012" heard as a report: a decision
            return ActionDecideApproval()
        return ActionQueryOrder() if chat.asks_question(turn) else None

    async def handle(self, turn, reply, tracker, domain):
        answer = await blocking(use_cases().report_output, turn)
        reply.answer(answer)
        return pending_events(answer)
