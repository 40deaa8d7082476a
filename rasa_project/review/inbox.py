"""The trainer's inbox: messages real people wrote that the bot probably got wrong.

Pure functions over what the audit trail already holds for every turn (``nlu`` records: the text,
intent, confidence, language and entities the action server saw; ``reply`` records: the catalog key
of each answer). No text leaves the machine and nothing here writes anything.

Reasons a message lands in the inbox (``REASONS``):

* ``fallback``       the NLU fell back (``nlu_fallback``) or the bot answered "out of scope";
* ``low_confidence`` the intent's confidence was below the threshold (a setting);
* ``corrected``      the next message in the conversation corrected the bot ("不对，我是说…", "bukan",
  "no, I meant…");
* ``flagged``        someone answered it with a flag only ("👎", "不对", "salah", "wrong");
* ``reasked``        the bot had to ask the same form question again after it;
* ``cancelled``      the flow it belonged to was cancelled right after it;
* ``unknown_word``   the bot could not place a material or work-center word in it.

Messages are deduplicated by normalized text and counted; newest first.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

REASONS = ("fallback", "low_confidence", "corrected", "flagged", "reasked", "cancelled", "unknown_word")
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
FALLBACK_KEYS = frozenset({"dialog.out_of_scope"})
CANCEL_KEYS = frozenset({"dialog.cancelled", "workflow.change_cancelled"})
UNKNOWN_WORD_KEYS = frozenset({"stock.unknown_material", "ask.which_material"})

# A flag is a reply that is only a "that was wrong" mark; a correction starts with one and goes on.
_FLAG_WORDS = (
    "👎", "不对", "不是", "错了", "不对不对", "搞错了", "salah", "bukan", "keliru", "wrong", "no that's wrong",
    "that's wrong", "thats wrong", "not what i meant",
)
_CORRECTION_OPENERS = re.compile(
    r"^\s*(👎|不对|不是|错了|搞错了|我是说|我的意思是|bukan|salah|maksud saya|maksudnya|no,? i meant|i meant|"
    r"that'?s wrong|wrong|not what i meant)[\s,，。.!！:：]*",
    re.IGNORECASE,
)
_PUNCT_TAIL = re.compile(r"[\s,，。.!！?？~～]+$")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The deduplication key's text: NFKC, case-folded, one space, no trailing punctuation."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return _PUNCT_TAIL.sub("", _SPACES.sub(" ", folded).strip())


def item_id(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:10]


def is_flag(text: str) -> bool:
    """Only a "that was wrong" mark, nothing else."""
    return normalize(text) in {normalize(w) for w in _FLAG_WORDS}


def is_correction(text: str) -> bool:
    """Starts with a "that was wrong" opener and says more (the person's second try)."""
    match = _CORRECTION_OPENERS.match(text or "")
    return bool(match) and bool(text[match.end():].strip()) and not is_flag(text)


@dataclass
class Heard:
    """One message as the action server understood it, with the catalog keys of the answers to it."""

    record_id: int
    at: datetime
    conversation_id: str
    speaker: str
    message_id: str | None
    text: str
    intent: str | None
    confidence: float
    language: str | None
    entities: dict = field(default_factory=dict)
    reply_keys: list[str] = field(default_factory=list)


def heard_from_records(records: Iterable) -> list[Heard]:
    """Audit records (``nlu`` and ``reply``, any order of ids) -> messages with their answers, oldest first.

    Several actions can run for one message (each writes an ``nlu`` record with the same message id);
    the first one stands for the message.
    """
    heard: list[Heard] = []
    by_message: dict[tuple[str, str], Heard] = {}
    for record in sorted(records, key=lambda r: r.id):
        payload = json.loads(record.payload) if isinstance(record.payload, str) else dict(record.payload)
        conversation = record.conversation_id or ""
        if record.kind == "nlu":
            message_id = payload.get("message_id")
            key = (conversation, message_id) if message_id else None
            if key and key in by_message:
                continue
            item = Heard(
                record_id=record.id,
                at=record.created_at,
                conversation_id=conversation,
                speaker=record.actor or "",
                message_id=message_id,
                text=payload.get("text") or "",
                intent=payload.get("intent"),
                confidence=float(payload.get("confidence") or 0.0),
                language=payload.get("language"),
                entities=payload.get("entities") or {},
            )
            heard.append(item)
            if key:
                by_message[key] = item
        elif record.kind == "reply":
            target = by_message.get((conversation, payload.get("in_reply_to")))
            if target is None:  # a reply without a message id: the latest message in that conversation
                target = next((h for h in reversed(heard) if h.conversation_id == conversation), None)
            if target is not None and payload.get("key"):
                target.reply_keys.append(payload["key"])
    return heard


def reasons_of(heard: list[Heard], min_confidence: float) -> dict[int, set[str]]:
    """record id of a message -> why a trainer should look at it."""
    found: dict[int, set[str]] = {}

    def mark(item: Heard, reason: str) -> None:
        found.setdefault(item.record_id, set()).add(reason)

    previous: dict[str, Heard] = {}  # conversation -> the last message that was not a flag
    for item in heard:
        before = previous.get(item.conversation_id)
        if is_flag(item.text):
            if before is not None:
                mark(before, "flagged")
            continue  # the flag itself is not worth a look
        if before is not None and is_correction(item.text):
            mark(before, "corrected")
        keys = set(item.reply_keys)
        if item.intent in FALLBACK_INTENTS or keys & FALLBACK_KEYS:
            mark(item, "fallback")
        elif item.intent and item.confidence < min_confidence:
            mark(item, "low_confidence")
        if keys & UNKNOWN_WORD_KEYS:
            mark(item, "unknown_word")
        if before is not None and keys & CANCEL_KEYS:
            mark(before, "cancelled")
        asked = {k for k in keys if k.startswith("ask.")}
        if before is not None and asked & {k for k in before.reply_keys if k.startswith("ask.")}:
            mark(item, "reasked")  # it did not answer the question, which was asked again
        previous[item.conversation_id] = item
    return found


@dataclass
class InboxItem:
    id: str
    text: str  # as most recently written
    normalized: str
    count: int
    reasons: list[str]
    languages: list[str]
    last_at: datetime
    intent: str | None  # what the model said, most recently
    confidence: float  # the lowest seen
    speakers: list[str]  # staff ids; shown as names only to people allowed to see them
    record_ids: list[int]

    def as_dict(self, *, with_speakers: bool = False) -> dict:
        out = {
            "id": self.id, "text": self.text, "count": self.count, "reasons": self.reasons,
            "languages": self.languages, "last_at": self.last_at.isoformat(), "intent": self.intent,
            "confidence": round(self.confidence, 3), "people": len(self.speakers),
        }
        if with_speakers:
            out["speakers"] = self.speakers
        return out


def build_inbox(heard: list[Heard], *, min_confidence: float) -> list[InboxItem]:
    reasons = reasons_of(heard, min_confidence)
    items: dict[str, InboxItem] = {}
    for message in heard:
        why = reasons.get(message.record_id)
        if not why or not message.text.strip():
            continue
        norm = normalize(message.text)
        key = item_id(norm)
        item = items.get(key)
        if item is None:
            items[key] = InboxItem(
                id=key, text=message.text, normalized=norm, count=1, reasons=sorted(why, key=REASONS.index),
                languages=[message.language] if message.language else [], last_at=message.at,
                intent=message.intent, confidence=message.confidence, speakers=[message.speaker],
                record_ids=[message.record_id],
            )
            continue
        item.count += 1
        item.reasons = sorted(set(item.reasons) | why, key=REASONS.index)
        if message.language and message.language not in item.languages:
            item.languages.append(message.language)
        if message.at >= item.last_at:
            item.last_at, item.text, item.intent = message.at, message.text, message.intent
        item.confidence = min(item.confidence, message.confidence)
        if message.speaker not in item.speakers:
            item.speakers.append(message.speaker)
        item.record_ids.append(message.record_id)
    return sorted(items.values(), key=lambda i: (i.last_at, i.record_ids[-1]), reverse=True)


def select(items: list[InboxItem], *, language: str | None = None, reason: str | None = None) -> list[InboxItem]:
    return [
        i for i in items
        if (language is None or language in i.languages) and (reason is None or reason in i.reasons)
    ]
