"""Fault and load scenarios against the running stack; each returns measurements and verdicts."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from devtools.bench.dialogs import (
    PROGRESS,
    SETTLE_S,
    CreateFlow,
    ask_progress,
    create_and_confirm,
    create_request,
    create_slots,
    is_summary,
)
from devtools.bench.harness import ChatDriver, K3Reader, Sent, Slot, drafts, last_draft_id
from devtools.bench.stats import latency_summary
from devtools.reliability.invariants import all_delivered, exactly_once, order_invariants, verdict


@dataclass
class Context:
    stack: object  # devtools.stack.demo_stack
    settings: object
    chat: ChatDriver
    k3: K3Reader
    rng: random.Random


class OrderLedger:
    """What K/3 and the drafts table looked like before a scenario, to judge what it added."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.draft_id = last_draft_id(ctx.settings)
        self.bills = {o.bill_no for o in ctx.k3.orders()}

    def verdicts(self, flows: list[CreateFlow]) -> list[dict]:
        new_orders = [o for o in self.ctx.k3.orders() if o.bill_no not in self.bills]
        told = {b for f in flows for b in f.bill_numbers}
        return order_invariants(drafts(self.ctx.settings, after_id=self.draft_id), new_orders, told)


def _run_parallel(items: list, work, concurrency: int = 4) -> list:
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(work, items))


def _flow_slots(n: int, offset: int = 0) -> list[Slot]:
    """``n`` distinct (person, chat) pairs, so no two flows share a conversation state; ``offset``
    spreads small runs over different conversations."""
    slots = create_slots()
    if n > len(slots):
        raise ValueError(f"at most {len(slots)} parallel create flows")
    return [slots[(offset + i) % len(slots)] for i in range(n)]


def settle_flows(chat: ChatDriver, flows: list[CreateFlow], timeout_s: float = 75.0) -> None:
    """Wait (bounded) for late replies: a confirmation answered after its turn stopped waiting."""
    deadline = time.monotonic() + timeout_s
    while True:
        for flow in flows:
            flow.refresh(chat)
        if all(f.is_done or not f.confirms for f in flows) or time.monotonic() > deadline:
            return
        time.sleep(0.5)


# -- 1. redelivery ---------------------------------------------------------------------------------
def baseline_replies(ctx: Context, timeout_s: float) -> dict[str, int]:
    """How many replies one delivery of each kind of message gets (measured, not assumed)."""
    chat, slot = ctx.chat, Slot("pmc0001")
    progress, _ = ask_progress(chat, slot, 0, timeout_s=timeout_s)
    flow = create_and_confirm(chat, slot, create_request(ctx.rng, "zh"), timeout_s=timeout_s)
    time.sleep(1.0)  # trailing messages of the turns, if any
    counts = {
        "progress": len(chat.replies_to(progress.sent)),
        "create": len(chat.replies_to(flow.summary.sent)) if flow.summary else 0,
        "confirm": len(chat.replies_to(flow.confirms[-1].sent)) if flow.confirms else 0,
    }
    if not all(counts.values()) or not flow.is_done:
        raise RuntimeError(f"baseline conversation failed: {counts}")
    return counts


