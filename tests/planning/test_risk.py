"""The delay-risk model on cases computed by hand, and on the demo factory as it starts."""

from __future__ import annotations

from datetime import date

import pytest

from rasa_project.planning.model import Level, OrderPlan, Report, Shortage
from rasa_project.planning.risk import (
    RiskParams,
    Timeline,
    assess,
    recent_pace,
    shortages_from_stock,
    working_days_between,
)
from tests.planning.conftest import MON_FRI

MON, TUE, WED, THU, FRI = (date(2025, 3, d) for d in (3, 4, 5, 6, 7))
NEXT_MON, NEXT_TUE, NEXT_WED = date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 12)
FLAT = RiskParams(half_life_days=1e9, prior_weight_days=0)  # plain mean, no prior: for hand sums


def by_bill(risks):
    return {r.bill_no: r for r in risks}


def test_started_order_projects_its_blended_pace_over_working_days(make_snapshot):
    # 60/day for 3 days, planned 100/day: pace = (3 x 60 + 1 x 100) / 4 = 70; 320 left from Thu:
    # Thu 70, Fri 140, Mon 210, Tue 280, Wed 350 -> finishes Wed 03-12, due Fri 03-07: 3 working days late
    order = OrderPlan("A", "M1", "WC", 500, MON, FRI, status=4, good=180)
    reports = [Report("A", d, 60) for d in (MON, TUE, WED)]
    risk = assess(make_snapshot(THU, {"WC": 1000}, [order], reports))[0]
    assert risk.level is Level.LATE
    assert risk.run_rate == 70
    assert risk.projected_finish == NEXT_WED
    assert risk.slack_working_days == -3
    assert risk.needed_rate == 160 and risk.basis == "own+plan"
    assert risk.explain("en") == (
        "needs 160/day for 2 working days, makes about 70/day; projected finish 03-12, due 03-07: 3 working days late."
    )
    assert risk.explain("zh") == "需日产 160，剩 2 个工作日，目前日产约 70；预计 03-12 完工，交期 03-07：延误 3 个工作日。"
    assert "terlambat 3 hari kerja" in risk.explain("id")


def test_recent_days_weigh_more():
    series = [(MON, 30.0), (TUE, 60.0), (WED, 90.0)]
    w = [0.5 ** (2 / 3), 0.5 ** (1 / 3), 1.0]
    assert recent_pace(series, 3.0) == pytest.approx((30 * w[0] + 60 * w[1] + 90 * w[2]) / sum(w))
    assert recent_pace(series, 1e9) == pytest.approx(60.0)


def test_an_order_not_started_inherits_the_queue_of_its_center(make_snapshot):
    # WC makes 100/day. A (due Wed) takes all of it Tue and Wed; B (due Thu, not started, paced like the
    # center's recent orders: 100% of plan = 66.7/day) gets nothing until Thu: Thu 66.7, Fri 133, Mon 200
    a = OrderPlan("A", "M1", "WC", 300, MON, WED, status=4, good=100)
    b = OrderPlan("B", "M2", "WC", 200, TUE, THU, status=3)
    risks = by_bill(assess(make_snapshot(TUE, {"WC": 100}, [a, b], [Report("A", MON, 100)])))
    assert risks["B"].level is Level.LATE
    assert risks["B"].projected_finish == NEXT_MON and risks["B"].slack_working_days == -2
    assert risks["B"].expected_start == THU and risks["B"].basis == "center"
    keys = [p.key for p in risks["B"].reason]
    assert keys == ["planning.reason_not_started_center", "planning.reason_queue", "planning.projection_late"]
    queue = risks["B"].reason[1].values
    assert (queue["count"], queue["qty"], queue["rate"], queue["start"]) == (1, "200", "67", "03-06")
    assert "goes first to 1 earlier-due orders with 200 to make, so this one gets about 67/day from 03-06" in risks[
        "B"
    ].explain("en")
    # A finishes on its due date; 6 % slower (94/day) it would not: at risk, and it says so
    assert risks["A"].level is Level.AT_RISK and risks["A"].slack_working_days == 0
    assert risks["A"].reason[-1].key == "planning.projection_at_risk"
    assert risks["A"].reason[-1].values == {"pct": 6, "slow_finish": "03-06"}


