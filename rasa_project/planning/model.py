"""Plain values the planning core takes and returns: no I/O, no K/3 field names.

A :class:`Snapshot` is the factory as it stands at a business date (the live reader or a history
file builds it); :func:`rasa_project.planning.risk.assess` turns it into one :class:`Risk` per
open order, :func:`rasa_project.planning.reschedule.reschedule` into :class:`Option` s for one
order. Every sentence a person reads is a :class:`Phrase` (a catalog key and its figures), so
zh / id / en all come from ``rasa_project/catalog.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any

from rasa_project import catalog
from rasa_project.workdays import FactoryCalendar

FINISHED_STATUS = 5  # K/3 PRD_MO FStatus: 5 finished, 6 closed, 7 settled; 1..4 are open
STARTED_STATUS = 4


class Level(str, Enum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    LATE = "late"

    @property
    def warned(self) -> bool:
        return self is not Level.ON_TRACK

    @property
    def severity(self) -> int:
        return {"on_track": 0, "at_risk": 1, "late": 2}[self.value]


@dataclass(frozen=True)
class Report:
    """One dated production report (PRD_MORPT line): good and scrap made that day."""

    bill_no: str
    date: date
    good: float
    scrap: float = 0.0


@dataclass(frozen=True)
class WorkCenter:
    number: str
    daily_capacity: float  # pieces per working day
    alternates: tuple[str, ...] = ()  # centers that can take over this center's work (any material)


@dataclass(frozen=True)
class OrderPlan:
    """An open (or finished) production order as the planner sees it."""

    bill_no: str
    material: str
    work_center: str
    qty: float
    plan_start: date
    plan_finish: date  # the due date
    status: int = 3  # K/3 FStatus: 1 planned, 2 confirmed, 3 released, 4 started, 5+ finished
    good: float = 0.0  # reported good so far
    scrap: float = 0.0  # reported scrap so far
    alternates: tuple[str, ...] = ()  # other centers that can make this material

    @property
    def remaining(self) -> float:
        return max(0.0, self.qty - self.good)

    @property
    def is_open(self) -> bool:
        return self.status < FINISHED_STATUS and self.remaining > 0

    @property
    def is_started(self) -> bool:
        return self.status >= STARTED_STATUS or self.good + self.scrap > 0


@dataclass(frozen=True)
class Shortage:
    """A component the order cannot get enough of from stock.

    ``coverable_qty`` is how many more pieces of the *order* the stock there is still covers;
    the rest can be made from ``available_from`` on (None: no supply date known)."""

    bill_no: str
    component: str
    coverable_qty: float
    available_from: date | None = None


@dataclass(frozen=True)
class Snapshot:
    """The factory at the business date ``as_of`` (reports of ``as_of`` itself not yet in)."""

    as_of: date
    calendar: FactoryCalendar
    work_centers: tuple[WorkCenter, ...]
    orders: tuple[OrderPlan, ...]
    reports: tuple[Report, ...] = ()
    shortages: tuple[Shortage, ...] = ()

    def center(self, number: str) -> WorkCenter | None:
        return next((w for w in self.work_centers if w.number == number), None)

    def order(self, bill_no: str) -> OrderPlan | None:
        return next((o for o in self.orders if o.bill_no == bill_no), None)

    def open_orders(self) -> tuple[OrderPlan, ...]:
        return tuple(o for o in self.orders if o.is_open)


@dataclass(frozen=True)
class Phrase:
    """One clause a person reads: a catalog key and the figures that fill it."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return catalog.text(self.key, lang, **self.values)

    def as_dict(self) -> dict:
        return {"key": self.key, "values": dict(self.values)}


def explain(phrases: tuple[Phrase, ...], lang: str) -> str:
    """Clauses joined the way the language joins them (zh ends with 。)."""
    sep = catalog.text("planning.separator", lang)
    body = sep.join(p.text(lang) for p in phrases)
    return body + catalog.text("planning.full_stop", lang) if body else body


@dataclass(frozen=True)
class Risk:
    """The delay risk of one open order, with the figures behind it."""

    bill_no: str
    work_center: str
    level: Level
    due: date
    projected_finish: date | None  # None: cannot finish (no supply date, or beyond the horizon)
    slack_working_days: int | None  # working days between projected finish and due; negative = late
    run_rate: float  # pieces per working day the projection uses
    needed_rate: float | None  # pieces per working day it needs to finish on time (None: overdue)
    remaining: float
    started: bool
    expected_start: date | None  # first day the projection makes something
    basis: str  # where run_rate comes from: own | own+material | own+center | own+plan | material | center | plan
    reason: tuple[Phrase, ...] = ()

    def explain(self, lang: str) -> str:
        return explain(self.reason, lang)

    def as_dict(self) -> dict:
        return {
            "bill_no": self.bill_no,
            "work_center": self.work_center,
            "level": self.level.value,
            "due": self.due.isoformat(),
            "projected_finish": self.projected_finish.isoformat() if self.projected_finish else None,
            "slack_working_days": self.slack_working_days,
            "run_rate": self.run_rate,
            "needed_rate": self.needed_rate,
            "remaining": self.remaining,
            "started": self.started,
            "expected_start": self.expected_start.isoformat() if self.expected_start else None,
            "basis": self.basis,
            "reason": [p.as_dict() for p in self.reason],
        }


