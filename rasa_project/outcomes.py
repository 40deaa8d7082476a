"""What the core returns to whoever talks to people: a catalog key and its values, never a sentence.

A value may be a ``{"zh": ..., "id": ..., "en": ...}`` dict (a material or work-center name, a
status name); ``Message.text(lang)`` picks the language, so one outcome serves every chat language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from rasa_project import catalog

T = TypeVar("T")


def localized(values: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Values with every multilingual dict resolved to ``lang`` (English as fallback)."""
    out = {}
    for name, value in values.items():
        if isinstance(value, Mapping) and value and set(value) <= set(catalog.LANGS):
            value = value.get(lang) or value.get("en") or next(iter(value.values()))
        out[name] = value
    return out


@dataclass(frozen=True)
class Message:
    key: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return catalog.text(self.key, lang, **localized(self.values, lang))

    def as_dict(self) -> dict:
        return {"key": self.key, "values": dict(self.values)}


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """``ok`` says whether the dialog may go on; ``key``/``values`` say what to tell the user;
    ``details`` are extra lines (each changed field, each risk found); ``value`` is the typed
    result (a resolved material, a draft, an order, a change request)."""

    ok: bool
    key: str
    values: Mapping[str, Any] = field(default_factory=dict)
    details: tuple[Message, ...] = ()
    value: T | None = None

    @property
    def message(self) -> Message:
        return Message(self.key, self.values)

    def text(self, lang: str) -> str:
        lines = [self.message.text(lang)] + [d.text(lang) for d in self.details]
        return "\n".join(lines)


def ok(key: str, value: Any = None, details: tuple[Message, ...] = (), **values) -> Outcome:
    return Outcome(True, key, values, tuple(details), value)


def refused(key: str, value: Any = None, details: tuple[Message, ...] = (), **values) -> Outcome:
    return Outcome(False, key, values, tuple(details), value)
