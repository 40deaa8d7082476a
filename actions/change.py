"""Change an order's quantity, finish date or work center through the checked state machine."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.base import TurnAction, blocking
from actions.report import ActionReportProgress
from rasa_project import wiring
from rasa_project.authz.roles import ORDER_CHANGE
from rasa_project.chat.pending import Pending
from rasa_project.ordering import reports


class ActionRequestChange(TurnAction):
    permission = ORDER_CHANGE

    def name(self) -> str:
        return "action_request_change"

    def redirect(self, turn):
        # "改一下，刚才是110个" reads like a change but corrects the sender's last output report
        return ActionReportProgress() if reports.refers_to_last_report(turn.text) else None

    async def handle(self, turn, reply, tracker, domain):
        bill_no = turn.entity("order_no")
        if not bill_no:
            reply.say("ask.which_order")
            return []
        qty, finish, center = turn.entity("quantity"), turn.entity("due_date"), turn.entity("work_center")
        if qty is None and finish is None and center is None:
            reply.say("ask.what_change", bill_no=bill_no)
            return []
        outcome = await blocking(
            wiring.workflow().request_change,
            bill_no,
            turn.staff_id,
            turn.conversation_id,
            qty=qty,
            plan_finish=finish,
            work_center=center,
        )
        change = outcome.value
        if outcome.ok and outcome.key == "workflow.change_checked":
            yes, no = reply.t("button.confirm"), reply.t("button.cancel")
            reply.text(outcome.text(turn.lang), buttons=[(yes, yes), (no, no)], key=outcome.key)
            return [SlotSet("pending", str(Pending(Pending.CHANGE, change.ref)))]
        reply.text(outcome.text(turn.lang), key=outcome.key)
        if outcome.key == "workflow.change_needs_approval" and change is not None:
            from rasa_project.ordering import approvals  # the closed loop: cards to the managers

            await blocking(approvals.ask_managers, change)
        return [SlotSet("pending", None)]
