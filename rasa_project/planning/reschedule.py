"""Rescheduling options for one order, computed with Google OR-Tools CP-SAT.

``reschedule(snapshot, bill_no)`` is a pure function: it paces the open orders with the risk model
(:func:`rasa_project.planning.risk.project`), builds a time-indexed finite-capacity model of the
order's work center and its alternates over working days, and solves it once per kind of option:

``overtime``    extra capacity on the order's center, at most ``overtime_capacity_pct`` a day
                (an order's own pace grows with the longer day too); nobody else may slip;
                least overtime (percent-days) first.
``alternate``   part or all of the remaining quantity made on an alternate work center (a new
                order there; a started order is split, one not started may move whole); nobody on
                either center may slip; smallest quantity moved first.
``resequence``  the center's capacity handed out in another order; other orders may slip; fewest
                slip days, then fewest orders slipped.
``due_date``    the earliest finish the order can reach without anything above and without any
                other order slipping; the due date moves there.

Model (per option; t = working-day index from ``as_of``, o = order, c = center)::

    x[o,c,t] in 0..speed[o,c]       pieces of o made on c on day t (0 before o may start)
    b[o,t]   in {0,1}, b[o,t] >= b[o,t+1]      o still in progress on day t
    x[o,c,t] <= speed[o,c] * b[o,t]            (overtime: 100 x <= speed (100 + y[t]))
    sum_o x[o,c,t] <= capacity[c]              (overtime: 100 sum <= capacity (100 + y[t]))
    sum_{c,t} x[o,c,t] = remaining[o]          shortages: sum_{t < supply} x <= coverable
    finish[o] = sum_t b[o,t] - 1
    late = max(0, finish[target] - goal),  slip[o] = max(0, finish[o] - reference[o])

``reference`` is the earliest-due-date queue of the risk model on the same integer data, so the
"no change" plan is always feasible. Objectives are lexicographic (one solve each, the previous
optimum fixed): target lateness, then slips, then the option's cost, then the target's finish.
One search worker, a fixed seed and a deterministic time limit make the answer repeatable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from rasa_project.planning.model import (
    Level,
    NewOrder,
    Option,
    OptionKind,
    OrderChange,
    OrderPlan,
    OvertimeDay,
    Phrase,
    Plan,
    Slip,
    Snapshot,
)
from rasa_project.planning.risk import (
    Job,
    Projection,
    RiskParams,
    assess,
    dispatch,
    fmt_day,
    fmt_qty,
    plural,
    project,
    working_days_between,
)


@dataclass(frozen=True)
class RescheduleParams:
    max_options: int = 3
    seed: int = 20250401
    deterministic_time: float = 20.0  # CP-SAT deterministic time units per solve (repeatable)
    max_seconds: float = 10.0  # wall-clock safety per solve
    horizon_margin_days: int = 10  # working days modelled beyond the latest reference finish
    max_horizon_days: int = 120
    risk: RiskParams = field(default_factory=RiskParams)


KIND_ORDER = {OptionKind.OVERTIME: 0, OptionKind.ALTERNATE: 1, OptionKind.RESEQUENCE: 2, OptionKind.DUE_DATE: 3}


@dataclass
class _Item:
    order: OrderPlan
    remaining: int
    start: int
    due: int
    reference: int | None  # finish index in the earliest-due-date queue (None: cannot finish)
    speeds: dict[str, int]  # center -> pieces per day
    ref_made: dict[tuple[str, int], int]  # (center, t) -> pieces, in the reference
    cap_qty: int | None = None
    cap_until: int | None = None

    @property
    def bill_no(self) -> str:
        return self.order.bill_no


@dataclass
class _Solution:
    status: str
    made: dict[tuple[str, str, int], int]  # (bill_no, center, t) -> pieces
    finish: dict[str, int]
    overtime: dict[int, int]  # t -> pct on the target's center


def reschedule(
    snapshot: Snapshot,
    bill_no: str,
    params: RescheduleParams = RescheduleParams(),
    speeds: Mapping[tuple[str, str], float] | None = None,
) -> Plan:
    """Up to ``max_options`` ways to bring ``bill_no`` in, best first, each with its consequences.

    ``speeds`` may give an order's pace on a center, ``(bill_no, center) -> pieces/day``; by default
    an order runs at its own (risk-model) pace on its center, and on an alternate at that pace
    capped by the alternate's capacity."""
    order = snapshot.order(bill_no)
    if order is None or not order.is_open:
        return Plan(bill_no, "not_open")
    risk = next(r for r in assess(snapshot, params.risk) if r.bill_no == bill_no)
    if risk.level is Level.ON_TRACK:
        return Plan(bill_no, "not_at_risk")
    projection = project(snapshot, params.risk)
    if projection.job(bill_no).finish is None:
        return Plan(bill_no, "blocked")

    center = snapshot.center(order.work_center)
    alternates = [a for a in dict.fromkeys((*order.alternates, *center.alternates)) if a != center.number]
    alternates = [a for a in alternates if snapshot.center(a) is not None]
    centers = [center.number, *alternates]
    items, capacity, horizon = _items(snapshot, projection, centers, bill_no, speeds or {}, params)
    target = items[bill_no]
    if target.reference is None:  # whole pieces of a shortage's cover leave it unfinished
        return Plan(bill_no, "blocked")
    goal = target.due - (1 if target.reference <= target.due else 0)  # at risk but on time: aim for a day of margin
    tl = projection.timeline

    def solve(kind, where, ot=0):
        sol = _solve(items, capacity, horizon, bill_no, goal, kind, where, params, ot)
        statuses.append(sol.status)
        return sol

    ot_pct = round(snapshot.calendar.overtime_capacity_pct)
    candidates: list[tuple[OptionKind, _Solution]] = []
    statuses: list[str] = []
    home = [center.number]
    for kind, where, ot, wanted in (
        (OptionKind.OVERTIME, home, ot_pct, ot_pct > 0),
        (OptionKind.ALTERNATE, centers, 0, bool(alternates)),
        (OptionKind.RESEQUENCE, home, 0, True),
    ):
        if wanted:
            sol = solve(kind, where, ot)
            if sol.finish[bill_no] < target.reference:  # offered only when it brings the order in earlier
                candidates.append((kind, sol))
    if target.reference > target.due:
        candidates.append((OptionKind.DUE_DATE, solve(OptionKind.DUE_DATE, home)))
    status = "OPTIMAL" if all(s == "OPTIMAL" for s in statuses) else "FEASIBLE"

    options = [
        _option(kind, sol, items, target, order, snapshot, tl, center.number, capacity) for kind, sol in candidates
    ]
    options.sort(key=_rank)
    options = options[: params.max_options]
    numbered = tuple(_renumber(o, i + 1) for i, o in enumerate(options))
    return Plan(bill_no, "ok" if numbered else "no_option", numbered, status)


