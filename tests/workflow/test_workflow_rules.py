from datetime import date

import pytest

from k3_client.models import OrderStatus
from rasa_project import catalog
from rasa_project.ordering import rules
from rasa_project.ordering.rules import ComponentPosition, Verdict
from rasa_project.values import read_date, read_quantity

MON_SAT = frozenset({0, 1, 2, 3, 4, 5})
MON_FRI = frozenset({0, 1, 2, 3, 4})
TODAY = date(2025, 4, 1)  # a Tuesday


# -- order status -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status,verdict,key",
    [
        (OrderStatus.PLANNED, Verdict.OK, "workflow.check_status_ok"),
        (OrderStatus.CONFIRMED, Verdict.OK, "workflow.check_status_ok"),
        (OrderStatus.RELEASED, Verdict.OK, "workflow.check_status_ok"),
        (OrderStatus.STARTED, Verdict.OK, "workflow.check_status_ok"),
        (OrderStatus.FINISHED, Verdict.REFUSE, "workflow.order_closed"),
        (OrderStatus.CLOSED, Verdict.REFUSE, "workflow.order_closed"),
        (OrderStatus.SETTLED, Verdict.REFUSE, "workflow.order_closed"),
        (None, Verdict.REFUSE, "workflow.order_unknown"),
    ],
)
def test_order_status_rule(status, verdict, key):
    result = rules.check_order_status("MO1", status)
    assert (result.verdict, result.key) == (verdict, key)


def test_closed_order_names_its_status_in_every_language():
    result = rules.check_order_status("MO000123", OrderStatus.FINISHED)
    assert result.values["status_name"] == {"zh": "完工", "id": "selesai", "en": "finished"}
    assert "完工" in catalog.text(result.key, "zh", **{**result.values, "status_name": "完工"})


# -- reported minimum ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "new_qty,verdict",
    [
        (100, Verdict.REFUSE),
        (123, Verdict.REFUSE),
        (124, Verdict.OK),
        (200, Verdict.OK),
        (None, Verdict.SKIPPED),
    ],
)
def test_quantity_cannot_go_below_reported_good_plus_scrap(new_qty, verdict):
    result = rules.check_reported_minimum("P20250401", new_qty, good=120, scrap=4)
    assert result.verdict is verdict
    assert result.values["reported"] == 124


def test_reported_refusal_carries_the_figures():
    result = rules.check_reported_minimum("P20250401", 100, good=120, scrap=4)
    assert result.key == "workflow.qty_below_reported"
    assert dict(result.values) == {
        "bill_no": "P20250401",
        "good": 120,
        "scrap": 4,
        "reported": 124,
        "qty": 100,
    }


# -- quantity and dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "qty,key",
    [
        (300, "workflow.check_quantity_ok"),
        (100000, "workflow.check_quantity_ok"),
        (100001, "workflow.qty_too_large"),
        (0, "workflow.qty_not_positive"),
        (-5, "workflow.qty_not_positive"),
        (2.5, "workflow.qty_not_whole"),
    ],
)
def test_quantity_rule(qty, key):
    assert rules.check_quantity(qty, max_qty=100000).key == key


