"""`make bench` and `make reliability` code paths, run once each with a tiny configuration on one
stack. Asserts report structure, counts and the zero-loss invariants; never timings."""

from __future__ import annotations

import json

import pytest

from devtools.bench.harness import DraftRecord, K3Order
from devtools.bench.stats import latency_summary, percentile
from devtools.reliability.invariants import all_delivered, broken, exactly_once, order_invariants


# -- the pure parts ------------------------------------------------------------------------------------
def test_percentile_interpolates_between_ranks():
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 95) == 5.0
    assert latency_summary([]) == {"n": 0}
    assert latency_summary([0.1, 0.2])["n"] == 2


def test_a_message_answered_twice_breaks_exactly_once():
    kinds = {"m1": "progress", "m2": "confirm"}
    held = exactly_once({"m1": 1, "m2": 1}, {"progress": 1, "confirm": 1}, kinds)
    doubled = exactly_once({"m1": 2, "m2": 1}, {"progress": 1, "confirm": 1}, kinds)
    assert held["ok"] and not doubled["ok"] and doubled["doubled"] == 1


def _by_name(verdicts):
    return {v["name"].split(" (")[0]: v for v in verdicts}


def test_order_invariants_catch_duplicates_orphans_and_lost_drafts():
    drafts = [DraftRecord(1, "k1", "pmc0001", "written", "MO000200"),
              DraftRecord(2, "k2", "pmc0002", "confirmed", None),
              DraftRecord(3, "k3", "pmc0002", "draft", None)]
    orders = [K3Order("MO000200", "C", "k1"), K3Order("MO000201", "C", "k1"), K3Order("MO000202", "B", "zz")]
    v = _by_name(order_invariants(drafts, orders, ["MO000200"]))
    assert not v["no duplicate orders"]["ok"] and v["no duplicate orders"]["duplicated"] == {"k1": 2}
    assert v["no order without a confirmed draft"]["orphans"] == ["MO000202"]
    assert v["no lost confirmed order"]["lost_draft_ids"] == [2]
    assert not v["every created order is audited"]["ok"]
    clean = order_invariants(drafts[:1], orders[:1], ["MO000200"])
    assert broken(clean) == []


def test_a_reply_missing_in_one_conversation_is_reported():
    assert all_delivered({"c1": 2, "c2": 1}, {"c1": 2, "c2": 1})["ok"]
    assert not all_delivered({"c1": 2}, {"c1": 2, "c2": 1})["ok"]


# -- both commands against the real stack --------------------------------------------------------------
@pytest.fixture(scope="module")
def shared_stack(tmp_path_factory):
    from devtools.bench.harness import running_stack
    from devtools.reliability.run import STACK_OVERRIDES
    from rasa_project.nlu.training import ensure_model

    model = ensure_model()
    with running_stack(tmp_path_factory.mktemp("bench") / "stack", model, **STACK_OVERRIDES) as running:
        yield running, model


@pytest.fixture(scope="module")
def bench_report(shared_stack, tmp_path_factory):
    from devtools.bench.report import write_report
    from devtools.bench.run import BenchConfig, render, run_bench

    stack, model = shared_stack
    config = BenchConfig(nlu_passes=2, nlu_limit=3, k3_calls=2, e2e_progress=2, e2e_creates=1, e2e_burst=1,
                         e2e_budget_s=120.0, audit_records=8, postgres=False)
    out = tmp_path_factory.mktemp("bench-out")
    report = run_bench(config, model=model, work_dir=out / "work", stack=stack, log=lambda _m: None)
    json_path, md_path = write_report("bench", report, render(report), out)
    return report, json_path, md_path


@pytest.fixture(scope="module")
def reliability_report(shared_stack, bench_report, tmp_path_factory):
    from devtools.bench.report import write_report
    from devtools.reliability.run import ReliabilityConfig, render, run_reliability

    stack, model = shared_stack
    config = ReliabilityConfig(redelivery_flows=1, k3_fault_flows=1, unknown_patience_s=0.0, webhook_turns=1,
                               webhook_burst=0, webhook_throttles=1, restart_flows=1)
    out = tmp_path_factory.mktemp("reliability-out")
    report = run_reliability(config, model=model, work_dir=out / "work", stack=stack, log=lambda _m: None)
    json_path, _ = write_report("reliability", report, render(report), out)
    return report, json_path



@pytest.mark.stack
@pytest.mark.slow
def test_bench_measures_every_part_and_writes_both_files(bench_report):
    report, json_path, md_path = bench_report
    assert json.loads(json_path.read_text(encoding="utf-8"))["kind"] == "bench"
    assert "## End to end" in md_path.read_text(encoding="utf-8")
    assert report["nlu"]["messages"] == 6 and report["nlu"]["latency"]["n"] == 6
    assert report["nlu"]["messages_per_s"] > 0
    ops = report["k3_client"]["operations"]
    assert {name: s["n"] for name, s in ops.items()} == {"get_order": 2, "stock_of": 2, "create_order": 2}
    assert report["k3_client"]["orders_created"] == 2
    e2e = report["e2e"]
    assert e2e["failures"] == []
    assert e2e["first_reply"]["progress"]["n"] == 2 and e2e["first_reply"]["create_confirm_total"]["n"] == 1
    assert e2e["turns"] == 4  # 2 progress queries + create + confirm
    assert e2e["burst"]["turns"] == e2e["burst"]["conversations"] == 7 and e2e["burst"]["first_reply"]["n"] == 7
    sqlite = report["audit"]["sqlite"]
    assert sqlite["verify_ok"] and sqlite["verified_records"] == sqlite["appended"] == 8 + 8
    assert report["ok"]


@pytest.mark.stack
@pytest.mark.slow
def test_reliability_runs_every_scenario_and_holds_the_zero_loss_invariants(reliability_report):
    report, json_path = reliability_report
    assert json.loads(json_path.read_text(encoding="utf-8"))["kind"] == "reliability"
    by_name = {s["name"]: s for s in report["scenarios"]}
    assert list(by_name) == ["redelivery", "k3_faults", "webhook_faults", "restart_actions"]
    redelivery = _by_name(by_name["redelivery"]["verdicts"])
    once = redelivery["each redelivered message processed exactly once"]
    assert once["ok"] and once["messages"] == 3 and by_name["redelivery"]["deliveries"] == 6
    for scenario in by_name.values():
        verdicts = _by_name(scenario["verdicts"])
        if "no duplicate orders" in verdicts:
            assert verdicts["no duplicate orders"]["ok"], scenario["name"]
            assert verdicts["no order without a confirmed draft"]["ok"], scenario["name"]
    for name in ("redelivery", "restart_actions"):
        assert broken(by_name[name]["verdicts"]) == [], by_name[name]["verdicts"]
    delivered = _by_name(by_name["webhook_faults"]["verdicts"])["every reply delivered exactly once despite webhook failures"]
    assert delivered["ok"] and delivered["conversations"] == 4
    assert by_name["k3_faults"]["fault_hits"] > 0


@pytest.mark.stack
@pytest.mark.slow
def test_a_confirmation_answered_unknown_can_be_retried_and_is_never_lost(reliability_report):
    report, _ = reliability_report
    k3 = next(s for s in report["scenarios"] if s["name"] == "k3_faults")
    assert broken(k3["verdicts"]) == [], k3["verdicts"]
