"""The factory-history file: JSON lines, one fact per line (issue 15).

::

    {"type": "calendar", "working_weekdays": [1, 2, 3, 4, 5, 6], "holidays": ["2025-04-04"]}
    {"type": "work_center", "number": "WC-01", "daily_capacity": 800}
    {"type": "order", "bill_no": "P1", "material": "BOM-2050", "work_center": "WC-01", "qty": 300,
     "plan_start": "2025-03-28", "plan_finish": "2025-04-03"}
    {"type": "report", "bill_no": "P1", "date": "2025-03-28", "good": 40, "scrap": 2}

Optional extras: ``overtime_capacity_pct`` on the calendar, ``alternates`` on a work center or an
order, ``status`` on an order (K/3 FStatus; a snapshot derives started / finished from the reports).
Blank lines and lines starting with ``#`` are skipped; anything else that is not one of the four
facts, well formed, is an error that names the line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from rasa_project.planning.model import OrderPlan, Report, Snapshot, WorkCenter
from rasa_project.planning.risk import with_reports
from rasa_project.workdays import FactoryCalendar


class HistoryError(ValueError):
    """A line of a history file that cannot be used; says which line and why."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")
        self.source, self.line, self.message = source, line, message


@dataclass(frozen=True)
class History:
    calendar: FactoryCalendar
    work_centers: tuple[WorkCenter, ...]
    orders: tuple[OrderPlan, ...]  # as planned: good/scrap 0 (reports carry the progress)
    reports: tuple[Report, ...]

    def snapshot(self, as_of: date) -> Snapshot:
        """The factory at ``as_of``: reports dated before it, order progress and status from them."""
        before = tuple(r for r in self.reports if r.date < as_of)
        mine: dict[str, list[Report]] = {}
        for r in before:
            mine.setdefault(r.bill_no, []).append(r)
        orders = tuple(with_reports(o, mine.get(o.bill_no, ())) for o in self.orders)
        return Snapshot(as_of, self.calendar, self.work_centers, orders, before)

    def reports_of(self, bill_no: str) -> tuple[Report, ...]:
        return tuple(r for r in self.reports if r.bill_no == bill_no)


_FIELDS = {
    "calendar": ("working_weekdays",),
    "work_center": ("number", "daily_capacity"),
    "order": ("bill_no", "material", "work_center", "qty", "plan_start", "plan_finish"),
    "report": ("bill_no", "date", "good"),
}


class _Line:
    def __init__(self, source: str, number: int, data: dict) -> None:
        self.source, self.number, self.data = source, number, data

    def error(self, message: str) -> HistoryError:
        return HistoryError(self.source, self.number, message)

    def text(self, name: str) -> str:
        value = self.data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise self.error(f'"{name}" must be a non-empty string, got {json.dumps(value)}')
        return value.strip()

    def amount(self, name: str, *, default: float | None = None, positive: bool = False) -> float:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.error(f'"{name}" must be a number, got {json.dumps(value)}')
        if value < 0 or (positive and value == 0):
            raise self.error(f'"{name}" must be {"positive" if positive else "0 or more"}, got {value}')
        return float(value)

    def day(self, name: str) -> date:
        value = self.data.get(name)
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise self.error(f'"{name}" must be a date YYYY-MM-DD, got {json.dumps(value)}') from None

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(f'"{name}" must be a list of strings, got {json.dumps(value)}')
        return tuple(value)


