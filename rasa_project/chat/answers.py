"""A reply to a form question, read as that question's answer.

While the form asks for the quantity, "一千二百个" is the quantity even when the intent model
thinks it is an output report; "下周五" is the finish date. The slot mappings hand the raw text
here (``from_text`` conditioned on the requested slot), and the same deterministic normalisers
as the NLU pipeline read it as if the message were a create request.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_project.mapping import MappingTables
from rasa_project.nlu.extractor import extract_entities

ENTITIES_FOR_SLOT = {
    "material": ("material",),
    "quantity": ("quantity", "good_qty"),
    "due_date": ("due_date",),
    "production_type": ("production_type",),
    "work_center": ("work_center",),
}


def answer_value(slot: str, value: Any, tables: MappingTables, today: date) -> Any:
    """The normalised value for ``slot`` found in ``value``; non-text values pass unchanged, and
    text with nothing recognisable is returned as is so the validator can say what is wrong."""
    if not isinstance(value, str):
        return value
    wanted = ENTITIES_FOR_SLOT.get(slot, (slot,))
    for entity in extract_entities(value, tables, today, intent="create_order"):
        if entity.entity in wanted:
            return entity.value
    return value
