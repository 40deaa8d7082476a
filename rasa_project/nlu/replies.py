"""Closed-class replies: a message made only of confirm words is affirm, only of refusal words is
deny - decided by a word list, not by the intent model.

Why: "yes, correct" once came out as deny because "correct" shares every character n-gram
with "incorrect". Confirm and refusal words are a small closed class in each language, so a
message that is *nothing but* such words (plus particles like 吧/的/deh/pak) needs no statistics.
Anything else - a code, a number, "不行" (不 + 行 mixes both), "gak jadi", "not right",
"yes approve P20250401" - is left to the model.
"""

from __future__ import annotations

import re
import unicodedata

from rasa_project import catalog
from rasa_project.nlu.clauses import asks_progress, clauses

AFFIRM_WORDS = frozenset({
    "yes", "yeah", "yep", "yup", "y", "ok", "okay", "okey", "oke", "okeh", "sure", "correct", "right",
    "confirm", "confirmed", "affirmative", "ya", "iya", "iyaa", "yoi", "betul", "benar", "bener", "sip", "siap",
})
DENY_WORDS = frozenset({
    "no", "nope", "nah", "n", "wrong", "incorrect", "negative",
    "tidak", "tdk", "gak", "ga", "nggak", "enggak", "engga", "ngga", "bukan", "salah",
})
FILLER_WORDS = frozenset({"pak", "bu", "bos", "kak", "mas", "deh", "dong", "sih", "aja", "lah", "udah", "sudah", "sdh", "udh"})
AFFIRM_ZH = ("没问题", "没错", "对的", "是的", "好的", "可以", "确认", "确定", "確認", "正确", "对", "對", "是", "好", "行", "嗯")
DENY_ZH = ("不是", "不对", "错了", "错", "否", "不")
FILLER_ZH = ("的", "了", "吧", "啊", "呀", "哈", "嘛", "哦", "噢", "喔")

BUTTON_CANCEL_WORDS = frozenset({"取消", "batal", "cancel", "no"})

_UNIT = re.compile(r"[a-z]+|[\u3400-\u9fff]+")
_ALLOWED = re.compile(r"[a-z\u3400-\u9fff\s,.!?~，。！？、…'\"]*")
_ZH_PHRASES = sorted(
    [(w, "affirm") for w in AFFIRM_ZH] + [(w, "deny") for w in DENY_ZH] + [(w, None) for w in FILLER_ZH],
    key=lambda p: -len(p[0]),
)


def _segment_zh(run: str) -> list[str | None] | None:
    """Labels of the phrases ``run`` splits into (longest first, with backtracking), or None."""
    if not run:
        return []
    for phrase, label in _ZH_PHRASES:
        if run.startswith(phrase):
            rest = _segment_zh(run[len(phrase):])
            if rest is not None:
                return [label, *rest]
    return None


# A Confirm / Cancel button sends its title and the tag of the summary it belongs to
# ("确认 #report-7", rasa_project.chat.pending.Pending.tag): the tag is no word of the reply.
CONFIRM_TAG = re.compile(r"\s*#(?P<tag>[a-z]+-[a-z0-9][a-z0-9-]*)\s*$", re.IGNORECASE)


def confirm_tag(text: str | None) -> str | None:
    """The summary tag a button press carries ("report-7"), or None for typed text."""
    found = CONFIRM_TAG.search(unicodedata.normalize("NFKC", text or ""))
    return found.group("tag").lower() if found else None


def button_press(text: str | None) -> str | None:
    """"confirm" / "cancel" when ``text`` is what a summary's Confirm / Cancel button sends: its title
    in any of the three languages and the summary's tag ("ya #report-7", "batal #report-7",
    "取消 #withdraw-mo000134"). Decided by the button's exact text, never by the intent model."""
    normal = unicodedata.normalize("NFKC", text or "")
    if CONFIRM_TAG.search(normal) is None:
        return None
    title = CONFIRM_TAG.sub("", normal).strip().casefold()
    for kind, key in (("confirm", "button.confirm"), ("cancel", "button.cancel")):
        if title in {t.casefold() for t in catalog.MESSAGES[key].values()}:
            return kind
    return "cancel" if title in BUTTON_CANCEL_WORDS else None


