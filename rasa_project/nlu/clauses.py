"""The request in a long message: "昨天说要开个工单，先不急，P20250401 进度怎么样？" asks for the
status of P20250401; it does not start the create form because it begins with "开个工单".

The intent model reads a message as a bag of words, so an early clause can outvote the request.
People put the question they want answered last; when the last clause of a message of several
clauses is a question about one order's progress, that question is the intent. Pure and
deterministic, like the closed-class replies (``replies.py``).
"""

from __future__ import annotations

import re
import unicodedata

from rasa_project.values import ORDER_NO

_CLAUSE_END = re.compile(r"[，,。;；!！?？\n]+|(?<![a-z])(?:but|tapi|tetapi|terus|trus|then)(?![a-z])|不过|但是|另外|顺便")
_STATUS_CUE = re.compile(
    r"进度|怎么样|怎样了|到哪|做了多少|完成了多少|做完了吗|完工了吗|多少了|还差多少|状态|"
    r"(?<![a-z])(?:status|progress|how\s+far|how\s+is|how's|is\s+it\s+done|gimana|bagaimana|sampai\s+mana|"
    r"sudah\s+berapa|udah\s+berapa|progres|progresnya|progressnya|statusnya)(?![a-z])",
    re.IGNORECASE,
)
# A clause that sets a value is a change, not a question ("改成500", "jadi 300", "to 400").
_SETS_VALUE = re.compile(r"改成|改为|调成|(?<![a-z])(?:jadi|menjadi|to|ubah|change)(?![a-z])", re.IGNORECASE)
# What the intent model may confuse a long status question with.
_REREAD = frozenset({"create_order", "change_order", "report_progress", "out_of_scope", "nlu_fallback", "help"})


def clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_END.split(unicodedata.normalize("NFKC", text)) if c and c.strip()]


def request_intent(text: str, intent: str | None) -> str | None:
    """``query_order`` when the last clause of a several-clause message asks about an order's
    progress and the model read something else; None to keep the model's intent."""
    if intent not in _REREAD:
        return None
    parts = clauses(text)
    if len(parts) < 2:
        return None
    *earlier, last = parts
    if any(ORDER_NO.search(c) or _SETS_VALUE.search(c) for c in earlier):
        return None  # a change and a question in one message: not ours to pick
    if asks_progress(last):
        return "query_order"
    return None


def asks_progress(text: str) -> bool:
    """A question about one order's progress ("P20250401 进度怎么样", "how far is P20250402")."""
    return bool(ORDER_NO.search(text) and _STATUS_CUE.search(text) and not _SETS_VALUE.search(text))