def test_a_day_the_whole_center_stopped_does_not_count_as_the_orders_pace(make_snapshot):
    order = OrderPlan("A", "M1", "WC", 1000, MON, NEXT_WED, status=4, good=150)
    reports = [Report("A", d, 50) for d in (MON, TUE, THU)]  # nothing on Wed: the center made nothing
    risk = assess(make_snapshot(FRI, {"WC": 1000}, [order], reports), FLAT)[0]
    assert risk.run_rate == 50  # not (50 + 50 + 0 + 50) / 4


def test_an_idle_day_while_the_center_ran_counts(make_snapshot):
    a = OrderPlan("A", "M1", "WC", 1000, MON, NEXT_WED, status=4, good=150)
    big = OrderPlan("B", "M2", "WC", 5000, MON, NEXT_WED, status=4, good=2000)
    reports = [Report("A", d, 50) for d in (MON, TUE, THU)] + [Report("B", d, 500) for d in (MON, TUE, WED, THU)]
    risks = by_bill(assess(make_snapshot(FRI, {"WC": 1000}, [a, big], reports), FLAT))
    assert risks["A"].run_rate == 37.5  # Wed was A's own idle day: (50 + 50 + 0 + 50) / 4


def test_a_day_the_full_center_held_an_order_back_does_not_count(make_snapshot):
    a = OrderPlan("A", "M1", "WC", 1000, MON, NEXT_WED, status=4, good=190)
    b = OrderPlan("B", "M2", "WC", 1000, MON, NEXT_WED, status=4, good=110)
    reports = [Report("A", MON, 50), Report("A", TUE, 50), Report("A", WED, 90)]
    reports += [Report("B", MON, 50), Report("B", TUE, 50), Report("B", WED, 10)]  # Wed: full, B got 10
    risks = by_bill(assess(make_snapshot(THU, {"WC": 100}, [a, b], reports), FLAT))
    assert risks["B"].run_rate == 50  # its pace when it had its share, not (50 + 50 + 10) / 3
    assert risks["A"].run_rate == pytest.approx(190 / 3, abs=0.01)


def test_an_order_not_started_takes_the_pace_of_earlier_orders_of_its_material(make_snapshot):
    done = OrderPlan("F", "M1", "WC", 100, MON, WED, status=5, good=100)
    new = OrderPlan("N", "M1", "WC", 120, THU, NEXT_TUE, status=1)
    reports = [Report("F", MON, 40), Report("F", TUE, 40), Report("F", WED, 20)]  # Wed: the last 20 only
    risks = assess(make_snapshot(THU, {"WC": 1000}, [done, new], reports))
    assert [r.bill_no for r in risks] == ["N"]  # a finished order is not assessed
    assert risks[0].basis == "material" and risks[0].run_rate == 40
    assert risks[0].projected_finish == date(2025, 3, 10)  # Thu 40, Fri 80, Mon 120
    assert risks[0].level is Level.ON_TRACK and risks[0].slack_working_days == 1
    assert risks[0].explain("en").startswith("not started; earlier M1 orders on WC made about 40/day")


def test_a_component_shortage_holds_production_until_the_supply_date(make_snapshot):
    order = OrderPlan("A", "M1", "WC", 200, MON, TUE, status=3)  # planned 100/day
    until = Shortage("A", "C-1", coverable_qty=100, available_from=THU)
    risk = assess(make_snapshot(MON, {"WC": 1000}, [order], shortages=[until]))[0]
    assert risk.projected_finish == THU and risk.level is Level.LATE  # Mon 100, then nothing until Thu
    assert "short of C-1: until 03-06 stock covers only 100 more" in risk.explain("en")
    open_ended = Shortage("A", "C-1", coverable_qty=100)
    risk = assess(make_snapshot(MON, {"WC": 1000}, [order], shortages=[open_ended]))[0]
    assert risk.projected_finish is None and risk.level is Level.AT_RISK
    assert [p.key for p in risk.reason][-2:] == ["planning.reason_shortage_open", "planning.projection_blocked"]


