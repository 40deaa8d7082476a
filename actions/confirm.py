"""Yes / no to what is pending for this person: a create draft or a checked change."""

from __future__ import annotations

from rasa_sdk.events import ActiveLoop, SlotSet

from actions.base import TurnAction, blocking
from actions.create import clear_form
from rasa_project import wiring
from rasa_project.authz.roles import ORDER_CHANGE, ORDER_CREATE
from rasa_project.chat import access
from rasa_project.chat.pending import RETRY_SAME_CONFIRMATION, Pending, parse_pending
from rasa_project.ordering import reports


class ActionConfirm(TurnAction):
    """Writes to K/3 only here, only for the person who asked, only after the permission gate."""

    def name(self) -> str:
        return "action_confirm"

    async def handle(self, turn, reply, tracker, domain):
        pending = parse_pending(tracker.get_slot("pending"))
        if pending is None:
            return await self._finish_offered_order(turn, reply)
        permission = ORDER_CREATE if pending.kind == Pending.DRAFT else ORDER_CHANGE
        refusal = await blocking(access.gate, turn, permission)
        if refusal is not None:
            reply.text(refusal, key="authz.refused")
            return [SlotSet("pending", None)]
        workflow = wiring.workflow()
        if pending.kind == Pending.DRAFT:
            outcome = await blocking(workflow.confirm_draft, int(pending.ref), turn.staff_id)
        else:
            outcome = await blocking(workflow.confirm_change, pending.ref, turn.staff_id)
        reply.text(outcome.text(turn.lang), key=outcome.key)
        await blocking(
            wiring.audit().record,
            "decision",
            actor=turn.staff_id,
            conversation_id=turn.conversation_id,
            order_bill_no=_bill_no(outcome.value),
            decision="confirm",
            pending=str(pending),
            outcome=outcome.key,
        )
        if outcome.key in RETRY_SAME_CONFIRMATION:
            return []  # keep `pending`: the user was told to confirm again
        return [SlotSet("pending", None)]


    async def _finish_offered_order(self, turn, reply):
        """A PMC "确认" after the group was told an order reached its quantity finishes it in K/3."""
        service = reports.get_output_reports()
        bill_no = await blocking(service.open_finish_offer, turn.conversation_id)
        if bill_no is None:
            reply.say("dialog.nothing_pending")
            return []
        refusal = await blocking(access.gate, turn, ORDER_CHANGE)
        if refusal is not None:
            reply.text(refusal, key="authz.refused")
            return []
        outcome = await blocking(service.finish_order, bill_no, turn.staff_id, turn.conversation_id)
        reply.text(outcome.text(turn.lang), key=outcome.key)
        return []


class ActionCancelForm(TurnAction):
    """Leave the create form: nothing was written, nothing is kept."""

    def name(self) -> str:
        return "action_cancel_form"

    async def handle(self, turn, reply, tracker, domain):
        reply.say("dialog.cancelled")
        return clear_form() + [ActiveLoop(None), SlotSet("pending", None)]

    def on_error(self, turn, tracker):
        return clear_form() + [ActiveLoop(None), SlotSet("pending", None)]


class ActionCancel(TurnAction):
    def name(self) -> str:
        return "action_cancel"

    async def handle(self, turn, reply, tracker, domain):
        pending = parse_pending(tracker.get_slot("pending"))
        if pending is None:
            reply.say("dialog.nothing_pending")
            return []
        workflow = wiring.workflow()
        if pending.kind == Pending.DRAFT:
            outcome = await blocking(workflow.cancel_draft, int(pending.ref), turn.staff_id)
        else:
            outcome = await blocking(workflow.cancel_change, pending.ref, turn.staff_id)
        reply.text(outcome.text(turn.lang), key=outcome.key)
        return [SlotSet("pending", None)]


def _bill_no(value) -> str | None:
    return getattr(value, "bill_no", None)