def read_history(lines: Iterable[str], source: str = "history") -> History:
    calendar: FactoryCalendar | None = None
    centers: dict[str, WorkCenter] = {}
    orders: dict[str, tuple[OrderPlan, _Line]] = {}
    reports: list[tuple[Report, _Line]] = []
    for number, raw in enumerate(lines, start=1):
        raw = raw.strip()
        if not raw or raw.startswith("#"):
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise HistoryError(source, number, f"not JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(data, dict):
            raise HistoryError(source, number, "a line must be a JSON object")
        line = _Line(source, number, data)
        kind = data.get("type")
        if kind not in _FIELDS:
            raise line.error(f'unknown "type" {json.dumps(kind)} (expected one of {", ".join(_FIELDS)})')
        missing = [f for f in _FIELDS[kind] if f not in data]
        if missing:
            raise line.error(f"{kind} line lacks {', '.join(missing)}")
        if kind == "calendar":
            if calendar is not None:
                raise line.error("a second calendar line")
            weekdays = data["working_weekdays"]
            if not isinstance(weekdays, list) or not weekdays or not all(
                isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in weekdays
            ):
                raise line.error(f'"working_weekdays" must be ISO weekdays 1..7, got {json.dumps(weekdays)}')
            holidays = data.get("holidays", [])
            if not isinstance(holidays, list):
                raise line.error(f'"holidays" must be a list of dates, got {json.dumps(holidays)}')
            days = []
            for h in holidays:
                try:
                    days.append(date.fromisoformat(h))
                except (TypeError, ValueError):
                    raise line.error(f'"holidays" must be dates YYYY-MM-DD, got {json.dumps(h)}') from None
            calendar = FactoryCalendar.from_iso(weekdays, days, line.amount("overtime_capacity_pct", default=0))
        elif kind == "work_center":
            center = WorkCenter(line.text("number"), line.amount("daily_capacity", positive=True), line.strings("alternates"))
            if center.number in centers:
                raise line.error(f"work center {center.number} appears twice")
            centers[center.number] = center
        elif kind == "order":
            status = data.get("status", 3)
            try:
                status = int(status)
            except (TypeError, ValueError):
                raise line.error(f'"status" must be a K/3 status 1..7, got {json.dumps(status)}') from None
            if not 1 <= status <= 7:
                raise line.error(f'"status" must be a K/3 status 1..7, got {status}')
            order = OrderPlan(
                bill_no=line.text("bill_no"),
                material=line.text("material"),
                work_center=line.text("work_center"),
                qty=line.amount("qty", positive=True),
                plan_start=line.day("plan_start"),
                plan_finish=line.day("plan_finish"),
                status=status,
                alternates=line.strings("alternates"),
            )
            if order.plan_finish < order.plan_start:
                raise line.error(f"plan_finish {order.plan_finish} is before plan_start {order.plan_start}")
            if order.bill_no in orders:
                raise line.error(f"order {order.bill_no} appears twice")
            orders[order.bill_no] = (order, line)
        else:
            reports.append(
                (Report(line.text("bill_no"), line.day("date"), line.amount("good"), line.amount("scrap", default=0)), line)
            )
    if calendar is None:
        raise HistoryError(source, None, 'no {"type": "calendar"} line')
    for order, line in orders.values():
        if order.work_center not in centers:
            raise line.error(f"order {order.bill_no} names work center {order.work_center}, which has no work_center line")
        for alt in order.alternates:
            if alt not in centers:
                raise line.error(f"order {order.bill_no} names alternate {alt}, which has no work_center line")
    for report, line in reports:
        if report.bill_no not in orders:
            raise line.error(f"report for order {report.bill_no}, which has no order line")
    return History(
        calendar,
        tuple(centers.values()),
        tuple(o for o, _ in orders.values()),
        tuple(sorted((r for r, _ in reports), key=lambda r: (r.date, r.bill_no))),
    )


def load_history(path: Path | str) -> History:
    path = Path(path)
    with open(path, encoding="utf-8") as fh:
        return read_history(fh, source=str(path))


def history_lines(history: History) -> Iterator[str]:
    """The history as JSON lines (calendar, work centers, orders, reports in date order)."""
    cal = history.calendar
    calendar = {
        "type": "calendar",
        "working_weekdays": sorted(d + 1 for d in cal.weekdays),
        "holidays": sorted(h.isoformat() for h in cal.holidays),
    }
    if cal.overtime_capacity_pct:
        calendar["overtime_capacity_pct"] = _num(cal.overtime_capacity_pct)
    yield _dump(calendar)
    for w in history.work_centers:
        line = {"type": "work_center", "number": w.number, "daily_capacity": _num(w.daily_capacity)}
        if w.alternates:
            line["alternates"] = list(w.alternates)
        yield _dump(line)
    for o in history.orders:
        line = {
            "type": "order",
            "bill_no": o.bill_no,
            "material": o.material,
            "work_center": o.work_center,
            "qty": _num(o.qty),
            "plan_start": o.plan_start.isoformat(),
            "plan_finish": o.plan_finish.isoformat(),
        }
        if o.alternates:
            line["alternates"] = list(o.alternates)
        if o.status != 3:
            line["status"] = o.status
        yield _dump(line)
    for r in history.reports:
        yield _dump(
            {"type": "report", "bill_no": r.bill_no, "date": r.date.isoformat(), "good": _num(r.good), "scrap": _num(r.scrap)}
        )


def write_history(path: Path | str, history: History) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(line + "\n" for line in history_lines(history))


def without_progress(order: OrderPlan) -> OrderPlan:
    return replace(order, good=0.0, scrap=0.0)


def _num(value: float):
    return int(value) if float(value).is_integer() else value


def _dump(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(", ", ": "))