@pytest.mark.parametrize(
    "text,expected",
    [
        ("300", 300.0),
        (300, 300.0),
        ("1,000", 1000.0),
        ("1.000", 1000.0),  # Indonesian thousands separator
        ("2.5", 2.5),
        ("300件", 300.0),
        ("300 pcs", 300.0),
        ("５００", 500.0),  # full-width digits
        ("三百", 300.0),
        ("两千五", 2500.0),
        ("五百件", 500.0),
        ("abc", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_read_quantity(text, expected):
    assert read_quantity(text).value == expected


@pytest.mark.parametrize(
    "finish,start,key",
    [
        (date(2025, 4, 1), TODAY, "workflow.check_finish_ok"),  # today is fine
        (date(2025, 4, 10), TODAY, "workflow.check_finish_ok"),
        (date(2025, 3, 31), TODAY, "workflow.date_in_past"),
        (date(2025, 4, 3), date(2025, 4, 5), "workflow.finish_before_start"),
        (date(2025, 4, 3), date(2025, 3, 28), "workflow.check_finish_ok"),  # started order, start in the past
    ],
)
def test_finish_date_rule(finish, start, key):
    assert rules.check_finish_date(finish, today=TODAY, plan_start=start).key == key


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2025-04-10", date(2025, 4, 10)),
        ("2025-04-10T00:00:00", date(2025, 4, 10)),
        ("next week", None),
        (42, None),
    ],
)
def test_read_date(value, expected):
    assert read_date(value) == expected


def test_nothing_changes_when_new_values_equal_k3():
    live = {"qty": 300, "plan_finish": "2025-04-03", "work_center": "WC-01"}
    assert rules.check_something_changes(live, {"qty": 300, "plan_finish": None}).verdict is Verdict.REFUSE
    assert rules.check_something_changes(live, {"qty": 301}).verdict is Verdict.OK


# -- component stock --------------------------------------------------------------------------------------


def position(**kw):
    base = {
        "material_number": "1.03.4100",
        "stock": 420,
        "safety_stock": 300,
        "other_needs": 0,
        "need_before": 150,
        "need_after": 400,
    }
    return ComponentPosition(**{**base, **kw})


def test_demo_control_board_would_fall_below_safety_stock():
    result = rules.check_component(position())
    assert result.verdict is Verdict.NEEDS_APPROVAL
    assert (result.values["projected"], result.values["safety_stock"], result.values["shortfall"]) == (
        20,
        300,
        280,
    )


@pytest.mark.parametrize(
    "kw,verdict,projected",
    [
        ({"need_before": 100, "need_after": 120}, Verdict.OK, 300),  # exactly at safety stock is fine
        ({"need_before": 100, "need_after": 121}, Verdict.NEEDS_APPROVAL, 299),
        ({"need_after": 100, "other_needs": 50}, Verdict.OK, 270),  # below, but the change lowers the need
        ({"need_after": 110, "other_needs": 50}, Verdict.OK, 260),  # the change reduces it: no approval
        ({"need_after": 160, "other_needs": 0, "stock": 2000}, Verdict.OK, 1840),
        (
            {"need_after": 200, "other_needs": 1700, "stock": 2000},
            Verdict.NEEDS_APPROVAL,
            100,
        ),  # others' needs count
    ],
)
def test_component_stock_rule(kw, verdict, projected):
    result = rules.check_component(position(**kw))
    assert result.verdict is verdict
    assert result.values["projected"] == projected


def test_component_needs_sum_duplicate_lines():
    assert rules.component_needs([("A", 1), ("B", 2), ("A", 0.5)], 10) == {"A": 15.0, "B": 20.0}


# -- capacity ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start,end,weekdays,expected",
    [
        (date(2025, 4, 1), date(2025, 4, 8), MON_SAT, 7),  # Sunday 6th is off
        (date(2025, 4, 1), date(2025, 4, 8), MON_FRI, 6),  # Saturday 5th and Sunday 6th off
        (date(2025, 4, 5), date(2025, 4, 6), MON_FRI, 0),
        (date(2025, 4, 3), date(2025, 4, 1), MON_SAT, 0),
    ],
)
def test_working_days(start, end, weekdays, expected):
    assert len(rules.working_days(start, end, weekdays)) == expected


def test_started_order_spreads_its_remainder_over_the_days_left():
    # P20250402: 2000 - 610 reported, planned 03-31..04-02, today 04-01 -> two days left
    load = rules.spread_load(
        1390, plan_start=date(2025, 3, 31), plan_finish=date(2025, 4, 2), today=TODAY, weekdays=MON_SAT
    )
    assert load == {date(2025, 4, 1): 695.0, date(2025, 4, 2): 695.0}


