"""Delay risk in chat (issue 15): which orders are at risk, will one be late, the scheduler's
options, and taking one ("采用方案2"), which becomes an ordinary change request."""

from __future__ import annotations

from actions.base import TurnAction, blocking, pending_events, use_cases
from rasa_project.authz.roles import ORDER_CHANGE, ORDER_QUERY


class ActionQueryRisk(TurnAction):
    permission = ORDER_QUERY

    def name(self) -> str:
        return "action_query_risk"

    async def handle(self, turn, reply, tracker, domain):
        reply.answer(await blocking(use_cases().risk_order, turn))
        return []


class ActionSuggestReschedule(TurnAction):
    permission = ORDER_QUERY

    def name(self) -> str:
        return "action_suggest_reschedule"

    async def handle(self, turn, reply, tracker, domain):
        reply.answer(await blocking(use_cases().risk_suggest, turn))
        return []


class ActionAcceptOption(TurnAction):
    permission = ORDER_CHANGE

    def name(self) -> str:
        return "action_accept_option"

    async def handle(self, turn, reply, tracker, domain):
        answer = await blocking(use_cases().accept_option, turn)
        reply.answer(answer)
        return pending_events(answer)
