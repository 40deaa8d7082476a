"""The four benchmark measurements; each returns a plain dict for the report."""

from __future__ import annotations

import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from devtools.bench.dialogs import (
    ask_progress,
    conversation_key,
    create_and_confirm,
    create_request,
    create_slots,
    query_slots,
)
from devtools.bench.harness import ChatDriver, ConversationBudget, Slot
from devtools.bench.stats import latency_summary, rate
from rasa_project.settings import Settings

PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


# -- NLU ---------------------------------------------------------------------------------------------
def measure_nlu(model: Path, heldout: Path, *, passes: int, limit: int | None, when_loaded=None) -> dict:
    """`dingk3 parse` as the bot runs it: one loaded model, one message at a time. ``when_loaded`` runs
    between loading and measuring (the caller waits there for whatever it started meanwhile)."""
    from rasa_project.nlu.evaluation import load_examples
    from rasa_project.nlu.parsing import NluParser

    examples, anchor = load_examples(heldout)
    texts = [e.text for e in examples][:limit]
    started = time.perf_counter()
    parser = NluParser(model)
    load_s = time.perf_counter() - started
    try:
        if when_loaded is not None:
            when_loaded()
        parser.parse(texts[0], anchor)  # first call builds lazy state; not a steady-state number
        per_message: list[float] = []
        correct = 0
        expected = {e.text: e.intent for e in examples}
        phase = time.perf_counter()
        for _ in range(passes):
            for text in texts:
                t = time.perf_counter()
                record = parser.parse(text, anchor)
                per_message.append(time.perf_counter() - t)
                correct += record["intent"]["name"] == expected[text]
        elapsed = time.perf_counter() - phase
    finally:
        parser.close()
    return {
        "model": model.name,
        "heldout": str(heldout),
        "messages": len(per_message),
        "distinct_messages": len(texts),
        "passes": passes,
        "model_load_s": round(load_s, 2),
        "messages_per_s": rate(len(per_message), elapsed),
        "latency": latency_summary(per_message),
        "intent_correct": correct,
    }


# -- K/3 client ----------------------------------------------------------------------------------------
def measure_k3_client(settings: Settings, *, calls: int) -> dict:
    """Our blocking ``K3Client`` over real HTTP to the K/3 simulator."""
    from k3_client import K3Client
    from k3_client.models import OrderDraft
    from rasa_project.wiring import k3_config

    bills = ("P20250401", "P20250402", "P20250403", "MO000124")
    materials = (["1.01.2050"], ["1.02.3100", "1.03.4100"], ["1.04.5200"])
    run = uuid.uuid4().hex[:8]
    timings: dict[str, list[float]] = {"get_order": [], "stock_of": [], "create_order": []}
    created: list[str] = []
    with K3Client(k3_config(settings)) as k3:
        k3.get_order(bills[0])  # log in once; sessions are reused like the action server does
        for i in range(calls):
            t = time.perf_counter()
            order = k3.get_order(bills[i % len(bills)])
            timings["get_order"].append(time.perf_counter() - t)
            assert order is not None and order.bill_no == bills[i % len(bills)]
        for i in range(calls):
            t = time.perf_counter()
            k3.stock_of(materials[i % len(materials)])
            timings["stock_of"].append(time.perf_counter() - t)
        for i in range(calls):
            draft = OrderDraft(
                material_number="1.01.2050", bom_number="BOM-2050_V1", qty=float(10 + i), unit="Pcs",
                work_center="WC-01", plan_start=date(2025, 4, 2), plan_finish=date(2025, 4, 20),
                bill_type="SCDD01_SYS", request_key=f"bench-{run}-{i}",
            )  # fmt: skip
            t = time.perf_counter()
            order = k3.create_order(draft)
            timings["create_order"].append(time.perf_counter() - t)
            created.append(order.bill_no)
    return {
        "calls_per_operation": calls,
        "operations": {name: latency_summary(values) for name, values in timings.items()},
        "create_order_steps": "find by request key + Save + Submit + Audit + read back",
        "orders_created": len(set(created)),
    }


