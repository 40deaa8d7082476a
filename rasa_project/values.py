"""The values people and K/3 exchange: a quantity, a date, an order number. One reader and one
writer each, used by the NLU, the create form, changes and output reports alike.

Quantities. ``read_quantity(value)`` reads what was written and says what it is:

  ========== ============================== =========================================
  kind       examples                       value
  ========== ============================== =========================================
  whole      300, "1,500", "1.500" (id),    the number (1500.0); ``pieces`` = 1500
             "1500pcs", "1.2k", "3千",
             "一千二", "dua ratus", "五百件"
  fractional "2.5", "1,5" (id), "二点五"     the number (2.5); ``pieces`` = None
  negative   "-3", "负三", -5               the number (-3.0); ``pieces`` = None
  unreadable "lots", "abc", True            None
  absent     None, "", "  "                 None
  ========== ============================== =========================================

The one rule for separators: a ``,`` or ``.`` followed by groups of exactly three digits
separates thousands ("1,500", "1.500", "12.345.678"); followed by one or two digits it is the
decimal mark ("2.5", "1,5", "2.75"). A multiplier makes a fraction whole ("1.5k" = 1500).
Whether a fraction or a negative is acceptable is the caller's business, each with its own
message: a production order counts whole pieces ("workflow.qty_not_whole"), nothing is ever
negative ("workflow.qty_not_positive", "report.negative"), and the NLU only hands whole piece
counts to the dialog (``pieces``), so a "2.5" answer reaches the validator as written and is
explained there.

``figure(number)`` writes a quantity (and any other figure a sentence shows) as people write it:
400.0 -> 400, 12.345 -> 12.35; a JSON-friendly number, because outcome values go to the audit
trail and the change history as they are.

``apply_delta(base, delta)`` applies a relative quantity ("再加50" -> +50, "kurangi 30" -> -30,
read by the NLU as the entity ``quantity_delta``) to the quantity K/3 has.

Dates: ``read_date`` reads a date value (a ``date``, a ``datetime``, an ISO "YYYY-MM-DD[...]");
what people *say* ("下周五", "besok") is resolved to such a value by the NLU against the business
day (``rasa_project/nlu/normalize/dates.py``). ``iso`` writes a date ("2025-04-10") or a moment
("2025-04-01 10:05").

Order numbers: ``normalize_order_no`` reads one ("p20250401", "MO 000124" -> "P20250401",
"MO000124"; None if it is not one); ``format_order_no`` is what services look up and show: the
normal form, or the trimmed, upper-cased text when it is no order number (so the answer can say
which "order" does not exist).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

# --- Chinese numerals --------------------------------------------------------------------------
CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "俩": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}  # fmt: skip
CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CN_BIG = {"万": 10_000, "萬": 10_000}
_CN_CHARS = "".join(CN_DIGITS) + "".join(CN_UNITS) + "".join(CN_BIG)
CN_RUN = re.compile(f"[{_CN_CHARS}]+")
CN_POINT = "点"
CN_NEGATIVE = "负"

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
}  # fmt: skip
WORD_TENS = {"puluh"}  # dua puluh = 20
WORD_TEENS = {"belas"}  # dua belas = 12
WORD_HUNDRED = {"hundred": 1, "hundreds": 1, "ratus": 1, "seratus": 1}
WORD_THOUSAND = {"thousand": 1, "ribu": 1, "seribu": 1}
WORD_FILLER = {"and", "dan", "a"}
_WORDS = sorted([*WORD_SMALL, *WORD_TENS, *WORD_TEENS, *WORD_HUNDRED, *WORD_THOUSAND], key=len, reverse=True)
WORD_RUN = re.compile(
    r"(?<![a-z])(?:(?:a\s+)?(?:" + "|".join(_WORDS) + r")(?:[\s-]+(?:and\s+|dan\s+)?(?:"
    + "|".join(_WORDS) + r"))*)(?![a-z])",
    re.IGNORECASE,
)

# --- digits -----------------------------------------------------------------------------------
MULTIPLIERS = {
    "k": 1000, "rb": 1000, "ribu": 1000, "thousand": 1000, "千": 1000, "仟": 1000,
    "百": 100, "ratus": 100, "hundred": 100, "万": 10_000, "w": 10_000,
}  # fmt: skip
_MULT = "|".join(sorted(map(re.escape, MULTIPLIERS), key=len, reverse=True))
DIGIT_RUN = re.compile(
    r"(?<!\d[.,])(?<!\d)(?P<num>\d{1,3}(?:[,.]\d{3})+(?![\d])|\d+(?:[.,]\d{1,2}(?!\d))?|\d+)"
    r"(?:\s?(?P<mult>" + _MULT + r")(?![a-z]))?",
    re.IGNORECASE,
)
_THOUSANDS = re.compile(r"\d{1,3}(?:[,.]\d{3})+")
_SPACED_THOUSANDS = re.compile(r"\d{1,3}(?: \d{3})+")  # "1 000", as some people type it
_DECIMAL = re.compile(r"\d+[.,]\d{1,3}")

# Piece units (stripped), in every language people use on the floor.
UNITS = (
    "pcs", "pc", "pieces", "piece", "units", "unit", "ea", "sets", "set", "buah", "biji", "bh",
    "个", "件", "台", "只", "套", "片", "块", "支", "pcs.",
)  # fmt: skip
UNIT_RE = re.compile(
    r"\s*(?:" + "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True)) + r")(?![a-z])", re.IGNORECASE
)
_EDGE_PUNCTUATION = " .,;:，。"


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


def _chinese_decimal(text: str) -> Decimal | None:
    """'二点五' -> 2.5, '一点五万' -> 15000 (a decimal point in Chinese numerals)."""
    whole, point, rest = text.partition(CN_POINT)
    if not point or not whole or not rest:
        return None
    factor = 1
    if rest[-1] in CN_BIG or rest[-1] in CN_UNITS:
        factor = CN_BIG.get(rest[-1]) or CN_UNITS[rest[-1]]
        rest = rest[:-1]
    integer = parse_chinese(whole)
    if integer is None or not rest or any(ch not in CN_DIGITS for ch in rest):
        return None
    return (Decimal(integer) + Decimal("0." + "".join(str(CN_DIGITS[ch]) for ch in rest))) * factor


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


def digits_value(num: str, mult: str | None = None) -> Decimal:
    """The value of a digit run (``DIGIT_RUN``'s ``num``) and its multiplier, by the separator rule."""
    factor = MULTIPLIERS[mult.lower()] if mult else 1
    if _THOUSANDS.fullmatch(num) and not mult:
        return Decimal(re.sub(r"[,.]", "", num))  # thousands separators, either convention
    if _DECIMAL.fullmatch(num):
        return Decimal(num.replace(",", ".")) * factor  # "2.5", "1,5", "1.5k", "1,5 ribu"
    return Decimal(num) * factor


class QuantityKind(str, Enum):
    WHOLE = "whole"
    FRACTIONAL = "fractional"
    NEGATIVE = "negative"
    UNREADABLE = "unreadable"
    ABSENT = "absent"


@dataclass(frozen=True)
class Quantity:
    """What a quantity reads as: its kind, its value (None if unreadable or absent), the text."""

    kind: QuantityKind
    value: float | None
    text: str = ""

    @property
    def pieces(self) -> int | None:
        """A whole, non-negative piece count, else None."""
        return int(self.value) if self.kind is QuantityKind.WHOLE else None

    @property
    def is_readable(self) -> bool:
        return self.value is not None


def _of(number: Decimal | float, text: str) -> Quantity:
    if number < 0:
        return Quantity(QuantityKind.NEGATIVE, float(number), text)
    if number != int(number):
        return Quantity(QuantityKind.FRACTIONAL, float(number), text)
    return Quantity(QuantityKind.WHOLE, float(number), text)


def _read_unsigned(t: str) -> Decimal | None:
    m = DIGIT_RUN.fullmatch(t)
    if m:
        return digits_value(m.group("num"), m.group("mult"))
    if _SPACED_THOUSANDS.fullmatch(t):
        return Decimal(t.replace(" ", ""))
    for reading in (parse_chinese(t), _chinese_decimal(t), parse_words(t)):
        if reading is not None:
            return Decimal(reading)
    return None


def read_quantity(value: Any) -> Quantity:
    """The one reading of a quantity (see the module's table)."""
    if value is None:
        return Quantity(QuantityKind.ABSENT, None)
    if isinstance(value, bool):
        return Quantity(QuantityKind.UNREADABLE, None, str(value))
    if isinstance(value, (int, float, Decimal)):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return Quantity(QuantityKind.UNREADABLE, None, str(value))
        if not number.is_finite():
            return Quantity(QuantityKind.UNREADABLE, None, str(value))
        return _of(number, str(value))
    text = str(value)
    t = unicodedata.normalize("NFKC", text).strip().lower()
    if not t:
        return Quantity(QuantityKind.ABSENT, None, text)
    t = UNIT_RE.sub("", t).strip() if UNIT_RE.search(t) else t
    t = t.strip(_EDGE_PUNCTUATION)
    negative = t[:1] in ("-", "\u2212", CN_NEGATIVE)
    if negative:
        t = t[1:].strip()
    number = _read_unsigned(t) if t else None
    if number is None:
        return Quantity(QuantityKind.UNREADABLE, None, text)
    return _of(-number if negative else number, text)


def apply_delta(base: Any, delta: Any) -> float | None:
    """A relative quantity applied: ``base`` (what K/3 or the summary has) plus the signed
    ``delta`` ("+50", "-30", 50): "再加50" on 500 is 550, "kurangi 30" on 500 is 470. None when
    either is no number (the caller says which)."""
    if isinstance(delta, str):
        delta = delta.strip().removeprefix("+")
    old, change = read_quantity(base), read_quantity(delta)
    if old.value is None or change.value is None:
        return None
    return float(Decimal(str(old.value)) + Decimal(str(change.value)))


def figure(value: float | Decimal | None) -> Any:
    """A figure as people write it: 400.0 -> 400, 12.345 -> 12.35 (JSON-friendly)."""
    if value is None:
        return None
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded


# --- dates --------------------------------------------------------------------------------------
def read_date(value: Any) -> date | None:
    """A date value: ``date``, ``datetime`` or ISO "YYYY-MM-DD[...]"; None otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def iso(value: date | None) -> str | None:
    """A date as "2025-04-10", a moment as "2025-04-01 10:05"."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


# --- order numbers ------------------------------------------------------------------------------
# A spoken or typed-apart order number: "P二零二五零四零一" (a voice message's recognized text),
# "P 2025 0401", "MO 000 124". Only the usual lengths (P + 8, MO + 6 digits) are read this way, so
# "P20250401 5" stays an order and a quantity; a digit glued to the end is no order number.
_ORDER_DIGIT = "[0-9零〇一二三四五六七八九幺]"
_ORDER_DIGIT_VALUE = {**{k: v for k, v in CN_DIGITS.items() if k in "零〇一二三四五六七八九"}, "幺": 1}
ORDER_NO = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"(P|MO)[\s\-_]?(\d{6,10})(?!\d)"
    rf"|(P)[\s\-_]*({_ORDER_DIGIT}(?:[ \-]?{_ORDER_DIGIT}){{7}})(?![0-9])"
    rf"|(MO)[\s\-_]*({_ORDER_DIGIT}(?:[ \-]?{_ORDER_DIGIT}){{5}})(?![0-9])"
    r")",
    re.IGNORECASE,
)


def order_no_of(match: re.Match) -> str:
    """The normal form of an ``ORDER_NO`` match: prefix upper-cased, digits as ASCII, no gaps."""
    groups = [g for g in match.groups() if g is not None]
    prefix, digits = groups[0], groups[1]
    digits = "".join(str(_ORDER_DIGIT_VALUE.get(ch, ch)) for ch in digits if ch not in " -")
    return f"{prefix.upper()}{digits}"


def normalize_order_no(text: str) -> str | None:
    """'p20250401' -> 'P20250401', 'mo 000124' -> 'MO000124'; None if not an order number."""
    m = ORDER_NO.fullmatch(unicodedata.normalize("NFKC", text).strip())
    return order_no_of(m) if m else None


def format_order_no(value: Any) -> str:
    """The order number to look up and to show: its normal form, else the trimmed, upper-cased text."""
    text = "" if value is None else str(value)
    return normalize_order_no(text) or unicodedata.normalize("NFKC", text).strip().upper()
