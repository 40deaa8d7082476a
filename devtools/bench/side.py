"""`make bench`: our whole stack beside the floor (stock ``rasa run`` + REST + a trivial action
server, same model), the same flows at the same concurrencies, in one run (issue 18).

Figures: turns/s, turn latency p50/p95/p99, callback ack p99 (ours), ratios to the floor, with
the K/3 simulator at 0 ms and at 150 ms per call; per-stage means (NLU alone on the floor's
``/model/parse``, the action server's own call time from its ``/metrics``, K/3 calls and audit
records per turn from the audit trail); RSS of every service (now and peak); the load average
around every cell (the machine may be shared: ratios within one run are what counts).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from devtools.bench import load
from devtools.bench.harness import free_port, stack_settings
from devtools.bench.stats import percentile
from devtools.stack import demo_stack, ingress_enabled
from rasa_project.clock import utc_now
from rasa_project.runner import Stack

FLOW_NAMES = ("query", "create", "report")


@dataclass(frozen=True)
class SideConfig:
    concurrencies: tuple[int, ...] = (1, 10, 50)
    k3_delays_ms: tuple[int, ...] = (0, 150)
    flows: tuple[str, ...] = FLOW_NAMES
    rounds: int = 2  # jobs per cell = max(min_jobs, rounds x concurrency)
    min_jobs: int = 20
    cell_budget_s: float = 45.0  # a cell stops starting jobs after this ...
    measure_budget_s: float = 420.0  # ... or earlier, so all cells of both systems share this much time
    warmup_jobs: int = 3  # per flow and system, not measured
    parse_samples: int = 30


DEFAULT = SideConfig()
QUICK = SideConfig(rounds=1, min_jobs=4, cell_budget_s=20.0, measure_budget_s=240.0, warmup_jobs=1, parse_samples=6)


class Budget:
    """Time left for the cells still to run: each gets its share, at most ``cell_budget_s``."""

    def __init__(self, config: SideConfig) -> None:
        self.config = config
        self.cells_left = len(config.flows) * len(config.concurrencies) * (1 + len(config.k3_delays_ms))
        self.deadline = time.monotonic() + config.measure_budget_s

    def next_cell(self) -> float:
        share = max(5.0, (self.deadline - time.monotonic()) / max(self.cells_left, 1))
        self.cells_left -= 1
        return min(self.config.cell_budget_s, share)

# the bench sends from a handful of demo people: the per-sender flood gate would refuse a load
# test of fifty people, so it is widened here (its own tests are in tests/channel)
STACK_OVERRIDES = {"dingtalk_sender_burst": 10_000, "dingtalk_sender_rate_per_minute": 100_000,
                   "dingtalk_conversation_burst": 10_000, "dingtalk_conversation_rate_per_minute": 100_000}
# ... and the Rasa server's stage timings are read from its metrics port (set per run: a free port)


def jobs_for(config: SideConfig, concurrency: int) -> int:
    return max(config.min_jobs, config.rounds * concurrency)


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- memory ----------------------------------------------------------------------------------------
def _proc_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def rss_of(stack: Stack) -> dict:
    """RSS now and peak (VmHWM) of each service with its child processes, in MB."""
    out: dict = {}
    for svc in stack.services:
        if not svc.process or svc.process.poll() is not None:
            continue
        pids, todo = [], [svc.process.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo += _children(pid)
        rss = sum(_proc_kb(p, "VmRSS") or 0 for p in pids)
        peak = sum(_proc_kb(p, "VmHWM") or 0 for p in pids)
        out[svc.name] = {"rss_mb": round(rss / 1024, 1), "peak_mb": round(peak / 1024, 1), "processes": len(pids)}
    out["total"] = {"rss_mb": round(sum(v["rss_mb"] for v in out.values()), 1),
                    "peak_mb": round(sum(v["peak_mb"] for v in out.values()), 1)}
    return out


# -- stages ----------------------------------------------------------------------------------------
_METRIC = re.compile(r'^dingk3_(action_seconds|turn_stage_seconds)_(sum|count)\{(?:action|stage)="([^"]+)"\} '
                     r'([0-9.e+-]+)$')
STAGES = ("ack", "ack_replay", "ack_dedupe", "handoff", "members", "nlu", "policy", "tracker", "action_call",
          "action_server", "authz", "audit", "k3")
_ACK_BUCKET = re.compile(r'^dingk3_turn_stage_seconds_bucket\{le="([^"]+)",stage="ack"\} ([0-9.e+-]+)$')


def stage_metrics(urls: list[str]) -> dict[str, dict[str, float]]:
    """``{stage: {"sum": s, "count": n}}`` from the /metrics of our processes (Rasa: ack, nlu,
    policy, action_call; action server: action_server (its whole /webhook), authz, audit, k3)."""
    out: dict[str, dict[str, float]] = {}
    for url in urls:
        try:
            text = httpx.get(url, timeout=10.0).text
        except httpx.HTTPError:
            continue
        for line in text.splitlines():
            m = _METRIC.match(line)
            if m:
                stage = "action_server" if m.group(1) == "action_seconds" else m.group(3)
                out.setdefault(stage, {"sum": 0.0, "count": 0.0})[m.group(2)] += float(m.group(4))
            b = _ACK_BUCKET.match(line)
            if b:
                out.setdefault("ack_buckets", {})[b.group(1)] = float(b.group(2))
    return out


def ack_p99_bound_ms(before: dict, after: dict) -> float | None:
    """The channel's own acknowledgement time, p99 as an upper bound: the smallest histogram bucket
    holding 99 % of the callbacks between two reads (None: no callback, or beyond the last bucket)."""
    b, a = before.get("ack_buckets", {}), after.get("ack_buckets", {})
    total = a.get("+Inf", 0.0) - b.get("+Inf", 0.0)
    if total <= 0:
        return None
    for le in sorted((k for k in a if k != "+Inf"), key=float):
        if a[le] - b.get(le, 0.0) >= 0.99 * total:
            return round(float(le) * 1000, 1)
    return None


def stage_delta(before: dict, after: dict, turns: int) -> dict:
    """Per stage: ms per turn, calls per turn, ms per call (between two reads of the metrics)."""
    out = {}
    for stage in STAGES:
        a, b = after.get(stage, {"sum": 0.0, "count": 0.0}), before.get(stage, {"sum": 0.0, "count": 0.0})
        total, calls = a["sum"] - b["sum"], a["count"] - b["count"]
        out[stage] = {"ms_per_turn": round(total / max(turns, 1) * 1000, 1),
                      "calls_per_turn": round(calls / max(turns, 1), 2),
                      "ms_per_call": round(total / calls * 1000, 1) if calls else None}
    return out


def audit_per_conversation(settings, conversation_ids: list[str]) -> dict:
    """Audit records and K/3 calls our stack wrote for the bench's conversations."""
    from sqlalchemy import func, select

    from rasa_project.audit.models import AuditRecord
    from rasa_project.db import make_engine

    engine = make_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(AuditRecord.kind, func.count()).where(
                AuditRecord.conversation_id.in_(conversation_ids)).group_by(AuditRecord.kind)).all()
    finally:
        engine.dispose()
    return {kind: n for kind, n in rows}


