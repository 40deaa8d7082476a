"""Read-only questions answered live from K/3: an order's progress, a material's stock."""

from __future__ import annotations

from actions.base import TurnAction, blocking, use_cases
from actions.undo import undo_or_amend
from rasa_project.authz.roles import ORDER_QUERY, STOCK_QUERY


class ActionQueryOrder(TurnAction):
    permission = ORDER_QUERY

    def name(self) -> str:
        return "action_query_order"

    def redirect_for(self, turn, tracker):
        if use_cases().asks_question(turn):
            return None
        return undo_or_amend(turn, tracker, amend=False)  # "delete MO000134" is no status question

    async def handle(self, turn, reply, tracker, domain):
        reply.answer(await blocking(use_cases().query_order, turn))
        return []


class ActionQueryStock(TurnAction):
    permission = STOCK_QUERY

    def name(self) -> str:
        return "action_query_stock"

    async def handle(self, turn, reply, tracker, domain):
        reply.answer(await blocking(use_cases().query_stock, turn))
        return []
