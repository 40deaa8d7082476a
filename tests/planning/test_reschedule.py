"""CP-SAT rescheduling on small instances whose best plan is known by hand, and on the demo factory."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from rasa_project.planning.model import OptionKind, OrderPlan, Report
from rasa_project.planning.reschedule import RescheduleParams, reschedule
from rasa_project.planning.risk import RiskParams, assess
from rasa_project.workdays import FactoryCalendar

MON, TUE, WED, THU, FRI = (date(2025, 3, d) for d in (3, 4, 5, 6, 7))
NEXT = {name: date(2025, 3, d) for name, d in (("mon", 10), ("tue", 11), ("wed", 12), ("thu", 13), ("fri", 14))}
MON_FRI_OT = FactoryCalendar.from_iso([1, 2, 3, 4, 5], overtime_capacity_pct=25)
EXACT = RescheduleParams(risk=RiskParams(half_life_days=1e9, prior_weight_days=0))  # paces = plain means


def kinds(plan):
    return [o.kind for o in plan.options]


def check_feasible(snapshot, option, overtime_pct: float = 0.0):
    """The option's schedule makes what each re-planned order has left, on working days, within capacity."""
    per_day = defaultdict(float)
    per_order = defaultdict(float)
    ot = {(d.work_center, d.day): d.pct for d in option.overtime}
    for bill, center, day, qty in option.schedule:
        assert snapshot.calendar.is_working_day(day), day
        if not (bill == option.bill_no and option.kind is OptionKind.ALTERNATE):
            assert center == snapshot.order(bill).work_center  # nobody else changes center
        per_day[center, day] += qty
        per_order[bill] += qty
    for (center, day), qty in per_day.items():
        cap = snapshot.center(center).daily_capacity
        assert qty <= cap * (100 + ot.get((center, day), 0)) / 100 + 1e-9, (center, day, qty)
    for bill, qty in per_order.items():
        assert qty == snapshot.order(bill).remaining
    assert all(pct <= overtime_pct for pct in ot.values())


def test_overtime_uses_exactly_the_percent_days_it_needs(make_snapshot):
    # 450 left at 100/day, 4 working days to the due date (Wed..Mon): 50 short. Overtime lifts the day to
    # 100 + pct pieces, so the least overtime that makes it is 50 percent-days in all.
    order = OrderPlan("T", "M1", "WC", 650, MON, NEXT["mon"], status=4, good=200)
    snap = make_snapshot(WED, {"WC": 1000}, [order], [Report("T", MON, 100), Report("T", TUE, 100)], calendar=MON_FRI_OT)
    plan = reschedule(snap, "T", EXACT)
    assert plan.status == "ok" and kinds(plan) == [OptionKind.OVERTIME, OptionKind.DUE_DATE]
    overtime = plan.options[0]
    assert overtime.finish_before == NEXT["tue"] and overtime.finish_after == NEXT["mon"] and overtime.on_time
    assert sum(d.pct for d in overtime.overtime) == 50
    assert all(d.day <= NEXT["mon"] for d in overtime.overtime) and overtime.slips == ()
    check_feasible(snap, overtime, 25)
    due = plan.options[1]
    assert due.changes[0].plan_finish == NEXT["tue"] and due.number == 2
    assert "move the due date of T from 03-10 to 03-11" in due.explain("en")


def test_split_moves_the_least_quantity_and_nobody_on_the_alternate_slips(make_snapshot):
    # T: 250 left at 50/day, due Fri (3 days: 150 at home), so 100 must go elsewhere. ALT (120/day) first
    # finishes X (100 left, due Fri) on Wed, leaving 20 on Wed and 50 (T's pace) on Thu and Fri: 100 fits.
    t = OrderPlan("T", "M1", "WC", 350, MON, FRI, status=4, good=100, alternates=("ALT",))
    x = OrderPlan("X", "M2", "ALT", 300, MON, FRI, status=4, good=200)
    reports = [Report("T", MON, 50), Report("T", TUE, 50), Report("X", MON, 100), Report("X", TUE, 100)]
    snap = make_snapshot(WED, {"WC": 1000, "ALT": 120}, [t, x], reports, calendar=MON_FRI_OT)
    plan = reschedule(snap, "T", EXACT)
    assert kinds(plan) == [OptionKind.ALTERNATE, OptionKind.DUE_DATE]  # 25% overtime cannot close 100
    split = plan.options[0]
    assert split.on_time and split.finish_after == FRI and split.finish_before == NEXT["tue"]
    assert [(n.work_center, n.qty) for n in split.new_orders] == [("ALT", 100.0)]
    assert split.changes[0].bill_no == "T" and split.changes[0].qty == 250  # 350 - 100
    assert split.slips == ()
    assert split.summary[0].key == "planning.option_split"  # T has started: it is split, not moved
    x_days = [(d, q) for b, c, d, q in split.schedule if b == "X"]
    assert x_days == [(WED, 100.0)]  # X keeps its plan
    check_feasible(snap, split)