def closed_reply_intent(text: str) -> str | None:
    """"affirm" / "deny" when ``text`` consists only of confirm / refusal words, else None."""
    normal = unicodedata.normalize("NFKC", text)
    folded = CONFIRM_TAG.sub("", normal).casefold().strip()
    if folded != normal.casefold().strip() and folded in BUTTON_CANCEL_WORDS:
        return "deny"  # the Cancel button of a summary: a "no" to that summary
    if not folded or not _ALLOWED.fullmatch(folded):
        return None  # digits, codes, other symbols: a real request, not a bare yes/no
    labels: list[str | None] = []
    for unit in _UNIT.findall(folded):
        if unit[0] <= "z":
            if unit in AFFIRM_WORDS:
                labels.append("affirm")
            elif unit in DENY_WORDS:
                labels.append("deny")
            elif unit in FILLER_WORDS:
                labels.append(None)
            else:
                return None
        else:
            found = _segment_zh(unit)
            if found is None:
                return None
            labels += found
    kinds = {label for label in labels if label}
    return kinds.pop() if len(kinds) == 1 else None


# "Stop / not now": the person leaves the form or drops what is pending ("先别改，等我问下车间",
# "nanti dulu", "never mind"). A closed class too: decided by these phrases, not by the model,
# which reads "先别改" as a change (改) and "stop" as anything. A message that also carries a
# value ("never mind, make it 600", "先别改成500") is an amendment, not a stop: left to the model.
STOP_PHRASES = re.compile(
    r"先别|先不[改做开要用弄]|不[改做开弄]了|别[改做开弄]了|不用了|不要了|算了(?!一下)|等我(?:先)?问|等我(?:先)?确认|等我(?:先)?看|"
    r"回头再|稍后再|以后再说|晚点再|改天再|暂时不|先放[一着]|先停|先等等|取消吧|"
    r"(?<![a-z])(?:nanti\s+(?:dulu|aja|saja|ya)|ntar\s+(?:dulu|aja|saja)|(?:gak|ga|nggak|enggak|tidak|tdk|ngga)\s+jadi|"
    r"jangan\s+dulu|tunggu\s+dulu|stop\s+dulu|batal(?:kan)?\s+(?:aja|saja|dulu)|"
    r"never\s*mind|nevermind|not\s+now|forget\s+it|hold\s+(?:on|off)|scratch\s+that|let\s+me\s+(?:check|ask)|"
    r"stop|skip\s+it|no\s+need)(?![a-z])",
    re.IGNORECASE,
)
_VALUE = re.compile(r"\d|[一二两三四五六七八九十百千万]{2,}")
_ORDER = re.compile(r"(?<![a-z0-9])(?:p|mo)[\s\-_]?\d{6,10}(?!\d)", re.IGNORECASE)


def stop_intent(text: str) -> str | None:
    """"cancel" when ``text`` asks to stop or put off (and names no new value), else None."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if not STOP_PHRASES.search(folded) or any(asks_progress(c) for c in clauses(folded)):
        return None  # "先别改，P20250401 进度怎么样？" is a question
    return None if _VALUE.search(_ORDER.sub(" ", folded)) else "cancel"


def symbols_only(text: str | None) -> bool:
    """True when ``text`` has no letter, digit or CJK character: "👍", "👌👌", "✅", "🙏".

    Such a message carries no words to confirm with. A thumbs-up is a friendly nod in a group
    chat, not an explicit yes: it never confirms a K/3 write (the chat asks for "yes" or the
    button instead, in the conversation's language)."""
    folded = CONFIRM_TAG.sub("", unicodedata.normalize("NFKC", text or ""))
    return not any(ch.isalnum() for ch in folded)
