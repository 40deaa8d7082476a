"""What every action shares: the turn, the language, permission gate, replies, error edge.

Actions stay thin (STYLE.md §5): build the turn, pass the gate, call ONE use case of
``rasa_project.chat.use_cases`` (through the composition root, ``rasa_project.wiring``) and say
its answer from the catalog. Use cases block (httpx, SQLAlchemy, ldap3): they run in a worker
thread so the action server's event loop never stalls.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import time
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from rasa_project import catalog, wiring
from rasa_project.authz.roles import ORDER_CHANGE, REPORT_OUTPUT
from rasa_project.chat import access
from rasa_project.chat.turn import Turn, turn_from
from rasa_project.chat.use_cases import KEEP, Answer, ChatUseCases, yes_no_buttons
from rasa_project.outcomes import Outcome

log = logging.getLogger(__name__)


async def blocking(fn, *args, **kwargs):
    return await asyncio.to_thread(fn, *args, **kwargs)


def use_cases() -> ChatUseCases:
    """The chat use cases of this process (built once by the composition root)."""
    return wiring.current().chat


class Reply:
    """Sends catalog sentences in the turn's language and records each reply in the audit trail."""

    def __init__(self, dispatcher: CollectingDispatcher, turn: Turn):
        self.dispatcher = dispatcher
        self.turn = turn
        self.lang = turn.lang
        self._unrecorded: list[tuple[str, str]] = []  # (key, text) said but not yet in the audit trail

    def t(self, key: str, **values) -> str:
        return catalog.text(key, self.lang, **values)

    def say(self, key: str, *, buttons: list[tuple[str, str]] | None = None, **values) -> None:
        self.text(self.t(key, **values), buttons=buttons, key=key)

    def outcome(self, outcome: Outcome, *, key: str = "") -> None:
        self.text(outcome.text(self.lang), key=key or outcome.key)

    def answer(self, answer: Answer) -> None:
        buttons = yes_no_buttons(self.lang, answer.pending) if answer.asks_yes_no else None
        if answer.choices:  # each button sends its chat text back as the person's message
            buttons = [(title.text(self.lang), said.text(self.lang)) for title, said in answer.choices]
        self.text(answer.outcome.text(self.lang), buttons=buttons, key=answer.reply_key)

    def text(self, text: str, *, buttons: list[tuple[str, str]] | None = None, key: str = "") -> None:
        if buttons:
            self.dispatcher.utter_message(text=text, buttons=[{"title": t, "payload": p} for t, p in buttons])
        else:
            self.dispatcher.utter_message(text=text)
        self._unrecorded.append((key, text))

    def record(self) -> None:
        """Audit what was said (blocking: the action awaits it in a worker thread before it returns,
        so every reply is in the trail before Rasa sends it, and the event loop never waits on it)."""
        while self._unrecorded:
            key, text = self._unrecorded.pop(0)
            try:
                use_cases().record_reply(self.turn, key=key, text=text)
            except Exception:  # the reply still goes out (even when the core cannot be built at all)
                log.exception("could not audit a reply to %s", self.turn.sender_id)


def pending_events(answer: Answer) -> list[dict[str, Any]]:
    """The tracker's ``pending`` slot as the answer leaves it."""
    return [] if answer.pending is KEEP else [SlotSet("pending", answer.pending)]


def delivered_after_a_later_message(tracker: Tracker) -> bool:
    """Is the latest message older (DingTalk's ``createAt``, the channel's ``created_ms``) than a
    message of the same person in this chat that was already handled?"""
    latest = tracker.latest_message or {}
    created = (latest.get("metadata") or {}).get("created_ms")
    if not isinstance(created, int):
        return False
    for event in tracker.events:
        if event.get("event") != "user" or event.get("message_id") == latest.get("message_id"):
            continue
        other = (event.get("metadata") or {}).get("created_ms")
        if isinstance(other, int) and other > created:
            return True
    return False


def turn_of(tracker: Tracker) -> Turn:
    return turn_from(tracker.sender_id, tracker.latest_message, tracker.get_slot("language"))


# The action that answers each summary button ("confirm" / "cancel"): registered by actions/confirm.py
# (which builds on this module, so it is not imported here).
PRESS_ACTIONS: dict[str, type] = {}