def test_resequencing_names_the_order_that_slips_and_by_how_much(make_snapshot):
    # WC makes 100/day. Earliest-due-first runs A (100 left, due Tue) on Mon, then T (400 left, due Thu)
    # Tue..Fri: a day late. T on Mon..Thu is on time only if A waits until Fri: 4 working days, past its due.
    a = OrderPlan("A", "M1", "WC", 200, THU, NEXT["tue"], status=4, good=100)
    t = OrderPlan("T", "M2", "WC", 500, FRI, NEXT["thu"], status=4, good=100)
    reports = [Report("A", THU, 100), Report("T", FRI, 100)]
    snap = make_snapshot(NEXT["mon"], {"WC": 100}, [a, t], reports, calendar=MON_FRI_OT)
    plan = reschedule(snap, "T", EXACT)
    assert kinds(plan) == [OptionKind.OVERTIME, OptionKind.RESEQUENCE, OptionKind.DUE_DATE]

    overtime, reseq, due = plan.options
    # 500 pieces in 4 days at 100 + pct a day: 25% on each of the 4 days, and A still goes first
    assert overtime.on_time and sorted((d.day, d.pct) for d in overtime.overtime) == [
        (NEXT["mon"], 25), (NEXT["tue"], 25), (NEXT["wed"], 25), (NEXT["thu"], 25)
    ]
    assert overtime.slips == ()
    check_feasible(snap, overtime, 25)

    assert reseq.on_time and reseq.finish_after == NEXT["thu"]
    assert [s.as_dict() for s in reseq.slips] == [
        {"bill_no": "A", "before": "2025-03-10", "after": "2025-03-14", "working_days": 4, "due": "2025-03-11",
         "late_after": True}
    ]
    assert any(c.bill_no == "A" and c.plan_finish == NEXT["fri"] for c in reseq.changes)
    assert "A slips 4 working days to 03-14, after its due date 03-11" in reseq.explain("en")
    assert "A 推迟 4 个工作日到 03-14，晚于其交期 03-11" in reseq.explain("zh")
    check_feasible(snap, reseq)

    assert due.kind is OptionKind.DUE_DATE and due.finish_after == NEXT["fri"]  # A keeps Monday


def test_orders_that_are_not_open_or_on_track_get_no_options(demo):
    assert reschedule(demo, "MO000123").status == "not_open"  # finished (status 5)
    assert reschedule(demo, "NOPE").status == "not_open"
    assert reschedule(demo, "MO000124").status == "not_at_risk"


def test_demo_p20250401_split_to_wc05_brings_it_in_on_time(demo):
    risk = next(r for r in assess(demo) if r.bill_no == "P20250401")
    plan = reschedule(demo, "P20250401")
    assert plan.status == "ok" and len(plan.options) == 3
    split = plan.options[0]
    assert split.kind is OptionKind.ALTERNATE and split.on_time and split.finish_after == date(2025, 4, 3)
    # WC-01 makes its pace for the 3 working days to 04-03; WC-05 makes the rest, not a piece more
    home = 3 * round(risk.run_rate)
    assert [(n.work_center, n.qty) for n in split.new_orders] == [("WC-05", 180 - home)]
    assert split.changes[0].qty == 300 - (180 - home)
    check_feasible(demo, split)
    assert [o.kind for o in plan.options[1:]] == [OptionKind.DUE_DATE, OptionKind.OVERTIME]
    assert plan.options[1].finish_after == date(2025, 4, 8)
    assert not plan.options[2].on_time and plan.options[2].finish_after < date(2025, 4, 8)  # overtime helps a day
    check_feasible(demo, plan.options[2], 25)
    for lang in ("zh", "id", "en"):
        assert "WC-05" in split.explain(lang)


def test_demo_p20250402_overtime_on_wc02_makes_it(demo):
    plan = reschedule(demo, "P20250402")
    assert [o.kind for o in plan.options] == [OptionKind.OVERTIME, OptionKind.DUE_DATE]
    overtime = plan.options[0]
    assert overtime.on_time and overtime.finish_after == date(2025, 4, 2)
    assert all(d.work_center == "WC-02" and 0 < d.pct <= 25 for d in overtime.overtime)
    check_feasible(demo, overtime, 25)
    assert plan.options[1].changes[0].plan_finish == date(2025, 4, 3)


def test_the_answer_is_the_same_every_time_and_proven_optimal(demo):
    plan = reschedule(demo, "P20250401")
    assert plan.solver_status == "OPTIMAL"
    assert [o.as_dict() for o in plan.options] == [o.as_dict() for o in reschedule(demo, "P20250401").options]
