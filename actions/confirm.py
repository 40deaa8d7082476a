"""Yes / no to what is pending for this person: a create draft, a checked change, a finish offer."""

from __future__ import annotations

from rasa_sdk.events import ActiveLoop, SlotSet

from actions.approval import ActionDecideApproval
from actions.base import PRESS_ACTIONS, TurnAction, blocking, pending_events, use_cases
from actions.create import clear_form
from actions.undo import undo_or_amend


def decision_for(turn) -> TurnAction | None:
    """"MO000124 暂时不批 等下周物料到了再说" (heard as a cancel) or "MO000124 no, we can't spare the
    boards" (heard as a no) names a request and states a decision: it is the manager's decision, not a
    yes / no to what waits for the person."""
    chat = use_cases()
    if chat.pressed(turn) is not None:
        return None
    return ActionDecideApproval() if chat.decides_a_request(turn) else None


class ActionConfirm(TurnAction):
    """Writes to K/3 only in the use case, only for the person who asked, only after its permission gate."""

    def name(self) -> str:
        return "action_confirm"

    def redirect_for(self, turn, tracker):
        return decision_for(turn)

    async def handle(self, turn, reply, tracker, domain):
        answer = await blocking(use_cases().confirm, turn, tracker.get_slot("pending"))
        reply.answer(answer)
        return pending_events(answer)


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

    def redirect_for(self, turn, tracker):
        if use_cases().pressed(turn) is not None:  # "batal #report-7": this summary's Cancel button, nothing else
            return None
        # "作废刚才的报工", "取消工单 MO000134"; "bukan, 10 April" / "不对，是 600" at a summary amends it
        return undo_or_amend(turn, tracker) or decision_for(turn)

    async def handle(self, turn, reply, tracker, domain):
        answer = await blocking(use_cases().cancel, turn, tracker.get_slot("pending"))
        reply.answer(answer)
        return pending_events(answer)


PRESS_ACTIONS.update({"confirm": ActionConfirm, "cancel": ActionCancel})