class TurnAction(Action, metaclass=abc.ABCMeta):
    """Base for our actions. Subclasses set ``permission`` (None = anyone) and implement handle()."""

    permission: str | None = None

    @abc.abstractmethod
    def name(self) -> str: ...

    @abc.abstractmethod
    async def handle(self, turn: Turn, reply: Reply, tracker: Tracker, domain: dict) -> list[dict[str, Any]]: ...

    def on_refused(self, turn: Turn, tracker: Tracker) -> list[dict[str, Any]]:
        return []

    def redirect(self, turn: Turn) -> TurnAction | None:
        """Another action that should handle this turn instead (checked before the permission gate).
        It runs in this same step, so the rules never see an unexpected follow-up action."""
        return None

    def redirect_for(self, turn: Turn, tracker: Tracker) -> TurnAction | None:
        """``redirect`` with the conversation's state (what is pending); runs in a worker thread."""
        return self.redirect(turn)

    async def run(self, dispatcher, tracker: Tracker, domain):
        turn = turn_of(tracker)
        access.current_turn.set(turn)
        reply = Reply(dispatcher, turn)
        try:
            if delivered_after_a_later_message(tracker):
                # DingTalk delivered it late (a retry after an outage) and the person's later
                # messages were handled meanwhile: acting now would act on a conversation that
                # moved on (an old "yes" confirming a newer summary). Nothing runs; they are told.
                log.warning("action %s: %s's message %s was delivered after a later one; not run", self.name(),
                            turn.sender_id, turn.message_id)
                short = turn.text if len(turn.text) <= 40 else turn.text[:39] + "…"
                reply.say("dingtalk.out_of_order", text=short)
                return []
            events = await self._run(turn, reply, tracker, domain)
        finally:
            await blocking(reply.record)
        if turn.lang != tracker.get_slot("language"):
            events = [*events, SlotSet("language", turn.lang)]
        return events

    async def _run(self, turn: Turn, reply: Reply, tracker: Tracker, domain) -> list[dict[str, Any]]:
        try:
            chat = use_cases()
            await blocking(chat.record_understood, turn, self.name())
            other = self._button_pressed(chat, turn)
            if other is None:
                other = await blocking(self._offer_answered, chat, turn, tracker)
            if other is None:
                other = await blocking(self._question_answered, chat, turn, tracker)
            if other is None:
                other = await blocking(self.redirect_for, turn, tracker)
            if other is not None:
                return await other._run(turn, reply, tracker, domain)
            if self.permission:
                started = time.monotonic()
                refusal = await blocking(chat.gate, turn, self.permission)
                wiring.observe_stage("authz", time.monotonic() - started)
                if refusal is not None:
                    reply.outcome(refusal, key="authz.refused")
                    return self.on_refused(turn, tracker)
            return await self.handle(turn, reply, tracker, domain)
        except Exception as exc:  # the edge: typed errors -> a specific sentence; the rest logged
            message = access.describe_error(exc, turn.lang)
            if message is None:
                log.exception("action %s failed for %s", self.name(), turn.sender_id)
                reply.say("general.internal_error")
            else:
                log.warning("action %s: %s", self.name(), type(exc).__name__)
                reply.text(message, key=f"error.{type(exc).__name__}")
            return self.on_error(turn, tracker)

    def on_error(self, turn: Turn, tracker: Tracker) -> list[dict[str, Any]]:
        return []

    def _button_pressed(self, chat: ChatUseCases, turn: Turn) -> TurnAction | None:
        """A summary's Confirm / Cancel button ("batal #report-7") is that button, whichever intent
        the model heard: its title decides (issue 13, 5: every button's answer is recognized exactly)."""
        answering = PRESS_ACTIONS.get(chat.pressed(turn) or "")
        if answering is None or isinstance(self, answering):
            return None
        return answering()

    def _question_answered(self, chat: ChatUseCases, turn: Turn, tracker: Tracker) -> TurnAction | None:
        """"550" after "要把 P20250403 改成什么？" answers that question (the model hears an output
        report): the change it names, checked as any change. Checked before any redirect."""
        if isinstance(self, ActionAnswerChange) or chat.change_answer(turn, tracker.get_slot("pending")) is None:
            return None
        return ActionAnswerChange()

    def _offer_answered(self, chat: ChatUseCases, turn: Turn, tracker: Tracker) -> TurnAction | None:
        """"就是P20250402" after an offer of orders answers the offer, whichever intent the model
        heard (off-topic, a status query, a yes, even an approval): checked before any redirect."""
        if isinstance(self, ActionReportOfferedOrder) or not chat.answers_offer(turn, tracker.get_slot("pending")):
            return None
        return ActionReportOfferedOrder()


class ActionReportOfferedOrder(TurnAction):
    """"就是P20250402" after the bot offered running orders for a report that named none: that
    order's report summary, as its button would give (then Confirm)."""

    permission = REPORT_OUTPUT

    def name(self) -> str:
        return "action_report_offered_order"

    async def handle(self, turn, reply, tracker, domain):
        answer = await blocking(use_cases().report_to_offered_order, turn, tracker.get_slot("pending"))
        reply.answer(answer)
        return pending_events(answer)


class ActionAnswerChange(TurnAction):
    """The answer to the bot's own change question ("2200" after "Apa yang diubah untuk P20250402?"):
    that order's change summary (then Confirm), or the managers are asked, as for any change."""

    permission = ORDER_CHANGE

    def name(self) -> str:
        return "action_answer_change"

    async def handle(self, turn, reply, tracker, domain):
        answer = await blocking(use_cases().answer_change, turn, tracker.get_slot("pending"))
        reply.answer(answer)
        return pending_events(answer)
