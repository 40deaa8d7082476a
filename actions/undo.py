"""Undo and amend: void one's last output report, withdraw an order nobody started, change a
summary that waits for confirmation ("等等，改成600"). Reached by redirection from the actions the
intent model picks for such messages (cancel, report, change, query, out of scope)."""

from __future__ import annotations

from actions.base import TurnAction, blocking, pending_events, use_cases
from rasa_project.authz.roles import ORDER_CREATE, REPORT_OUTPUT


class ActionVoidReport(TurnAction):
    """"作废刚才的报工" / "batalkan laporan tadi" / "void my last report": summary, then Confirm."""

    permission = REPORT_OUTPUT

    def name(self) -> str:
        return "action_void_report"

    async def handle(self, turn, reply, tracker, domain):
        answer = await blocking(use_cases().void_last_report, turn)
        reply.answer(answer)
        return pending_events(answer)


class ActionWithdrawOrder(TurnAction):
    """"取消工单 MO000134" / "delete MO000134": summary, then Confirm (or why K/3 keeps it)."""

    permission = ORDER_CREATE

    def name(self) -> str:
        return "action_withdraw_order"

    async def handle(self, turn, reply, tracker, domain):
        answer = await blocking(use_cases().withdraw_order, turn)
        reply.answer(answer)
        return pending_events(answer)


class ActionAmendPending(TurnAction):
    """A new value for the summary that waits: the summary again; only the new one can be confirmed.
    No gate here: the pending summary is this person's own, and its Confirm passes the gate."""

    def name(self) -> str:
        return "action_amend_pending"

    async def handle(self, turn, reply, tracker, domain):
        answer = await blocking(use_cases().amend, turn, tracker.get_slot("pending"))
        if answer is None:
            reply.say("dialog.nothing_pending")
            return []
        reply.answer(answer)
        return pending_events(answer)


def undo_or_amend(turn, tracker, *, amend: bool = True) -> TurnAction | None:
    """The undo or amend action a message asks for, if any (blocking: reads what is pending)."""
    chat = use_cases()
    kind = chat.undo_kind(turn, tracker.get_slot("pending"))
    if kind == "void":
        return ActionVoidReport()
    if kind == "withdraw":
        return ActionWithdrawOrder()
    if amend and not chat.asks_question(turn) and chat.amend_values(turn, tracker.get_slot("pending")) is not None:
        return ActionAmendPending()
    return None
