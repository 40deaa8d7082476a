"""The dialogue files (tests/dialogues/*.yml): loading, validation, and what each dialogue touches.

Pure: no network, no product imports beyond the demo factory. Format: docs/DIALOGUES.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DIALOGUE_DIR = Path(__file__).resolve().parents[2] / "tests" / "dialogues"
GATE_FILE = DIALOGUE_DIR / "gate.txt"
# Dialogue sets, each its own directory (only its *.yml, not its subdirectories): "main" is the suite of
# issue 13 (make dialogue-test, the gate); "fresh" an untuned evaluation set, written after the fixes by
# someone who had not seen them nor the main set's failures (docs/DIALOGUES.md, "Fresh set"); "fresh2" a
# second untuned set, written after the fresh set had been tuned on (docs/DIALOGUES.md, "Fresh set 2").
SETS = {"main": DIALOGUE_DIR, "fresh": DIALOGUE_DIR / "fresh", "fresh2": DIALOGUE_DIR / "fresh2"}

CLASSES = ("reports_need_confirmation", "void_report", "undo_order", "relative_changes", "amend", "buttons",
           "forms", "manager_decisions", "shop_floor_no_order", "language", "list_queries", "voice",
           "approval_cards")
LANGUAGES = ("zh", "id", "en", "mixed")
TURN_LANGS = ("zh", "id", "en", "any")
TURN_KINDS = ("say", "press", "audio", "card")
TURN_KEYS = set(TURN_KINDS) | {"by", "lang", "must_say", "must_not_say", "group_must_not_say", "buttons",
                               "k3_now", "optional", "max_replies", "cards", "mentions", "any_card"}
ORDER_FIELDS = {"qty", "status", "good", "scrap", "reports", "finish", "work_center", "exists"}
NEW_ORDER_FIELDS = {"material", "qty", "finish", "work_center"}
STATUS = {"planned": "1", "confirmed": "2", "released": "3", "started": "4", "finished": "5", "closed": "6"}
ORDER_NO = re.compile(r"\b(?:P\d{8}|MO\d{6})\b")

# Checked on every bot message of every dialogue, whatever the dialogue says.
ALWAYS_MUST_NOT_SAY = (
    r"SCDD0\d_SYS",            # an internal K/3 bill-type code shown to a person
    r"\b20(2[6-9]|[3-9]\d)-\d\d-\d\d",  # a wall-clock date (the business clock says 2025-04-01)
    r"Traceback|Exception\b",  # a crash shown to a person
    r"\{[a-z_]+\}",            # an unfilled catalog placeholder
)


class SpecError(ValueError):
    pass


@dataclass
class Turn:
    kind: str  # say | press | audio | card
    value: str  # text, button-title regex, recognition text, card-button-title regex
    by: str  # staff id
    role: str
    lang: str  # zh | id | en | any
    must_say: list[str] = field(default_factory=list)
    must_not_say: list[str] = field(default_factory=list)
    group_must_not_say: list[str] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)
    k3_now: dict = field(default_factory=dict)
    optional: bool = False
    max_replies: int | None = None
    cards: dict = field(default_factory=dict)
    mentions: list[str] = field(default_factory=list)  # staff ids
    any_card: bool = False


@dataclass
class Dialogue:
    id: str
    cls: str
    language: str
    speakers: dict[str, str]  # role -> staff id
    turns: list[Turn]
    k3: dict
    conversation: str = "group"  # group (a fresh group of the speakers) | dm | an existing group id
    source: str = ""

    @property
    def staff(self) -> list[str]:
        return list(dict.fromkeys(self.speakers.values()))

    def texts(self) -> list[str]:
        return [t.value for t in self.turns if t.kind in ("say", "audio")]

    def orders(self) -> set[str]:
        """Order numbers the dialogue names (in its texts or its expectations)."""
        found = set()
        for t in self.turns:
            if t.kind in ("say", "audio", "press"):
                found |= set(ORDER_NO.findall(t.value))
            found |= {k for k in t.k3_now if ORDER_NO.fullmatch(k)}
            for rx in t.must_say:
                found |= set(ORDER_NO.findall(rx))
        found |= {k for k in self.k3 if ORDER_NO.fullmatch(k)}
        return found

    @property
    def has_decision(self) -> bool:
        """A manager decides (or a card is pressed): K/3 may change a moment after the turn."""
        return any(t.kind == "card" for t in self.turns) or "manager0001" in self.speakers.values()


def _regexes(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(x, str) for x in items):
        raise SpecError(f"{where}: expected a regex or a list of regexes")
    for rx in items:
        try:
            re.compile(rx)
        except re.error as exc:
            raise SpecError(f"{where}: bad regex {rx!r}: {exc}") from exc
    return list(items)


def _check_k3(k3: Any, where: str) -> dict:
    if k3 is None:
        return {}
    if not isinstance(k3, dict):
        raise SpecError(f"{where}: k3 must be a mapping")
    for key, value in k3.items():
        if key == "new_orders":
            if not isinstance(value, list):
                raise SpecError(f"{where}: new_orders must be a list")
            for item in value:
                if not isinstance(item, dict) or "material" not in item or set(item) - NEW_ORDER_FIELDS:
                    raise SpecError(f"{where}: new_orders items need material and only {sorted(NEW_ORDER_FIELDS)}")
        elif ORDER_NO.fullmatch(str(key)):
            if value == "unchanged":
                continue
            if not isinstance(value, dict) or set(value) - ORDER_FIELDS:
                raise SpecError(f"{where}: {key} must be 'unchanged' or a mapping of {sorted(ORDER_FIELDS)}")
            if "status" in value and value["status"] not in STATUS:
                raise SpecError(f"{where}: {key} status must be one of {sorted(STATUS)}")
        else:
            raise SpecError(f"{where}: unknown k3 key {key!r}")
    return dict(k3)


def _turn(raw: Any, d_where: str, i: int, speakers: dict, language: str) -> Turn:
    where = f"{d_where} turn {i + 1}"
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: a turn is a mapping")
    unknown = set(raw) - TURN_KEYS
    if unknown:
        raise SpecError(f"{where}: unknown keys {sorted(unknown)}")
    kinds = [k for k in TURN_KINDS if k in raw]
    if len(kinds) != 1:
        raise SpecError(f"{where}: exactly one of {TURN_KINDS}")
    role = raw.get("by") or next(iter(speakers))
    if role not in speakers:
        raise SpecError(f"{where}: by {role!r} is not one of the speakers {sorted(speakers)}")
    lang = raw.get("lang") or language
    if lang not in TURN_LANGS:
        raise SpecError(f"{where}: lang must be one of {TURN_LANGS} (a mixed dialogue names each turn's)")
    value = raw[kinds[0]]
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{where}: {kinds[0]} must be a non-empty string")
    if kinds[0] in ("press", "card"):
        _regexes(value, where)
    cards = raw.get("cards") or {}
    if cards and (set(cards) - {"for", "buttons", "decided"} or cards.get("buttons", "none") not in ("none", "some")
                  or ("for" in cards and cards["for"] not in speakers)):
        raise SpecError(f"{where}: cards takes for (a speaker), buttons (none|some), decided")
    mentions = raw.get("mentions") or []
    if any(m not in speakers for m in mentions):
        raise SpecError(f"{where}: mentions names speakers")
    return Turn(
        kind=kinds[0], value=value, by=speakers[role], role=role, lang=lang,
        must_say=_regexes(raw.get("must_say"), where), must_not_say=_regexes(raw.get("must_not_say"), where),
        group_must_not_say=_regexes(raw.get("group_must_not_say"), where),
        buttons=_regexes(raw.get("buttons"), where), k3_now=_check_k3(raw.get("k3_now"), where),
        optional=bool(raw.get("optional")), max_replies=raw.get("max_replies"),
        cards=dict(cards), mentions=[speakers[m] for m in mentions], any_card=bool(raw.get("any_card")),
    )


def load_file(path: Path, known_staff: set[str] | None = None) -> list[Dialogue]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("dialogues"), list):
        raise SpecError(f"{path.name}: expected a mapping with 'class' and a 'dialogues' list")
    file_cls = data.get("class")
    out = []
    for raw in data["dialogues"]:
        did = raw.get("id") if isinstance(raw, dict) else None
        if not did or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(did)):
            raise SpecError(f"{path.name}: every dialogue needs an id of [a-z0-9-]")
        where = f"{path.name}:{did}"
        cls = raw.get("class") or file_cls
        if cls not in CLASSES:
            raise SpecError(f"{where}: class must be one of {CLASSES}")
        language = raw.get("language")
        if language not in LANGUAGES:
            raise SpecError(f"{where}: language must be one of {LANGUAGES}")
        speakers = raw.get("speakers")
        if not isinstance(speakers, dict) or not speakers:
            raise SpecError(f"{where}: speakers maps roles to staff ids")
        if known_staff is not None:
            unknown = [s for s in speakers.values() if s not in known_staff]
            if unknown:
                raise SpecError(f"{where}: {unknown[0]} is not a demo-factory staff id")
        turns_raw = raw.get("turns")
        if not isinstance(turns_raw, list) or not turns_raw:
            raise SpecError(f"{where}: turns must be a non-empty list")
        turns = [_turn(t, where, i, speakers, language) for i, t in enumerate(turns_raw)]
        conversation = raw.get("conversation", "group")
        if conversation == "dm" and len(set(speakers.values())) != 1:
            raise SpecError(f"{where}: a 1:1 conversation has one speaker")
        extra = set(raw) - {"id", "class", "language", "speakers", "turns", "k3", "conversation"}
        if extra:
            raise SpecError(f"{where}: unknown keys {sorted(extra)}")
        out.append(Dialogue(id=did, cls=cls, language=language, speakers=dict(speakers), turns=turns,
                            k3=_check_k3(raw.get("k3"), where), conversation=conversation, source=path.name))
    return out


def load_all(directory: Path = DIALOGUE_DIR, known_staff: set[str] | None = None) -> list[Dialogue]:
    dialogues: list[Dialogue] = []
    for path in sorted(directory.glob("*.yml")):
        dialogues.extend(load_file(path, known_staff))
    seen: set[str] = set()
    for d in dialogues:
        if d.id in seen:
            raise SpecError(f"duplicate dialogue id {d.id}")
        seen.add(d.id)
    return dialogues


def read_gate(path: Path = GATE_FILE) -> list[str]:
    """Dialogue ids that must pass in `make test` (one per line; # comments)."""
    if not path.exists():
        return []
    ids = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.append(line)
    return ids