# -- rescheduling outputs ------------------------------------------------------------------------


class OptionKind(str, Enum):
    OVERTIME = "overtime"
    ALTERNATE = "alternate"  # move or split the remaining quantity to an alternate work center
    RESEQUENCE = "resequence"
    DUE_DATE = "due_date"


@dataclass(frozen=True)
class OrderChange:
    """What an option changes on one existing order (None: unchanged)."""

    bill_no: str
    plan_start: date | None = None
    plan_finish: date | None = None
    qty: float | None = None  # a split reduces the original

    def as_dict(self) -> dict:
        return {
            "bill_no": self.bill_no,
            "plan_start": self.plan_start.isoformat() if self.plan_start else None,
            "plan_finish": self.plan_finish.isoformat() if self.plan_finish else None,
            "qty": self.qty,
        }


@dataclass(frozen=True)
class NewOrder:
    """The part of a split that becomes a new order on the alternate center."""

    split_from: str
    material: str
    work_center: str
    qty: float
    plan_start: date
    plan_finish: date

    def as_dict(self) -> dict:
        return {
            "split_from": self.split_from,
            "material": self.material,
            "work_center": self.work_center,
            "qty": self.qty,
            "plan_start": self.plan_start.isoformat(),
            "plan_finish": self.plan_finish.isoformat(),
        }


@dataclass(frozen=True)
class OvertimeDay:
    work_center: str
    day: date
    pct: int  # extra capacity that day, % of the normal day
    extra_qty: float  # pieces the overtime adds that day

    def as_dict(self) -> dict:
        return {"work_center": self.work_center, "day": self.day.isoformat(), "pct": self.pct, "extra_qty": self.extra_qty}


@dataclass(frozen=True)
class Slip:
    """Another order that finishes later under an option."""

    bill_no: str
    before: date  # its projected finish without the option
    after: date
    working_days: int
    due: date
    late_after: bool  # finishes after its due date under the option

    def as_dict(self) -> dict:
        return {
            "bill_no": self.bill_no,
            "before": self.before.isoformat(),
            "after": self.after.isoformat(),
            "working_days": self.working_days,
            "due": self.due.isoformat(),
            "late_after": self.late_after,
        }


@dataclass(frozen=True)
class Option:
    """One way to bring an order in, with every consequence the solver found."""

    number: int  # 1-based, in the order offered
    kind: OptionKind
    bill_no: str
    finish_before: date | None  # the order's projected finish without the option
    finish_after: date
    due: date  # the order's due date (the new one for a due-date move)
    late_working_days: int  # after the option, against ``due``; 0 = on time
    changes: tuple[OrderChange, ...] = ()
    new_orders: tuple[NewOrder, ...] = ()
    overtime: tuple[OvertimeDay, ...] = ()
    slips: tuple[Slip, ...] = ()
    summary: tuple[Phrase, ...] = ()
    schedule: tuple[tuple[str, str, date, float], ...] = ()  # (bill_no, center, day, pieces) the plan makes

    @property
    def on_time(self) -> bool:
        return self.late_working_days <= 0

    def explain(self, lang: str) -> str:
        return explain(self.summary, lang)

    def as_dict(self) -> dict:
        return {
            "number": self.number,
            "kind": self.kind.value,
            "bill_no": self.bill_no,
            "finish_before": self.finish_before.isoformat() if self.finish_before else None,
            "finish_after": self.finish_after.isoformat(),
            "due": self.due.isoformat(),
            "late_working_days": self.late_working_days,
            "changes": [c.as_dict() for c in self.changes],
            "new_orders": [n.as_dict() for n in self.new_orders],
            "overtime": [d.as_dict() for d in self.overtime],
            "slips": [s.as_dict() for s in self.slips],
            "summary": [p.as_dict() for p in self.summary],
            "schedule": [[b, c, d.isoformat(), q] for b, c, d, q in self.schedule],
        }


@dataclass(frozen=True)
class Plan:
    """The answer of the rescheduler for one order."""

    bill_no: str
    status: str  # ok | not_open | not_at_risk | no_option
    options: tuple[Option, ...] = ()
    solver_status: str = ""  # OPTIMAL when every solve proved its optimum, else FEASIBLE

    def option(self, number: int) -> Option | None:
        return next((o for o in self.options if o.number == number), None)
