"""Lists people ask for in chat, pure: which period a message means, and one line per item.

"哪些订单本周完工" / "order apa yang jatuh tempo minggu ini" / "which orders finish this week",
"今天到期的工单", "late orders" / "逾期的订单" / "pesanan yang terlambat": ``period_in(text,
today, calendar)`` says which window of plan-finish dates is meant, on the business clock and the
factory calendar. ``order_line`` / ``request_line`` are the lines of an answer (catalog keys and
values, never sentences).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from k3_client.models import Order
from rasa_project import catalog
from rasa_project.mapping import MappingTables
from rasa_project.outcomes import Message
from rasa_project.values import figure, iso
from rasa_project.workdays import FactoryCalendar

TODAY, TOMORROW, THIS_WEEK, NEXT_WEEK, LATE = "today", "tomorrow", "this_week", "next_week", "late"

_L, _R = r"(?<![a-z])", r"(?![a-z])"
_PERIODS: tuple[tuple[str, re.Pattern], ...] = (
    (LATE, re.compile(
        r"逾期|超期|过期|拖期|延误了|误期|晚了|迟了|超过交期|过了交期|过了计划"
        rf"|{_L}(?:terlambat|telat|lewat\s+(?:jatuh\s+tempo|tenggat|deadline)|melewati\s+tenggat|overdue|late|"
        rf"past\s+(?:due|their\s+due|the\s+due)|behind\s+schedule){_R}",
        re.IGNORECASE,
    )),
    (NEXT_WEEK, re.compile(rf"下周|下个星期|下星期|下礼拜|{_L}(?:minggu\s+depan|next\s+week){_R}", re.IGNORECASE)),
    (THIS_WEEK, re.compile(
        rf"本周|这周|这个星期|这星期|本星期|这礼拜|这个礼拜|{_L}(?:minggu\s+ini|this\s+week|within\s+the\s+week){_R}",
        re.IGNORECASE,
    )),
    (TOMORROW, re.compile(rf"明天|明日|{_L}(?:besok|tomorrow){_R}", re.IGNORECASE)),
    (TODAY, re.compile(rf"今天|今日|当天|{_L}(?:hari\s+ini|today|tonight){_R}", re.IGNORECASE)),
)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date | None  # plan finish on or after (None: any day before ``end``)
    end: date  # plan finish on or before
    working_days_left: int  # working days from today to ``end`` (0 for late)

    @property
    def name(self) -> dict:
        return dict(catalog.MESSAGES[f"list.period_{self.kind}"])


def period_in(text: str | None, today: date, calendar: FactoryCalendar) -> Period | None:
    """The window of plan-finish dates a list question means, or None if it names none."""
    for kind, pattern in _PERIODS:
        if pattern.search(text or ""):
            return period(kind, today, calendar)
    return None


def period(kind: str, today: date, calendar: FactoryCalendar) -> Period:
    monday = today - timedelta(days=today.weekday())
    if kind == LATE:
        return Period(LATE, None, today - timedelta(days=1), 0)
    if kind == TODAY:
        start = end = today
    elif kind == TOMORROW:
        start = end = today + timedelta(days=1)
    elif kind == THIS_WEEK:
        start, end = monday, monday + timedelta(days=6)
    elif kind == NEXT_WEEK:
        start, end = monday + timedelta(days=7), monday + timedelta(days=13)
    else:
        raise ValueError(f"unknown period {kind!r}")
    return Period(kind, start, end, calendar.count_working_days(max(today, start), end))


def in_every_language(say) -> dict[str, str]:
    return {lang: say(lang) for lang in catalog.LANGS}


def order_line(order: Order, mapping: MappingTables, today: date) -> Message:
    """One order in a list: number, material, made of planned, due date, status, work center."""
    material = mapping.material_by_k3_number(order.material_number)
    percent = 0.0 if order.qty <= 0 else 100.0 * order.reported_good / order.qty
    late = order.status.is_open and order.plan_finish < today
    return Message(
        "list.order_line_late" if late else "list.order_line",
        {
            "bill_no": order.bill_no,
            "material": in_every_language(material.display_name) if material else order.material_number,
            "code": material.chat_code if material else order.material_number,
            "good": figure(order.reported_good),
            "qty": figure(order.qty),
            "unit": order.unit,
            "percent": f"{percent:.1f}".rstrip("0").rstrip("."),
            "plan_finish": iso(order.plan_finish),
            "status": dict(catalog.MESSAGES[f"order.status.{int(order.status)}"]),
            "work_center": order.work_center,
            "days_late": (today - order.plan_finish).days if late else 0,
        },
    )


def due_in(orders: Iterable[Order], window: Period) -> list[Order]:
    """Open orders whose plan finish falls in the window, earliest first."""
    chosen = [
        o for o in orders
        if o.status.is_open and o.plan_finish <= window.end and (window.start is None or o.plan_finish >= window.start)
    ]
    return sorted(chosen, key=lambda o: (o.plan_finish, o.bill_no))
