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
