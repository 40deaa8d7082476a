"""`dingk3 risk predict | reschedule` run as real processes on history files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date

from devtools.risk.generator import Mix, generate
from rasa_project.planning.history import History, write_history
from rasa_project.planning.model import Report
from tests.planning.conftest import demo_snapshot


def dingk3(*argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DINGK3_ENV="demo")
    return subprocess.run(
        [sys.executable, "-m", "rasa_project.cli", *argv], check=False, env=env, capture_output=True, text=True,
        timeout=120,
    )


def demo_history(extra_reports=()) -> History:
    snap = demo_snapshot(date(2099, 1, 1))  # every report of the fixture
    orders = tuple(replace(o, good=0.0, scrap=0.0) for o in snap.orders)  # progress comes from the reports
    return History(snap.calendar, snap.work_centers, orders, tuple(sorted((*snap.reports, *extra_reports), key=lambda r: r.date)))


def lines(proc) -> list[dict]:
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_predict_prints_one_line_per_open_order_with_level_finish_and_reason(tmp_path):
    path = tmp_path / "demo.jsonl"
    write_history(path, demo_history())
    out = {row["bill_no"]: row for row in lines(dingk3("risk", "predict", "--history", str(path), "--as-of", "2025-04-01"))}
    assert sorted(out) == ["MO000124", "P20250401", "P20250402", "P20250403"]
    assert all(set(row) == {"bill_no", "level", "projected_finish", "reason"} for row in out.values())
    assert out["P20250401"]["level"] == "late" and out["P20250401"]["projected_finish"] == "2025-04-08"
    assert out["P20250401"]["reason"].startswith("needs 60/day for 3 working days")
    assert out["P20250402"]["level"] == "late" and out["P20250402"]["projected_finish"] == "2025-04-03"
    assert out["MO000124"]["level"] == "on_track"

    zh = {row["bill_no"]: row for row in lines(dingk3("risk", "predict", "--history", str(path), "--as-of", "2025-04-01", "--lang", "zh"))}
    assert zh["P20250401"]["reason"].startswith("需日产 60，剩 3 个工作日")


def test_reports_from_the_as_of_date_on_are_not_used(tmp_path):
    path = tmp_path / "demo.jsonl"
    write_history(path, demo_history([Report("P20250401", date(2025, 4, 1), 180, 0)]))
    out = {row["bill_no"]: row for row in lines(dingk3("risk", "predict", "--history", str(path), "--as-of", "2025-04-01"))}
    assert out["P20250401"]["projected_finish"] == "2025-04-08"  # the 04-01 report is not known yet on 04-01
    out = {row["bill_no"] for row in lines(dingk3("risk", "predict", "--history", str(path), "--as-of", "2025-04-02"))}
    assert "P20250401" not in out  # on 04-02 it is known to be finished


def test_predict_lists_exactly_the_orders_open_at_the_as_of_date(tmp_path):
    generated = generate(Mix("cli", weeks=4, centers=2), 11)
    path = tmp_path / "gen.jsonl"
    write_history(path, generated.history)
    as_of = date(2025, 2, 17)
    made = {}
    for r in generated.history.reports:
        if r.date < as_of:
            made[r.bill_no] = made.get(r.bill_no, 0) + r.good
    expected = {o.bill_no for o in generated.history.orders if made.get(o.bill_no, 0) < o.qty}
    rows = lines(dingk3("risk", "predict", "--history", str(path), "--as-of", as_of.isoformat(), "--details"))
    assert {r["bill_no"] for r in rows} == expected and len(rows) == len(expected)
    assert {r["level"] for r in rows} <= {"on_track", "at_risk", "late"}
    assert all(r["projected_finish"] is None or r["projected_finish"] >= "2025-02-17" for r in rows)


def test_a_bad_history_line_is_reported_with_its_number_and_nothing_is_printed(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"type": "calendar", "working_weekdays": [1, 2, 3, 4, 5]}\n{"type": "order", "bill_no": "P1"}\n')
    proc = dingk3("risk", "predict", "--history", str(path), "--as-of", "2025-04-01")
    assert proc.returncode == 2 and proc.stdout == ""
    assert f"{path}:2: order line lacks material, work_center, qty, plan_start, plan_finish" in proc.stderr
    proc = dingk3("risk", "predict", "--history", str(tmp_path / "missing.jsonl"), "--as-of", "2025-04-01")
    assert proc.returncode == 2 and "no such history file" in proc.stderr
    proc = dingk3("risk", "predict", "--history", str(path), "--as-of", "04/01/2025")
    assert proc.returncode == 2 and "not a date YYYY-MM-DD" in proc.stderr


def test_reschedule_prints_the_solver_options(tmp_path):
    path = tmp_path / "demo.jsonl"
    write_history(path, demo_history())
    rows = lines(dingk3("risk", "reschedule", "--history", str(path), "--as-of", "2025-04-01", "--order", "P20250401"))
    assert [r["kind"] for r in rows] == ["alternate", "due_date", "overtime"]
    assert rows[0]["new_orders"][0]["work_center"] == "WC-05" and rows[0]["late_working_days"] == 0
    assert "WC-05" in rows[0]["text"]
    rows = lines(dingk3("risk", "reschedule", "--history", str(path), "--as-of", "2025-04-01", "--order", "MO000124"))
    assert rows == [{"bill_no": "MO000124", "status": "not_at_risk", "reason": "MO000124 is on track; it needs no reschedule."}]
