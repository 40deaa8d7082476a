"""Delay risk per open order: a deterministic, explainable projection over working days.

For every open order the model estimates a *pace* (good pieces per working day) and lets each work
center's queue play out day by day on the factory calendar (docs/PLANNING.md has the formulas):

1. **Own pace** of a started order: its good output per working day from its first report to the
   day before ``as_of`` (a day without a report counts 0), weighted to recent days
   (``0.5 ** (age / half_life_days)``), measured on its *clean* days: not a day its whole center
   stopped (center output below ``down_share`` of the median of the working days around it), and
   not a day its center was full (``saturated_share`` of capacity) while the order made less than
   ``throttled_share`` of its own median (the queue held it back). The own pace is blended with a
   prior as if the prior had been seen for ``prior_weight_days`` days.
2. **Prior pace** (an order not started yet, and the blend above): the median pace of the latest
   ``prior_orders`` orders of the same material on the same center; else the median ratio
   achieved / planned pace of the center's latest orders times this order's planned pace; else its
   planned pace (quantity / working days of its plan window). Capped at the center's capacity.
3. **Queue**: each working day a center hands its ``daily_capacity`` to its open orders in
   earliest-due-date order (plan start, then bill number break ties); an order takes at most its
   pace, what it has left, and what its components allow; an order not started joins at
   ``max(plan_start, as_of)``, behind the earlier-due orders already there.
4. **Level**: ``late`` when the projected finish is after the due date (or the due date has passed
   with work left); ``at_risk`` when it would be late if every order ran ``at_risk_margin`` slower,
   or a component shortage with no supply date blocks it; else ``on_track``.

The reason is a tuple of :class:`~rasa_project.planning.model.Phrase` holding the figures used.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from rasa_project.planning.model import Level, OrderPlan, Phrase, Report, Risk, Shortage, Snapshot
from rasa_project.workdays import FactoryCalendar

EPS = 1e-6


@dataclass(frozen=True)
class RiskParams:
    """The model's knobs. The defaults were chosen on the tuning histories only (docs/PLANNING.md)."""

    half_life_days: float = 3.0  # recency weighting of an order's own daily output
    prior_weight_days: float = 1.0  # strength of the prior in a started order's pace, in days
    at_risk_margin: float = 0.06  # at_risk when running this much slower would make it late
    saturated_share: float = 0.9  # a center day at this share of capacity was full
    throttled_share: float = 0.8  # ... and an order below this share of its median was held back
    down_share: float = 0.6  # a center day below this share of the days around it was a stop
    prior_orders: int = 5  # how many recent orders the material / center prior looks at
    horizon_working_days: int = 400  # a projection further out than this "does not finish"


# -- the calendar as a line of working days ----------------------------------------------------


def walk_working_days(calendar: FactoryCalendar, day: date, n: int) -> date:
    """The working day ``n`` working days after (n > 0) or before (n < 0) ``day``."""
    step = 1 if n >= 0 else -1
    for _ in range(abs(n)):
        day += timedelta(days=step)
        while not calendar.is_working_day(day):
            day += timedelta(days=step)
    return day


def working_days_between(calendar: FactoryCalendar, a: date, b: date) -> int:
    """Signed working days from ``a`` to ``b``: those in (a, b] when b >= a, else minus those in (b, a]."""
    if b >= a:
        return calendar.count_working_days(a + timedelta(days=1), b)
    return -calendar.count_working_days(b + timedelta(days=1), a)


