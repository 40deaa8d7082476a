"""Is a message a question? A question is never an output report or a change request.

"can we finish 500 of P20250403 today?", "P20250401 今天能做完 500 吗", "bisa selesai 500 hari
ini?", "P20250401' OR '1'='1 的进度怎么样" ask about an order: they are answered as a query and
nothing is written. Requests that are phrased politely stay requests: "can you change MO000134 to
500", "请把 MO000134 改成 500", "tolong bisa diubah jadi 500?" (the person asks the bot to act).

``is_question(text)`` is pure and closed-class (word lists per language, like ``replies``), so it
does not depend on the intent model's mood; the chat use cases call it before any write path.
"""

from __future__ import annotations

import re
import unicodedata

# Chinese: a question particle at the end, an A-not-A form, or a question word.
_ZH = re.compile(
    r"吗\s*[?？!！。.~]*\s*$|吗[，,]|呢\s*[?？]*\s*$|么\s*[?？]+\s*$"
    r"|能不能|可不可以|会不会|是不是|有没有|要不要|行不行|够不够|来不来得及|来得及吗|赶得上|赶不上"
    r"|能否|可否|是否|怎么样|怎样|如何|多少了|到哪了|什么时候|几时|为什么|为啥|哪个|哪些"
    r"|(?<![不产功性可])能(?![力耗源量])[^，,。]*?(?:完|好|做|交|赶|出)"
)
# Indonesian: apakah / bisa(kah) / -kah, question words.
_ID = re.compile(
    r"(?<![a-z])(?:apa(?:kah)?|apakah|bisakah|bisa|bs|mungkinkah|mungkin|sudahkah|udahkah|belumkah"
    r"|gimana|bagaimana|kapan|berapa|kenapa|mengapa|mana)(?![a-z])",
    re.IGNORECASE,
)
# English: a question word or an auxiliary opening the sentence (or a clause).
_EN = re.compile(
    r"(?:^|[,.;:!?]\s*|\b(?:and|but|so|or)\s+)(?:can|could|will|would|shall|should|may|might|is|are|am|was|were"
    r"|do|does|did|has|have|when|what|how|why|where|which|who)(?![a-z'])"
    r"|(?<![a-z])(?:is\s+it\s+possible|any\s+chance|wonder(?:ing)?\s+if|possible\s+to)(?![a-z])",
    re.IGNORECASE,
)
_MARK = re.compile(r"[?？]\s*$|[?？]\s*[\u3400-\u9fffa-z]", re.IGNORECASE)

# Politeness that turns a question into a request for the bot to act.
_REQUEST = re.compile(
    r"^\s*(?:@\S+\s+)?(?:请|麻烦|帮我|帮忙|劳驾)"
    r"|(?<![a-z])(?:tolong|mohon|minta|please|pls|plz|kindly)(?![a-z])"
    r"|(?<![a-z])(?:can|could|would|will)\s+you(?:\s+please)?\s+(?!tell|say|show|check|see|let\s+me\s+know)",
    re.IGNORECASE,
)


def is_question(text: str | None) -> bool:
    """True when ``text`` asks something rather than states or requests it."""
    if not text:
        return False
    folded = unicodedata.normalize("NFKC", text).strip()
    if _REQUEST.search(folded):
        return False
    if _MARK.search(folded):
        return True
    return bool(_ZH.search(folded) or _ID.search(folded) or _EN.search(folded))