def redelivery(ctx: Context, *, flows: int, timeout_s: float = 60.0) -> dict:
    """Every message delivered twice with the same msgId (in parallel or right after)."""
    expected = baseline_replies(ctx, timeout_s)
    ledger = OrderLedger(ctx)
    chat = ctx.chat
    sent_kinds: dict[str, str] = {}
    sent_list: list[Sent] = []
    lock = threading.Lock()

    def twice(slot: Slot, text: str, kind: str, parallel: bool):
        first = chat.send(slot, text)
        if parallel:  # the redelivery races the first delivery's turn
            t = threading.Thread(target=chat.send, args=(slot, text), kwargs={"msg_id": first.msg_id})
            t.start()
            t.join(timeout=30)
        else:
            chat.send(slot, text, msg_id=first.msg_id)
        with lock:
            sent_kinds[first.msg_id] = kind
            sent_list.append(first)
        return chat.wait(first, timeout_s=timeout_s, settle_s=SETTLE_S)

    def one(args) -> CreateFlow:
        i, slot = args
        request = create_request(ctx.rng)
        twice(slot, PROGRESS[i % 3][1], "progress", i % 2 == 0)
        flow = CreateFlow(slot, request)
        flow.summary = twice(slot, request.text, "create", i % 2 == 1)
        if is_summary(flow.summary.replies):
            flow.confirms.append(twice(slot, request.yes, "confirm", i % 2 == 0))
        return flow

    done = _run_parallel(list(enumerate(_flow_slots(flows))), one)
    settle_flows(chat, done)
    time.sleep(2.0)  # a doubled turn would answer late: give it the time to show
    counts = {s.msg_id: len(chat.replies_to(s)) for s in sent_list}
    verdicts = [exactly_once(counts, expected, sent_kinds)]
    verdicts.append(verdict("every flow finished with a bill number", all(f.is_done for f in done),
                            finished=sum(f.is_done for f in done), flows=len(done)))
    verdicts += ledger.verdicts(done)
    return {"name": "redelivery", "deliveries": 2 * len(sent_list), "messages": len(sent_list),
            "replies_per_kind_single_delivery": expected, "verdicts": verdicts}


# -- 2. K/3 faults during confirmations ---------------------------------------------------------------
def k3_faults(ctx: Context, *, flows: int, unknown_patience_s: float = 0.0, timeout_s: float = 60.0) -> dict:
    """timeout-after-commit and 5xx on Save/Submit/Audit while people confirm; then a confirm that
    exhausts the client's retries (the user is told "unknown") and the user's retry."""
    settings, k3 = ctx.settings, ctx.k3
    ledger = OrderLedger(ctx)
    late = float(settings.k3_timeout_s) + 1.0
    burst = [
        {"kind": "timeout_after_commit", "op": "save", "form_id": "PRD_MO", "count": 2, "mode": "drop"},
        {"kind": "http_5xx", "op": "save", "form_id": "PRD_MO", "count": 2, "status": 503},
        {"kind": "timeout_after_commit", "op": "submit", "form_id": "PRD_MO", "count": 1, "mode": "drop"},
        {"kind": "timeout_after_commit", "op": "audit", "form_id": "PRD_MO", "count": 1, "mode": "drop"},
        {"kind": "http_5xx", "op": "audit", "form_id": "PRD_MO", "count": 1, "status": 502},
        {"kind": "timeout_after_commit", "op": "save", "form_id": "PRD_MO", "count": 1, "mode": "delay",
         "delay_s": late},
    ]
    k3.clear_faults()
    k3.add_faults(burst)
    done = _run_parallel(
        _flow_slots(flows, offset=2),
        lambda slot: create_and_confirm(ctx.chat, slot, create_request(ctx.rng), timeout_s=timeout_s,
                                        confirm_tries=5, retry_pause_s=1.0),
    )
    settle_flows(ctx.chat, done, timeout_s=20.0)
    left = k3.clear_faults()
    hits = sum(f["hits"] for f in left)

    # A confirmation whose K/3 calls all fail: the user is told "unknown" and must get the order by
    # confirming again. (a) Save and Submit went through, every Audit got a 5xx; (b) every Save got a
    # 5xx (nothing written), retried for up to ``unknown_patience_s``.
    attempts = int(settings.k3_retries) + 1
    unknown = [_unknown_then_retry(
        ctx, "every Audit answered 5xx (order saved, not audited)",
        {"kind": "http_5xx", "op": "audit", "form_id": "PRD_MO", "count": attempts, "status": 503},
        Slot("manager0001", "cidPROD0001"), tries=4, pause_s=1.0, timeout_s=timeout_s)]
    if unknown_patience_s > 0:
        unknown.append(_unknown_then_retry(
            ctx, "every Save answered 5xx (nothing written)",
            {"kind": "http_5xx", "op": "save", "form_id": "PRD_MO", "count": attempts, "status": 503},
            Slot("pmc0001", "cidPROD0001"), tries=int(unknown_patience_s / 5.0) + 1, pause_s=5.0,
            timeout_s=timeout_s))
    verdicts = [
        verdict("every confirmation under faults ends with a bill number", all(f.is_done for f in done),
                finished=sum(f.is_done for f in done), flows=len(done),
                confirm_turns=sum(len(f.confirms) for f in done)),
        *[v for _, v in unknown],
    ]
    verdicts += ledger.verdicts([*done, *[f for f, _ in unknown]])
    return {"name": "k3_faults", "faults_injected": burst, "fault_hits": hits, "verdicts": verdicts}