# -- end to end ----------------------------------------------------------------------------------------
@dataclass
class E2EJob:
    kind: str  # progress | create
    slot: Slot
    index: int


def e2e_jobs(progress: int, creates: int) -> list[E2EJob]:
    """Progress queries and create+confirm conversations, interleaved, spread over every slot."""
    qs, cs = query_slots(), create_slots()
    jobs = [E2EJob("progress", qs[i % len(qs)], i) for i in range(progress)]
    jobs += [E2EJob("create", cs[i % len(cs)], i) for i in range(creates)]
    jobs.sort(key=lambda j: (j.index, j.kind))
    return jobs


def measure_e2e(
    settings: Settings,
    *,
    progress: int,
    creates: int,
    concurrency: int = 4,
    turns_per_minute: int = 12,
    turn_timeout_s: float = 60.0,
    budget_s: float = 240.0,
    seed: int = 7,
    burst_per_conversation: int = 6,
) -> dict:
    """Time from ``POST /_sim/chat`` to the bot's first reply, several people in parallel.

    First a burst: progress queries back to back (``burst_per_conversation`` in each conversation,
    ``concurrency`` at once) for the turns per second the system sustains. Then the latency run,
    paced per conversation so DingTalk's 20 messages/min pacing never shows in the numbers."""
    chat = ChatDriver(settings)
    budget = ConversationBudget(turns_per_minute)
    deadline = time.monotonic() + budget_s
    slot_locks = {s: threading.Lock() for s in query_slots()}
    rng_lock, rng = threading.Lock(), random.Random(seed)
    lat: dict[str, list[float]] = {"progress": [], "create_summary": [], "confirm": [], "create_confirm_total": []}
    failures: list[dict] = []
    turns = [0]
    count_lock = threading.Lock()

    def run(job: E2EJob) -> None:
        if time.monotonic() > deadline:
            failures.append({"job": job.kind, "slot": job.slot.label, "why": "not started before the deadline"})
            return
        key = conversation_key(job.slot)
        with slot_locks[job.slot]:  # one conversation state per person and chat: never two at once
            if job.kind == "progress":
                budget.acquire(key, deadline)
                turn, ok = ask_progress(chat, job.slot, job.index, timeout_s=turn_timeout_s)
                with count_lock:
                    turns[0] += 1
                if ok:
                    lat["progress"].append(turn.latency_s)
                else:
                    failures.append({"job": "progress", "slot": job.slot.label, "got": turn.text[:200]})
                return
            with rng_lock:
                request = create_request(rng)
            budget.acquire(key, deadline)
            budget.acquire(key, deadline)
            flow = create_and_confirm(chat, job.slot, request, timeout_s=turn_timeout_s)
            with count_lock:
                turns[0] += 1 + len(flow.confirms)
            if not flow.is_done:
                got = flow.confirms[-1].text if flow.confirms else (flow.summary.text if flow.summary else "")
                failures.append({"job": "create", "slot": job.slot.label, "text": request.text, "got": got[:200]})
                return
            lat["create_summary"].append(flow.summary.latency_s)
            lat["confirm"].append(flow.confirms[-1].latency_s)
            first, last = flow.summary.sent.sent_ms, flow.confirms[-1].replies[0]["time_ms"]
            lat["create_confirm_total"].append((last - first) / 1000.0)

    burst_lat: list[float] = []

    def burst_turn(job: E2EJob) -> None:
        with slot_locks[job.slot]:
            budget.acquire(conversation_key(job.slot), deadline)
            turn, ok = ask_progress(chat, job.slot, job.index, timeout_s=turn_timeout_s)
        if ok:
            burst_lat.append(turn.latency_s)
        else:
            failures.append({"job": "burst", "slot": job.slot.label, "got": turn.text[:200]})

    try:
        per_conversation: dict[str, int] = {}
        burst_jobs = []
        for i in range(burst_per_conversation * len(query_slots())):
            slot = query_slots()[i % len(query_slots())]
            key = conversation_key(slot)
            if per_conversation.get(key, 0) < burst_per_conversation:
                per_conversation[key] = per_conversation.get(key, 0) + 1
                burst_jobs.append(E2EJob("progress", slot, i))
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for future in [pool.submit(burst_turn, job) for job in burst_jobs]:
                future.result()
        burst_s = time.perf_counter() - started

        jobs = e2e_jobs(progress, creates)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for future in [pool.submit(run, job) for job in jobs]:
                future.result()
        elapsed = time.perf_counter() - started
    finally:
        chat.close()
    return {
        "burst": {"turns": len(burst_jobs), "conversations": len(per_conversation), "elapsed_s": round(burst_s, 2),
                  "turns_per_s": rate(len(burst_lat), burst_s), "first_reply": latency_summary(burst_lat)},
        "concurrency": concurrency,
        "conversations": {"progress": progress, "create_confirm": creates},
        "slots": len(query_slots()),
        "turns": turns[0],
        "elapsed_s": round(elapsed, 2),
        "turns_per_s": rate(turns[0], elapsed),
        "client_pacing_wait_s": round(budget.waited_s, 2),
        "turns_per_minute_per_conversation": turns_per_minute,
        "first_reply": {name: latency_summary(values) for name, values in lat.items()},
        "failures": failures,
    }