def test_weekend_days_carry_no_load():
    load = rules.spread_load(
        500, plan_start=date(2025, 4, 4), plan_finish=date(2025, 4, 7), today=TODAY, weekdays=MON_FRI
    )
    assert load == {date(2025, 4, 4): 250.0, date(2025, 4, 7): 250.0}


@pytest.mark.parametrize(
    "start,finish,expected_day",
    [
        (date(2025, 3, 25), date(2025, 3, 31), date(2025, 4, 1)),  # overdue: all of it is due now
        (date(2025, 4, 6), date(2025, 4, 6), date(2025, 4, 7)),  # a Sunday-only window moves to Monday
    ],
)
def test_load_without_working_days_lands_on_next_working_day(start, finish, expected_day):
    assert rules.spread_load(80, plan_start=start, plan_finish=finish, today=TODAY, weekdays=MON_SAT) == {
        expected_day: 80
    }


def test_finished_remainder_adds_no_load():
    assert rules.spread_load(0, plan_start=TODAY, plan_finish=TODAY, today=TODAY, weekdays=MON_SAT) == {}


def test_capacity_overload_reports_worst_day():
    before = {date(2025, 4, 1): 695.0, date(2025, 4, 2): 695.0}
    after = {date(2025, 4, 1): 2195.0, date(2025, 4, 2): 2195.0, date(2025, 4, 3): 100.0}
    result = rules.check_capacity("WC-02", 1200, before=before, after=after)
    assert result.verdict is Verdict.NEEDS_APPROVAL
    assert dict(result.values) == {
        "work_center": "WC-02",
        "day": "2025-04-01",
        "load": 2195,
        "capacity": 1200,
        "overload_pct": 82.9,
    }


def test_capacity_with_other_orders_on_the_same_day():
    other = {date(2025, 4, 2): 900.0}
    this_before = {date(2025, 4, 2): 200.0}
    this_after = {date(2025, 4, 2): 400.0}
    result = rules.check_capacity(
        "WC-01", 1200, before=rules.add_loads(other, this_before), after=rules.add_loads(other, this_after)
    )
    assert result.verdict is Verdict.NEEDS_APPROVAL
    assert result.values["load"] == 1300


def test_capacity_not_worsened_needs_no_approval():
    before = {date(2025, 4, 1): 1500.0}
    after = {date(2025, 4, 1): 1400.0}  # still over, but the change relieves it
    assert rules.check_capacity("WC-02", 1200, before=before, after=after).verdict is Verdict.OK


def test_capacity_at_limit_is_ok():
    result = rules.check_capacity("WC-04", 400, before={}, after={date(2025, 4, 2): 400.0})
    assert result.verdict is Verdict.OK
    assert result.values["load"] == 400


# -- decision -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "verdicts,expected",
    [
        ([Verdict.OK, Verdict.SKIPPED], Verdict.OK),
        ([Verdict.OK, Verdict.NEEDS_APPROVAL], Verdict.NEEDS_APPROVAL),
        ([Verdict.NEEDS_APPROVAL, Verdict.REFUSE], Verdict.REFUSE),
    ],
)
def test_decide(verdicts, expected):
    results = [rules.CheckResult("x", v, "workflow.check_skipped") for v in verdicts]
    assert rules.decide(results) is expected


def test_check_result_round_trips_through_json():
    result = rules.check_reported_minimum("P1", 100, good=120, scrap=4)
    assert rules.CheckResult.from_dict(result.as_dict()) == result


def test_unchanged_since_detects_a_moved_order():
    result = rules.check_unchanged_since("MO1", {"qty": 150}, {"qty": 180, "work_center": "WC-04"})
    assert result.verdict is Verdict.REFUSE
    assert result.values["moved"] == {"qty": [150, 180]}
    assert rules.has_reached({"qty": 400, "plan_finish": None}, {"qty": 400, "plan_finish": "2025-04-08"})