class Timeline:
    """Working days from the first worked day on or after ``as_of``, indexed 0, 1, 2, ..."""

    def __init__(self, calendar: FactoryCalendar, as_of: date, horizon: int) -> None:
        self.calendar, self.as_of = calendar, as_of
        self.days: list[date] = []
        day = calendar.next_working_day(as_of)
        for _ in range(horizon + 1):
            self.days.append(day)
            day = calendar.next_working_day(day + timedelta(days=1))
        self._index = {d: i for i, d in enumerate(self.days)}
        self.first = self.days[0]

    def __len__(self) -> int:
        return len(self.days)

    def day(self, index: int) -> date:
        if 0 <= index < len(self.days):
            return self.days[index]
        if index < 0:
            return walk_working_days(self.calendar, self.first, index)
        return walk_working_days(self.calendar, self.days[-1], index - len(self.days) + 1)

    def start_index(self, day: date) -> int:
        """Index of the first working day on or after ``day`` (0 for any day before the first)."""
        if day <= self.first:
            return 0
        return self._index.get(self.calendar.next_working_day(day), len(self.days))

    def due_index(self, day: date) -> int:
        """Index of the last working day on or before ``day`` (negative before the first)."""
        if day < self.first:
            return -self.calendar.count_working_days(day + timedelta(days=1), self.first - timedelta(days=1)) - 1
        if day in self._index:
            return self._index[day]
        if day > self.days[-1]:
            return len(self.days) - 1 + self.calendar.count_working_days(self.days[-1] + timedelta(days=1), day)
        return self.start_index(day) - 1


# -- pace ---------------------------------------------------------------------------------------


def daily_output(reports: Iterable[Report], calendar: FactoryCalendar, until: date) -> list[tuple[date, float]]:
    """Good output per working day from the first report to the last working day before ``until``.

    A day without a report counts 0; a report on a non-working day counts on the next working day
    (on the last day of the series when that is not before ``until``)."""
    reports = [r for r in reports if r.date < until]
    if not reports:
        return []
    days = calendar.working_days(min(r.date for r in reports), until - timedelta(days=1))
    if not days:
        return [(min(r.date for r in reports), sum(r.good for r in reports))]
    out = dict.fromkeys(days, 0.0)
    for r in reports:
        day = r.date if r.date in out else calendar.next_working_day(r.date)
        out[day if day in out else days[-1]] += r.good
    return list(out.items())


def recent_pace(series: Sequence[tuple[date, float]], half_life: float) -> float:
    """Mean daily output, each day weighted ``0.5 ** (age / half_life)`` (age 0 = the latest day)."""
    if not series:
        return 0.0
    n = len(series)
    weights = [0.5 ** ((n - 1 - i) / half_life) for i in range(n)]
    return sum(w * g for w, (_, g) in zip(weights, series)) / sum(weights)


def planned_pace(order: OrderPlan, calendar: FactoryCalendar) -> float:
    return order.qty / max(1, calendar.count_working_days(order.plan_start, order.plan_finish))


@dataclass(frozen=True)
class Pace:
    rate: float  # pieces per working day the projection uses
    basis: str  # own+material | own+center | own+plan | material | center | plan
    own: float | None = None  # the order's own recent pace on its clean days (started orders)
    own_days: int = 0
    prior: float = 0.0
    prior_ratio: float | None = None  # center prior: achieved / planned pace of its recent orders


@dataclass(frozen=True)
class _Track:
    """What a reported order's history says, for the priors of others."""

    bill_no: str
    material: str
    work_center: str
    first_day: date
    pace: float  # mean good per clean day
    plan_ratio: float  # pace / planned pace


