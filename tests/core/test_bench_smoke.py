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
    from devtools.bench import side
    from devtools.bench.harness import free_port, running_stack
    from devtools.reliability.run import STACK_OVERRIDES
    from rasa_project.nlu.training import ensure_model

    model = ensure_model()
    # the side-by-side bench's flood gate and metrics port (the reliability scenarios use neither)
    with running_stack(tmp_path_factory.mktemp("bench") / "stack", model, **STACK_OVERRIDES,
                       **side.STACK_OVERRIDES, rasa_metrics_port=free_port()) as running:
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


# -- the side-by-side bench (make bench) ---------------------------------------------------------------
def _cell(turns: int, ack: bool) -> dict:
    from devtools.bench.load import CellResult

    cell = CellResult(turn_s=[0.1 * (i + 1) for i in range(turns)], ack_s=[0.01] * turns if ack else [],
                      flows_done=turns, elapsed_s=1.0)
    return {**cell.summary(), "load_avg_before": [1.0, 1.0, 1.0], "load_avg_after": [1.0, 1.0, 1.0]}


def test_side_by_side_report_has_stable_keys_ratios_and_a_plot(tmp_path):
    from devtools.bench import side

    stages = side.stage_delta({}, {"nlu": {"sum": 0.06, "count": 2.0}, "k3": {"sum": 0.3, "count": 2.0}}, 2)
    assert stages["nlu"] == {"ms_per_turn": 30.0, "calls_per_turn": 1.0, "ms_per_call": 30.0}
    assert stages["audit"] == {"ms_per_turn": 0.0, "calls_per_turn": 0.0, "ms_per_call": None}
    buckets = {"0.005": 90.0, "0.01": 99.0, "0.1": 100.0, "+Inf": 100.0}
    assert side.ack_p99_bound_ms({}, {"ack_buckets": buckets}) == 10.0
    assert side.ack_p99_bound_ms({"ack_buckets": buckets}, {"ack_buckets": buckets}) is None  # no callback between
    report = {
        "kind": "bench", "version": 2, "started_at": "2025-04-01T01:00:00+00:00",
        "machine": {"cpus": 2, "python": "3.10"}, "load_avg_start": [1, 1, 1], "load_avg_end": [1, 1, 1],
        "elapsed_s": 1.0, "ok": True,
        "floor": {"cells": {"query": {"1": _cell(4, False), "10": _cell(8, False)}},
                  "nlu_parse": {"query": {"p50_ms": 30.0, "mean_ms": 31.0, "n": 3}}},
        "ours": {f"k3_{d}ms": {"query": {"1": {**_cell(2, True), "stages": stages},
                                         "10": {**_cell(4, True), "stages": stages}}} for d in (0, 150)},
        "rss": {"floor": {"total": {"rss_mb": 1.0, "peak_mb": 1.0}}, "ours": {"total": {"rss_mb": 2.0, "peak_mb": 2.0}}},
    }
    report["summary"] = side.summarize(report)
    cell = report["summary"]["query"]["k3_150ms"]["10"]
    assert cell["floor_turns_per_s"] == 8.0 and cell["ours_turns_per_s"] == 4.0 and cell["throughput_ratio"] == 0.5
    assert cell["ack_p99_ms"] == 10.0 and cell["failures"] == 0
    paths = side.write(report, tmp_path)
    latest = json.loads(paths["latest"].read_text(encoding="utf-8"))
    assert set(latest) >= {"summary", "rss", "load_avg_start", "floor_nlu_parse", "report", "plot"}
    assert latest["summary"]["query"]["k3_0ms"]["1"]["throughput_ratio"] == 0.5
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = paths["md"].read_text(encoding="utf-8")
    assert "## query" in md and "Where a turn's time goes" in md and "Memory" in md


@pytest.mark.stack
@pytest.mark.slow
def test_side_by_side_drives_our_stack_through_signed_callbacks(shared_stack):
    import asyncio

    from devtools.bench import side
    from devtools.bench.harness import K3Reader

    (_stack, settings), _model = shared_stack
    config = side.SideConfig(concurrencies=(1, 2), k3_delays_ms=(0, 150), rounds=1, min_jobs=2, warmup_jobs=1)
    ours = asyncio.run(side._measure_ours(config, settings, lambda _m: None))
    assert set(ours) == {"k3_0ms", "k3_150ms"}
    for delay in ours.values():
        assert set(delay) == {"query", "create", "report"}
        for flow, cells in delay.items():
            for c, cell in cells.items():
                assert cell["failures"] == 0, (flow, c, cell["failure_samples"])
                turns = 2 * (1 if flow == "query" else 2)
                assert cell["flows"] == 2 and cell["turns"] == turns and cell["ack"]["n"] == turns
                stages = cell["stages"]
                for stage in ("ack", "nlu", "policy", "tracker", "action_call", "action_server", "audit", "k3"):
                    assert stages[stage]["calls_per_turn"] > 0, (flow, stage, stages)
                assert cell["audit_records_per_turn"] > 0 and cell["server_ack_p99_le_ms"] is not None
    assert K3Reader(settings).clear_faults() == []  # the 150 ms latency is taken away again