def _unknown_then_retry(ctx: Context, what: str, fault: dict, slot: Slot, *, tries: int, pause_s: float,
                        timeout_s: float) -> tuple[CreateFlow, dict]:
    ctx.k3.clear_faults()
    ctx.k3.add_faults([fault])
    try:
        flow = create_and_confirm(ctx.chat, slot, create_request(ctx.rng, "en"), timeout_s=timeout_s,
                                  confirm_tries=tries, retry_pause_s=pause_s)
        settle_flows(ctx.chat, [flow], timeout_s=5.0)
    finally:
        ctx.k3.clear_faults()
    told_unknown = bool(flow.confirms) and not flow.confirms[0].bill_numbers
    answered = [t for t in flow.confirms if t.bill_numbers]
    until_bill = ((answered[0].replies[0]["time_ms"] - flow.confirms[0].sent.sent_ms) / 1000.0
                  if answered and flow.confirms else None)
    retries = [t.text[:160] for t in flow.confirms[1:]]
    return flow, verdict(
        f"a user told 'unknown' can retry and gets the order ({what})", told_unknown and flow.is_done,
        first_answer=(flow.confirms[0].text[:200] if flow.confirms else ""), retries=len(retries),
        retry_answers=sorted(set(retries)), seconds_until_bill=until_bill)


# -- 3. DingTalk sessionWebhook failures and throttling -----------------------------------------------
WEBHOOK_SLOTS = (Slot("pmc0001"), Slot("pmc0002"), Slot("prod0001"), Slot("manager0001", "cidPMC0001"))
BURST_SLOT = Slot("prod0002", "cidPROD0001")


def webhook_faults(ctx: Context, *, turns: int, burst: int, throttles: int, timeout_s: float = 150.0) -> dict:
    """Webhook sends answer 130101 (throttled), HTTP 500 or come late; OpenAPI sends fail once;
    one conversation gets more than DingTalk's 20 messages a minute. Replies may be late, never lost."""
    chat = ctx.chat
    rules = [
        {"path_prefix": "/robot/sendBySession", "errcode": 130101,
         "errmsg": "send too fast, exceed 20 times per minute", "count": throttles},
        {"path_prefix": "/robot/sendBySession", "delay_ms": 1500, "count": 2},
        {"path_prefix": "/robot/sendBySession", "status": 500, "count": 1},
        {"path_prefix": "/v1.0/robot/", "status": 503, "count": 1},
    ]
    expected_per_turn = 1  # a progress query gets one reply (checked by the redelivery baseline)
    start = chat.high_water()
    chat.set_faults(rules)
    delays: list[float] = []
    expected: Counter = Counter()
    conv_of: dict[Slot, str] = {}
    lock = threading.Lock()

    def talk(job) -> None:
        slot, n = job
        for i in range(n):
            sent = chat.send(slot, PROGRESS[i % 3][1])
            turn = chat.wait(sent, timeout_s=timeout_s, by_conversation=True)  # OpenAPI replies carry no msgId
            with lock:
                conv_of[slot] = sent.conversation_id
                expected[sent.conversation_id] += expected_per_turn
                if turn.replies:
                    delays.append(turn.latency_s)

    jobs = [(s, turns) for s in WEBHOOK_SLOTS] + ([(BURST_SLOT, burst)] if burst else [])
    try:
        _run_parallel(jobs, talk, concurrency=len(jobs))
        deadline = time.monotonic() + timeout_s
        delivered: Counter = Counter()
        while time.monotonic() < deadline:
            delivered = Counter(m["conversation_id"] for m in chat.messages(after=start))
            if all(delivered[c] >= n for c, n in expected.items()):
                break
            time.sleep(0.5)
        time.sleep(2.0)  # a duplicate would come right after
        delivered = Counter(m["conversation_id"] for m in chat.messages(after=start))
    finally:
        chat.set_faults([])
    requests = [r for r in chat.requests() if r.get("fault")]
    via = Counter(m.get("via") for m in chat.messages(after=start))
    return {
        "name": "webhook_faults",
        "rules": rules,
        "faults_hit": len(requests),
        "replies_via": dict(via),
        "reply_delay": latency_summary(delays),
        "verdicts": [all_delivered({c: delivered[c] for c in expected}, dict(expected)),
                     verdict("injected faults were hit", len(requests) >= throttles, hit=len(requests))],
    }


