"""Business rules for orders and changes: pure functions over plain values.

Services gather the live figures (K/3 order, stock, other open orders, capacity) and call these;
every result carries its verdict, a catalog key and the figures behind it, so the same record
explains the decision to the requester, the manager and the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any

from k3_client.models import OrderStatus
from rasa_project import catalog
from rasa_project.outcomes import Outcome, refused
from rasa_project.values import apply_delta, figure, iso
from rasa_project.workdays import FactoryCalendar, as_calendar


class Verdict(str, Enum):
    OK = "ok"
    REFUSE = "refuse"
    NEEDS_APPROVAL = "needs_approval"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class CheckResult:
    check: str  # order_status | reported_minimum | finish_date | component_stock | capacity | ...
    verdict: Verdict
    key: str  # catalog key explaining the result
    values: Mapping[str, Any] = field(default_factory=dict)  # the figures, JSON-friendly

    @property
    def is_ok(self) -> bool:
        return self.verdict in (Verdict.OK, Verdict.SKIPPED)

    def with_values(self, **extra) -> CheckResult:
        return CheckResult(self.check, self.verdict, self.key, {**self.values, **extra})

    def as_dict(self) -> dict:
        return {
            "check": self.check,
            "verdict": self.verdict.value,
            "key": self.key,
            "values": dict(self.values),
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> CheckResult:
        return cls(data["check"], Verdict(data["verdict"]), data["key"], dict(data.get("values") or {}))


def status_name(status: OrderStatus | int) -> dict:
    """The K/3 entry status in every chat language (from the catalog)."""
    return dict(catalog.MESSAGES[f"workflow.status_{int(status)}"])


# -- quantities and dates -------------------------------------------------------------------


def check_quantity(qty: float, *, max_qty: float) -> CheckResult:
    """A production quantity: whole pieces, more than zero, at most ``max_qty``."""
    if qty <= 0:
        return CheckResult("quantity", Verdict.REFUSE, "workflow.qty_not_positive", {"qty": figure(qty)})
    if not float(qty).is_integer():
        return CheckResult("quantity", Verdict.REFUSE, "workflow.qty_not_whole", {"qty": figure(qty)})
    if qty > max_qty:
        return CheckResult(
            "quantity",
            Verdict.REFUSE,
            "workflow.qty_too_large",
            {"qty": figure(qty), "max_qty": figure(max_qty)},
        )
    return CheckResult("quantity", Verdict.OK, "workflow.check_quantity_ok", {"qty": figure(qty)})


def check_finish_date(finish: date, *, today: date, plan_start: date) -> CheckResult:
    """A planned finish date: not in the past (business today), not before the planned start."""
    if finish < today:
        return CheckResult(
            "finish_date", Verdict.REFUSE, "workflow.date_in_past", {"date": iso(finish), "today": iso(today)}
        )
    if finish < plan_start:
        return CheckResult(
            "finish_date",
            Verdict.REFUSE,
            "workflow.finish_before_start",
            {"date": iso(finish), "plan_start": iso(plan_start)},
        )
    return CheckResult("finish_date", Verdict.OK, "workflow.check_finish_ok", {"date": iso(finish)})


# -- order status and reported output --------------------------------------------------------


def check_order_status(bill_no: str, status: OrderStatus | None) -> CheckResult:
    """Only an open order (计划 .. 开工, FStatus 1-4) may change; ``None`` = not found in K/3."""
    if status is None:
        return CheckResult("order_status", Verdict.REFUSE, "workflow.order_unknown", {"bill_no": bill_no})
    values = {"bill_no": bill_no, "status": int(status), "status_name": status_name(status)}
    if not OrderStatus(status).is_open:
        return CheckResult("order_status", Verdict.REFUSE, "workflow.order_closed", values)
    return CheckResult("order_status", Verdict.OK, "workflow.check_status_ok", values)


def check_reported_minimum(bill_no: str, new_qty: float | None, *, good: float, scrap: float) -> CheckResult:
    """An order cannot go below what has already been reported on it (good + scrap)."""
    reported = good + scrap
    values = {"bill_no": bill_no, "good": figure(good), "scrap": figure(scrap), "reported": figure(reported)}
    if new_qty is None:
        return CheckResult("reported_minimum", Verdict.SKIPPED, "workflow.check_skipped", values)
    values["qty"] = figure(new_qty)
    if new_qty < reported:
        return CheckResult("reported_minimum", Verdict.REFUSE, "workflow.qty_below_reported", values)
    return CheckResult("reported_minimum", Verdict.OK, "workflow.check_reported_ok", values)


def check_something_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> CheckResult:
    """A change must ask for at least one value different from what K/3 has."""
    changed = sorted(k for k, v in new.items() if v is not None and v != old.get(k))
    if not changed:
        return CheckResult("nothing_changes", Verdict.REFUSE, "workflow.change_nothing", {})
    return CheckResult("nothing_changes", Verdict.OK, "workflow.check_fields_ok", {"fields": changed})


def remaining_qty(qty: float, reported_total: float) -> float:
    """What is still to be produced on an order (never negative)."""
    return max(0.0, qty - reported_total)


# -- component stock ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentPosition:
    """One BOM component of the order: live stock and who else needs it."""

    material_number: str
    stock: float  # on hand, all stocks (STK_Inventory)
    safety_stock: float  # BD_MATERIAL safety stock
    other_needs: float  # other open orders: remaining qty x qty per parent
    need_before: float  # this order as K/3 has it now
    need_after: float  # this order with the change

    @property
    def projected_after(self) -> float:
        return self.stock - self.other_needs - self.need_after

    @property
    def projected_before(self) -> float:
        return self.stock - self.other_needs - self.need_before


def component_needs(lines: Iterable[tuple[str, float]], qty: float) -> dict[str, float]:
    """Components needed for ``qty`` parents, from BOM lines (component number, qty per parent)."""
    needs: dict[str, float] = {}
    for number, qty_per in lines:
        needs[number] = needs.get(number, 0.0) + qty * qty_per
    return needs


def check_component(position: ComponentPosition) -> CheckResult:
    """Approval is needed when the change would take a component below its safety stock.

    A change that does not add to the need (or that lowers it) never needs approval, even if the
    component is short already: refusing to reduce a shortage would be absurd."""
    p = position
    values = {
        "component": p.material_number,
        "stock": figure(p.stock),
        "other_needs": figure(p.other_needs),
        "need": figure(p.need_after),
        "projected": figure(p.projected_after),
        "safety_stock": figure(p.safety_stock),
    }
    if p.need_after > p.need_before and p.projected_after < p.safety_stock:
        values["shortfall"] = figure(p.safety_stock - p.projected_after)
        return CheckResult("component_stock", Verdict.NEEDS_APPROVAL, "workflow.risk_stock", values)
    return CheckResult("component_stock", Verdict.OK, "workflow.check_stock_ok", values)


# -- work-center capacity ----------------------------------------------------------------------


def working_days(start: date, end: date, weekdays: FactoryCalendar | frozenset[int]) -> list[date]:
    """Working days in [start, end]: a factory calendar, or weekdays as date.weekday() (Monday = 0)."""
    return as_calendar(weekdays).working_days(start, end)


def next_working_day(day: date, weekdays: FactoryCalendar | frozenset[int]) -> date:
    return as_calendar(weekdays).next_working_day(day)


def spread_load(
    remaining: float, *, plan_start: date, plan_finish: date, today: date, weekdays: FactoryCalendar | frozenset[int]
) -> dict[date, float]:
    """An order's remaining quantity spread evenly over its working days from business today on.

    What is left must be made in the days that are left, so a started order loads only
    [max(start, today), finish]. An overdue order (or a window without a working day) puts all of
    its remainder on the first working day it still can use."""
    if remaining <= 0:
        return {}
    first = max(plan_start, today)
    days = working_days(first, plan_finish, weekdays)
    if not days:
        return {next_working_day(first, weekdays): remaining}
    share = remaining / len(days)
    return {day: share for day in days}


def add_loads(*loads: Mapping[date, float]) -> dict[date, float]:
    total: dict[date, float] = {}
    for load in loads:
        for day, qty in load.items():
            total[day] = total.get(day, 0.0) + qty
    return total


def check_capacity(
    work_center: str, daily_capacity: float, *, before: Mapping[date, float], after: Mapping[date, float]
) -> CheckResult:
    """Approval is needed when, on some working day, the change adds load to a day that ends up
    above the work center's daily capacity; the worst such day is reported."""
    worse = [
        day for day, load in after.items() if load > daily_capacity and load > before.get(day, 0.0) + 1e-9
    ]
    if worse:
        day = max(worse, key=lambda d: (after[d], -d.toordinal()))  # highest load, earliest day
        load = after[day]
        return CheckResult(
            "capacity",
            Verdict.NEEDS_APPROVAL,
            "workflow.risk_capacity",
            {
                "work_center": work_center,
                "day": iso(day),
                "load": figure(load),
                "capacity": figure(daily_capacity),
                "overload_pct": figure(round((load - daily_capacity) / daily_capacity * 100, 1)),
            },
        )
    peak_day = max(after, key=lambda d: (after[d], -d.toordinal()), default=None)
    return CheckResult(
        "capacity",
        Verdict.OK,
        "workflow.check_capacity_ok",
        {
            "work_center": work_center,
            "day": iso(peak_day) or "",
            "load": figure(after.get(peak_day, 0.0)) if peak_day else 0,
            "capacity": figure(daily_capacity),
        },
    )


