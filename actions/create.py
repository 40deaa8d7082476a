"""Create a production order: start the form, validate each value, ask, summarise, confirm."""

from __future__ import annotations

import abc
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.forms import FormValidationAction

from actions.approval import ActionDecideApproval
from actions.base import Reply, TurnAction, blocking, pending_events, turn_of, use_cases
from actions.report import ActionReportProgress
from actions.undo import undo_or_amend
from rasa_project.authz.roles import ORDER_CREATE, ORDER_QUERY, STOCK_QUERY
from rasa_project.chat import access
from rasa_project.chat.turn import Turn

FORM = "create_order_form"
FORM_SLOTS = ("material", "quantity", "due_date", "production_type", "work_center")
# a question the form's question may not swallow: answered, and the form asks its question again
QUESTION_INTENTS = {"query_stock": STOCK_QUERY, "query_order": ORDER_QUERY}


def clear_form() -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("requested_slot", None)]


class ActionStartCreate(TurnAction):
    """Gate, then start the form with only what this message says (no stale slots)."""

    permission = ORDER_CREATE

    def name(self) -> str:
        return "action_start_create"

    def on_refused(self, turn: Turn, tracker: Tracker):
        return clear_form()

    def redirect_for(self, turn, tracker):
        chat = use_cases()
        if chat.reads_as_report(turn):  # "冲压今天做了300个电机壳，报废2个" reports what was made
            return ActionReportProgress()
        other = undo_or_amend(turn, tracker, amend=False)  # "order yang barusan tolong dibatalkan" is no create
        if other is not None:
            return other
        if chat.decides_a_request(turn):  # a manager's "go ahead with CR-000012" heard as a create
            return ActionDecideApproval()
        if chat.name_while_pending(turn, tracker.get_slot("pending")) is not None:
            return ActionNameWhilePending()  # "冲压车间" alone must not drop the summary that waits
        return None

    async def handle(self, turn, reply, tracker, domain):
        events = [SlotSet(slot, turn.entity(slot)) for slot in FORM_SLOTS]
        return events + [SlotSet("pending", None), FollowupAction(FORM)]


class ActionNameWhilePending(TurnAction):
    """A bare name while a summary waits: asks what it means; the summary keeps waiting."""

    def name(self) -> str:
        return "action_name_while_pending"

    async def handle(self, turn, reply, tracker, domain):
        answer = await blocking(use_cases().name_while_pending, turn, tracker.get_slot("pending"))
        if answer is None:
            reply.say("dialog.nothing_pending")
            return []
        reply.answer(answer)
        return pending_events(answer)


class ValidateCreateOrderForm(FormValidationAction):
    """One validator per slot; each re-asks with the specific reason the core gives."""

    def name(self) -> str:
        return "validate_create_order_form"

    async def _check(self, slot: str, value, dispatcher, tracker) -> dict[str, Any]:
        if value is None:  # cleared by a new request, not said by the person: nothing to check
            return {slot: None}
        turn = turn_of(tracker)
        access.current_turn.set(turn)
        if turn.intent in QUESTION_INTENTS and use_cases().asks_question(turn):
            # "how many control boards do we have in stock?" while the form asks for the material: a
            # question about it, not the answer; answered once (for the slot asked), the form asks again
            if slot == tracker.get_slot("requested_slot"):
                await self._answer_question(turn, dispatcher)
            return {slot: None}
        check = await blocking(use_cases().check_slot, turn, slot, value)
        if not check.outcome.ok:
            reply = Reply(dispatcher, turn)
            reply.outcome(check.outcome)
            await blocking(reply.record)
        return {slot: check.value}

    @staticmethod
    async def _answer_question(turn: Turn, dispatcher) -> None:
        chat = use_cases()
        refusal = chat.access.gate(turn, QUESTION_INTENTS[turn.intent])
        reply = Reply(dispatcher, turn)
        if refusal is not None:
            reply.outcome(refusal)
        else:
            reply.answer(await blocking(chat.query_stock if turn.intent == "query_stock" else chat.query_order, turn))
        await blocking(reply.record)

    async def _listed(self, slot: str, tracker) -> dict[str, Any]:
        """A form answer that lists several values fills every empty slot it names, not only the one
        asked ("BOM-2051, 220 pcs, selesai 16 April, stamping, standar")."""
        if tracker.get_slot(slot) not in (None, ""):
            return {}
        turn = turn_of(tracker)
        value = (await blocking(use_cases().form_values, turn)).get(slot)
        return {} if value is None else {slot: value}

    async def extract_material(self, dispatcher, tracker, domain):
        return await self._listed("material", tracker)

    async def extract_quantity(self, dispatcher, tracker, domain):
        return await self._listed("quantity", tracker)

    async def extract_due_date(self, dispatcher, tracker, domain):
        return await self._listed("due_date", tracker)

    async def extract_production_type(self, dispatcher, tracker, domain):
        return await self._listed("production_type", tracker)

    async def extract_work_center(self, dispatcher, tracker, domain):
        return await self._listed("work_center", tracker)

    async def validate_material(self, value, dispatcher, tracker, domain):
        return await self._check("material", value, dispatcher, tracker)

    async def validate_quantity(self, value, dispatcher, tracker, domain):
        return await self._check("quantity", value, dispatcher, tracker)

    async def validate_due_date(self, value, dispatcher, tracker, domain):
        return await self._check("due_date", value, dispatcher, tracker)

    async def validate_production_type(self, value, dispatcher, tracker, domain):
        return await self._check("production_type", value, dispatcher, tracker)

    async def validate_work_center(self, value, dispatcher, tracker, domain):
        return await self._check("work_center", value, dispatcher, tracker)


class _AskSlot(TurnAction):
    @property
    @abc.abstractmethod
    def slot(self) -> str:
        """The form slot this action asks for (a class attribute in each subclass)."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def handle(self, turn, reply, tracker, domain):
        question = await blocking(use_cases().ask, turn, self.slot, dict(tracker.slots))
        reply.text(question.text, buttons=question.buttons or None, key=f"ask.{self.slot}")
        return []


class ActionAskMaterial(_AskSlot):
    slot = "material"


class ActionAskQuantity(_AskSlot):
    slot = "quantity"


class ActionAskDueDate(_AskSlot):
    slot = "due_date"


class ActionAskProductionType(_AskSlot):
    slot = "production_type"


class ActionAskWorkCenter(_AskSlot):
    slot = "work_center"


class ActionPrepareCreate(TurnAction):
    """The form is complete: persist a draft, show the K/3 values, ask Confirm / Cancel."""

    permission = ORDER_CREATE

    def name(self) -> str:
        return "action_prepare_create"

    def on_refused(self, turn, tracker):
        return clear_form()

    async def handle(self, turn, reply, tracker, domain):
        answer = await blocking(use_cases().prepare_draft, turn, dict(tracker.slots))
        reply.answer(answer)
        return clear_form() + pending_events(answer)
