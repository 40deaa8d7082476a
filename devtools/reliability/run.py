"""`make reliability`: fault and load scenarios against the whole running system; exit 1 when a
required invariant breaks."""

from __future__ import annotations

import argparse
import random
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

from devtools.bench.harness import ChatDriver, K3Reader, running_stack
from devtools.bench.report import machine, stop_on_sigterm, write_report
from devtools.reliability import scenarios
from devtools.reliability.invariants import broken, verdict_table
from rasa_project.clock import utc_now
from rasa_project.settings import PROJECT_ROOT, Settings

# A short K/3 timeout keeps "answer arrives after the client gave up" scenarios quick.
STACK_OVERRIDES = {"k3_timeout_s": 3.0}


@dataclass(frozen=True)
class ReliabilityConfig:
    redelivery_flows: int = 8  # parallel people, each: progress + create + confirm, every message twice
    k3_fault_flows: int = 8
    unknown_patience_s: float = 100.0  # how long a user told "unknown" after a failed Save keeps confirming; 0 = skip
    webhook_turns: int = 4  # per conversation, 4 conversations
    webhook_burst: int = 22  # turns in one conversation (> DingTalk's 20 a minute); 0 = none
    webhook_throttles: int = 4  # 130101 answers injected
    restart_flows: int = 8
    seed: int = 11


DEFAULT = ReliabilityConfig()
QUICK = ReliabilityConfig(redelivery_flows=2, k3_fault_flows=2, unknown_patience_s=0.0, webhook_turns=1, webhook_burst=0,
                          webhook_throttles=2, restart_flows=2)


def run_reliability(config: ReliabilityConfig, *, model: Path, work_dir: Path, stack=None, log=print) -> dict:
    started = time.perf_counter()
    report: dict = {"kind": "reliability", "started_at": utc_now().isoformat(), "machine": machine(),
                    "config": asdict(config), "scenarios": []}
    log("reliability: starting the stack ..." if stack is None else "reliability: using the running stack ...")
    cm = running_stack(work_dir / "stack", model, **STACK_OVERRIDES) if stack is None else nullcontext(stack)
    with cm as (running, settings):
        ctx = scenarios.Context(running, settings, ChatDriver(settings), K3Reader(settings),
                                random.Random(config.seed))
        plan = [
            ("redelivery", lambda: scenarios.redelivery(ctx, flows=config.redelivery_flows)),
            ("k3_faults", lambda: scenarios.k3_faults(ctx, flows=config.k3_fault_flows,
                                                              unknown_patience_s=config.unknown_patience_s)),
            ("webhook_faults", lambda: scenarios.webhook_faults(
                ctx, turns=config.webhook_turns, burst=config.webhook_burst, throttles=config.webhook_throttles)),
            ("restart_actions", lambda: scenarios.restart_actions(ctx, flows=config.restart_flows)),
        ]
        try:
            for name, scenario in plan:
                log(f"reliability: {name} ...")
                t = time.perf_counter()
                result = scenario()
                result["elapsed_s"] = round(time.perf_counter() - t, 1)
                report["scenarios"].append(result)
                for v in result["verdicts"]:
                    log(f"  {'ok  ' if v['ok'] else ('FAIL' if v['required'] else 'warn')} {v['name']}")
        finally:
            ctx.chat.close()
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    report["broken"] = [{"scenario": s["name"], **v} for s in report["scenarios"] for v in broken(s["verdicts"])]
    report["ok"] = not report["broken"]
    return report


def render(report: dict) -> str:
    result = "all invariants hold" if report["ok"] else f"{len(report['broken'])} invariant(s) broken"
    lines = [
        f"# Reliability run {report['started_at']}",
        "",
        f"Machine: {report['machine']['cpus']} CPUs. Total {report['elapsed_s']} s. Result: **{result}**.",
        "",
    ]
    for s in report["scenarios"]:
        lines += [f"## {s['name']} ({s['elapsed_s']} s)", ""]
        for key, value in s.items():
            if key not in ("name", "verdicts", "elapsed_s", "rules", "faults_injected"):
                lines.append(f"- {key}: `{value}`")
        lines += ["", *verdict_table(s["verdicts"]), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.reliability", description=__doc__)
    parser.add_argument("--scenario", choices=("single-box", "prod-faults"), default="single-box",
                        help="single-box: the scenarios on one stack (default); prod-faults: the production "
                             "topology (nginx, 2 Rasa, 2 action servers) under load and faults")
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--minutes", type=float, default=5.0, help="prod-faults: how long the load runs (at least)")
    parser.add_argument("--conversations", type=int, default=50, help="prod-faults: conversations at once")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "reliability")
    parser.add_argument("--model", type=Path, help="model archive (default: the trained one)")
    args = parser.parse_args(argv)
    stop_on_sigterm()
    from rasa_project.nlu.training import ensure_model

    model = args.model or ensure_model()
    if args.scenario == "prod-faults":
        return _prod_faults(args, model)
    report = run_reliability(QUICK if args.quick else DEFAULT, model=model,
                             work_dir=Settings().var_dir / "reliability",
                             log=lambda m: print(m, file=sys.stderr, flush=True))
    json_path, md_path = write_report("reliability", report, render(report), args.out)
    print(render(report))
    print(f"written: {json_path} and {md_path}")
    return 0 if report["ok"] else 1


def _prod_faults(args, model: Path) -> int:
    from devtools.reliability.prod_faults import ProdFaultsConfig, render, run_prod_faults

    config = ProdFaultsConfig(conversations=args.conversations, minutes=args.minutes)
    report = run_prod_faults(config, model=model, work_dir=Settings().var_dir / "reliability-prod-faults",
                             log=lambda m: print(m, file=sys.stderr, flush=True))
    report["broken"] = broken(report["verdicts"])
    report["ok"] = not report["broken"]
    json_path, md_path = write_report("reliability-prod-faults", report, render(report), args.out)
    print(render(report))
    print(f"written: {json_path} and {md_path}")
    return 0 if report["ok"] else 1
