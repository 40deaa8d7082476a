"""Quantities in a message: ``find_numbers`` scans a message and returns every plausible piece
count with its span ("1,500", "1.500" (Indonesian), "1500pcs", "1.2k", "3千", "一千二百", "两千",
"dua ratus", "three hundred and twenty").

How a number is written and read is ``rasa_project.values`` (one reader for the NLU, the form,
changes and reports); this module only decides which numbers in a sentence are quantities. The
NLU hands the dialog whole piece counts: "1.5" without a multiplier, or "-3", is not extracted,
so the validator sees the text as written and says what is wrong with it.
"""

from __future__ import annotations

import re
import unicodedata

from rasa_project.nlu.normalize import Span
from rasa_project.values import (
    CN_BIG,
    CN_RUN,
    CN_UNITS,
    DIGIT_RUN,
    UNIT_RE,
    WORD_HUNDRED,
    WORD_RUN,
    WORD_TEENS,
    WORD_TENS,
    WORD_THOUSAND,
    digits_value,
    parse_chinese,
    parse_words,
    read_quantity,
)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def parse_quantity(text: str) -> int | None:
    """A slot answer as the NLU reads it: a whole piece count ('1.500 pcs' -> 1500, '一千二' -> 1200),
    else None (a fraction, a negative, or no number)."""
    return read_quantity(text).pieces


# Words that contain numeral characters but are not quantities.
CN_IDIOMS = ("一下", "一点", "一起", "一直", "一定", "一些", "一般", "万一", "千万", "十分", "百分", "一样",
             "一共", "一旦", "统一", "唯一", "一线", "一次", "一遍", "一天", "第")
ORDINAL_AFTER = re.compile(r"^(?:st|nd|rd|th)(?![a-z])", re.IGNORECASE)
NOT_QUANTITY_AFTER = re.compile(
    r"^\s*(?:%|％|点|号|日|月|年|天|周|小时|分钟|寸|英寸|mm|cm|inch|am\b|pm\b|:|：|hari\b|days?\b|"
    r"weeks?\b|minggu\b|bulan\b|jam\b|menit\b|hours?\b)",
    re.IGNORECASE,
)


# What an order is called, after "一个/一张": the "one" is the article "a" ("下一个生产订单", "建一个 order").
ORDER_NOUN_AFTER = re.compile(
    r"\s*(?:生产订单|生产工单|生产单|工单|订单|单子|单据|单|申请|人|事|新单|(?:new\s+)?(?:production\s+)?orders?\b|"
    r"po\b|pesanan\b|order\s+produksi\b)",
    re.IGNORECASE,
)
# "一" + a measure word: an article as often as a count.
ARTICLE_MEASURE = re.compile(r"(?:个|張|张|份|批|件|台|只|套|块|把|条|箱|些|笔)")
# Of those, the ones that count pieces of a product; "一张/一份/一批/一笔" never state a quantity.
_COUNTING_MEASURES = ("个", "件", "台", "只", "套", "块", "把", "条", "箱")


def _is_counting_measure(text: str, span: Span) -> bool:
    return text[span.start + 1:span.start + 2] in _COUNTING_MEASURES


def _unit_after(text: str, end: int) -> int:
    """End offset after an optional piece unit following a number."""
    m = UNIT_RE.match(text, end)
    return m.end() if m else end


def find_numbers(text: str) -> list[Span]:
    """Every plausible quantity in ``text``; span covers the number and its unit, if any."""
    text = _nfkc(text)
    spans: list[Span] = []
    for m in DIGIT_RUN.finditer(text):
        start, end = m.start(), m.end()
        before = text[start - 1] if start else " "
        after = text[end:]
        if before.isalpha() and before.isascii() and not re.search(r"(?:^|[^a-z])(?:x|qty)$", text[:start].lower()):
            continue  # "V2", "FS16": part of a name or code
        if not m.group("mult") and (re.match(r"[a-z]", after, re.IGNORECASE) and not UNIT_RE.match(text, end)):
            continue  # "3pm", "15th", "2nd": not pieces
        if NOT_QUANTITY_AFTER.match(after) or ORDINAL_AFTER.match(after):
            continue
        if start and text[start - 1] in "第/-" or after[:1] in ("/", "-"):
            continue  # "第2批", dates like 4/10 (dates are found elsewhere)
        value = digits_value(m.group("num"), m.group("mult"))
        if value != int(value):
            continue  # "1.5": not a piece count
        spans.append(Span(start, _unit_after(text, end), int(value), "digits"))
    articles: list[Span] = []
    for m in CN_RUN.finditer(text):
        start, end = m.start(), m.end()
        run = m.group()
        window = text[max(0, start - 1):end + 1]
        if any(idiom in window for idiom in CN_IDIOMS if len(idiom) > 1) or text[max(0, start - 1):start] == "第":
            continue
        value = parse_chinese(run)
        if value is None:
            continue
        unit_end = _unit_after(text, end)
        has_magnitude = any(ch in CN_UNITS or ch in CN_BIG for ch in run)
        # A lone digit counts only with a piece unit, and never as "一个工单" / "一张单" / "一个 order".
        if not has_magnitude and len(run) == 1 and (unit_end == end or ORDER_NOUN_AFTER.match(text[unit_end:])):
            continue
        if run == "一" and ARTICLE_MEASURE.match(text, end):
            articles.append(Span(start, unit_end, value, "chinese"))  # "一张/一份/一批…": "a", unless nothing else counts
            continue
        if NOT_QUANTITY_AFTER.match(text[end:]):
            continue
        spans.append(Span(start, unit_end, value, "chinese"))
    for m in WORD_RUN.finditer(text):
        value = parse_words(m.group())
        if value is None:
            continue
        start, end = m.start(), m.end()
        unit_end = _unit_after(text, end)
        words = re.findall(r"[a-z]+", m.group().lower())
        has_magnitude = any(w in WORD_HUNDRED or w in WORD_THOUSAND or w in WORD_TENS or w in WORD_TEENS for w in words)
        if not has_magnitude and value < 10 and unit_end == end:
            continue  # "one order", "dua hari" are not quantities
        if NOT_QUANTITY_AFTER.match(text[end:]):
            continue
        spans.append(Span(start, unit_end, value, "words"))
    # "一个/一件 X" is one piece only when no other number in the sentence says how many; with a real
    # quantity later ("下一个生产订单，…数量300") the "一个" is the article "a".
    spans += [a for a in articles if not spans and _is_counting_measure(text, a)]
    return sorted(spans, key=lambda s: s.start)