# -- one system --------------------------------------------------------------------------------------
async def _measure_floor(config: SideConfig, rasa_url: str, log, budget: Budget) -> dict:
    driver = load.FloorDriver(rasa_url)
    out: dict = {"cells": {}, "nlu_parse": {}}
    try:
        for flow in config.flows:
            await load.run_cell(driver.flow(flow), jobs=config.warmup_jobs, concurrency=1, budget_s=60.0)
        for flow in config.flows:
            out["cells"][flow] = {}
            for c in config.concurrencies:
                before = load_avg()
                cell = await load.run_cell(driver.flow(flow), jobs=jobs_for(config, c), concurrency=c,
                                           budget_s=budget.next_cell())
                out["cells"][flow][str(c)] = {**cell.summary(), "load_avg_before": before, "load_avg_after": load_avg()}
                log(f"bench: floor {flow} c={c}: {out['cells'][flow][str(c)]['turns_per_s']} turns/s")
        for flow in config.flows:
            samples = []
            for i in range(config.parse_samples):
                samples.append(await driver.parse_s(load.texts_of(flow, i)[0]))
            out["nlu_parse"][flow] = {"p50_ms": round(percentile(samples, 50) * 1000, 1),
                                      "mean_ms": round(sum(samples) / len(samples) * 1000, 1), "n": len(samples)}
    finally:
        await driver.aclose()
    return out