# -- audit trail ---------------------------------------------------------------------------------------
def _audit_rates(url: str, records: int, threads: int) -> dict:
    from sqlalchemy.orm import sessionmaker

    from rasa_project import db
    from rasa_project.audit.trail import AuditTrail

    db.migrate(url)
    engine = db.make_engine(url)
    try:
        trail = AuditTrail(sessionmaker(bind=engine, future=True), secrets=())

        def append(i: int) -> None:
            trail.record("k3_call", actor="bench", conversation_id="cidBENCH", order_bill_no=f"MO{i % 997:06d}",
                         operation="Save", form_id="PRD_MO", elapsed_ms=i % 50, ok=True)

        t = time.perf_counter()
        for i in range(records):
            append(i)
        sequential_s = time.perf_counter() - t

        per_thread = max(1, records // threads)
        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(lambda w: [append(w * per_thread + i) for i in range(per_thread)], range(threads)))
        concurrent_s = time.perf_counter() - t
        appended = records + per_thread * threads

        t = time.perf_counter()
        verified = trail.verify()
        verify_s = time.perf_counter() - t
    finally:
        engine.dispose()
    return {
        "appended": appended,
        "append_per_s_sequential": rate(records, sequential_s),
        "append_per_s_concurrent": rate(per_thread * threads, concurrent_s),
        "writer_threads": threads,
        "verify_ok": verified.ok,
        "verified_records": verified.checked,
        "verify_records_per_s": rate(verified.checked, verify_s),
        "verify_s": round(verify_s, 3),
    }


def measure_audit(work_dir: Path, *, records: int, threads: int = 4, postgres: bool = True) -> dict:
    """Append and verify rates on SQLite (the default store) and, when it answers, PostgreSQL."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from rasa_project import db

    sqlite_path = work_dir / "audit-bench.db"
    for stale in work_dir.glob("audit-bench.db*"):  # a fresh chain: counts must match what we append
        stale.unlink()
    out: dict = {"sqlite": _audit_rates(f"sqlite:///{sqlite_path}", records, threads)}
    if not postgres:
        return out
    name = f"dingk3_bench_{uuid.uuid4().hex[:10]}"
    admin = db.make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:  # the benchmark still reports SQLite without a PostgreSQL server
        admin.dispose()
        out["postgres"] = {"skipped": type(exc).__name__}
        return out
    try:
        out["postgres"] = _audit_rates(f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}", records, threads)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return out