class PaceBook:
    """Pace estimates for the orders of a snapshot, from the reports dated before ``as_of``."""

    def __init__(self, snapshot: Snapshot, params: RiskParams) -> None:
        self.snapshot, self.params = snapshot, params
        cal = snapshot.calendar
        mine: dict[str, list[Report]] = defaultdict(list)
        for r in snapshot.reports:
            if r.date < snapshot.as_of:
                mine[r.bill_no].append(r)
        center_of = {o.bill_no: o.work_center for o in snapshot.orders}
        load: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))  # center -> day -> output
        for bill_no, reports in mine.items():
            for r in reports:
                load[center_of.get(bill_no, "")][cal.next_working_day(r.date)] += r.good + r.scrap
        capacity = {w.number: w.daily_capacity for w in snapshot.work_centers}
        self._down = {c: self._stops(busy) for c, busy in load.items()}
        self.clean: dict[str, list[tuple[date, float]]] = {}
        self.tracks: list[_Track] = []
        for order in snapshot.orders:
            reports = mine.get(order.bill_no)
            if not reports:
                continue
            series = daily_output(reports, cal, snapshot.as_of)
            if not order.is_open:  # a finished order's last day made only what was left
                last = cal.next_working_day(max(r.date for r in reports))
                series = [(d, g) for d, g in series if d < last] or series
            busy, down = load[order.work_center], self._down.get(order.work_center, frozenset())
            up = [(d, g) for d, g in series if d not in down] or series
            full = self.params.saturated_share * capacity.get(order.work_center, math.inf)
            median = statistics.median(g for _, g in up)
            clean = [(d, g) for d, g in up if not (busy.get(d, 0.0) >= full and g < params.throttled_share * median)]
            self.clean[order.bill_no] = clean or up
            pace = sum(g for _, g in self.clean[order.bill_no]) / len(self.clean[order.bill_no])
            self.tracks.append(
                _Track(
                    order.bill_no, order.material, order.work_center, series[0][0], pace,
                    pace / max(planned_pace(order, cal), EPS),
                )
            )
        self.tracks.sort(key=lambda t: (t.first_day, t.bill_no), reverse=True)  # latest first

    def _stops(self, busy: Mapping[date, float]) -> frozenset[date]:
        """Days a center as a whole made far less than on the working days around them."""
        if not busy:
            return frozenset()
        worked = self.snapshot.calendar.working_days(min(busy), self.snapshot.as_of - timedelta(days=1))
        totals = [busy.get(d, 0.0) for d in worked]
        down = set()
        for i, (day, total) in enumerate(zip(worked, totals)):
            around = totals[max(0, i - 5) : i] + totals[i + 1 : i + 6]
            ref = statistics.median(around) if around else 0.0
            if ref > 0 and total < self.params.down_share * ref:
                down.add(day)
        return frozenset(down)

    def stops(self, center: str) -> frozenset[date]:
        return self._down.get(center, frozenset())

    def prior(self, order: OrderPlan) -> tuple[float, str, float | None]:
        n = self.params.prior_orders
        peers = [t for t in self.tracks if t.bill_no != order.bill_no and t.work_center == order.work_center]
        same = [t.pace for t in peers if t.material == order.material][:n]
        if same:
            return statistics.median(same), "material", None
        plan = planned_pace(order, self.snapshot.calendar)
        ratios = [t.plan_ratio for t in peers][: 2 * n]
        if ratios:
            ratio = statistics.median(ratios)
            return ratio * plan, "center", ratio
        return plan, "plan", None

    def pace(self, order: OrderPlan, capacity: float) -> Pace:
        prior, basis, ratio = self.prior(order)
        clean = self.clean.get(order.bill_no) if order.is_open else None
        if not clean:
            return Pace(min(prior, capacity), basis, prior=prior, prior_ratio=ratio)
        own = recent_pace(clean, self.params.half_life_days)
        k, n = self.params.prior_weight_days, len(clean)
        rate = (n * own + k * prior) / (n + k)
        return Pace(min(rate, capacity), f"own+{basis}", own, n, prior, ratio)


# -- the queue of a work center -----------------------------------------------------------------


@dataclass
class Job:
    """One order in a center's queue, in working-day indices of a :class:`Timeline`."""

    bill_no: str
    remaining: float
    speed: float  # pieces per working day at most
    start: int  # first index it may produce on
    due: int  # index of its due date (negative: overdue)
    tie: tuple = ()  # breaks due-date ties (plan start, bill number)
    cap_qty: float | None = None  # a shortage: at most this much more ...
    cap_until: int | None = None  # ... before this index (None: ever)
    made: dict[int, float] = field(default_factory=dict)  # result: index -> pieces
    finish: int | None = None  # result: index of the day it completes (None: not within the horizon)

    @property
    def priority(self) -> tuple:
        return (self.due, *self.tie)