def _k3_delay(settings, delay_ms: int) -> None:
    base = f"http://{settings.k3_sim_host}:{settings.k3_sim_port}/k3cloud/_sim/faults"
    httpx.delete(base, timeout=10.0).raise_for_status()
    if delay_ms:
        httpx.post(base, json={"kind": "latency", "op": "*", "form_id": "*", "count": -1,
                               "delay_s": delay_ms / 1000.0}, timeout=10.0).raise_for_status()


async def _measure_ours(config: SideConfig, settings, log, budget: Budget | None = None) -> dict:
    budget = budget or Budget(config)
    sim = f"http://{settings.dingtalk_sim_host}:{settings.dingtalk_sim_port}"
    metric_urls = [f"http://{settings.action_host}:{settings.action_port}/metrics"]
    if settings.rasa_metrics_port:
        metric_urls.append(f"http://{settings.rasa_host}:{settings.rasa_metrics_port}/metrics")
    if ingress_enabled(settings):  # the callbacks are acknowledged there (ack, ack_replay, ack_dedupe, handoff)
        metric_urls.append(f"http://{settings.ingress_host}:{settings.ingress_port}/metrics")
    driver = load.StackDriver(sim)
    await driver.start()
    out: dict = {}
    try:
        for flow in config.flows:  # warm-up: first logins, first LDAP reads, first model calls
            conversations = await driver.make_conversations(flow, config.warmup_jobs)
            await load.run_cell(driver.flow(flow, conversations), jobs=config.warmup_jobs, concurrency=1,
                                budget_s=120.0)
        for delay in config.k3_delays_ms:
            await asyncio.to_thread(_k3_delay, settings, delay)
            key = f"k3_{delay}ms"
            out[key] = {}
            try:
                for flow in config.flows:
                    out[key][flow] = {}
                    for c in config.concurrencies:
                        jobs = jobs_for(config, c)
                        conversations = await driver.make_conversations(flow, jobs)
                        metrics_before = await asyncio.to_thread(stage_metrics, metric_urls)
                        before = load_avg()
                        cell = await load.run_cell(driver.flow(flow, conversations), jobs=jobs, concurrency=c,
                                                   budget_s=budget.next_cell())
                        after = load_avg()
                        metrics_after = await asyncio.to_thread(stage_metrics, metric_urls)
                        audit = await asyncio.to_thread(audit_per_conversation, settings, conversations)
                        summary = cell.summary()
                        turns = max(summary["turns"], 1)
                        summary["stages"] = stage_delta(metrics_before, metrics_after, turns)
                        summary["server_ack_p99_le_ms"] = ack_p99_bound_ms(metrics_before, metrics_after)
                        summary["audit_records_per_turn"] = round(sum(audit.values()) / turns, 2)
                        summary["k3_calls_per_turn_audited"] = round(audit.get("k3_call", 0) / turns, 2)
                        out[key][flow][str(c)] = {**summary, "load_avg_before": before, "load_avg_after": after}
                        log(f"bench: ours {key} {flow} c={c}: {summary['turns_per_s']} turns/s, "
                            f"ack p99 {summary['ack'].get('p99_ms')} ms (callback POST "
                            f"{summary['callback'].get('p99_ms')} ms), failures {summary['failures']}")
            finally:
                await asyncio.to_thread(_k3_delay, settings, 0)
    finally:
        await driver.aclose()
    return out


