"""Business clock: what "today" is for relative dates.

The demo and the tests anchor it (``DINGK3_CLOCK_ANCHOR=2025-04-01T09:00:00+08:00``) so that
"4月10日", "besok" or "next Friday" mean the same date on every run; production uses the real
clock. Durations that must really elapse (approval expiry, dedupe TTLs, audit timestamps) use
``utc_now()``, the wall clock, never the business clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class BusinessClock:
    tz: ZoneInfo
    anchor: datetime | None = None

    def now(self) -> datetime:
        if self.anchor is not None:
            anchor = self.anchor if self.anchor.tzinfo else self.anchor.replace(tzinfo=self.tz)
            return anchor.astimezone(self.tz)
        return datetime.now(self.tz)

    def today(self) -> date:
        return self.now().date()

    def stamp(self, wall: datetime) -> datetime:
        """A wall-clock instant as people are shown it: in the factory's time zone and, when the
        clock is anchored (demo, tests), on the business date, never the machine's own year
        (issue 13: "decided at 2026-..." while the business clock says 2025-04-01)."""
        local = (wall if wall.tzinfo else wall.replace(tzinfo=timezone.utc)).astimezone(self.tz)
        if self.anchor is None:
            return local
        return datetime.combine(self.now().date(), local.timetz())


def clock_from(settings) -> BusinessClock:
    return BusinessClock(tz=ZoneInfo(settings.timezone), anchor=settings.clock_anchor)


def get_clock() -> BusinessClock:
    from rasa_project.settings import get_settings

    return clock_from(get_settings())