def dispatch(jobs: Sequence[Job], capacity: float, horizon: int) -> None:
    """Let a center's queue play out: each day its capacity goes to jobs in earliest-due-date order.

    Fills ``made`` and ``finish`` of every job."""
    left = {j.bill_no: j.remaining for j in jobs}
    done = dict.fromkeys(left, 0.0)
    queue = sorted(jobs, key=lambda j: j.priority)
    for j in jobs:
        j.made, j.finish = {}, (j.start if j.remaining <= EPS else None)
    events = {j.start for j in jobs} | {j.cap_until for j in jobs if j.cap_until is not None}
    last_event = max(events, default=0)
    for t in range(horizon):
        cap, moved = capacity, False
        for j in queue:
            if j.finish is not None or t < j.start:
                continue
            room = math.inf
            if j.cap_qty is not None and (j.cap_until is None or t < j.cap_until):
                room = max(0.0, j.cap_qty - done[j.bill_no])
            take = min(j.speed, left[j.bill_no], cap, room)
            if take <= EPS:
                continue
            moved = True
            j.made[t] = take
            left[j.bill_no] -= take
            done[j.bill_no] += take
            cap -= take
            if left[j.bill_no] <= EPS:
                j.finish = t
        if all(j.finish is not None for j in jobs) or (not moved and t >= last_event):
            return  # all done, or nothing can move any more (a shortage with no date, speed 0)


@dataclass(frozen=True)
class Projection:
    """Every open order paced and every queue played out (what :func:`assess` explains)."""

    timeline: Timeline
    paces: dict[str, Pace]
    jobs: dict[str, list[Job]]  # center -> its queue, played out
    capacities: dict[str, float]
    by_bill: dict[str, Job] = field(default_factory=dict)

    def job(self, bill_no: str) -> Job | None:
        return self.by_bill.get(bill_no)


def project(snapshot: Snapshot, params: RiskParams = RiskParams(), slowdown: float = 0.0) -> Projection:
    """Pace every open order of ``snapshot`` and play out every center's queue (all paces x (1 - slowdown))."""
    timeline = Timeline(snapshot.calendar, snapshot.as_of, params.horizon_working_days)
    book = PaceBook(snapshot, params)
    limits = _tightest_shortages(snapshot.shortages, timeline)
    capacities = {w.number: float(w.daily_capacity) for w in snapshot.work_centers}
    paces: dict[str, Pace] = {}
    jobs: dict[str, list[Job]] = defaultdict(list)
    for order in snapshot.open_orders():
        if order.work_center not in capacities:
            raise ValueError(f"order {order.bill_no} names work center {order.work_center}, which is unknown")
        pace = paces[order.bill_no] = book.pace(order, capacities[order.work_center])
        cap_qty, cap_until = limits.get(order.bill_no, (None, None))
        jobs[order.work_center].append(
            Job(
                order.bill_no,
                order.remaining,
                pace.rate * (1.0 - slowdown),
                0 if order.is_started else timeline.start_index(order.plan_start),
                timeline.due_index(order.plan_finish),
                (order.plan_start, order.bill_no),
                cap_qty,
                cap_until,
            )
        )
    for center, queue in jobs.items():
        dispatch(queue, capacities[center], len(timeline))
    return Projection(timeline, paces, dict(jobs), capacities, {j.bill_no: j for q in jobs.values() for j in q})


def _tightest_shortages(shortages: Iterable[Shortage], timeline: Timeline) -> dict[str, tuple[float, int | None]]:
    """Per order the shortage that allows least: the smallest coverable quantity (then the latest supply)."""
    out: dict[str, tuple[float, int | None]] = {}
    for s in shortages:
        until = None if s.available_from is None else timeline.start_index(s.available_from)
        key = (max(0.0, s.coverable_qty), -(until if until is not None else math.inf))
        current = out.get(s.bill_no)
        if current is None or key < (current[0], -(current[1] if current[1] is not None else math.inf)):
            out[s.bill_no] = (key[0], until)
    return out


