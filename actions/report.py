"""Shop-floor output report ("P20250401 完成 120，报废 4") or a correction of the last one
("改一下，刚才是110个": detected by rasa_project.ordering.reports.is_correction on the message text)."""

from __future__ import annotations

from actions.base import TurnAction, blocking
from rasa_project.authz.roles import REPORT_OUTPUT
from rasa_project.ordering import approvals, reports


class ActionReportProgress(TurnAction):
    permission = REPORT_OUTPUT

    def name(self) -> str:
        return "action_report_progress"

    async def handle(self, turn, reply, tracker, domain):
        await blocking(approvals.ensure_worker)  # it also retries the group notices
        service = reports.get_output_reports()
        good = turn.entity("good_qty") or turn.entity("quantity")
        scrap = turn.entity("scrap_qty")
        if reports.is_correction(turn.text):
            outcome = await blocking(
                service.correct_last,
                turn.staff_id,
                good,
                scrap,
                conversation_id=turn.conversation_id,
                bill_no=turn.entity("order_no"),
                message_id=turn.message_id,
            )
        else:
            outcome = await blocking(
                service.report,
                turn.entity("order_no"),
                good,
                scrap,
                turn.staff_id,
                turn.conversation_id,
                message_id=turn.message_id,
            )
        reply.text(outcome.text(turn.lang), key=outcome.key)
        return []
