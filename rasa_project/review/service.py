"""The review desk: the inbox over the audit trail, and annotations that are themselves audited.

An annotated message leaves the inbox (until someone writes it again after the annotation): the
``training`` records in the trail say which inbox items were handled, by whom, with what.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from rasa_project.review import annotate
from rasa_project.review.inbox import InboxItem, build_inbox, heard_from_records, select


class UnknownItem(LookupError):
    pass


class ReviewDesk:
    def __init__(self, *, trail, root: Path, min_confidence: float, window_days: int, now) -> None:
        self.trail = trail
        self.root = root
        self.min_confidence = min_confidence
        self.window_days = window_days
        self.now = now

    def _handled(self) -> dict[str, object]:
        """inbox item id -> when it was last annotated."""
        handled: dict[str, object] = {}
        for record in self.trail.of_kinds(("training",)):
            item = json.loads(record.payload).get("item")
            if item:
                handled[item] = record.created_at
        return handled

    def inbox(self, *, language: str | None = None, reason: str | None = None,
              include_handled: bool = False) -> list[InboxItem]:
        since = self.now() - timedelta(days=self.window_days)
        heard = heard_from_records(self.trail.of_kinds(("nlu", "reply"), since=since))
        items = build_inbox(heard, min_confidence=self.min_confidence)
        if not include_handled:
            handled = self._handled()
            items = [i for i in items if i.id not in handled or i.last_at > handled[i.id]]
        return select(items, language=language, reason=reason)

    def item(self, item_id: str) -> InboxItem:
        for item in self.inbox(include_handled=True):
            if item.id == item_id:
                return item
        raise UnknownItem(item_id)

    def _record(self, by: str, item: InboxItem | None, edit: annotate.Edit, **details) -> None:
        self.trail.record(
            "training", actor=by, item=item.id if item else None, file=str(edit.path), line=edit.line,
            change=edit.kind, text=edit.text, **details,
        )

    def set_intent(self, item_id: str, intent: str, *, by: str, lang: str | None = None,
                   text: str | None = None) -> annotate.Edit:
        """Confirm or correct the intent of an inbox message: it becomes a training example."""
        item = self.item(item_id)
        language = lang or (item.languages[0] if item.languages else None)
        if language is None:
            raise annotate.Refused("the message's language is unknown: give it (zh, id, en or mixed)")
        edit = annotate.add_example(self.root, text or item.text, intent, language)
        self._record(by, item, edit, intent=intent, lang=language, was=item.intent)
        return edit

    def mark_entities(self, item_id: str, intent: str, spans: list[tuple[int, int, str]], *, by: str,
                      tables, today, lang: str | None = None) -> tuple[annotate.Edit, list]:
        """Confirm the intent and mark entity spans: one annotated example (Rasa's ``[text](entity)``)."""
        from rasa_project.review import spans as marking

        item = self.item(item_id)
        readings = marking.read_spans(item.text, spans, tables, today, intent)
        language = lang or (item.languages[0] if item.languages else None)
        if language is None:
            raise annotate.Refused("the message's language is unknown: give it (zh, id, en or mixed)")
        edit = annotate.add_example(self.root, marking.annotated(item.text, readings), intent, language)
        self._record(by, item, edit, intent=intent, lang=language, was=item.intent,
                     entities=[r.as_dict() for r in readings])
        return edit, readings

    def add_alias(self, item_id: str | None, kind: str, code: str, word: str, *, by: str) -> annotate.Edit:
        """Add an unknown word (from an inbox message, or given) as an alias of a material / work center."""
        item = self.item(item_id) if item_id else None
        if item is not None and word.casefold() not in item.text.casefold():
            raise annotate.Refused(f"{word!r} is not in the message {item.text!r}")
        edit = annotate.add_alias(self.root, kind, code, word)
        self._record(by, item, edit, alias_of=code, alias_kind=kind)
        return edit
