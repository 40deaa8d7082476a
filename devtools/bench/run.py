"""`make bench`: our stack beside the floor (``devtools.bench.side``); ``--components``: NLU, K/3
client, paced end-to-end and audit-trail numbers in one report."""

from __future__ import annotations

import argparse
import shutil
import sys
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from devtools.bench import measures
from devtools.bench.harness import stack_settings
from devtools.bench.report import LATENCY_HEADER, latency_row, machine, stop_on_sigterm, write_report
from devtools.stack import demo_stack
from rasa_project.clock import utc_now
from rasa_project.runner import Stack
from rasa_project.settings import PROJECT_ROOT, Settings


@dataclass(frozen=True)
class BenchConfig:
    nlu_passes: int = 3  # over the held-out set
    nlu_limit: int | None = None  # first N held-out messages (None: all)
    k3_calls: int = 50  # per operation
    e2e_progress: int = 24  # progress-query conversations
    e2e_creates: int = 24  # create + confirm conversations
    e2e_concurrency: int = 4
    e2e_burst: int = 6  # back-to-back progress queries per conversation (throughput)
    e2e_budget_s: float = 150.0
    audit_records: int = 2000
    postgres: bool = True


DEFAULT = BenchConfig()
QUICK = BenchConfig(nlu_passes=1, nlu_limit=60, k3_calls=10, e2e_progress=6, e2e_creates=4, e2e_burst=2, e2e_budget_s=30.0,
                    audit_records=300)
HELDOUT = PROJECT_ROOT / "tests" / "nlu_eval" / "heldout.yml"


def run_bench(config: BenchConfig, *, model: Path, work_dir: Path, stack=None, log=print) -> dict:
    """Measure everything; ``stack`` is a running ``(Stack, Settings)`` to reuse, else one is started
    (while the NLU model loads, to save a minute; nothing is measured until both are ready)."""
    started = time.perf_counter()
    report: dict = {"kind": "bench", "started_at": utc_now().isoformat(), "machine": machine(),
                    "config": asdict(config)}
    work_dir.mkdir(parents=True, exist_ok=True)
    own = stack is None
    if own:
        shutil.rmtree(work_dir / "stack", ignore_errors=True)
        settings = stack_settings(work_dir / "stack")
        stack = (demo_stack(settings, model), settings)
    starter = _Starter(stack[0]) if own else None
    try:
        log("bench: NLU parse (the stack starts meanwhile) ..." if own else "bench: NLU parse ...")
        report["nlu"] = measures.measure_nlu(model, HELDOUT, passes=config.nlu_passes, limit=config.nlu_limit,
                                             when_loaded=starter.wait if starter else None)
        report["stack_start_s"] = starter.elapsed_s if starter else None
        log("bench: audit trail ...")
        report["audit"] = measures.measure_audit(work_dir, records=config.audit_records, postgres=config.postgres)
        settings = stack[1]
        log("bench: K/3 client ...")
        report["k3_client"] = measures.measure_k3_client(settings, calls=config.k3_calls)
        log("bench: end to end ...")
        report["e2e"] = measures.measure_e2e(
            settings, progress=config.e2e_progress, creates=config.e2e_creates,
            concurrency=config.e2e_concurrency, budget_s=config.e2e_budget_s,
            burst_per_conversation=config.e2e_burst,
        )  # fmt: skip
    finally:
        if starter:
            starter.wait(raise_error=False)
            stack[0].stop()
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    report["ok"] = not report["e2e"]["failures"] and all(
        r.get("verify_ok", True) for r in report["audit"].values()
    )
    return report


class _Starter:
    """``Stack.start()`` in a thread; ``wait()`` re-raises its failure in the caller."""

    def __init__(self, stack: Stack) -> None:
        self.error: BaseException | None = None
        self.elapsed_s: float | None = None
        self._thread = threading.Thread(target=self._run, args=(stack,), name="stack-start", daemon=True)
        self._thread.start()

    def _run(self, stack: Stack) -> None:
        t = time.perf_counter()
        try:
            stack.start()
        except (RuntimeError, TimeoutError, OSError) as exc:  # handed to the main thread by wait()
            self.error = exc
        self.elapsed_s = round(time.perf_counter() - t, 1)

    def wait(self, raise_error: bool = True) -> None:
        self._thread.join(timeout=300)
        if raise_error and self.error is not None:
            raise self.error
        if raise_error and self._thread.is_alive():
            raise TimeoutError("the stack did not start within 300 s")