class _Start(threading.Thread):
    def __init__(self, stack: Stack) -> None:
        super().__init__(name=f"start-{id(stack)}", daemon=True)
        self.stack, self.error = stack, None
        self.elapsed_s: float | None = None
        self.start()

    def run(self) -> None:
        t = time.perf_counter()
        try:
            self.stack.start()
        except (RuntimeError, TimeoutError, OSError) as exc:
            self.error = exc
        self.elapsed_s = round(time.perf_counter() - t, 1)

    def wait(self) -> None:
        self.join(timeout=400)
        if self.error is not None:
            raise self.error
        if self.is_alive():
            raise TimeoutError("a stack did not start within 400 s")


# ``--graph-on-loop``: Rasa's model graph on the event loop and asyncio's default thread pool in the
# action server, as before issue 18 (stages are timed all the same): the A/B of the main fixes
GRAPH_ON_LOOP = {"rasa_graph_threads": 0, "action_server_threads": 0}


def run_side_by_side(config: SideConfig, *, model: Path, work_dir: Path, log=print, stack=None,
                     overrides: dict | None = None) -> dict:
    """Start the floor and (unless ``stack`` is a running ``(Stack, Settings)``) our stack together,
    measure the floor, stop it, then measure ours; everything started here is stopped here."""
    from devtools.bench.floor import floor_services
    from devtools.bench.report import machine

    started = time.perf_counter()
    report: dict = {"kind": "bench", "version": 2, "started_at": utc_now().isoformat(), "machine": machine(),
                    "config": asdict(config), "overrides": overrides or {}, "load_avg_start": load_avg()}
    shutil.rmtree(work_dir / "floor", ignore_errors=True)
    floor_settings = stack_settings(work_dir / "floor")
    rasa_port, action_port = free_port(), free_port()
    floor = Stack(floor_settings, floor_services(work_dir / "floor", model, rasa_port=rasa_port,
                                                 action_port=action_port))
    own = stack is None
    if own:
        shutil.rmtree(work_dir / "stack", ignore_errors=True)
        settings = stack_settings(work_dir / "stack", **{**STACK_OVERRIDES, **(overrides or {})},
                                  rasa_metrics_port=free_port())
        stack = (demo_stack(settings, model), settings)
    starts = [_Start(floor)] + ([_Start(stack[0])] if own else [])
    try:
        for s in starts:
            s.wait()
        report["start_s"] = {"floor": starts[0].elapsed_s, "ours": starts[1].elapsed_s if own else None}
        report["acknowledged_by"] = "ingress" if ingress_enabled(stack[1]) else "rasa"
        log("bench: the floor (stock rasa run + REST + trivial action server) ...")
        budget = Budget(config)
        report["floor"] = asyncio.run(_measure_floor(config, f"http://127.0.0.1:{rasa_port}", log, budget))
        report["rss"] = {"floor": rss_of(floor)}
        floor.stop()
        log("bench: our stack (signed callbacks -> reply at the sessionWebhook) ...")
        report["ours"] = asyncio.run(_measure_ours(config, stack[1], log, budget))
        report["rss"]["ours"] = rss_of(stack[0])
    finally:
        floor.stop()
        if own:
            for s in starts[1:]:
                s.join(timeout=400)
            stack[0].stop()
    report["load_avg_end"] = load_avg()
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    report["summary"] = summarize(report)
    report["ok"] = not any(cell["failures"] for system in report["ours"].values() for flow in system.values()
                           for cell in flow.values()) and not any(
        cell["failures"] for flow in report["floor"]["cells"].values() for cell in flow.values())
    return report


