"""Lists people ask for, answered live from K/3 and the request store: approvals waiting for a
manager, my open requests, orders due (today / this week / late), and "delete" answered honestly."""

from __future__ import annotations

from actions.base import TurnAction, blocking, use_cases
from actions.undo import ActionVoidReport, undo_or_amend
from rasa_project.authz.roles import APPROVAL_DECIDE, ORDER_QUERY


class ActionListApprovals(TurnAction):
    """"哪些单子等我审批" / "pesanan mana yang menunggu persetujuan saya" (managers only)."""

    permission = APPROVAL_DECIDE

    def name(self) -> str:
        return "action_list_approvals"

    async def handle(self, turn, reply, tracker, domain):
        reply.answer(await blocking(use_cases().waiting_for_me, turn))
        return []


class ActionListMyRequests(TurnAction):
    permission = ORDER_QUERY

    def name(self) -> str:
        return "action_list_my_requests"

    async def handle(self, turn, reply, tracker, domain):
        reply.answer(await blocking(use_cases().my_requests, turn))
        return []


class ActionListDue(TurnAction):
    permission = ORDER_QUERY

    def name(self) -> str:
        return "action_list_due"

    async def handle(self, turn, reply, tracker, domain):
        reply.answer(await blocking(use_cases().orders_due, turn))
        return []


class ActionDeleteOrder(TurnAction):
    """"delete MO000134": nothing is deleted; the answer says what is possible for that order."""

    permission = ORDER_QUERY

    def name(self) -> str:
        return "action_delete_order"

    def redirect_for(self, turn, tracker):
        # "hapus laporan saya yang tadi" deletes one's last report, not an order: its void summary
        other = undo_or_amend(turn, tracker, amend=False)
        return other if isinstance(other, ActionVoidReport) else None

    async def handle(self, turn, reply, tracker, domain):
        reply.answer(await blocking(use_cases().delete_order, turn))
        return []
