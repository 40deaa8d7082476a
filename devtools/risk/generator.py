"""A seeded factory history: plans made by a planner, production simulated day by day.

The planner releases orders on each work center and gives each a plan window from the pace it
*believes* the material runs at; the shop floor then makes them at the pace they *really* run at,
sharing the center's capacity, with downtime, scrap and (in the ``breakdown`` variant) learning
curves. The truth is what that simulation did: an order is late when its cumulative good quantity
reaches its quantity after its plan finish.

Two variants with different dynamics, so that a model tuned on one is judged on the other:

``queue``      capacity goes to active orders earliest-due-date first; single downtime days
               (stop or half capacity); scrap spikes on single days; reports every day.
``breakdown``  capacity goes first-come (plan start) first, and what is left over is split
               in proportion to the orders' paces; multi-day breakdowns; a learning curve on each
               order's first days; paces that drift; bad batches with high scrap for a whole
               order; some orders start late; some days are reported a day late.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from rasa_project.planning.history import History
from rasa_project.planning.model import OrderPlan, Report, WorkCenter
from rasa_project.workdays import FactoryCalendar


@dataclass(frozen=True)
class Mix:
    """The parameters of one kind of factory."""

    name: str
    variant: str = "queue"  # queue | breakdown
    start: date = date(2025, 2, 3)  # a Monday
    weeks: int = 18
    centers: int = 6
    working_weekdays: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    holidays: int = 4  # a block of 3 days and a single day, inside the period
    load: float = 0.95  # planned load / capacity the planner aims for
    planner_bias: float = 0.92  # planner's belief / true material pace (>1: optimistic)
    buffer_p: float = 0.5  # chance the planner adds a spare day to a window
    planner_sd: float = 0.12  # spread of the planner's belief per order
    slow_share: float = 0.15
    fast_share: float = 0.15
    order_sd: float = 0.10  # spread of an ordinary order's pace around its material
    day_sd: float = 0.12  # day-to-day noise
    downtime_p: float = 0.03  # queue: per center-day stop; breakdown: per center-day start of a breakdown
    half_p: float = 0.04  # queue: per center-day half capacity
    scrap_base: tuple[float, float] = (0.005, 0.03)
    spike_p: float = 0.04  # queue: per order-day scrap spike
    rush_share: float = 0.1  # orders planned with a window shorter than the planner believes
    extra: dict = field(default_factory=dict)


MIXES = {
    # the mix the model was tuned on
    "base": Mix("base"),
    # same generator, never tuned on: an overbooked, optimistic plant; a light Monday-Friday plant
    "tight": Mix("tight", load=1.05, planner_bias=1.0, slow_share=0.2, rush_share=0.2, downtime_p=0.04, buffer_p=0.3),
    "loose": Mix("loose", working_weekdays=(1, 2, 3, 4, 5), load=0.75, planner_bias=0.9, centers=4, spike_p=0.06),
    # the other generator variant, never tuned on
    "breakdown": Mix("breakdown", variant="breakdown", downtime_p=0.008, half_p=0.0, planner_bias=0.88),
    "breakdown_tight": Mix(
        "breakdown_tight", variant="breakdown", load=1.0, planner_bias=0.95, downtime_p=0.012, half_p=0.0, slow_share=0.2,
        buffer_p=0.3,
    ),
}


@dataclass(frozen=True)
class Generated:
    mix: Mix
    seed: int
    history: History
    finish: dict[str, date]  # bill_no -> the day its cumulative good reached its quantity
    downtime: dict[str, tuple[date, ...]]  # center -> days it lost (stop or reduced)
    paces: dict[str, float] = field(default_factory=dict)  # bill_no -> its true pace (output/day), for diagnostics

    def is_late(self, bill_no: str) -> bool:
        order = next(o for o in self.history.orders if o.bill_no == bill_no)
        return self.finish[bill_no] > order.plan_finish


def _holidays(rng: random.Random, mix: Mix) -> list[date]:
    span = mix.weeks * 7
    if mix.holidays <= 0:
        return []
    block = mix.start + timedelta(days=rng.randrange(span // 3, span // 2))
    days = [block + timedelta(days=i) for i in range(min(3, mix.holidays))]
    for _ in range(mix.holidays - len(days)):
        days.append(mix.start + timedelta(days=rng.randrange(2 * span // 3, span - 7)))
    return sorted(set(days))


def generate(mix: Mix | str, seed: int) -> Generated:
    mix = MIXES[mix] if isinstance(mix, str) else mix
    rng = random.Random(f"{mix.name}/{seed}")
    calendar = FactoryCalendar.from_iso(mix.working_weekdays, _holidays(rng, mix), 25)
    end_plan = mix.start + timedelta(days=mix.weeks * 7)
    plan_days = calendar.working_days(mix.start, end_plan)

    centers: list[WorkCenter] = []
    materials: dict[str, list[tuple[str, float]]] = {}  # center -> (material, true pace)
    for c in range(mix.centers):
        number = f"WC-{c + 1:02d}"
        capacity = rng.choice([300, 400, 600, 800, 1000, 1200, 1500])
        centers.append(WorkCenter(number, capacity))
        materials[number] = [
            (f"M{c + 1}{m:02d}", round(capacity * rng.uniform(0.08, 0.35))) for m in range(rng.randint(3, 6))
        ]

    # -- the planner ------------------------------------------------------------------------
    orders: list[OrderPlan] = []
    truth_pace: dict[str, float] = {}
    material_of: dict[str, float] = {}
    serial = 0
    for center in centers:
        planned = dict.fromkeys(plan_days, 0.0)
        budget = center.daily_capacity * mix.load
        cursor = 0
        while cursor < len(plan_days) - 3:
            material, pace = rng.choice(materials[center.number])
            believed = pace * mix.planner_bias * math.exp(rng.gauss(0, mix.planner_sd))
            qty = max(20, int(round(pace * rng.uniform(3, 12), -1)))
            window = max(2, math.ceil(qty / believed) + (1 if rng.random() < mix.buffer_p else 0))
            if rng.random() < mix.rush_share:
                window = max(1, math.ceil(window * rng.uniform(0.6, 0.85)))
            rate = qty / window
            # earliest start from the cursor where the planned load stays within the budget
            start = cursor
            while start + window <= len(plan_days) and any(
                planned[plan_days[i]] + rate > budget + 1e-9 for i in range(start, start + window)
            ):
                start += 1
            if start + window > len(plan_days):
                break
            for i in range(start, start + window):
                planned[plan_days[i]] += rate
            serial += 1
            bill_no = f"MO{serial:05d}"
            orders.append(
                OrderPlan(bill_no, material, center.number, float(qty), plan_days[start], plan_days[start + window - 1])
            )
            material_of[bill_no] = pace
            # its true pace: most orders near the material's, some slow, some fast
            u = rng.random()
            if u < mix.slow_share:
                factor = rng.uniform(0.55, 0.8)
            elif u < mix.slow_share + mix.fast_share:
                factor = rng.uniform(1.1, 1.35)
            else:
                factor = math.exp(rng.gauss(0, mix.order_sd))
            truth_pace[bill_no] = pace * factor
            if rng.random() < 0.55:
                cursor = start  # next order may overlap this one; otherwise move on
            else:
                cursor = start + rng.randint(0, max(1, window // 2))
    orders.sort(key=lambda o: (o.plan_start, o.bill_no))

    # -- the shop floor ---------------------------------------------------------------------
    reports, finish, downtime = _produce(rng, mix, calendar, centers, orders, truth_pace)
    history = History(calendar, tuple(centers), tuple(orders), tuple(sorted(reports, key=lambda r: (r.date, r.bill_no))))
    return Generated(mix, seed, history, finish, downtime, truth_pace)


def _produce(rng, mix, calendar, centers, orders, truth_pace):
    by_center: dict[str, list[OrderPlan]] = {c.number: [] for c in centers}
    for o in orders:
        by_center[o.work_center].append(o)
    reports: list[Report] = []
    finish: dict[str, date] = {}
    downtime: dict[str, list[date]] = {c.number: [] for c in centers}
    breakdown = mix.variant == "breakdown"

    # per-order dynamics drawn up front, so the day loop is the same for both variants
    scrap = {o.bill_no: rng.uniform(*mix.scrap_base) for o in orders}
    bad_batch = {o.bill_no for o in orders if breakdown and rng.random() < 0.1}
    late_start = {o.bill_no: (rng.choice([0, 0, 0, 1, 2]) if breakdown else 0) for o in orders}
    drift = dict.fromkeys(truth_pace, 1.0)

    for center in centers:
        queue = by_center[center.number]
        good = {o.bill_no: 0.0 for o in queue}
        started: dict[str, int] = {}
        days_worked = {o.bill_no: 0 for o in queue}
        pending: dict[str, tuple[date, float, float]] = {}  # delayed report: (day, good, scrap)
        broken_until = -1
        broken_level = 1.0
        day = calendar.next_working_day(min(o.plan_start for o in queue)) if queue else None
        t = 0
        while queue and any(o.bill_no not in finish for o in queue) and t < 600:
            # capacity today
            level = 1.0
            if breakdown:
                if t <= broken_until:
                    level = broken_level
                elif rng.random() < mix.downtime_p:
                    broken_until = t + rng.randint(1, 4)
                    broken_level = rng.choice([0.0, 0.15, 0.3])
                    level = broken_level
            else:
                u = rng.random()
                if u < mix.downtime_p:
                    level = 0.0
                elif u < mix.downtime_p + mix.half_p:
                    level = 0.5
            if level < 1.0:
                downtime[center.number].append(day)
            cap = center.daily_capacity * level
            active = [
                o
                for o in queue
                if o.bill_no not in finish
                and (o.plan_start <= day)
                and calendar.count_working_days(o.plan_start, day) > late_start[o.bill_no]
            ]
            # what each active order could make today (output, good + scrap)
            want = {}
            for o in active:
                pace = truth_pace[o.bill_no] * math.exp(rng.gauss(0, mix.day_sd))
                if breakdown:
                    drift[o.bill_no] *= math.exp(rng.gauss(0, 0.04))
                    pace *= drift[o.bill_no] * (0.6, 0.8, 0.9, 1.0)[min(days_worked[o.bill_no], 3)]
                s = _scrap_rate(rng, mix, scrap[o.bill_no], o.bill_no in bad_batch)
                need_out = math.ceil((o.qty - good[o.bill_no]) / (1 - s))
                want[o.bill_no] = (max(0.0, min(pace, need_out)), s)
            if breakdown:
                # first come (plan start) first served up to capacity; overflow split by pace
                ordered = sorted(active, key=lambda o: (o.bill_no not in started, o.plan_start, o.bill_no))
                alloc = _proportional(ordered, want, cap)
            else:
                ordered = sorted(active, key=lambda o: (o.plan_finish, o.plan_start, o.bill_no))
                alloc, left = {}, cap
                for o in ordered:
                    take = min(want[o.bill_no][0], left)
                    alloc[o.bill_no] = take
                    left -= take
            for o in active:
                out = math.floor(alloc.get(o.bill_no, 0.0))
                if out <= 0:
                    continue
                s = want[o.bill_no][1]
                sc = round(out * s)
                g = out - sc
                started.setdefault(o.bill_no, t)
                days_worked[o.bill_no] += 1
                good[o.bill_no] += g
                if good[o.bill_no] >= o.qty:
                    finish[o.bill_no] = day
                # the report: usually today; in the breakdown variant sometimes a day late (merged)
                if breakdown and o.bill_no not in finish and rng.random() < 0.1:
                    prev = pending.get(o.bill_no)
                    pending[o.bill_no] = (day, g + (prev[1] if prev else 0), sc + (prev[2] if prev else 0))
                    continue
                prev = pending.pop(o.bill_no, None)
                if prev:
                    g, sc = g + prev[1], sc + prev[2]
                reports.append(Report(o.bill_no, day, float(g), float(sc)))
            for bill_no, (_, g, sc) in list(pending.items()):
                if bill_no in finish:  # never leave a finished order's output unreported
                    reports.append(Report(bill_no, day, float(g), float(sc)))
                    del pending[bill_no]
            day = calendar.next_working_day(day + timedelta(days=1))
            t += 1
        for o in queue:
            if o.bill_no not in finish:
                raise RuntimeError(f"{o.bill_no} never finished; the generator mix is broken")
    return reports, finish, {c: tuple(d) for c, d in downtime.items()}


def _scrap_rate(rng, mix, base, bad) -> float:
    if bad:
        return rng.uniform(0.1, 0.25)
    if mix.variant == "queue" and rng.random() < mix.spike_p:
        return rng.uniform(0.15, 0.4)
    return base


def _proportional(ordered, want, cap):
    """Capacity to orders in ``ordered`` order while it lasts; when the rest do not fit, they share
    what is left in proportion to what they want."""
    alloc, left = {}, cap
    rest = []
    for o in ordered:
        w = want[o.bill_no][0]
        if not rest and w <= left:
            alloc[o.bill_no] = w
            left -= w
        else:
            rest.append(o)
    total = sum(want[o.bill_no][0] for o in rest)
    for o in rest:
        alloc[o.bill_no] = left * want[o.bill_no][0] / total if total > 0 else 0.0
    return alloc

