"""Help, greeting, out of scope: no K/3 access, no permission needed."""

from __future__ import annotations

from rasa_sdk.events import UserUtteranceReverted

from actions.approval import ActionDecideApproval
from actions.base import TurnAction, use_cases
from actions.undo import undo_or_amend


class ActionHelp(TurnAction):
    def name(self) -> str:
        return "action_help"

    async def handle(self, turn, reply, tracker, domain):
        reply.say("dialog.help")
        return []


class ActionGreet(TurnAction):
    def name(self) -> str:
        return "action_greet"

    async def handle(self, turn, reply, tracker, domain):
        nick = turn.sender_nick
        reply.say("dialog.greet", name=(" " + nick) if nick and turn.lang != "zh" else (nick or ""))
        reply.say("dialog.help")
        return []


class ActionOutOfScope(TurnAction):
    def name(self) -> str:
        return "action_out_of_scope"

    def redirect_for(self, turn, tracker):
        other = undo_or_amend(turn, tracker)  # "eh jadi 600 aja" while a summary waits
        if other is not None:
            return other
        return ActionDecideApproval() if use_cases().reads_as_decision(turn) else None

    async def handle(self, turn, reply, tracker, domain):
        reply.say("dialog.out_of_scope")
        return []


class ActionDefaultFallback(TurnAction):
    """Core fallback: say what we can do and forget the turn, so rules stay on track."""

    def name(self) -> str:
        return "action_default_fallback"

    def redirect_for(self, turn, tracker):
        return undo_or_amend(turn, tracker)

    async def handle(self, turn, reply, tracker, domain):
        reply.say("dialog.out_of_scope")
        return [UserUtteranceReverted()]
