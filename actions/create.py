"""Create a production order: start the form, validate each value, ask, summarise, confirm."""

from __future__ import annotations

import abc
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.forms import FormValidationAction

from actions.base import Reply, TurnAction, blocking, turn_of
from rasa_project import wiring
from rasa_project.authz.roles import ORDER_CREATE
from rasa_project.chat import access
from rasa_project.chat.answers import answer_value
from rasa_project.chat.prompts import question_for
from rasa_project.chat.turn import Turn
from rasa_project.clock import get_clock
from rasa_project.mapping import get_mapping

FORM = "create_order_form"
FORM_SLOTS = ("material", "quantity", "due_date", "production_type", "work_center")


# what a validated value is stored as in its slot (and handed to prepare_draft)
SLOT_VALUE = {
    "material": lambda resolved: resolved.mapping.chat_code,
    "quantity": float,
    "due_date": lambda day: day.isoformat(),
    "production_type": lambda kind: kind.bill_type,
    "work_center": lambda center: center.number,
}


def clear_form() -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("requested_slot", None)]


class ActionStartCreate(TurnAction):
    """Gate, then start the form with only what this message says (no stale slots)."""

    permission = ORDER_CREATE

    def name(self) -> str:
        return "action_start_create"

    def on_refused(self, turn: Turn, tracker: Tracker):
        return clear_form()

    async def handle(self, turn, reply, tracker, domain):
        events = [SlotSet(slot, turn.entity(slot)) for slot in FORM_SLOTS]
        return events + [SlotSet("pending", None), FollowupAction(FORM)]


class ValidateCreateOrderForm(FormValidationAction):
    """One validator per slot; each calls the workflow and re-asks with the specific reason."""

    def name(self) -> str:
        return "validate_create_order_form"

    async def _check(self, slot: str, check, value, dispatcher, tracker) -> dict[str, Any]:
        turn = turn_of(tracker)
        access.current_turn.set(turn)
        value = answer_value(slot, value, get_mapping(), get_clock().today())
        outcome = await blocking(check, value)
        if outcome.ok:
            return {slot: SLOT_VALUE[slot](outcome.value)}
        Reply(dispatcher, turn).text(outcome.text(turn.lang), key=outcome.key)
        return {slot: None}

    async def validate_material(self, value, dispatcher, tracker, domain):
        return await self._check("material", wiring.workflow().check_material, value, dispatcher, tracker)

    async def validate_quantity(self, value, dispatcher, tracker, domain):
        return await self._check("quantity", wiring.workflow().check_quantity, value, dispatcher, tracker)

    async def validate_due_date(self, value, dispatcher, tracker, domain):
        return await self._check("due_date", wiring.workflow().check_finish_date, value, dispatcher, tracker)

    async def validate_production_type(self, value, dispatcher, tracker, domain):
        return await self._check(
            "production_type", wiring.workflow().check_production_type, value, dispatcher, tracker
        )

    async def validate_work_center(self, value, dispatcher, tracker, domain):
        return await self._check("work_center", wiring.workflow().check_work_center, value, dispatcher, tracker)


class _AskSlot(TurnAction):
    @property
    @abc.abstractmethod
    def slot(self) -> str:
        """The form slot this action asks for (a class attribute in each subclass)."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def handle(self, turn, reply, tracker, domain):
        question = question_for(self.slot, dict(tracker.slots), turn.lang, get_mapping())
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
        values = {
            "material": tracker.get_slot("material"),
            "qty": tracker.get_slot("quantity"),
            "plan_finish": tracker.get_slot("due_date"),
            "production_type": tracker.get_slot("production_type"),
            "work_center": tracker.get_slot("work_center"),
        }
        outcome = await blocking(
            wiring.workflow().prepare_draft, turn.staff_id, turn.conversation_id, values
        )
        if not outcome.ok:
            reply.text(outcome.text(turn.lang), key=outcome.key)
            return clear_form()
        draft = outcome.value
        reply.text(
            outcome.text(turn.lang),
            buttons=[(reply.t("button.confirm"), reply.t("button.confirm")), (reply.t("button.cancel"), reply.t("button.cancel"))],
            key=outcome.key,
        )
        return clear_form() + [SlotSet("pending", f"draft:{draft.id}")]