# -- the assessment -----------------------------------------------------------------------------


def assess(snapshot: Snapshot, params: RiskParams = RiskParams()) -> list[Risk]:
    """One :class:`Risk` per open order of ``snapshot``, in the snapshot's order."""
    nominal = project(snapshot, params)
    slow = project(snapshot, params, params.at_risk_margin) if params.at_risk_margin > 0 else None
    shortages: dict[str, Shortage] = {}
    for s in sorted(snapshot.shortages, key=lambda s: s.coverable_qty, reverse=True):
        shortages[s.bill_no] = s  # the tightest one wins
    return [
        _explain(order, nominal, slow, snapshot, params, shortages.get(order.bill_no)) for order in snapshot.open_orders()
    ]


def fmt_qty(value: float) -> str:
    rounded = round(value)
    return str(int(rounded)) if abs(value - rounded) < 0.05 or abs(value) >= 100 else f"{value:.1f}"


def fmt_rate(value: float) -> str:
    """A pace for people: whole pieces a day from 10 up, one decimal below."""
    return str(round(value)) if value >= 9.95 else f"{value:.1f}"


def fmt_day(day: date, as_of: date) -> str:
    return day.strftime("%m-%d") if day.year == as_of.year else day.isoformat()


def plural(key: str, n: int) -> str:
    """``key_one`` for one, ``key`` otherwise (the catalog has both)."""
    return f"{key}_one" if abs(n) == 1 else key


def _explain(
    order: OrderPlan,
    nominal: Projection,
    slow: Projection | None,
    snapshot: Snapshot,
    params: RiskParams,
    shortage: Shortage | None,
) -> Risk:
    tl, pace, job = nominal.timeline, nominal.paces[order.bill_no], nominal.job(order.bill_no)
    day = lambda d: fmt_day(d, snapshot.as_of)
    due, due_index = order.plan_finish, tl.due_index(order.plan_finish)
    finish = tl.day(job.finish) if job.finish is not None else None
    first = min(job.made) if job.made else None
    days_left = due_index - job.start + 1  # working days from its (earliest) start to its due date
    needed = order.remaining / days_left if days_left > 0 else None
    rate = fmt_rate(pace.rate)
    reason: list[Phrase] = []

    # what it does (or will do)
    if not order.is_started:
        values = {"work_center": order.work_center, "rate": rate, "material": order.material,
                  "start": day(tl.day(job.start))}
        if pace.basis == "center":
            values["pct"] = round((pace.prior_ratio or 0) * 100)
        reason.append(Phrase(f"planning.reason_not_started_{pace.basis}", values))
    if needed is None:
        reason.append(Phrase("planning.reason_overdue", {"due": day(due), "remaining": fmt_qty(order.remaining), "rate": rate}))
    elif order.is_started:
        reason.append(
            Phrase(plural("planning.reason_pace", days_left), {"needed": fmt_rate(needed), "days": days_left, "rate": rate})
        )
    elif needed > pace.rate + EPS:
        reason.append(Phrase(plural("planning.reason_needs", days_left), {"needed": fmt_rate(needed), "days": days_left}))

    # the queue it shares
    if first is not None and job.finish is not None:
        got = order.remaining / (job.finish - first + 1)
        if got < 0.9 * pace.rate or first > job.start:
            ahead = [o for o in nominal.jobs[order.work_center] if o.priority < job.priority and o.made and min(o.made) <= job.finish]
            if ahead:
                reason.append(
                    Phrase(
                        "planning.reason_queue",
                        {
                            "work_center": order.work_center,
                            "capacity": fmt_qty(nominal.capacities[order.work_center]),
                            "count": len(ahead),
                            "qty": fmt_qty(sum(o.remaining for o in ahead)),
                            "rate": fmt_rate(got),
                            "start": day(tl.day(first)),
                        },
                    )
                )

    # components
    if shortage is not None and shortage.coverable_qty < order.remaining - EPS:
        values = {"component": shortage.component, "coverable": fmt_qty(shortage.coverable_qty)}
        if shortage.available_from is None:
            reason.append(Phrase("planning.reason_shortage_open", values))
        else:
            reason.append(Phrase("planning.reason_shortage_until", {**values, "available": day(shortage.available_from)}))

    # the verdict
    slack = None
    if finish is None:
        blocked = shortage is not None and shortage.available_from is None
        level = Level.AT_RISK if blocked and due_index >= 0 else Level.LATE
        key = "planning.projection_blocked" if blocked else "planning.projection_beyond"
        reason.append(Phrase(key, {"due": day(due), "horizon": params.horizon_working_days}))
    else:
        slack = working_days_between(snapshot.calendar, finish, due)
        values = {"projected": day(finish), "due": day(due), "days": abs(slack)}
        if slack < 0:
            level = Level.LATE
            reason.append(Phrase(plural("planning.projection_late", slack), values))
        else:
            level = Level.ON_TRACK
            key = "planning.projection_due_day" if slack == 0 else plural("planning.projection_on_time", slack)
            reason.append(Phrase(key, values))
            slow_job = slow.job(order.bill_no) if slow is not None else None
            if slow_job is not None and (slow_job.finish is None or slow_job.finish > due_index):
                level = Level.AT_RISK
                reason.append(
                    Phrase(
                        "planning.projection_at_risk",
                        {
                            "pct": round(params.at_risk_margin * 100),
                            "slow_finish": day(slow.timeline.day(slow_job.finish)) if slow_job.finish is not None else "—",
                        },
                    )
                )
    return Risk(
        bill_no=order.bill_no,
        work_center=order.work_center,
        level=level,
        due=due,
        projected_finish=finish,
        slack_working_days=slack,
        run_rate=round(pace.rate, 2),
        needed_rate=round(needed, 2) if needed is not None else None,
        remaining=order.remaining,
        started=order.is_started,
        expected_start=tl.day(first) if first is not None else None,
        basis=pace.basis,
        reason=tuple(reason),
    )