def render(report: dict) -> str:
    nlu, k3, e2e, audit = report["nlu"], report["k3_client"], report["e2e"], report["audit"]
    lines = [
        f"# Benchmark {report['started_at']}",
        "",
        (f"Machine: {report['machine']['cpus']} CPUs, Python {report['machine']['python']}. "
        f"Total {report['elapsed_s']} s. All traffic on 127.0.0.1."),
        "",
        "## NLU (`dingk3 parse`, model loaded once)",
        "",
        (f"- model `{nlu['model']}` loaded in {nlu['model_load_s']} s; {nlu['messages']} parses "
        f"({nlu['distinct_messages']} held-out messages x {nlu['passes']}): **{nlu['messages_per_s']} messages/s**"),
        "",
        *LATENCY_HEADER,
        latency_row("parse one message", nlu["latency"]),
        "",
        "## K/3 client against the simulator (real HTTP)",
        "",
        *LATENCY_HEADER,
        *[latency_row(name, s) for name, s in k3["operations"].items()],
        "",
        f"create_order = {k3['create_order_steps']}.",
        "",
        f"## End to end (POST /_sim/chat -> first bot reply), concurrency {e2e['concurrency']}",
        "",
        *LATENCY_HEADER,
        *[latency_row(name, s) for name, s in e2e["first_reply"].items()],
        "",
        (f"- throughput: {e2e['burst']['turns']} progress queries back to back in {e2e['burst']['conversations']} "
         f"conversations: **{e2e['burst']['turns_per_s']} turns/s** (first reply p50 "
         f"{e2e['burst']['first_reply'].get('p50_ms')} ms, p95 {e2e['burst']['first_reply'].get('p95_ms')} ms)"),
        (f"- latency run: {e2e['turns']} turns in {e2e['elapsed_s']} s ({e2e['turns_per_s']} turns/s); client pacing wait "
        f"{e2e['client_pacing_wait_s']} s (at most {e2e['turns_per_minute_per_conversation']} turns per "
        "conversation a minute, under DingTalk's 20 messages/min)"),
        f"- failures: {len(e2e['failures'])}",
        "",
        "## Audit trail",
        "",
        "| store | appended | append/s (1 writer) | append/s (threads) | verify records/s | chain ok |",
        "|---|---|---|---|---|---|",
    ]
    for store, r in audit.items():
        if "skipped" in r:
            lines.append(f"| {store} | skipped ({r['skipped']}) | | | | |")
            continue
        lines.append(f"| {store} | {r['appended']} | {r['append_per_s_sequential']} | "
                     f"{r['append_per_s_concurrent']} ({r['writer_threads']}) | {r['verify_records_per_s']} | "
                     f"{r['verify_ok']} ({r['verified_records']}) |")
    for failure in e2e["failures"][:20]:
        lines.append(f"- failure: `{failure}`")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "bench")
    parser.add_argument("--model", type=Path, help="model archive (default: the trained one)")
    parser.add_argument("--no-postgres", action="store_true", help="audit rates on SQLite only")
    parser.add_argument("--graph-on-loop", action="store_true",
                        help="our stack as before issue 18: Rasa's model graph on its event loop, default thread pools")
    parser.add_argument("--components", action="store_true",
                        help="the component figures (NLU, K/3 client, audit, paced e2e) instead of the side-by-side run")
    args = parser.parse_args(argv)
    stop_on_sigterm()
    if not args.components:
        return _side_by_side(args)
    config = QUICK if args.quick else DEFAULT
    if args.no_postgres:
        config = replace(config, postgres=False)
    from rasa_project.nlu.training import ensure_model

    model = args.model or ensure_model()
    report = run_bench(config, model=model, work_dir=Settings().var_dir / "bench",
                       log=lambda m: print(m, file=sys.stderr, flush=True))
    json_path, md_path = write_report("bench", report, render(report), args.out)
    print(render(report))
    print(f"written: {json_path} and {md_path}")
    return 0 if report["ok"] else 1


def _side_by_side(args) -> int:
    from devtools.bench import side
    from rasa_project.nlu.training import ensure_model

    model = args.model or ensure_model()
    report = side.run_side_by_side(side.QUICK if args.quick else side.DEFAULT, model=model,
                                   work_dir=Settings().var_dir / "bench",
                                   log=lambda m: print(m, file=sys.stderr, flush=True),
                                   overrides=side.GRAPH_ON_LOOP if args.graph_on_loop else None)
    paths = side.write(report, args.out)
    print(side.render(report))
    print("written: " + ", ".join(str(p) for p in paths.values() if p))
    return 0 if report["ok"] else 1
