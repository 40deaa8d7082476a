"""Entities of one message, normalised: the deterministic half of the NLU.

``extract_entities(text, tables, today, intent)`` runs the normalisers in a fixed order and
masks what each one took, so a digit inside "P20250401", "BOM-2050", "4月10日" or "line 1" is
never read as a quantity:

    order_no -> material codes / K/3 numbers -> work center codes -> names and aliases
    -> due_date -> numbers (quantity | good_qty | scrap_qty)

Numbers become good_qty / scrap_qty by the cue next to them ("合格 80", "报废4个", "4 rejects",
"bagus 250"). Weak cues that also mean other things ("jadi", "完成", "done", "selesai") count
only when the intent is report_progress or a strong report cue is in the same message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from rasa_project.nlu.normalize import Span
from rasa_project.nlu.normalize.codes import (
    AliasIndex,
    build_alias_index,
    find_k3_numbers,
    find_material_codes,
    find_order_numbers,
    find_work_center_codes,
)
from rasa_project.nlu.normalize.dates import find_dates
from rasa_project.nlu.normalize.numbers import find_numbers
from rasa_project.values import iso

ENTITIES = ("material", "quantity", "good_qty", "scrap_qty", "due_date", "order_no", "work_center", "production_type",
            "quantity_delta")

SCRAP_CUE = r"报废了?|报废品|不良品?|废品|废了|废掉了?|次品|坏了|坏的|坏|scrap(?:ped|s)?|rejects?|rejected|cacat|rusak|ng|nc"
GOOD_CUE = r"合格品?|良品|好品|good|bagus|ok|passed"
WEAK_GOOD_CUE = (
    r"做完了?|做好了?|完成了?|完工了?|生产了|产出|做了|出了|入库|done|finished|completed|produced|made|output|"
    r"selesai|jadi|hasil|sudah|produksi|lapor"
)
# between a cue and its number: spaces, colon, 了, a linking verb ("scrap is 8", "reject jadi 3") - never a comma
# Indonesian "-nya" on the cue and "only" before the number: "NG nya cuma 2", "rejectnya 3", "bagusnya hanya 80"
_GAP_LEFT = (r"[\s:：=了]*(?:-?nya(?![a-z])[\s:：=]*)?(?:(?<![a-z])(?:cuma|cuman|hanya|only|just)\s*|只有|只)?"
             r"(?:(?<![a-z])(?:is|was|are|were|should\s+be|harusnya|seharusnya)\s*[:：=]?\s*|是|为|应该是)?")
_CUE_LEFT = {
    "scrap": re.compile(rf"(?:^|(?<=[^a-z]))(?:{SCRAP_CUE}){_GAP_LEFT}$", re.IGNORECASE),
    "good": re.compile(rf"(?:^|(?<=[^a-z]))(?:{GOOD_CUE}){_GAP_LEFT}$", re.IGNORECASE),
    "weak": re.compile(rf"(?:^|(?<=[^a-z]))(?:{WEAK_GOOD_CUE}){_GAP_LEFT}$", re.IGNORECASE),
}
_CUE_RIGHT = {
    "scrap": re.compile(rf"^\s*(?:{SCRAP_CUE})(?![a-z])", re.IGNORECASE),
    "good": re.compile(rf"^\s*(?:{GOOD_CUE})(?![a-z])", re.IGNORECASE),
    "weak": re.compile(rf"^\s*(?:{WEAK_GOOD_CUE})(?![a-z])", re.IGNORECASE),
}
STRONG_REPORT = re.compile(rf"(?<![a-z])(?:{SCRAP_CUE}|{GOOD_CUE})(?![a-z])", re.IGNORECASE)
# Output reports are about what was made; "今天做了300" names the report day, not a due date.
NO_DUE_DATE_INTENTS = frozenset({"report_progress"})
# Off-topic chat names no order data: "今天天气怎么样" has no due date. Unless the message is
# nothing but values ("下周五", "0", "rumah motor": a bare answer the model could not place).
OFF_TOPIC_INTENTS = frozenset({"out_of_scope", "nlu_fallback"})
_BARE_ANSWER_FILLER = re.compile(r"(?<![a-z])(?:pcs|pc|units?|buah|biji|pieces?)(?![a-z])|[个件台只吧的了啊呀]", re.IGNORECASE)


@dataclass(frozen=True)
class Entity:
    entity: str
    value: object  # str for codes and dates (ISO), int for quantities
    start: int
    end: int
    text: str


def _free(span: Span, taken: list[Span]) -> bool:
    return not any(span.overlaps(t) for t in taken)


def _resolve_k3_number(tables, number: str) -> str:
    m = tables.material_by_k3_number(number) if tables is not None else None
    return m.chat_code if m else number


def material_prefixes(tables) -> set[str]:
    prefixes = {"BOM"}
    for m in getattr(tables, "materials", ()):
        head = re.match(r"([A-Za-z]+)-\d", m.chat_code)
        if head:
            prefixes.add(head.group(1).upper())
    return prefixes


def find_entity_spans(text: str, tables, today: date, index: AliasIndex | None = None) -> list[Span]:
    """All entity spans in priority order, numbers unclassified (kind 'number'). No intent needed."""
    text = unicodedata.normalize("NFKC", text)
    index = index or build_alias_index(tables)
    taken: list[Span] = []

    def take(spans: list[Span], kind: str | None = None) -> None:
        for s in spans:
            if _free(s, taken):
                taken.append(Span(s.start, s.end, s.value, kind or s.kind))

    def masked() -> str:  # what later stages may still read; same length, so offsets hold
        return _without_spans(text, taken, MASK)

    take(find_order_numbers(text), "order_no")
    take(find_material_codes(masked(), material_prefixes(tables)), "material")
    take([Span(s.start, s.end, _resolve_k3_number(tables, s.value)) for s in find_k3_numbers(masked())], "material")
    take(find_work_center_codes(masked()), "work_center")
    take(index.find(masked()))
    take(bare_choice_spans(masked(), index))
    take(date_roles(masked(), find_dates(masked(), today)))
    take(find_numbers(masked()), "number")
    return sorted(taken, key=lambda s: s.start)


# A date said to be when work starts ("4月3日开工", "从4月3日开始", "start April 3", "mulai 3 April") is not
# the due date: with a start day and a due day in one sentence the due day is the later one said so.
_START_BEFORE = re.compile(r"(?:从|自|于|start(?:ing)?(?:\s+on)?|begin(?:ning)?|kick\s*off|mulai(?:\s+tanggal)?|dari(?:\s+tanggal)?|"
                           r"from)\s*[:：]?\s*$", re.IGNORECASE)
_START_AFTER = re.compile(r"^\s*(?:起|开工|开始|动工|投产|上线|开做|start|mulai|dimulai)", re.IGNORECASE)
START_DATE = "start_date"  # found so that it is not read as the due date; not an entity of the contract


def date_roles(text: str, dates: list[Span]) -> list[Span]:
    """Each date as due_date, or start_date when the words around it say work starts then."""
    out = []
    for s in dates:
        starts = _START_BEFORE.search(text[max(0, s.start - 16):s.start]) or _START_AFTER.match(text[s.end:s.end + 6])
        out.append(Span(s.start, s.end, s.value, START_DATE if starts else "due_date"))
    return out


# What may stand around a bare choice: "标准的", "就用标准吧", "yang standar aja", "the standard one".
_CHOICE_FILLER = re.compile(
    r"(?<![a-z])(?:yang|pakai|pake|pilih|aja|saja|deh|dong|ya|the|one|please|pls|use|i|choose|take)(?![a-z])"
    r"|就|用|选|要|那个|这个|[的吧了啊呀呗嘛哈]|[\s,.!~，。！、#]",
    re.IGNORECASE,
)


def bare_choice_spans(text: str, index: AliasIndex) -> list[Span]:
    """A generic name given alone ("标准的", "standar", "biasa") as the answer to "which type?".

    Generic production-type words count only next to a context word ("标准订单"), so that
    "langsung buat order" picks no bill type; a message that is nothing but one such word (and
    fillers) is the answer to the form's question, and a button's text."""
    spans = [s for s in index.find(text, without_context=True) if s.kind == "production_type"]
    if len({s.value for s in spans}) != 1:
        return []
    rest = _CHOICE_FILLER.sub("", _without_spans(text, spans, MASK))
    return spans if not rest else []


# A request that lists its values between commas ("new order BOM-3100, 1000 pcs, due April 14, standard,
# injection moulding") names the type by its generic word alone, as one item of the list.
LISTED_CHOICE_INTENTS = frozenset({"create_order"})
_LIST_ITEM = re.compile(r"[^,，;；、\n]+")


def listed_choice_spans(text: str, taken: list[Span], index: AliasIndex) -> list[Span]:
    """The generic production-type word that stands alone as one comma-separated item of ``text``,
    or between two values of a request written without commas."""
    found = []
    items = list(_LIST_ITEM.finditer(text))
    for item in items if len(items) >= 2 else []:
        for s in bare_choice_spans(item.group(0), index):
            span = Span(s.start + item.start(), s.end + item.start(), s.value, s.kind)
            if _free(span, taken):
                found.append(span)
    found = found or between_values_spans(text, taken, index)
    return found if len({s.value for s in found}) == 1 else []


_BETWEEN_VALUES = re.compile(r"^[\s,，;；、]*$")


def between_values_spans(text: str, taken: list[Span], index: AliasIndex) -> list[Span]:
    """The generic production-type word standing between two values of a request written without
    commas ("... finish April 15 standard injection moulding", "... 300 pcs standard"): nothing but
    spaces separate it from an entity on one side and from an entity or the end on the other. A
    word among other words ("langsung buat order", "standard procedure") stays no choice."""
    found = []
    for s in index.find(text, without_context=True):
        if s.kind != "production_type" or not _free(s, taken):
            continue
        before = [t for t in taken if t.end <= s.start]
        after = [t for t in taken if t.start >= s.end]
        left = text[max((t.end for t in before), default=0):s.start]
        right = text[s.end:min((t.start for t in after), default=len(text))]
        if not (_BETWEEN_VALUES.match(left) and _BETWEEN_VALUES.match(right)):
            continue
        if before or after:  # a value on one side, a value or the edge of the text on the other
            found.append(s)
    return found


# Relative quantities: "再加50个", "tambah 200 pcs lagi", "add 50 more" add to the quantity K/3 has;
# "减少30", "少做 30", "kurangi 30", "30 less" take from it. "改成/加到/jadi/to 500" (a word of
# arrival between the cue and the number) set it: those are plain quantities. A delta is the
# entity quantity_delta, signed (+50 / -30); rasa_project.values.apply_delta applies it.
_DELTA_LEFT = {
    +1: re.compile(
        r"(?:(?:再|多|还|另外|额外)(?:加|增加|添|追加|做|生产|要|来)|(?<![增])加|增加|追加|添加|(?<![不最差])多)了?\s*$"
        r"|(?<![a-z])(?:tambah(?:kan|in)?|ditambah(?:kan)?|nambah(?:in)?|tambahin)(?:\s+lagi)?\s*$"
        r"|(?<![a-z])(?:add(?:\s+another)?|another|plus|(?:increase|raise|bump|up)(?:\s+it)?\s+by|up\s+by)\s*$",
        re.IGNORECASE,
    ),
    -1: re.compile(
        r"(?:减少|减掉|减去|少做|少生产|少要|(?<![至最多不])少|砍掉|去掉|(?<![增])减)了?\s*$"
        r"|(?<![a-z])(?:kurangi(?:n)?|dikurangi|kurangin|potong)(?:\s+lagi)?\s*$"
        r"|(?<![a-z])(?:subtract|minus|remove|take\s+off|(?:cut|reduce|decrease|lower|drop)(?:\s+it)?\s+by|down\s+by)\s*$",
        re.IGNORECASE,
    ),
}
_DELTA_RIGHT = {
    +1: re.compile(r"^\s*(?:pcs|pc|units?|pieces?|buah|biji|个|件|台|只|套)?\s*(?:more|extra|additional|lagi|tambahan)(?![a-z])",
                   re.IGNORECASE),
    -1: re.compile(r"^\s*(?:pcs|pc|units?|pieces?|buah|biji|个|件|台|只|套)?\s*(?:less|fewer|kurang)(?![a-z])", re.IGNORECASE),
}


# A new order has no quantity to add to: "BOM-2051 要追加生产 650 件" creates 650.
NO_DELTA_INTENTS = frozenset({"create_order"})


def delta_sign(left: str, right: str) -> int | None:
    """+1 / -1 when the words around a number make it a change of the quantity, else None."""
    for sign in (+1, -1):
        if _DELTA_LEFT[sign].search(left) or _DELTA_RIGHT[sign].match(right):
            return sign
    return None


# "从500调成550", "from 500 to 550", "dari 500 jadi 550": the first number is the old value.
FROM_CUE = re.compile(r"(?:^|(?<=[^a-z]))(?:从|由|原来|from|dari|semula)[\s:：]*$", re.IGNORECASE)

# A correction that names the old value too ("scrap was 2, not 12", "60个不对，应该是50个",
# "harusnya 350 pcs bukan 500", "60 salah, yang benar 50", "是50不是60"): the old value is the
# number after a negation ("not" / "bukan" / "不是"), or the one followed by "wrong" ("不对" /
# "salah" / "is wrong") or by the word that introduces the new one ("应该是" / "harusnya" /
# "should be"). Only when another number is left to be the new value.
_OLD_LEFT = re.compile(
    r"(?:^|(?<![a-z]))(?:not|isn'?t|wasn'?t|instead\s+of|rather\s+than|bukan(?:nya)?|而不是|不是|并非)\s*[:：]?\s*$",
    re.IGNORECASE,
)
_UNIT = r"(?:\s*(?:个|件|台|只|pcs|pc|pieces?|units?|buah|biji)(?![a-z]))?"
_OLD_RIGHT = re.compile(
    rf"^{_UNIT}\s*(?:"
    r"(?:是|也)?(?:不对|错了|是错的|有误|不准确?)"
    r"|(?:itu\s+|tadi\s+)?(?:salah|keliru|tidak\s+benar|kurang\s+tepat)"
    r"|(?:is|was)\s+(?:wrong|incorrect)|wrong|incorrect"
    r"|[,，、]?\s*(?:应该是|应该为|应为|应是|改成|改为|should\s+(?:be|have\s+been)|(?:se)?harusnya|mestinya|yang\s+benar|yang\s+betul)"
    r")(?![a-z])",
    re.IGNORECASE,
)


def old_values(text: str, numbers: list[Span], spans: list[Span]) -> set[int]:
    """Indexes (into ``numbers``) of the numbers a correction names as the old value."""
    old = set()
    for i, n in enumerate(numbers):
        left, right = _context(text, spans, n)
        if _OLD_LEFT.search(left) or _OLD_RIGHT.match(right):
            old.add(i)
    return old if len(old) < len(numbers) else set()


def names_old_value(text: str, tables, today: date, index: AliasIndex | None = None) -> bool:
    """Whether ``text`` names a figure as the old, wrong one and another as the new one ("30 not 35",
    "NG nya cuma 2, bukan 5", "是50不是60"): the shape of a correction."""
    text = unicodedata.normalize("NFKC", text or "")
    spans = find_entity_spans(text, tables, today, index)
    numbers = [s for s in spans if s.kind == "number"]
    return bool(old_values(text, numbers, spans))


def classify_numbers(text: str, spans: list[Span], intent: str | None) -> list[Span]:
    """Label each 'number' span quantity / good_qty / scrap_qty from the cues around it."""
    numbers = [s for s in spans if s.kind == "number"]
    numbers = [n for i, n in enumerate(numbers)
               if not (i + 1 < len(numbers) and FROM_CUE.search(text[max(0, n.start - 8):n.start]))]
    strong_anywhere = bool(STRONG_REPORT.search(_without_spans(text, spans)))
    reporting = intent == "report_progress"
    weak_ok = reporting or strong_anywhere
    old = old_values(text, numbers, spans)
    # "scrap 12 wrong, should be 2" / "报废不是12个，是2个": the new value is what the old one was
    old_cues = {numbers[i].start: _old_cue(text, spans, numbers[i], weak_ok) for i in old}
    numbers = [n for i, n in enumerate(numbers) if i not in old]
    bounds = [0, *[s.end for s in spans]]
    labels: dict[int, tuple[str | None, str | None]] = {}
    for i, n in enumerate(numbers):
        prev_end = max([b for b in bounds if b <= n.start], default=0)
        left = text[prev_end:n.start]
        next_start = min([s.start for s in spans if s.start >= n.end], default=len(text))
        right = text[n.end:next_start]
        left_cue = _first_cue(_CUE_LEFT, left, weak_ok)
        right_cue = _first_cue(_CUE_RIGHT, right, weak_ok)
        labels[i] = (left_cue, right_cue)
    far = _far_cue(text, spans, numbers)
    out: list[Span] = []
    for i, n in enumerate(numbers):
        left_cue, right_cue = labels[i]
        cue = left_cue or right_cue or _nearest(old_cues, n) or far
        if left_cue and right_cue and i > 0:
            prev_left, prev_right = labels[i - 1]
            # "60 good 1 scrapped": the cue between two numbers belongs to the one without a cue.
            if prev_right and not prev_left and _adjacent(text, numbers[i - 1], n):
                cue = right_cue
        if cue is None:
            kind = "good_qty" if reporting else "quantity"
        else:
            kind = "scrap_qty" if cue == "scrap" else "good_qty"
        sign = None if cue is not None or intent in NO_DELTA_INTENTS else delta_sign(*_context(text, spans, n))
        if sign is not None:
            out.append(Span(n.start, n.end, sign * n.value, "quantity_delta"))
            continue
        out.append(Span(n.start, n.end, n.value, kind))
    return out


# A correction names its field away from the number: "the scrap on that one should be 3", "上一条报废写多了，
# 其实只有1个", "NG-nya kebanyakan, harusnya 2". The one number left then takes that field.
_CORRECTION_HINT = re.compile(
    r"should\s+(?:be|have\s+been)|actually|wrong|correct|fix|其实|实际|应该|写多了|写少了|写错|报多了|报少了|多报|少报|只有"
    r"|harusnya|seharusnya|sebenarnya|salah|koreksi|kebanyakan|kelebihan",
    re.IGNORECASE,
)
_SCRAP_WORD = re.compile(rf"(?:^|(?<=[^a-z]))(?:{SCRAP_CUE})(?![a-z])", re.IGNORECASE)
_GOOD_WORD = re.compile(rf"(?:^|(?<=[^a-z]))(?:{GOOD_CUE})(?![a-z])", re.IGNORECASE)


def _far_cue(text: str, spans: list[Span], numbers: list[Span]) -> str | None:
    """"scrap" when a correction with one number names scrap (and not good) anywhere in it."""
    if len(numbers) != 1:
        return None
    words = _without_spans(text, spans)
    if not _CORRECTION_HINT.search(words):
        return None
    if _SCRAP_WORD.search(words) and not _GOOD_WORD.search(_SCRAP_WORD.sub(" ", words)):  # 不良品 holds 良品
        return "scrap"
    return None


def _old_cue(text: str, spans: list[Span], n: Span, weak_ok: bool) -> str | None:
    """The cue of a number a correction names as the old value ("报废不是12" -> scrap)."""
    left, right = _context(text, spans, n)
    return _first_cue(_CUE_LEFT, _OLD_LEFT.sub("", left), weak_ok) or _first_cue(_CUE_RIGHT, right, weak_ok)


def _nearest(cues: dict[int, str | None], n: Span) -> str | None:
    """The cue of the old value nearest to ``n`` (by position), if it had one."""
    if not cues:
        return None
    return cues[min(cues, key=lambda start: abs(start - n.start))]


def _context(text: str, spans: list[Span], n: Span) -> tuple[str, str]:
    """The words between ``n`` and its neighbouring entities (left, right)."""
    prev_end = max([s.end for s in spans if s.end <= n.start], default=0)
    next_start = min([s.start for s in spans if s.start >= n.end], default=len(text))
    return text[prev_end:n.start], text[n.end:next_start]


def _adjacent(text: str, a: Span, b: Span) -> bool:
    return "," not in text[a.end:b.start] and "，" not in text[a.end:b.start]


def _first_cue(patterns: dict, fragment: str, weak_ok: bool) -> str | None:
    for kind in ("scrap", "good", "weak"):
        if kind == "weak" and not weak_ok:
            continue
        found = patterns[kind].search(fragment) if patterns is _CUE_LEFT else patterns[kind].match(fragment)
        if found:
            return "good" if kind == "weak" else kind
    return None


MASK = "#"  # not a word character, not dropped by alias folding, never part of a pattern


def _without_spans(text: str, spans: list[Span], mask: str = " ") -> str:
    chars = list(text)
    for s in spans:
        for i in range(s.start, s.end):
            chars[i] = mask
    return "".join(chars)


def extract_entities(text: str, tables, today: date, intent: str | None = None,
                     index: AliasIndex | None = None) -> list[Entity]:
    """Normalised entities of ``text``; ``intent`` (if known) only decides unlabelled numbers."""
    text = unicodedata.normalize("NFKC", text)
    spans = find_entity_spans(text, tables, today, index)
    if intent in LISTED_CHOICE_INTENTS and not any(s.kind == "production_type" for s in spans):
        spans = sorted([*spans, *listed_choice_spans(text, spans, index or build_alias_index(tables))],
                       key=lambda s: s.start)
    numbers = classify_numbers(text, spans, intent)
    others = [s for s in spans if s.kind not in ("number", START_DATE)]
    if intent in NO_DUE_DATE_INTENTS and not is_bare_answer(text, spans):  # a bare "下周五" is a form answer
        others = [s for s in others if s.kind != "due_date"]
    if intent in OFF_TOPIC_INTENTS and not is_bare_answer(text, spans):
        return []
    entities = []
    for s in sorted([*others, *numbers], key=lambda s: s.start):
        value = iso(s.value) if isinstance(s.value, date) else s.value
        entities.append(Entity(s.kind, value, s.start, s.end, text[s.start:s.end]))
    return entities


def is_bare_answer(text: str, spans: list[Span]) -> bool:
    """True when ``text`` holds entity values and nothing else but units and particles."""
    rest = _BARE_ANSWER_FILLER.sub(" ", _without_spans(text, spans))
    return bool(spans) and not re.search(r"\w", rest)


def entity_dict(entities: list[Entity]) -> dict:
    """{name: value} with the first occurrence of each entity (the `dingk3 parse` shape)."""
    out: dict = {}
    for e in entities:
        out.setdefault(e.entity, e.value)
    return out