# -- inputs from live data ------------------------------------------------------------------------


def shortages_from_stock(
    orders: Iterable[OrderPlan],
    bom: Mapping[str, Sequence[tuple[str, float]]],
    stock: Mapping[str, float],
    supply: Mapping[str, date] | None = None,
) -> list[Shortage]:
    """Allocate component stock to the open orders in due-date order; name the orders it cannot cover.

    ``bom`` maps a material to its (component, quantity per piece) lines, ``stock`` gives the
    component stock on hand, ``supply`` (optional) the date more of a component arrives."""
    supply = supply or {}
    left = {k: max(0.0, float(v)) for k, v in stock.items()}
    out = []
    for order in sorted((o for o in orders if o.is_open), key=lambda o: (o.plan_finish, o.plan_start, o.bill_no)):
        for component, per in bom.get(order.material, ()):
            if per <= 0:
                continue
            need, have = order.remaining * per, left.get(component, 0.0)
            left[component] = max(0.0, have - need)
            if have + EPS < need:
                out.append(Shortage(order.bill_no, component, math.floor(have / per + EPS), supply.get(component)))
    return out


def with_reports(order: OrderPlan, reports: Iterable[Report]) -> OrderPlan:
    """``order`` with good / scrap summed from its ``reports``, started (4) when there are any and
    finished (5) when the good reached the quantity; a status K/3 already moved further is kept."""
    mine = [r for r in reports if r.bill_no == order.bill_no]
    good, scrap = sum(r.good for r in mine), sum(r.scrap for r in mine)
    status = order.status
    if mine and status < 4:
        status = 4
    if good >= order.qty - EPS and status < 5:
        status = 5
    return replace(order, good=good, scrap=scrap, status=status)
