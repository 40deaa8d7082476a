"""Entity spans a trainer marks in an inbox message: checked, read as the extractor reads them, and
written as Rasa's own annotation (``[text](entity)``, or ``[text]{"entity": .., "value": ..}`` when
the extractor normalises the span to another value: "500 pcs" -> 500, "下周五" -> 2025-04-04).

Our entities are not learned (config.yml: DIET has ``entity_recognition: false``); the extractor
(``nlu/extractor.py``) reads them deterministically. So each span is shown with what the extractor
makes of it, and a span it does not read is said so: the fix that changes the bot's answer is then
an alias (``annotate.add_alias``), which the page offers beside it.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import date

from rasa_project.nlu.extractor import ENTITIES, extract_entities
from rasa_project.review.annotate import Refused

MAX_SPANS = 8


@dataclass(frozen=True)
class Reading:
    """One marked span and what the extractor reads there."""

    start: int
    end: int
    entity: str  # what the trainer marked
    text: str  # the span's characters
    value: object | None  # the extractor's normalised value when it reads this span as ``entity``
    extractor_reads: str | None  # the entity the extractor finds overlapping the span (None: nothing)

    @property
    def agrees(self) -> bool:
        return self.extractor_reads == self.entity

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "entity": self.entity, "text": self.text,
                "value": self.value, "extractor_reads": self.extractor_reads, "agrees": self.agrees}


def parse_spans(raw: str | list) -> list[tuple[int, int, str]]:
    """``[[start, end, entity], ...]`` (JSON from the page) -> checked tuples; Refused on bad input."""
    try:
        spans = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as exc:
        raise Refused("the marked spans are not readable") from exc
    if spans in (None, ""):
        return []
    if not isinstance(spans, list) or len(spans) > MAX_SPANS:
        raise Refused(f"at most {MAX_SPANS} marked spans")
    out = []
    for span in spans:
        if (not isinstance(span, (list, tuple)) or len(span) != 3 or not all(isinstance(v, int) for v in span[:2])
                or not isinstance(span[2], str)):
            raise Refused("a marked span is not [start, end, entity]")
        out.append((int(span[0]), int(span[1]), span[2]))
    return out


def read_spans(text: str, spans: list[tuple[int, int, str]], tables, today: date,
               intent: str | None) -> list[Reading]:
    """Check the spans against ``text`` and read each as the extractor does (same text, same intent)."""
    if len(unicodedata.normalize("NFKC", text)) != len(text):  # the extractor's offsets would not be ours
        raise Refused("the message has characters that change length when normalised: write the example by hand")
    if "[" in text or "]" in text:
        raise Refused("the message has square brackets: write the example by hand")
    found = extract_entities(text, tables, today, intent)
    readings, last_end = [], -1
    for start, end, entity in sorted(spans):
        if entity not in ENTITIES:
            raise Refused(f"unknown entity {entity!r} (one of: {', '.join(ENTITIES)})")
        if not 0 <= start < end <= len(text):
            raise Refused(f"the span {start}-{end} is outside the message")
        if start < last_end:
            raise Refused("two marked spans overlap")
        piece = text[start:end]
        if piece != piece.strip() or not piece.strip():
            raise Refused(f"the span {piece!r} starts or ends with a space")
        last_end = end
        overlapping = [e for e in found if e.start < end and start < e.end]
        same = next((e for e in overlapping if e.entity == entity), None)
        readings.append(Reading(start, end, entity, piece, same.value if same else None,
                                (same or (overlapping[0] if overlapping else None)).entity if overlapping else None))
    return readings


def annotated(text: str, readings: list[Reading]) -> str:
    """The example with Rasa's entity annotation around each span (the message's own characters)."""
    out, at = [], 0
    for r in sorted(readings, key=lambda r: r.start):
        out.append(text[at:r.start])
        if r.value is not None and str(r.value) != r.text:
            out.append(f"[{r.text}]" + json.dumps({"entity": r.entity, "value": str(r.value)}, ensure_ascii=False))
        else:
            out.append(f"[{r.text}]({r.entity})")
        at = r.end
    out.append(text[at:])
    return "".join(out)
