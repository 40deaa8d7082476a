"""Builders for planning tests: small hand-made factories and the demo factory as it starts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from devtools.factory import load_factory
from rasa_project.planning.model import OrderPlan, Report, Snapshot, WorkCenter
from rasa_project.settings import PROJECT_ROOT
from rasa_project.workdays import FactoryCalendar

MON_FRI = FactoryCalendar.from_iso([1, 2, 3, 4, 5])
MONDAY = date(2025, 3, 3)


def workdays_from(start: date, n: int, calendar: FactoryCalendar = MON_FRI) -> list[date]:
    days, day = [], start
    while len(days) < n:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


@pytest.fixture
def make_snapshot():
    """``make_snapshot(as_of, centers={"WC": 100}, orders=[...], reports=[...])`` with a Mon-Fri calendar."""

    def _make(as_of, centers, orders, reports=(), calendar=MON_FRI, shortages=()):
        wcs = tuple(WorkCenter(n, c) if not isinstance(c, tuple) else WorkCenter(n, c[0], c[1]) for n, c in centers.items())
        return Snapshot(as_of, calendar, wcs, tuple(orders), tuple(reports), tuple(shortages))

    return _make


def demo_snapshot(as_of: date = date(2025, 4, 1)) -> Snapshot:
    """The demo factory as it starts (data/demo_factory.yaml): orders with their reported totals and
    status, the dated report history, capacities, alternates per material and the calendar."""
    factory = load_factory(PROJECT_ROOT / "data" / "demo_factory.yaml")
    cal = factory.calendar
    calendar = FactoryCalendar.from_iso(cal.working_weekdays, cal.holidays, cal.overtime_capacity_pct)
    centers = tuple(WorkCenter(w.number, w.daily_capacity) for w in factory.work_centers)
    orders = tuple(
        OrderPlan(
            o.bill_no, o.material, o.work_center, o.qty, o.plan_start, o.plan_finish, int(o.status),
            o.reported_good, o.reported_scrap, factory.alternate_work_centers.get(o.material, ()),
        )
        for o in factory.orders
    )
    reports = tuple(Report(r.bill_no, r.date, r.good, r.scrap) for r in factory.report_history if r.date < as_of)
    return Snapshot(as_of, calendar, centers, orders, reports)


@pytest.fixture
def demo():
    return demo_snapshot()