def test_an_overdue_order_is_late_and_says_so(make_snapshot):
    order = OrderPlan("A", "M1", "WC", 300, MON, TUE, status=4, good=200)
    reports = [Report("A", MON, 100), Report("A", TUE, 100)]
    risk = assess(make_snapshot(THU, {"WC": 1000}, [order], reports), FLAT)[0]
    assert risk.level is Level.LATE and risk.needed_rate is None
    assert risk.projected_finish == THU and risk.slack_working_days == -2
    assert risk.explain("en").startswith("the due date 03-04 has passed with 100 still to make at about 100/day")


def test_only_open_orders_are_assessed(make_snapshot):
    closed = OrderPlan("C", "M1", "WC", 100, MON, FRI, status=6, good=50)
    all_made = OrderPlan("D", "M1", "WC", 100, MON, FRI, status=4, good=100)
    open_ = OrderPlan("E", "M1", "WC", 100, MON, FRI, status=2)
    assert [r.bill_no for r in assess(make_snapshot(TUE, {"WC": 100}, [closed, all_made, open_]))] == ["E"]


def test_stock_goes_to_the_earliest_due_orders_first():
    bom = {"P": [("C", 2.0)]}
    first = OrderPlan("X", "P", "WC", 50, MON, TUE)
    second = OrderPlan("Y", "P", "WC", 50, MON, FRI)
    shortages = shortages_from_stock([second, first], bom, {"C": 150})
    assert shortages == [Shortage("Y", "C", 25, None)]  # X takes 100, 50 left cover 25 of Y's 50


def test_working_day_arithmetic_skips_weekends_and_holidays():
    assert working_days_between(MON_FRI, FRI, NEXT_TUE) == 2
    assert working_days_between(MON_FRI, NEXT_TUE, FRI) == -2
    tl = Timeline(MON_FRI, date(2025, 3, 8), 10)  # a Saturday
    assert tl.day(0) == NEXT_MON and tl.due_index(FRI) == -1 and tl.due_index(date(2025, 3, 9)) == -1
    assert tl.start_index(date(2025, 3, 9)) == 0 and tl.due_index(NEXT_WED) == 2


# -- the demo factory as it starts -----------------------------------------------------------------


def test_demo_factory_p20250401_and_p20250402_are_behind_and_say_why(demo):
    risks = by_bill(assess(demo))
    assert sorted(risks) == ["MO000124", "P20250401", "P20250402", "P20250403"]  # MO000123 is finished

    p1 = risks["P20250401"]  # 180 left, 40/35/45 a day so far, 3 working days before the 04-03 due date
    assert p1.level is Level.LATE
    assert p1.needed_rate == 60 and 40 <= p1.run_rate <= 50
    assert p1.projected_finish == date(2025, 4, 8)  # Qingming (04-04..04-06) is skipped
    assert p1.slack_working_days == -2
    assert p1.explain("en") == (
        "needs 60/day for 3 working days, makes about 43/day; projected finish 04-08, due 04-03: "
        "2 working days late."
    )
    assert p1.explain("zh") == "需日产 60，剩 3 个工作日，目前日产约 43；预计 04-08 完工，交期 04-03：延误 2 个工作日。"
    assert p1.explain("id") == (
        "perlu 60/hari selama 3 hari kerja, saat ini sekitar 43/hari; perkiraan selesai 04-08, tenggat 04-03: "
        "terlambat 2 hari kerja."
    )

    p2 = risks["P20250402"]  # 1400 left after one day of 600, due 04-02
    assert p2.level is Level.LATE
    assert p2.needed_rate == 700 and 600 <= p2.run_rate < 700
    assert p2.projected_finish == date(2025, 4, 3) and p2.slack_working_days == -1
    assert "needs 700/day for 2 working days" in p2.explain("en") and "1 working day late" in p2.explain("en")

    mo = risks["MO000124"]  # not started; MO000123 (same material, same line) made about 41/day
    assert mo.level is Level.ON_TRACK and mo.basis == "material"
    assert mo.projected_finish == date(2025, 4, 7)


def test_demo_factory_assessment_is_deterministic(demo):
    assert [r.as_dict() for r in assess(demo)] == [r.as_dict() for r in assess(demo)]
