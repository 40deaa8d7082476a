"""Shop-floor output report ("P20250401 完成 120，报废 4") or a correction of the last one
("改一下，刚才是110个": detected by rasa_project.ordering.reports.is_correction on the message text)."""

from __future__ import annotations

from actions.base import TurnAction, blocking, use_cases
from rasa_project.authz.roles import REPORT_OUTPUT


class ActionReportProgress(TurnAction):
    permission = REPORT_OUTPUT

    def name(self) -> str:
        return "action_report_progress"

    async def handle(self, turn, reply, tracker, domain):
        reply.answer(await blocking(use_cases().report_output, turn))
        return []
