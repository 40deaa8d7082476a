"""Quantities as people type them: "1,500", "1.500" (Indonesian), "1500pcs", "1.2k", "3千",
"一千二百", "一千二" (= 1200, colloquial), "两千", "壹仟", "dua ratus", "three hundred and twenty".

``parse_quantity`` reads one expression (a slot answer); ``find_numbers`` scans a message and
returns every plausible quantity with its span. Both return integers only: we count pieces,
and "1.5" without a multiplier is refused rather than rounded.
"""

from __future__ import annotations

import re
import unicodedata

from rasa_project.nlu.normalize import Span

# --- Chinese numerals --------------------------------------------------------------------------
CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "俩": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}
CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CN_BIG = {"万": 10_000, "萬": 10_000}
_CN_CHARS = "".join(CN_DIGITS) + "".join(CN_UNITS) + "".join(CN_BIG)
CN_RUN = re.compile(f"[{_CN_CHARS}]+")

# --- words ------------------------------------------------------------------------------------
WORD_SMALL = {
    # English
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    # Indonesian
    "nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
    "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11,
}
WORD_TENS = {"puluh"}  # dua puluh = 20
WORD_TEENS = {"belas"}  # dua belas = 12
WORD_HUNDRED = {"hundred": 1, "hundreds": 1, "ratus": 1, "seratus": 1}
WORD_THOUSAND = {"thousand": 1, "ribu": 1, "seribu": 1}
WORD_FILLER = {"and", "dan", "a"}
_WORDS = sorted(
    [*WORD_SMALL, *WORD_TENS, *WORD_TEENS, *WORD_HUNDRED, *WORD_THOUSAND], key=len, reverse=True
)
WORD_RUN = re.compile(
    r"(?<![a-z])(?:(?:a\s+)?(?:" + "|".join(_WORDS) + r")(?:[\s-]+(?:and\s+|dan\s+)?(?:"
    + "|".join(_WORDS) + r"))*)(?![a-z])",
    re.IGNORECASE,
)

# --- digits -----------------------------------------------------------------------------------
MULTIPLIERS = {
    "k": 1000, "rb": 1000, "ribu": 1000, "thousand": 1000, "千": 1000, "仟": 1000,
    "百": 100, "ratus": 100, "hundred": 100, "万": 10_000, "w": 10_000,
}
_MULT = "|".join(sorted(map(re.escape, MULTIPLIERS), key=len, reverse=True))
DIGIT_RUN = re.compile(
    r"(?<!\d[.,])(?<!\d)(?P<num>\d{1,3}(?:[,.]\d{3})+(?![\d])|\d+(?:[.,]\d{1,2}(?!\d))?|\d+)"
    r"(?:\s?(?P<mult>" + _MULT + r")(?![a-z]))?",
    re.IGNORECASE,
)

