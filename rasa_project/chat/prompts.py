"""The form's questions: one at a time, in the user's language, with choices as buttons.

Defaults (the material's usual work center, the default production type) are offered first
and marked, never silently applied. Button texts are what the user's client sends back when
pressed (DingTalk dtmd:// links), so they are names the NLU resolves to the same value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rasa_project import catalog
from rasa_project.mapping import MappingTables


@dataclass(frozen=True)
class Question:
    text: str
    buttons: list = field(default_factory=list)  # [(title, text sent back)]


def question_for(slot: str, slots: dict, lang: str, mapping: MappingTables) -> Question:
    material = mapping.material(slots.get("material") or "") if slots.get("material") else None
    if slot == "work_center":
        usual: str | None = material.default_work_center if material else None
        centers = sorted(mapping.work_centers, key=lambda w: (w.number != usual, w.number))
        buttons = []
        for w in centers:
            label = w.display_name(lang)
            title = catalog.text("ask.default_mark", lang, choice=label) if w.number == usual else label
            buttons.append((title, label))
        return Question(catalog.text("ask.work_center", lang), buttons)
    if slot == "production_type":
        default = mapping.default_production_type()
        types = sorted(mapping.production_types, key=lambda t: t.bill_type != default.bill_type)
        buttons = []
        for t in types:
            label = t.display_name(lang)
            title = catalog.text("ask.default_mark", lang, choice=label) if t.bill_type == default.bill_type else label
            buttons.append((title, label))
        return Question(catalog.text("ask.production_type", lang), buttons)
    if slot == "quantity" and material:
        return Question(catalog.text("ask.quantity_of", lang, material=material.display_name(lang), unit=material.unit))
    return Question(catalog.text(f"ask.{slot}", lang))
