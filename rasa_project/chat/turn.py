"""One user turn as the core sees it: who, where, which language, what was understood.

Built from Rasa's ``latest_message`` (parse data + the DingTalk channel's metadata) by a
pure function, so actions stay thin and the mapping is unit-tested without Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rasa_project.nlu import language


@dataclass(frozen=True)
class Turn:
    sender_id: str
    staff_id: str | None
    conversation_id: str | None
    is_group: bool
    lang: str
    text: str
    message_id: str | None
    intent: str | None
    confidence: float
    entities: dict = field(default_factory=dict)  # name -> normalized value (first seen)
    sender_nick: str | None = None
    every_entity: dict = field(default_factory=dict)  # name -> every normalized value, in message order

    def entity(self, name: str) -> str | None:
        value = self.entities.get(name)
        return None if value in (None, "") else str(value)

    def entities_named(self, name: str) -> list[str]:
        """Every value of ``name`` in the message, once each ("P20250401 和 P20250402 的进度")."""
        values = self.every_entity.get(name) or ([self.entities[name]] if name in self.entities else [])
        return list(dict.fromkeys(str(v) for v in values if v not in (None, "")))


def turn_from(sender_id: str, latest_message: dict, previous_lang: str | None = None) -> Turn:
    """``sender_id`` is ``<conversationId>:<staffId>`` (DingTalk channel); metadata wins when present.
    ``previous_lang`` is the conversation's language so far: a bare "300" does not switch it."""
    latest_message = latest_message or {}
    meta = latest_message.get("metadata") or {}
    text = latest_message.get("text") or ""
    conv_from_id, _, staff_from_id = sender_id.rpartition(":")
    staff_id = meta.get("staff_id") or staff_from_id or None
    conversation_id = meta.get("conversation_id") or conv_from_id or None
    entities: dict = {}
    every: dict = {}
    for ent in latest_message.get("entities") or []:
        entities.setdefault(ent.get("entity"), ent.get("value"))
        every.setdefault(ent.get("entity"), []).append(ent.get("value"))
    intent = latest_message.get("intent") or {}
    lang = language.detect_or(text, previous_lang)
    return Turn(
        sender_id=sender_id,
        staff_id=staff_id,
        conversation_id=conversation_id,
        is_group=bool(meta.get("is_group", str(meta.get("conversation_type", "2")) == "2")),
        lang=lang,
        text=text,
        message_id=latest_message.get("message_id") or meta.get("msg_id"),
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        entities=entities,
        sender_nick=meta.get("sender_nick"),
        every_entity={name: tuple(values) for name, values in every.items()},
    )
