"""Read-only questions answered live from K/3: an order's progress, a material's stock."""

from __future__ import annotations

from actions.approval import ActionDecideApproval
from actions.base import TurnAction, blocking, use_cases
from actions.undo import undo_or_amend
from rasa_project.authz.roles import ORDER_QUERY, STOCK_QUERY


class ActionQueryOrder(TurnAction):
    permission = ORDER_QUERY

    def name(self) -> str:
        return "action_query_order"

    def redirect_for(self, turn, tracker):
        chat = use_cases()
        if chat.asks_question(turn):
            return None
        if chat.reads_as_decision(turn):
            return ActionDecideApproval()
        return undo_or_amend(turn, tracker, amend=False)  # "delete MO000134" is no status question

    async def handle(self, turn, reply, tracker, domain):
        reply.answer(await blocking(use_cases().query_order, turn))
        return []


class ActionQueryStock(TurnAction):
    permission = STOCK_QUERY

    def name(self) -> str:
        return "action_query_stock"

    def redirect(self, turn):  # "MO000124 这个不批，控制板库存不够" is a decision, not a stock question
        chat = use_cases()
        if chat.reads_as_decision(turn):
            return ActionDecideApproval()
        # "…电机外壳那边先准备着，对了P20250401现在做到多少了？": the request is the last clause's
        return ActionQueryOrder() if chat.ends_with_progress_question(turn) else None

    async def handle(self, turn, reply, tracker, domain):
        reply.answer(await blocking(use_cases().query_stock, turn))
        return []