# -- the data of the model --------------------------------------------------------------------------


def _items(snapshot, projection: Projection, centers, target, speeds, params):
    """Integer data for the orders queued on ``centers``, with their reference (EDF) finishes."""
    tl = projection.timeline
    capacity = {c: math.floor(projection.capacities[c]) for c in centers}
    items: dict[str, _Item] = {}
    for c in centers:
        for job in projection.jobs.get(c, []):
            order = snapshot.order(job.bill_no)
            own = max(1, round(job.speed))
            item_speeds = {c: round(speeds.get((job.bill_no, c), own))}
            if job.bill_no == target:
                for alt in centers[1:]:
                    item_speeds[alt] = max(1, round(speeds.get((job.bill_no, alt), min(job.speed, capacity[alt]))))
            items[job.bill_no] = _Item(
                order,
                math.ceil(job.remaining - 1e-9),
                job.start,
                job.due,
                None,
                item_speeds,
                {},
                None if job.cap_qty is None else math.floor(job.cap_qty + 1e-9),
                job.cap_until,
            )
    # the reference: the same earliest-due-date queue, on the integer data
    for c in centers:
        jobs = [
            Job(i.bill_no, i.remaining, i.speeds[c], i.start, i.due, (i.order.plan_start, i.bill_no), i.cap_qty, i.cap_until)
            for i in items.values()
            if i.order.work_center == c
        ]
        dispatch(jobs, capacity[c], len(tl))
        for j in jobs:
            items[j.bill_no].reference = j.finish
            items[j.bill_no].ref_made = {(c, t): int(q) for t, q in j.made.items()}
    # the window that matters: up to a margin past the target's reference finish; orders that only
    # start after it neither help nor are hurt, orders running past it keep their reference plan
    goal_end = max(items[target].reference, items[target].due)
    horizon = min(params.max_horizon_days, goal_end + params.horizon_margin_days + 1)
    horizon = max(horizon, items[target].due + 2, items[target].reference + 1)
    items = {b: i for b, i in items.items() if b == target or min((t for _, t in i.ref_made), default=i.start) < horizon}
    return items, capacity, horizon