# Piece units (stripped), in every language people use on the floor.
UNITS = (
    "pcs", "pc", "pieces", "piece", "units", "unit", "ea", "sets", "set", "buah", "biji", "bh",
    "个", "件", "台", "只", "套", "片", "块", "支", "pcs.",
)
UNIT_RE = re.compile(r"\s*(?:" + "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True)) + r")(?![a-z])",
                     re.IGNORECASE)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def parse_chinese(text: str) -> int | None:
    """'三百' -> 300, '一千二百' -> 1200, '一千二' -> 1200, '两万五' -> 25000, '十五' -> 15."""
    if not text or any(ch not in CN_DIGITS and ch not in CN_UNITS and ch not in CN_BIG for ch in text):
        return None
    total, section, digit = 0, 0, None
    last_unit = None
    zero_seen = False
    for ch in text:
        if ch in CN_DIGITS:
            if CN_DIGITS[ch] == 0:
                zero_seen = True
                continue
            if digit is not None:  # "一二" is not a number
                return None
            digit = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            unit = CN_UNITS[ch]
            section += (1 if digit is None else digit) * unit
            digit, last_unit, zero_seen = None, unit, False
        else:  # 万
            section += digit or 0
            total += (section or 1) * CN_BIG[ch]
            section, digit, last_unit, zero_seen = 0, None, 10_000, False
    if digit is not None:
        # Colloquial tail: "一千二" = 1200, "两万五" = 25000; "一千零二" = 1002.
        if last_unit and last_unit >= 100 and not zero_seen:
            section += digit * (last_unit // 10)
        else:
            section += digit
    return total + section


def parse_words(text: str) -> int | None:
    """'dua ratus' -> 200, 'seratus lima puluh' -> 150, 'twelve hundred' -> 1200."""
    tokens = re.findall(r"[a-z]+", text.lower())
    if not tokens:
        return None
    total = group = pending = 0
    seen = False
    for i, tok in enumerate(tokens):
        if tok in WORD_FILLER:
            if tok == "a" and (i + 1 >= len(tokens) or tokens[i + 1] not in {**WORD_HUNDRED, **WORD_THOUSAND}):
                return None
            continue
        seen = True
        if tok in WORD_SMALL:
            pending += WORD_SMALL[tok]
        elif tok in WORD_TENS:
            pending = (pending or 1) * 10
        elif tok in WORD_TEENS:
            pending += 10
        elif tok in WORD_HUNDRED:
            group += (pending or 1) * 100
            pending = 0
        elif tok in WORD_THOUSAND:
            total += ((group + pending) or 1) * 1000
            group = pending = 0
        else:
            return None
    return total + group + pending if seen else None


def _digits_value(num: str, mult: str | None) -> int | None:
    factor = MULTIPLIERS[mult.lower()] if mult else 1
    if re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+", num) and not mult:
        return int(re.sub(r"[,.]", "", num))  # thousands separators, either convention
    if re.fullmatch(r"\d+[.,]\d{1,3}", num):
        value = float(num.replace(",", ".")) * factor  # "1.5k", "1,5 ribu"
        return round(value) if mult and abs(value - round(value)) < 1e-6 else None
    return int(num) * factor


def parse_quantity(text: str) -> int | None:
    """One quantity expression, units allowed: '1.500 pcs' -> 1500, '一千二' -> 1200; else None."""
    if text is None:
        return None
    t = _nfkc(str(text)).strip().lower()
    t = UNIT_RE.sub("", t).strip() if UNIT_RE.search(t) else t
    t = t.strip(" .,;:，。")
    if not t:
        return None
    m = DIGIT_RUN.fullmatch(t)
    if m:
        return _digits_value(m.group("num"), m.group("mult"))
    cn = parse_chinese(t)
    if cn is not None:
        return cn
    return parse_words(t)


# Words that contain numeral characters but are not quantities.
CN_IDIOMS = ("一下", "一点", "一起", "一直", "一定", "一些", "一般", "万一", "千万", "十分", "百分", "一样",
             "一共", "一旦", "统一", "唯一", "一线", "一次", "一遍", "一天", "第")
ORDINAL_AFTER = re.compile(r"^(?:st|nd|rd|th)(?![a-z])", re.IGNORECASE)
NOT_QUANTITY_AFTER = re.compile(
    r"^\s*(?:%|％|点|号|日|月|年|天|周|小时|分钟|寸|英寸|mm|cm|inch|am\b|pm\b|:|：|hari\b|days?\b|"
    r"weeks?\b|minggu\b|bulan\b|jam\b|menit\b|hours?\b)",
    re.IGNORECASE,
)


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
        value = _digits_value(m.group("num"), m.group("mult"))
        if value is None:
            continue
        spans.append(Span(start, _unit_after(text, end), value, "digits"))
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
        # A lone digit counts only with a piece unit, and never as "一个工单" / "一张单".
        if not has_magnitude and len(run) == 1 and (
            unit_end == end or re.match(r"\s*(?:工单|订单|单|生产单|申请|人|事)", text[unit_end:])
        ):
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
    return sorted(spans, key=lambda s: s.start)