def decide(results: Iterable[CheckResult]) -> Verdict:
    """Refused if any rule is broken, else needs approval if any risk was found, else OK."""
    verdicts = {r.verdict for r in results}
    if Verdict.REFUSE in verdicts:
        return Verdict.REFUSE
    if Verdict.NEEDS_APPROVAL in verdicts:
        return Verdict.NEEDS_APPROVAL
    return Verdict.OK


def check_unchanged_since(bill_no: str, recorded: Mapping[str, Any], live: Mapping[str, Any]) -> CheckResult:
    """Before writing, the order must still be what the checks saw (else the world changed)."""
    moved = {k: [v, live.get(k)] for k, v in recorded.items() if v is not None and v != live.get(k)}
    if moved:
        return CheckResult(
            "unchanged",
            Verdict.REFUSE,
            "workflow.order_changed_meanwhile",
            {"bill_no": bill_no, "moved": moved},
        )
    return CheckResult("unchanged", Verdict.OK, "workflow.check_unchanged_ok", {"bill_no": bill_no})


def has_reached(target: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """Does K/3 already hold every target value (an interrupted write that went through)?"""
    return all(live.get(k) == v for k, v in target.items() if v is not None)


# -- new orders and the OA approval (issue 14) -----------------------------------------------------

NEW_ORDER_APPROVAL_MODES = ("all", "none")


def new_order_needs_approval(mode: str, *, qty: float, exempt_max_qty: float, risks: Iterable[CheckResult]) -> bool:
    """Whether a new order waits for a manager (K/3 status B) or is audited at once.

    ``all`` (the demo default): every new order, except a small one (at most ``exempt_max_qty``
    pieces) with no risk finding; ``none``: no new order does."""
    if mode not in NEW_ORDER_APPROVAL_MODES:
        raise ValueError(f"new_order_approval must be one of {NEW_ORDER_APPROVAL_MODES}, not {mode!r}")
    if mode == "none":
        return False
    risky = any(r.verdict is Verdict.NEEDS_APPROVAL for r in risks)
    return risky or qty > exempt_max_qty


def approval_chain(requester: str, groups: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], int]:
    """Who approves a request of ``requester``: the first group of the chain (managers, then the
    escalation groups in order) with someone other than the requester in it. Returns (their staff
    ids, the index of that group: 0 = the managers, > 0 = escalated); ((), -1) when nobody can.
    Four-eyes: the requester is never their own approver."""
    for index, members in enumerate(groups):
        others = tuple(dict.fromkeys(m for m in members if m and m != requester))
        if others:
            return others, index
    return (), -1
def quantity_after_delta(bill_no: str, old: float, delta: Any) -> tuple[float | None, Outcome | None]:
    """"再加50" / "kurangi 30" against the quantity K/3 has: the new quantity, or why there is none
    (a relative change must leave more than nothing; "改成 100" says a new quantity outright)."""
    new = apply_delta(old, delta)
    if new is None or new <= 0:
        return None, refused("workflow.delta_not_positive", bill_no=bill_no, old=figure(old), delta=str(delta))
    return new, None
