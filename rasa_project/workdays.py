"""The factory calendar: which days are worked (weekdays minus holidays) and the overtime margin.

Capacity checks, delay risk and rescheduling count working days only. Loaded from
data/mapping/calendar.yml (ISO weekdays there, Monday = 1); a pure value, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class FactoryCalendar:
    weekdays: frozenset[int] = frozenset(range(6))  # date.weekday(): Monday = 0; default Mon..Sat
    holidays: frozenset[date] = field(default_factory=frozenset)
    overtime_capacity_pct: float = 0.0

    @classmethod
    def from_iso(cls, iso_weekdays: Iterable[int], holidays: Iterable[date] = (), overtime_capacity_pct: float = 0.0):
        return cls(frozenset(int(d) - 1 for d in iso_weekdays), frozenset(holidays), float(overtime_capacity_pct))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def working_days(self, start: date, end: date) -> list[date]:
        """Working days in [start, end]."""
        days, day = [], start
        while day <= end:
            if self.is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is worked, else the next day that is."""
        if not self.weekdays:
            raise ValueError("no working weekdays configured")
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """The working day ``n`` working days after ``day`` (n = 0: ``day`` or the next worked one)."""
        day = self.next_working_day(day)
        for _ in range(n):
            day = self.next_working_day(day + timedelta(days=1))
        return day

    def count_working_days(self, start: date, end: date) -> int:
        return len(self.working_days(start, end))


def as_calendar(days: FactoryCalendar | Iterable[int]) -> FactoryCalendar:
    """A calendar from a calendar or from a set of ``date.weekday()`` numbers (no holidays)."""
    return days if isinstance(days, FactoryCalendar) else FactoryCalendar(frozenset(days))