def _ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def summarize(report: dict) -> dict:
    """The stable keys of latest.json: ``summary[flow][k3_<d>ms][<concurrency>]``."""
    out: dict = {}
    floor = report["floor"]["cells"]
    for delay_key, flows in report["ours"].items():
        for flow, cells in flows.items():
            for c, ours in cells.items():
                base = floor.get(flow, {}).get(c, {})
                out.setdefault(flow, {}).setdefault(delay_key, {})[c] = {
                    "floor_turns_per_s": base.get("turns_per_s"),
                    "ours_turns_per_s": ours["turns_per_s"],
                    "throughput_ratio": _ratio(ours["turns_per_s"], base.get("turns_per_s")),
                    "floor_p50_ms": base.get("latency", {}).get("p50_ms"),
                    "floor_p95_ms": base.get("latency", {}).get("p95_ms"),
                    "floor_p99_ms": base.get("latency", {}).get("p99_ms"),
                    "ours_p50_ms": ours["latency"].get("p50_ms"),
                    "ours_p95_ms": ours["latency"].get("p95_ms"),
                    "ours_p99_ms": ours["latency"].get("p99_ms"),
                    "p95_ratio": _ratio(ours["latency"].get("p95_ms"), base.get("latency", {}).get("p95_ms")),
                    "ack_p99_ms": ours["ack"].get("p99_ms"),
                    "callback_p99_ms": ours.get("callback", {}).get("p99_ms"),
                    "server_ack_p99_le_ms": ours.get("server_ack_p99_le_ms"),
                    "failures": ours["failures"] + base.get("failures", 0),
                    "not_run": ours["not_run"] + base.get("not_run", 0),  # jobs past the cell's time budget
                }
    return out