# -- 4. action server killed and restarted mid-burst ---------------------------------------------------
def restart_actions(ctx: Context, *, flows: int, kill_delay_s: float = 0.5, save_delay_s: float = 2.0,
                    timeout_s: float = 15.0, confirm_window_s: float = 90.0) -> dict:
    """Stop the action server while confirmations are inside their K/3 Save (slowed by a latency
    fault so the kill lands mid-write), start it again; users re-send what got no answer (a turn
    whose action failed gets no reply at all)."""
    ledger = OrderLedger(ctx)
    timing: dict = {}
    confirming = threading.Event()
    ctx.k3.clear_faults()
    ctx.k3.add_faults([{"kind": "latency", "op": "save", "form_id": "PRD_MO", "count": flows,
                        "delay_s": save_delay_s}])

    def killer() -> None:
        if not confirming.wait(timeout=120):
            return
        time.sleep(kill_delay_s)
        t = time.monotonic()
        ctx.stack.stop_service("actions")
        timing["killed_after_first_confirm_s"] = kill_delay_s
        ctx.stack.start_service("actions", timeout_s=120)
        timing["restart_s"] = round(time.monotonic() - t, 2)

    pause = 2.0
    thread = threading.Thread(target=killer, name="kill-actions")
    thread.start()
    try:
        done = _run_parallel(
            _flow_slots(flows, offset=4),
            lambda slot: create_and_confirm(ctx.chat, slot, create_request(ctx.rng), timeout_s=timeout_s,
                                            summary_tries=4, confirm_tries=int(confirm_window_s / (pause + 1)) + 1,
                                            retry_pause_s=pause, before_confirm=confirming.set),
        )
    finally:
        confirming.set()
        thread.join(timeout=180)
        left = ctx.k3.clear_faults()
    settle_flows(ctx.chat, done)
    # A turn lost to the outage is the user's to repeat; what must hold is the orders (below).
    verdicts = [verdict("every flow finished with a bill number after the restart", all(f.is_done for f in done),
                        required=False, finished=sum(f.is_done for f in done), flows=len(done),
                        unfinished=[{"slot": f.slot.label, "last": (f.confirms[-1].text if f.confirms else
                                     (f.summary.text if f.summary else ""))[:160]} for f in done if not f.is_done])]
    verdicts += ledger.verdicts(done)
    return {"name": "restart_actions", **timing, "slow_saves_hit": sum(f["hits"] for f in left),
            "confirm_turns": sum(len(f.confirms) for f in done),
            "unanswered_turns": sum(1 for f in done for t in f.confirms if not t.replies), "verdicts": verdicts}