# -- one option: a model and a lexicographic solve ------------------------------------------------------


def _solve(items, capacity, horizon, target, goal, kind, centers, params, ot_pct=0) -> _Solution:
    m = cp_model.CpModel()
    T = range(horizon)
    home = items[target].order.work_center
    x: dict[tuple[str, str, int], cp_model.IntVar] = {}
    b: dict[tuple[str, int], cp_model.IntVar] = {}
    finish: dict[str, cp_model.IntVar] = {}
    free: list[_Item] = []  # orders the option may re-plan
    y = {t: m.NewIntVar(0, ot_pct, f"ot_{t}") for t in T} if kind is OptionKind.OVERTIME else {}

    for item in items.values():
        own = item.order.work_center
        if own not in centers:
            continue
        if item.reference is None or item.reference >= horizon:
            continue  # cannot finish: it keeps its reference use of capacity (added below)
        free.append(item)
        where = list(item.speeds) if (item.bill_no == target and kind is OptionKind.ALTERNATE) else [own]
        for t in T:
            b[item.bill_no, t] = m.NewBoolVar(f"b_{item.bill_no}_{t}")
            if t:
                m.Add(b[item.bill_no, t] <= b[item.bill_no, t - 1])
            for c in where:
                top = item.speeds[c] if t >= item.start else 0
                if y and c == home:
                    top = (top * (100 + ot_pct)) // 100
                v = x[item.bill_no, c, t] = m.NewIntVar(0, top, f"x_{item.bill_no}_{c}_{t}")
                m.Add(v <= top * b[item.bill_no, t])
                if y and c == home:
                    m.Add(100 * v <= item.speeds[c] * 100 + item.speeds[c] * y[t])
        m.Add(sum(x[item.bill_no, c, t] for c in where for t in T) == item.remaining)
        if item.cap_qty is not None:
            until = horizon if item.cap_until is None else min(item.cap_until, horizon)
            m.Add(sum(x[item.bill_no, c, t] for c in where for t in range(until)) <= item.cap_qty)
        finish[item.bill_no] = m.NewIntVar(0, horizon - 1, f"f_{item.bill_no}")
        m.Add(finish[item.bill_no] == sum(b[item.bill_no, t] for t in T) - 1)
        for t in T:  # hint: the reference plan
            m.AddHint(b[item.bill_no, t], 1 if t <= item.reference else 0)
            for c in where:
                m.AddHint(x[item.bill_no, c, t], item.ref_made.get((c, t), 0))

    planned = {i.bill_no for i in free}
    for c in centers:
        for t in T:
            fixed = sum(
                i.ref_made.get((c, t), 0) for i in items.values() if i.bill_no not in planned and i.order.work_center == c
            )
            load = [x[k] for k in x if k[1] == c and k[2] == t]
            if not load:
                continue
            if y and c == home:
                m.Add(100 * (sum(load) + fixed) <= capacity[c] * 100 + capacity[c] * y[t])
            else:
                m.Add(sum(load) + fixed <= capacity[c])

    late = m.NewIntVar(0, horizon, "late")
    m.AddMaxEquality(late, [0, finish[target] - goal])
    slips = []
    for item in free:
        if item.bill_no == target:
            continue
        s = m.NewIntVar(0, horizon, f"slip_{item.bill_no}")
        m.AddMaxEquality(s, [0, finish[item.bill_no] - item.reference])
        slips.append((item.bill_no, s))
    if kind is not OptionKind.RESEQUENCE:
        for _, s in slips:
            m.Add(s == 0)

    stages = []
    if kind is OptionKind.DUE_DATE:
        stages.append(finish[target])
    else:
        stages.append(late)
        if kind is OptionKind.RESEQUENCE:
            stages.append(sum(s for _, s in slips))
            slipped = []
            for bill, s in slips:
                flag = m.NewBoolVar(f"slipped_{bill}")
                m.Add(s == 0).OnlyEnforceIf(flag.Not())
                slipped.append(flag)
            stages.append(sum(slipped))
        elif kind is OptionKind.OVERTIME:
            stages.append(sum(y.values()))
        elif kind is OptionKind.ALTERNATE:
            stages.append(sum(v for k, v in x.items() if k[0] == target and k[1] != home))
        stages.append(finish[target])
    stages.append(sum(finish.values()))  # then everyone as early as possible (a tidy plan)

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = params.seed
    solver.parameters.max_deterministic_time = params.deterministic_time
    solver.parameters.max_time_in_seconds = params.max_seconds
    status = cp_model.UNKNOWN
    for objective in stages:
        m.Minimize(objective)
        status = solver.Solve(m)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise RuntimeError(f"CP-SAT found no plan for {kind.value} ({solver.StatusName(status)})")
        value = round(solver.ObjectiveValue())
        m.Add(objective <= value)
        m.ClearHints()
        for var in (*x.values(), *b.values()):
            m.AddHint(var, solver.Value(var))
    made = {k: solver.Value(v) for k, v in x.items() if solver.Value(v)}
    return _Solution(
        solver.StatusName(status),
        made,
        {bill: solver.Value(f) for bill, f in finish.items()},
        {t: solver.Value(v) for t, v in y.items() if solver.Value(v)},
    )