# -- output ----------------------------------------------------------------------------------------
def render(report: dict) -> str:
    lines = [
        f"# Benchmark {report['started_at']} (side by side)",
        "",
        (f"Machine: {report['machine']['cpus']} CPUs, Python {report['machine']['python']}; load average "
         f"{report['load_avg_start']} at the start, {report['load_avg_end']} at the end (1/5/15 min). "
         f"Total {report['elapsed_s']} s. All traffic on 127.0.0.1. Settings changed for this run: "
         f"{report.get('overrides') or 'none'}."),
        "",
        ("Floor: the same model under stock `rasa run` (REST channel, in-memory tracker store) and an action "
         "server answering every action at once. Ours: the whole demo stack, each flow in a new DingTalk group, "
         "signed callback -> the reply at the sessionWebhook. Latency is per turn (to the reply that answers it); "
         "ack = the round trip of `POST /_sim/chat` (the simulator builds, signs and posts the callback and "
         "answers with its status: its own queueing included) / callback POST = the signed callback's HTTP "
         "round trip as the simulator (DingTalk) times it, from sending it to having the answer / server = the "
         "acknowledging process's own time from arrival to answer (p99 as the histogram bucket that holds "
         "it). Callbacks acknowledged by: "
         + ("the ingress (connectors/ingress.py, its own process), which hands them to Rasa"
            if report.get("acknowledged_by") == "ingress" else "the Rasa process's channel") + "."),
        "",
    ]
    for flow in report["summary"]:
        lines += [f"## {flow}", "",
                  ("| K/3 | concurrency | floor turns/s | ours turns/s | ratio | floor p50 / p95 / p99 ms | "
                  "ours p50 / p95 / p99 ms | p95 ratio | ack p99 ms (sim round trip / callback POST / server ≤) | "
                  "failures / not run |"),
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for delay_key, cells in report["summary"][flow].items():
            for c, s in cells.items():
                lines.append(
                    f"| {delay_key[3:]} | {c} | {s['floor_turns_per_s']} | {s['ours_turns_per_s']} | "
                    f"{s['throughput_ratio']} | {s['floor_p50_ms']} / {s['floor_p95_ms']} / {s['floor_p99_ms']} | "
                    f"{s['ours_p50_ms']} / {s['ours_p95_ms']} / {s['ours_p99_ms']} | {s['p95_ratio']} | "
                    f"{s['ack_p99_ms']} / {s.get('callback_p99_ms')} / {s.get('server_ack_p99_le_ms')} | "
                    f"{s['failures']} / {s.get('not_run')} |")
        lines.append("")
    lines += ["## Where a turn's time goes (ours: ms per turn, mean; calls per turn in brackets)", "",
              ("Ingress process (connectors/ingress.py; the Rasa process when it is off): ack (callback in -> "
               "answered; inside it ack_replay = the one-use signature claim, ack_dedupe = the msgId record), "
               "handoff (after the ack: the admitted message handed to Rasa, answered). Rasa process: members (the sender's membership check, cached per "
               "conversation; after the ack, at the start of the turn), nlu, policy (model graph), tracker, action_call (Rasa -> "
               "action server -> back). Action server: action_server (its whole /webhook), authz (permission "
               "gate), audit (appends), k3 (WebAPI calls). Stages nest (k3, audit, authz inside action_server "
               "inside action_call); tracker = Rasa's tracker store reads and saves; the turn also holds "
               "the outbox send and the simulator. NLU alone on the floor: " + ", ".join(
                   f"{f} {v.get('mean_ms')} ms" for f, v in report["floor"].get("nlu_parse", {}).items())),
              "",
              "| K/3 | flow | c | turn p50 | " + " | ".join(STAGES) + " | audit records | load avg |",
              "|---|---|---|---|" + "---|" * len(STAGES) + "---|---|"]
    for delay_key, flows in report["ours"].items():
        for flow, cells in flows.items():
            for c, cell in cells.items():
                st = cell["stages"]
                stages = " | ".join(f"{st[s]['ms_per_turn']} ({st[s]['calls_per_turn']})" for s in STAGES)
                lines.append(f"| {delay_key[3:]} | {flow} | {c} | {cell['latency'].get('p50_ms')} | {stages} | "
                             f"{cell.get('audit_records_per_turn')} | {cell['load_avg_after'][0]} |")
    lines += ["", "## Memory (RSS now / peak, MB)", "", "| system | service | RSS | peak |", "|---|---|---|---|"]
    for system, services in report.get("rss", {}).items():
        for name, m in services.items():
            lines.append(f"| {system} | {name} | {m['rss_mb']} | {m['peak_mb']} |")
    failures = [f for system in report["ours"].values() for flow in system.values() for cell in flow.values()
                for f in cell["failure_samples"]]
    for failure in failures[:10]:
        lines.append(f"- failure: `{json.dumps(failure, ensure_ascii=False)[:300]}`")
    return "\n".join(lines) + "\n"


def plot(report: dict, path: Path) -> Path | None:
    """p95 turn latency against concurrency, one panel per flow (matplotlib, headless)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    flows = list(report["summary"])
    fig, axes = plt.subplots(1, len(flows), figsize=(5 * len(flows), 4), squeeze=False)
    for ax, flow in zip(axes[0], flows):
        floor = report["floor"]["cells"].get(flow, {})
        cs = sorted(int(c) for c in floor)
        ax.plot(cs, [floor[str(c)]["latency"].get("p95_ms") for c in cs], "k--o", label="floor p95")
        for delay_key, cells in report["ours"].items():
            cells = cells.get(flow, {})
            cs = sorted(int(c) for c in cells)
            ax.plot(cs, [cells[str(c)]["latency"].get("p95_ms") for c in cs], "-o", label=f"ours p95, K/3 {delay_key[3:]}")
            ax.plot(cs, [cells[str(c)]["ack"].get("p99_ms") for c in cs], ":x", label=f"ack p99, K/3 {delay_key[3:]}")
        ax.set_title(flow)
        ax.set_xlabel("concurrent conversations")
        ax.set_ylabel("ms")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write(report: dict, out_dir: Path) -> dict[str, Path]:
    from devtools.bench.report import write_report

    json_path, md_path = write_report("bench", report, render(report), out_dir)
    png = plot(report, json_path.with_suffix(".png"))
    if png:
        report["plot"] = png.name
    latest = out_dir / "latest.json"
    latest.write_text(json.dumps({k: report[k] for k in ("kind", "version", "started_at", "load_avg_start",
                                                          "load_avg_end", "elapsed_s", "ok", "summary", "rss")}
                                 | {"floor_nlu_parse": report["floor"].get("nlu_parse"), "report": json_path.name,
                                    "plot": report.get("plot")},
                                 indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"json": json_path, "md": md_path, "png": png, "latest": latest}

