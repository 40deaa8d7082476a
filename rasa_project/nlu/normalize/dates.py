"""Due dates as people say them, resolved against the business day ``today``.

Absolute: "2025-04-10", "2025年4月10日", "4月10日", "4月10号", "10 April", "April 10th", "10 Mei",
"10/4" (day/month or month/day: the reading that comes next wins, see ``_nearest``), "the 15th",
"tanggal 15", "15号". Relative: 今天/明天/后天/大后天, hari ini/besok/lusa, today/tomorrow/day after
tomorrow, "3天后", "in 3 days", "dalam 3 hari", "3 hari lagi", "2 weeks", 月底/akhir bulan/end of month.

Weekdays (weeks start on Monday, as on the shop floor calendar):
  * this week's:   这周五 / 本周五 / this Friday / Jumat ini          -> Friday of the current week
  * next week's:   下周五 / next Friday / Jumat depan / Friday next week -> Friday of next week
  * bare:          周五 / 星期五 / Friday / Jumat / by Friday         -> the next Friday after today
"下周" / "next week" / "minggu depan" alone name no day, so they yield no date (the dialog asks).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta

from rasa_project.nlu.normalize import Span, select_non_overlapping
from rasa_project.nlu.normalize.numbers import parse_quantity

MONTHS = {
    # English
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    # Indonesian
    "januari": 1, "februari": 2, "pebruari": 2, "maret": 3, "mei": 5, "juni": 6, "juli": 7,
    "agustus": 8, "agu": 8, "agt": 8, "oktober": 10, "okt": 10, "desember": 12, "des": 12,
}
WEEKDAYS = {
    # English (Monday = 0)
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
    # Indonesian ("minggu" alone means "week": Sunday only as "hari minggu")
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4, "jumaat": 4, "sabtu": 5,
    "hari minggu": 6,
}
CN_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}

_NUM = r"(\d{1,3}|[一二两三四五六七八九十]{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|a|" \
       r"satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|se)"
_MONTH = "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True))
_WD_LATIN = "|".join(sorted((re.escape(k) for k in WEEKDAYS), key=len, reverse=True))
_B = r"(?<![a-z0-9])"  # Latin word boundary that also works next to Chinese characters
_E = r"(?![a-z0-9])"
_NO_MONTH = r"(?!\s*(?:of\s+)?(?:" + _MONTH + r")(?![a-z]))(?!\s*[/.-]\s*\d)"


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int, dom: int) -> date | None:
    y, m = divmod(day.month - 1 + months, 12)
    try:
        return date(day.year + y, m + 1, dom)
    except ValueError:
        return None


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _year_for(today: date, month: int, dom: int) -> date | None:
    """A month/day without a year: this year, unless that is more than a month gone (then next)."""
    this = _safe(today.year, month, dom)
    if this is None:
        return None
    if this < today - timedelta(days=31):
        return _safe(today.year + 1, month, dom)
    return this


def _nearest(today: date, candidates: list[date | None]) -> date | None:
    """Of the possible readings of an ambiguous date, the first one on or after today."""
    valid = sorted({c for c in candidates if c is not None})
    future = [c for c in valid if c >= today]
    if future:
        return future[0]
    return valid[-1] if valid else None


def _day_of_month(today: date, dom: int) -> date | None:
    """'the 15th' / 'tanggal 15' / '15号': this month, or next month if already past."""
    this = _safe(today.year, today.month, dom)
    if this is not None and this >= today:
        return this
    return add_months(today, 1, dom)


def _n(text: str) -> int | None:
    t = text.lower()
    if t in ("a", "se"):
        return 1
    return parse_quantity(t)


def _weekday(today: date, wd: int, which: str) -> date:
    if which == "this":
        return monday_of(today) + timedelta(days=wd)
    if which == "next":
        return monday_of(today) + timedelta(days=7 + wd)
    if which == "next2":
        return monday_of(today) + timedelta(days=14 + wd)
    ahead = (wd - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


Rule = tuple[re.Pattern, Callable[[re.Match, date], date | None]]


def _rules() -> list[Rule]:
    r: list[tuple[str, Callable[[re.Match, date], date | None]]] = [
        # ISO and Chinese full dates
        (r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?!\d)",
         lambda m, t: _safe(int(m[1]), int(m[2]), int(m[3]))),
        (r"(?<![\d年])(\d{1,2}|[一二三四五六七八九十]{1,2})\s*月\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]?",
         lambda m, t: _year_for(t, _n(m[1]) or 0, _n(m[2]) or 0)),
        (r"(下个?月|本月|这个月)\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]",
         lambda m, t: add_months(t, 1 if m[1].startswith("下") else 0, _n(m[2]) or 0)),
        (r"(下个?月)\s*(?:底|末)", lambda m, t: end_of_month(add_months(t, 1, 1))),
        (r"(?:本月|这个月|月)\s*(?:底|末)", lambda m, t: end_of_month(t)),
        (_B + r"(?:akhir|ujung)\s+bulan(?:\s+ini)?" + _E, lambda m, t: end_of_month(t)),
        (_B + r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month" + _E, lambda m, t: end_of_month(t)),
        # 10/4, 10/4/2025, 4/20: day/month or month/day
        (r"(?<![\d/.])(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{2,4}))?(?![\d/])",
         lambda m, t: _nearest(t, _slash_candidates(m, t))),
        # 10 April [2025], April 10th[, 2025]
        (_B + r"(\d{1,2})(?:st|nd|rd|th)?\s*(?:of\s+)?(" + _MONTH + r")\.?(?:\s+(\d{4}))?" + _E,
         lambda m, t: _with_year(t, MONTHS[m[2].lower()], int(m[1]), m[3])),
        (_B + r"(" + _MONTH + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?" + _E,
         lambda m, t: _with_year(t, MONTHS[m[1].lower()], int(m[2]), m[3])),
        # the 15th / tanggal 15 / 15号
        (_B + r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)" + _E + _NO_MONTH, lambda m, t: _day_of_month(t, int(m[1]))),
        (_B + r"(?:tgl\.?|tanggal)\s*(\d{1,2})" + _E + _NO_MONTH,
         lambda m, t: _day_of_month(t, int(m[1]))),
        (r"(?<![\d月])(\d{1,2})\s*[号日](?![元])", lambda m, t: _day_of_month(t, int(m[1]))),
        # today / tomorrow / the day after
        (r"大后天", lambda m, t: t + timedelta(days=3)),
        (r"后天|" + _B + r"lusa" + _E + "|" + _B + r"(?:the\s+)?day\s+after\s+tomorrow" + _E,
         lambda m, t: t + timedelta(days=2)),
        (r"明天|明日|" + _B + r"besok" + _E + "|" + _B + r"tomorrow" + _E + "|" + _B + r"tmr" + _E,
         lambda m, t: t + timedelta(days=1)),
        (r"今天|今日|" + _B + r"hari\s+ini" + _E + "|" + _B + r"today" + _E, lambda m, t: t),
        # in N days / N天后 / dalam N hari / N hari lagi; weeks likewise
        (r"(?<![\d])" + _NUM + r"\s*(?:个)?\s*(天|日|星期|礼拜|周)\s*(?:后|之后|以后|内|之内|以内)",
         lambda m, t: _offset(t, m[1], m[2])),
        (_B + r"(?:in|within)\s+" + _NUM + r"\s+(days?|weeks?)" + _E,
         lambda m, t: _offset(t, m[1], m[2])),
        (_B + _NUM + r"\s+(days?|weeks?)\s+from\s+(?:now|today)" + _E, lambda m, t: _offset(t, m[1], m[2])),
        (_B + r"dalam\s+(?:waktu\s+)?" + _NUM + r"\s*(hari|minggu)" + _E, lambda m, t: _offset(t, m[1], m[2])),
        (_B + _NUM + r"\s*(hari|minggu)\s+(?:lagi|kedepan|ke\s+depan)" + _E, lambda m, t: _offset(t, m[1], m[2])),
        (_B + r"(se)(minggu)\s+(?:lagi|kedepan)" + _E, lambda m, t: _offset(t, m[1], m[2])),
        # Chinese weekdays: 下下周三, 下周三, 这周五, 本周五, 周五, 星期五, 礼拜五
        (r"(下下|下个?|这个?|本)?\s*(?:周|星期|礼拜)([一二三四五六日天七])",
         lambda m, t: _weekday(t, CN_WEEKDAY[m[2]], _cn_which(m[1]))),
        # Latin weekdays with modifiers
        (_B + r"(next|this|coming)\s+(" + _WD_LATIN + r")" + _E,
         lambda m, t: _weekday(t, WEEKDAYS[m[2].lower()], {"next": "next", "this": "this"}.get(m[1].lower(), ""))),
        (_B + r"(" + _WD_LATIN + r")\s+(next\s+week|depan|minggu\s+depan|pekan\s+depan|ini|this\s+week)" + _E,
         lambda m, t: _weekday(t, WEEKDAYS[m[1].lower()], "this" if m[2].lower() in ("ini", "this week") else "next")),
        (_B + r"(" + _WD_LATIN + r")" + _E, lambda m, t: _weekday(t, WEEKDAYS[m[1].lower()], "")),
    ]
    return [(re.compile(p, re.IGNORECASE), f) for p, f in r]


def _cn_which(prefix: str | None) -> str:
    if not prefix:
        return ""
    if prefix == "下下":
        return "next2"
    return "next" if prefix.startswith("下") else "this"


def _offset(today: date, num: str, unit: str) -> date | None:
    n = _n(num)
    if n is None or n > 366:
        return None
    weeks = unit.lower().startswith(("week", "minggu")) or unit in ("星期", "礼拜", "周")
    return today + timedelta(days=n * (7 if weeks else 1))


def _with_year(today: date, month: int, dom: int, year: str | None) -> date | None:
    if year:
        return _safe(int(year), month, dom)
    return _year_for(today, month, dom)


def _slash_candidates(m: re.Match, today: date) -> list[date | None]:
    a, b = int(m[1]), int(m[2])
    year = m[3]
    if year:
        y = int(year) + (2000 if len(year) == 2 else 0)
        return [_safe(y, b, a), _safe(y, a, b)]
    return [_year_for(today, b, a), _year_for(today, a, b)]


RULES = _rules()


def find_dates(text: str, today: date) -> list[Span]:
    """Every date expression in ``text`` with its ISO value (``Span.value`` is a ``date``)."""
    text = unicodedata.normalize("NFKC", text)
    spans = []
    for pattern, resolve in RULES:
        for m in pattern.finditer(text):
            value = resolve(m, today)
            if value is not None:
                spans.append(Span(m.start(), m.end(), value, "date"))
    return select_non_overlapping(spans)


def parse_date(text: str, today: date) -> date | None:
    """The first date in ``text`` (for slot answers like "下周三" or "10 April"), or None."""
    found = find_dates(text, today)
    return found[0].value if found else None