# -- the option a person reads --------------------------------------------------------------------------


def _option(kind, sol: _Solution, items, target: _Item, order: OrderPlan, snapshot: Snapshot, tl, home, capacity):
    d = lambda t: fmt_day(tl.day(t), snapshot.as_of)
    bill = order.bill_no
    finish_t = sol.finish[bill]
    finish_day = tl.day(finish_t)
    due = order.plan_finish if kind is not OptionKind.DUE_DATE else finish_day
    late = max(0, -working_days_between(snapshot.calendar, finish_day, due))
    changes: list[OrderChange] = []
    new_orders: list[NewOrder] = []
    overtime: list[OvertimeDay] = []
    summary: list[Phrase] = []

    if kind is OptionKind.OVERTIME:
        for t, pct in sorted(sol.overtime.items()):
            overtime.append(OvertimeDay(home, tl.day(t), pct, capacity[home] * pct / 100))
        days = ", ".join(f"{d(t)} +{pct}%" for t, pct in sorted(sol.overtime.items()))
        summary.append(
            Phrase(
                plural("planning.option_overtime", len(overtime)),
                {"work_center": home, "days": days, "count": len(overtime), "bill_no": bill, "finish": d(finish_t)},
            )
        )
    elif kind is OptionKind.ALTERNATE:
        moved_total = 0
        for c in sorted({k[1] for k in sol.made if k[0] == bill and k[1] != home}):
            ts = sorted(t for (o, cc, t) in sol.made if o == bill and cc == c)
            qty = sum(sol.made[bill, c, t] for t in ts)
            moved_total += qty
            new_orders.append(NewOrder(bill, order.material, c, float(qty), tl.day(ts[0]), tl.day(ts[-1])))
            whole = qty >= target.remaining and not order.is_started
            summary.append(
                Phrase(
                    "planning.option_move" if whole else "planning.option_split",
                    {
                        "qty": fmt_qty(qty),
                        "remaining": fmt_qty(target.remaining),
                        "alternate": c,
                        "start": d(ts[0]),
                        "end": d(ts[-1]),
                        "bill_no": bill,
                        "finish": d(finish_t),
                    },
                )
            )
        new_finish = max(order.plan_finish, finish_day)
        changes.append(
            OrderChange(bill, qty=order.qty - moved_total, plan_finish=None if new_finish == order.plan_finish else new_finish)
        )
    elif kind is OptionKind.RESEQUENCE:
        summary.append(Phrase("planning.option_resequence", {"bill_no": bill, "work_center": home, "finish": d(finish_t)}))
    else:
        changes.append(OrderChange(bill, plan_finish=finish_day))
        summary.append(
            Phrase(
                "planning.option_due_date",
                {"bill_no": bill, "due": fmt_day(order.plan_finish, snapshot.as_of), "new_due": d(finish_t)},
            )
        )

    if kind is not OptionKind.DUE_DATE:
        if late == 0:
            slack = working_days_between(snapshot.calendar, finish_day, order.plan_finish)
            key = "planning.option_on_due_date" if slack == 0 else plural("planning.option_on_time", slack)
            summary.append(Phrase(key, {"days": slack}))
        else:
            summary.append(Phrase(plural("planning.option_still_late", late), {"days": late}))

    slips: list[Slip] = []
    for other, f in sorted(sol.finish.items()):
        item = items[other]
        if other == bill or f <= item.reference:
            continue
        after, before = tl.day(f), tl.day(item.reference)
        n = working_days_between(snapshot.calendar, before, after)
        slip = Slip(other, before, after, n, item.order.plan_finish, after > item.order.plan_finish)
        slips.append(slip)
        key = "planning.option_slip_late" if slip.late_after else "planning.option_slip"
        summary.append(
            Phrase(
                plural(key, n),
                {"bill_no": other, "days": n, "finish": d(f), "due": fmt_day(item.order.plan_finish, snapshot.as_of)},
            )
        )
        first = min((t for (o, _, t) in sol.made if o == other), default=None)
        new_start = tl.day(first) if first is not None and not item.order.is_started else None
        changes.append(
            OrderChange(
                other,
                plan_start=new_start if new_start and new_start > item.order.plan_start else None,
                plan_finish=after if slip.late_after else None,
            )
        )
    if kind is OptionKind.RESEQUENCE and not slips:
        summary.append(Phrase("planning.option_no_slip", {}))
    return Option(
        number=0,
        kind=kind,
        bill_no=bill,
        finish_before=tl.day(target.reference),
        finish_after=finish_day,
        due=due,
        late_working_days=late,
        changes=tuple(c for c in changes if c.plan_start or c.plan_finish or c.qty is not None),
        new_orders=tuple(new_orders),
        overtime=tuple(overtime),
        slips=tuple(slips),
        summary=tuple(summary),
        schedule=tuple(
            (b, c, tl.day(t), float(q)) for (b, c, t), q in sorted(sol.made.items(), key=lambda kv: (kv[0][2], kv[0][0]))
        ),
    )


def _rank(option: Option) -> tuple:
    """On-time options first (fewest slipped orders and slip days, then overtime, alternate,
    re-sequencing), then moving the due date, then options that only shorten the delay."""
    if option.kind is OptionKind.DUE_DATE:
        group = 1
    else:
        group = 0 if option.on_time else 2
    slip_days = sum(s.working_days for s in option.slips)
    return (group, option.late_working_days, len(option.slips), slip_days, KIND_ORDER[option.kind])


def _renumber(option: Option, number: int) -> Option:
    return replace(option, number=number)
