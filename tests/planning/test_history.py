"""The JSON-lines factory history: round trip, snapshots at a date, and errors that name the line."""

from __future__ import annotations

import json
from datetime import date

import pytest

from devtools.risk.generator import generate
from rasa_project.planning.history import History, HistoryError, history_lines, read_history

CAL = '{"type": "calendar", "working_weekdays": [1, 2, 3, 4, 5, 6], "holidays": ["2025-04-04"]}'
WC = '{"type": "work_center", "number": "WC-01", "daily_capacity": 800}'
ORDER = ('{"type": "order", "bill_no": "P1", "material": "BOM-2050", "work_center": "WC-01", "qty": 300, '
         '"plan_start": "2025-03-28", "plan_finish": "2025-04-03"}')
REPORT = '{"type": "report", "bill_no": "P1", "date": "2025-03-28", "good": 40, "scrap": 2}'


def test_generated_history_survives_a_round_trip():
    history = generate("base", 7).history
    again = read_history(list(history_lines(history)))
    assert again == history
    assert list(history_lines(again)) == list(history_lines(history))


def test_snapshot_sees_only_reports_before_the_as_of_date():
    later = '{"type": "report", "bill_no": "P1", "date": "2025-04-01", "good": 260}'
    history = read_history([CAL, WC, ORDER, REPORT, later])
    before = history.snapshot(date(2025, 4, 1))
    assert [r.date for r in before.reports] == [date(2025, 3, 28)]
    assert before.order("P1").good == 40 and before.order("P1").status == 4 and before.order("P1").is_open
    after = history.snapshot(date(2025, 4, 2))
    assert after.order("P1").good == 300 and not after.order("P1").is_open  # finished: status 5
    assert history.snapshot(date(2025, 3, 28)).order("P1").status == 3  # nothing reported yet: released


def test_blank_and_comment_lines_are_skipped_and_scrap_defaults_to_zero():
    history = read_history(["", "# a comment", CAL, WC, ORDER, '{"type":"report","bill_no":"P1","date":"2025-03-29","good":5}'])
    assert isinstance(history, History) and history.reports[0].scrap == 0


@pytest.mark.parametrize(
    "lines, line_no, message",
    [
        ([CAL, WC, "{not json"], 3, "not JSON"),
        ([CAL, WC, "[1, 2]"], 3, "a line must be a JSON object"),
        ([CAL, '{"type": "machine"}'], 2, 'unknown "type" "machine"'),
        ([CAL, '{"type": "work_center", "number": "WC-01"}'], 2, "work_center line lacks daily_capacity"),
        ([CAL, WC, ORDER.replace('"qty": 300', '"qty": -5')], 3, '"qty" must be positive, got -5'),
        ([CAL, WC, ORDER.replace('"qty": 300', '"qty": "300"')], 3, '"qty" must be a number, got "300"'),
        ([CAL, WC, ORDER.replace("2025-04-03", "2025-13-03")], 3, '"plan_finish" must be a date YYYY-MM-DD'),
        ([CAL, WC, ORDER.replace("2025-04-03", "2025-03-01")], 3, "plan_finish 2025-03-01 is before plan_start"),
        ([CAL, WC, ORDER, ORDER], 4, "order P1 appears twice"),
        ([CAL, WC, WC], 3, "work center WC-01 appears twice"),
        ([CAL, WC, ORDER.replace('"WC-01"', '"WC-09"')], 3, "names work center WC-09, which has no work_center line"),
        ([CAL, WC, ORDER, REPORT.replace('"P1"', '"P9"')], 4, "report for order P9, which has no order line"),
        ([CAL, WC, ORDER, REPORT.replace('"good": 40', '"good": -1')], 4, '"good" must be 0 or more'),
        ([CAL.replace("[1, 2, 3, 4, 5, 6]", "[0, 8]"), WC], 1, '"working_weekdays" must be ISO weekdays 1..7'),
        ([CAL.replace('"2025-04-04"', '"Qingming"'), WC], 1, '"holidays" must be dates YYYY-MM-DD'),
        ([CAL, CAL], 2, "a second calendar line"),
    ],
)
def test_a_bad_line_is_refused_with_its_number_and_why(lines, line_no, message):
    with pytest.raises(HistoryError) as err:
        read_history(lines, source="f.jsonl")
    assert err.value.line == line_no
    assert message in str(err.value) and str(err.value).startswith(f"f.jsonl:{line_no}: ")


def test_a_history_without_calendar_is_refused():
    with pytest.raises(HistoryError, match='no {"type": "calendar"} line'):
        read_history([WC, ORDER])


def test_optional_extras_are_read():
    cal = json.loads(CAL) | {"overtime_capacity_pct": 25}
    wc5 = '{"type": "work_center", "number": "WC-05", "daily_capacity": 400}'
    order = json.loads(ORDER) | {"alternates": ["WC-05"], "status": 4}
    history = read_history([json.dumps(cal), WC, wc5, json.dumps(order)])
    assert history.calendar.overtime_capacity_pct == 25
    assert history.orders[0].alternates == ("WC-05",) and history.orders[0].status == 4
