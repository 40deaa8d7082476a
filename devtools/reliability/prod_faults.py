"""The production topology under load and faults (issue 17 item 7; ``make reliability``,
``python -m devtools.reliability --scenario prod-faults --minutes 5 --conversations 50``).

`make prod-local`'s topology on free ports (nginx, 2 Rasa servers, 2 action servers, 2 workers, a
throwaway PostgreSQL database, a Redis database of its own reached through a TCP proxy we own, the
simulators). ``conversations`` groups talk to the bot at once through nginx, each a person or two
and a manager: progress queries, create + confirm (the new order waits for its OA approval, which
the manager decides on the phone, i.e. the simulator's OA API), change + confirm of that order once
approved, output report + confirm. Mid-run, one after the other:

- ``kill -9`` of one Rasa server, restarted;
- ``kill -9`` of one action server, restarted;
- the throwaway PostgreSQL database unreachable: the machine's PostgreSQL is shared, so it is *not*
  restarted; instead every backend of our database is ended (``pg_terminate_backend``) and new
  connections are refused (``ALTER DATABASE ... ALLOW_CONNECTIONS false``) for ``database_outage_s``;
- Redis unavailable for ``redis_outage_s``: the shared Redis is not stopped; the TCP proxy between
  our processes and it closes every connection and refuses new ones.

DingTalk redelivers a callback that was not answered 200 (same msgId), as the real one does. The
invariants are judged from the simulators' records (messages DingTalk delivered and replies it
received, K/3's orders read back with the official SDK, the OA instances) and from the tracker store.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

from devtools.bench.dialogs import PROGRESS, create_request
from devtools.bench.harness import BILL_NO, K3Reader, drafts
from devtools.bench.load import CellResult, StackDriver, done_when
from devtools.bench.stats import latency_summary
from devtools.reliability.invariants import (
    answers,
    approvals_once,
    bills_told_via_openapi,
    messages_once,
    openapi_answers,
    order_invariants,
    order_kept,
    refused_told,
    replies_once,
)
from devtools.stack import subscribe_oa_events
from devtools.topology.prod_local import (
    Ports,
    create_database,
    cut_database,
    drop_database,
    flush_redis,
    free_redis_db,
    restore_database,
    topology,
)
from devtools.topology.tcp_proxy import TcpProxy
from rasa_project.clock import utc_now

REDIS_PORT = 6379
MANAGER = "manager0001"
REQUESTERS = ("pmc0001", "pmc0002")
REPORTER = "prod0001"
REPORT_ORDER = "P20250402"  # started, 2000 pieces: room for every report of a run
FLOWS = ("query", "create", "change", "report")
# as in the e2e stack: functional load sends far more than DingTalk's 20 a minute per group and
# than one person types; OA approvals are applied by the worker often enough to be waited on
TOPOLOGY_SETTINGS = {
    "dingtalk_rate_per_minute": 1000, "dingtalk_sim_rate_per_minute": 1000,
    "dingtalk_sender_rate_per_minute": 100_000, "dingtalk_sender_burst": 10_000,
    "dingtalk_conversation_rate_per_minute": 100_000, "dingtalk_conversation_burst": 10_000,
    "approval_worker_interval_s": 2, "oa_poll_after_s": 5,
}


@dataclass(frozen=True)
class ProdFaultsConfig:
    conversations: int = 50
    minutes: float = 5.0  # at least this long; the faults are spread over it
    redis_outage_s: float = 10.0
    database_outage_s: float = 10.0
    turn_timeout_s: float = 150.0  # a message unanswered this long counts as unanswered
    think_s: tuple[float, float] = (1.0, 4.0)  # pause between a person's messages
    approval_wait_s: float = 120.0
    settle_s: float = 90.0  # after the run: late replies and approvals
    window_tail_s: float = 15.0  # a fault's window lasts until this long after it ended
    recovery_s: float = 60.0  # the load goes on at least this long after the last fault
    seed: int = 17


@dataclass
class Fault:
    name: str
    how: str
    start_s: float = 0.0  # since the run started
    end_s: float = 0.0  # when it was over (service ready again / connections allowed / proxy restored)
    detail: dict = field(default_factory=dict)


@dataclass
class Approval:
    bill_no: str
    instance_id: str
    result: str
    decided_s: float
    told_s: float | None = None


class Run:
    """The load and its records; one per scenario run."""

    def __init__(self, config: ProdFaultsConfig, driver: StackDriver, sim: str, rng: random.Random) -> None:
        self.config, self.driver, self.sim, self.rng = config, driver, sim, rng
        self.result = CellResult()
        self.approvals: list[Approval] = []
        self.flows: dict[str, int] = dict.fromkeys(FLOWS, 0)
        self.flow_failures: list[dict] = []
        self.confirm_bills: set[str] = set()
        self.decided: set[str] = set()  # OA instances the manager decided
        self.marks: dict[str, int] = {}  # bill -> the simulator's message seq when it was decided
        self.stop = asyncio.Event()
        self.t0 = time.monotonic()

    def now_s(self) -> float:
        return round(time.monotonic() - self.t0, 2)

    async def turn(self, cid: str, staff: str, text: str, expect: str, kind: str) -> list[dict] | None:
        return await self.driver.turn(cid, staff, text, done_when(expect), self.result,
                                      redeliver_s=self.config.turn_timeout_s, kind=kind)

    def failed(self, cid: str, flow: str, step: str) -> None:
        self.flow_failures.append({"conversation": cid, "flow": flow, "step": step, "at_s": self.now_s()})

    # -- the flows ---------------------------------------------------------------------------------
    async def query(self, cid: str, index: int, _state: dict) -> None:
        _lang, text, bill = PROGRESS[index % len(PROGRESS)]
        if await self.turn(cid, REPORTER, text, bill, "query") is None:
            self.failed(cid, "query", "answer")

    async def create(self, cid: str, index: int, state: dict) -> None:
        request = create_request(self.rng)
        staff = state["requester"]
        if await self.turn(cid, staff, request.text, "buttons", "create") is None:
            return self.failed(cid, "create", "summary")
        replies = await self.turn(cid, staff, request.yes, "bill_no", "create-confirm")
        if replies is None:
            return self.failed(cid, "create", "confirm")
        bill = next(b for r in replies for b in BILL_NO.findall(r.get("text") or ""))
        self.confirm_bills.add(bill)
        if await self.told(cid, bill, staff):
            state["orders"].append(bill)

    async def manager(self) -> None:
        """The manager works the phone's to-do list: every pending OA approval is agreed once seen,
        whether or not its requester was told the bill number."""
        while True:
            try:
                listed = (await self.driver.http.get(f"{self.sim}/_sim/approvals",
                                                     params={"staff_id": MANAGER})).json()["approvals"]
            except (httpx.HTTPError, ValueError):
                listed = []
            for item in listed:
                bill = next((f["value"] for f in item["form"] if f["name"] == "单据编号"), None)
                if bill is None or item["instance_id"] in self.decided:
                    continue
                self.decided.add(item["instance_id"])
                self.marks[bill] = self.driver.high_water
                r = await self.driver.http.post(f"{self.sim}/_sim/approvals/{item['instance_id']}/decide",
                                                json={"staff_id": MANAGER, "result": "agree", "remark": "同意"})
                if r.status_code == 200:
                    self.approvals.append(Approval(bill, item["instance_id"], "agree", self.now_s()))
                else:
                    self.flow_failures.append({"flow": "approval", "step": f"decide {bill}: {r.text[:120]}",
                                               "at_s": self.now_s()})
            await asyncio.sleep(2.0)

    async def told(self, cid: str, bill: str, requester: str) -> bool:
        """Wait (bounded) until the requester is told, in their 1:1 chat, that ``bill`` was decided."""
        deadline = time.monotonic() + 2 * self.config.approval_wait_s
        while time.monotonic() < deadline:
            if bill in self.marks and any(
                    bill in (m.get("text") or "") and requester in (m.get("to_staff_ids") or [])
                    for m in self.driver.notices(after=self.marks[bill])):
                approval = next((a for a in self.approvals if a.bill_no == bill), None)
                if approval is not None and approval.told_s is None:
                    approval.told_s = self.now_s()
                return True
            await asyncio.sleep(0.5)
        self.failed(cid, "create", f"requester not told {bill} was decided")
        return False

    async def change(self, cid: str, index: int, state: dict) -> None:
        if not state["orders"]:
            return await self.query(cid, index, state)
        bill = state["orders"][-1]
        qty = 5 + index % 9  # below any order the create flow makes (10..99): no risk, no approval
        staff = state["requester"]
        if await self.turn(cid, staff, f"{bill} 数量改成 {qty}", "buttons", "change") is None:
            return self.failed(cid, "change", "summary")
        if await self.turn(cid, staff, "确认", str(qty), "change-confirm") is None:
            self.failed(cid, "change", "confirm")

    async def report(self, cid: str, _index: int, _state: dict) -> None:
        if await self.turn(cid, REPORTER, f"{REPORT_ORDER} 完成 1", "buttons", "report") is None:
            return self.failed(cid, "report", "summary")
        if await self.turn(cid, REPORTER, "确认", "SCHB", "report-confirm") is None:
            self.failed(cid, "report", "confirm")

    async def conversation(self, n: int, cid: str) -> None:
        state = {"requester": REQUESTERS[n % len(REQUESTERS)], "orders": []}
        flows = {"query": self.query, "create": self.create, "change": self.change, "report": self.report}
        index = n
        await asyncio.sleep(self.rng.uniform(0, self.config.think_s[1]))  # people do not start at once
        while not self.stop.is_set():
            name = FLOWS[index % len(FLOWS)]
            await flows[name](cid, index, state)
            self.flows[name] += 1
            index += 1
            await asyncio.sleep(self.rng.uniform(*self.config.think_s))


# -- faults ------------------------------------------------------------------------------------------
def fault_plan(stack, proxy: TcpProxy, database_url: str, config: ProdFaultsConfig) -> list[tuple[Fault, object]]:
    """(what, how to do it) in the order they are injected; each ``how`` blocks until it is over."""

    def restart(name: str):
        def run(fault: Fault) -> None:
            pid = stack.service(name).process.pid
            stack.kill(name)
            fault.detail.update(pid=pid, signal="SIGKILL")
            t = time.monotonic()
            stack.start_service(name, timeout_s=600)
            fault.detail["restart_s"] = round(time.monotonic() - t, 1)
        return run

    def database(fault: Fault) -> None:
        fault.detail["backends_ended"] = cut_database(database_url)
        time.sleep(config.database_outage_s)
        restore_database(database_url)
        fault.detail["outage_s"] = config.database_outage_s

    def redis_outage(fault: Fault) -> None:
        proxy.cut()
        time.sleep(config.redis_outage_s)
        proxy.restore()
        fault.detail.update(outage_s=config.redis_outage_s, connections_refused=proxy.refused)

    return [
        (Fault("rasa_kill", "kill -9 of Rasa server rasa1, then started again"), restart("rasa1")),
        (Fault("actions_kill", "kill -9 of action server actions1, then started again"), restart("actions1")),
        (Fault("postgres_outage", "throwaway database: all backends ended (pg_terminate_backend) and new "
               f"connections refused (ALLOW_CONNECTIONS false) for {config.database_outage_s:g} s; the shared "
               "PostgreSQL server itself is not restarted"), database),
        (Fault("redis_outage", f"Redis unreachable for {config.redis_outage_s:g} s: our TCP proxy in front of the "
               "shared Redis closed every connection and refused new ones (Redis itself kept running)"),
         redis_outage),
    ]


async def inject(run: Run, plan: list[tuple[Fault, object]], duration_s: float, log) -> list[Fault]:
    """Spread the faults over the run, never two at once."""
    done = []
    for k, (fault, how) in enumerate(plan, 1):
        due = duration_s * k / (len(plan) + 1)
        await asyncio.sleep(max(0.0, due - (time.monotonic() - run.t0)))
        fault.start_s = run.now_s()
        log(f"prod-faults: {fault.name} at {fault.start_s:.0f} s ...")
        await asyncio.to_thread(how, fault)
        fault.end_s = run.now_s()
        log(f"prod-faults: {fault.name} over at {fault.end_s:.0f} s {fault.detail}")
        done.append(fault)
    return done


# -- what the records say ------------------------------------------------------------------------------
def tracker_messages(database_url: str, prefix: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    """msgId -> user events in the tracker store, and per tracker (sender id) the msgIds in stored order."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT sender_id, data FROM events WHERE type_name = 'user' "
                                        "AND sender_id LIKE :p ORDER BY id"), {"p": f"%{prefix}%"}).fetchall()
    finally:
        engine.dispose()
    counts: dict[str, int] = {}
    order: dict[str, list[str]] = {}
    for sender, data in rows:
        msg_id = json.loads(data).get("message_id")
        counts[msg_id] = counts.get(msg_id, 0) + 1
        order.setdefault(sender, []).append(msg_id)  # the channel's sender id: "<conversation>:<person>"
    return counts, order


def approval_rows(database_url: str, bills: set[str]) -> list[dict]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT bill_no, instance_id, state, last_error FROM oa_approvals "
                                        "WHERE subject = 'order'")).mappings().all()
    finally:
        engine.dispose()
    return [dict(r) for r in rows if r["bill_no"] in bills]


def latency_windows(turns: list[dict], faults: list[Fault], t0_ms: int, end_s: float, tail_s: float, *,
                    lost: set[str] = frozenset(), no_reply: set[str] = frozenset()) -> list[dict]:
    """Turn latency (by when the message was sent) before the first fault, in each fault's window
    (start .. end + ``tail_s``), between faults and after the last one. ``unexpected``: turns not
    answered as the flow expects within the turn timeout (late, refused or lost); ``lost`` and
    ``no_reply``: msgIds missing from the tracker store / never answered, counted per window."""
    edges: list[tuple[str, float, float]] = []
    cursor = 0.0
    for f in faults:
        if f.start_s > cursor:
            edges.append(("before" if not edges else "between", cursor, f.start_s))
        edges.append((f.name, f.start_s, f.end_s + tail_s))
        cursor = f.end_s + tail_s
    edges.append(("after", cursor, max(cursor, end_s)))
    out = []
    for name, start, end in edges:
        inside = [t for t in turns if start <= (t["sent_ms"] - t0_ms) / 1000.0 < end]
        done = [t["latency_s"] for t in inside if t["latency_s"] is not None]
        out.append({"window": name, "from_s": round(start, 1), "to_s": round(end, 1), "turns": len(inside),
                    "unexpected": len(inside) - len(done), "lost": sum(1 for t in inside if t["msg_id"] in lost),
                    "no_reply": sum(1 for t in inside if t["msg_id"] in no_reply),
                    "redelivered": sum(1 for t in inside if t["deliveries"] > 1), "latency": latency_summary(done)})
    return out


# -- the scenario ----------------------------------------------------------------------------------------
async def _drive(run: Run, plan, config: ProdFaultsConfig, log) -> list[Fault]:
    await run.driver.start()
    cids = await run.driver.make_conversations("rel", config.conversations, prefix="cidREL",
                                               members=[*REQUESTERS, REPORTER, MANAGER])
    talking = [asyncio.ensure_future(run.conversation(n, cid)) for n, cid in enumerate(cids)]
    manager = asyncio.ensure_future(run.manager())
    try:
        faults = await inject(run, plan, config.minutes * 60.0, log)
        until = max(config.minutes * 60.0, faults[-1].end_s + config.recovery_s)
        await asyncio.sleep(max(0.0, until - (time.monotonic() - run.t0)))
        log(f"prod-faults: {run.now_s():.0f} s, letting the conversations finish their flows ...")
        run.stop.set()
        await asyncio.wait_for(asyncio.gather(*talking), timeout=config.turn_timeout_s + 2 * config.approval_wait_s)
        await asyncio.sleep(2 * 2.0)  # the manager's last look at the to-do list
    finally:
        run.stop.set()
        for task in [*talking, manager]:
            task.cancel()
        await asyncio.gather(*talking, manager, return_exceptions=True)
    return faults


def run_prod_faults(config: ProdFaultsConfig, *, model: Path, work_dir: Path, log=print) -> dict:
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    ports = Ports.free()
    database_url = create_database("dingk3_prodfaults")
    redis_db = free_redis_db(REDIS_PORT)
    proxy = TcpProxy(REDIS_PORT)
    stack = topology(work_dir, model, ports=ports, database_url=database_url,
                     redis_url=f"redis://127.0.0.1:{proxy.port}/{redis_db}", settings_extra=TOPOLOGY_SETTINGS)
    report: dict = {"kind": "reliability-prod-faults", "name": "prod_faults", "started_at": utc_now().isoformat(),
                    "config": asdict(config), "topology": {"nginx": ports.lb, "rasa": ports.rasa,
                                                           "actions": ports.actions, "workers": 2,
                                                           "postgres_database": database_url.rsplit("/", 1)[1],
                                                           "redis": f"db {redis_db} via proxy :{proxy.port}"}}
    try:
        log("prod-faults: starting the topology (two Rasa servers load their model: minutes) ...")
        t = time.monotonic()
        stack.start(timeout_s=900)
        report["startup_s"] = round(time.monotonic() - t, 1)
        subscribe_oa_events(stack.settings, f"http://127.0.0.1:{ports.lb}/webhooks/dingtalk/events")
        settings = stack.settings
        k3 = K3Reader(settings)
        before = {o.bill_no for o in k3.orders()}
        sim = f"http://127.0.0.1:{ports.dingtalk}"
        driver = StackDriver(sim, turn_timeout_s=config.turn_timeout_s, keep_notices=True)
        driver.run_id = driver.run_id[:6]
        run = Run(config, driver, sim, random.Random(config.seed))
        t0_ms = int(time.time() * 1000)
        log(f"prod-faults: {config.conversations} conversations for {config.minutes:g} min through nginx ...")

        plan = fault_plan(stack, proxy, database_url, config)
        faults = asyncio.run(_with_driver(driver, _drive(run, plan, config, log)))
        end_s = run.now_s()
        log(f"prod-faults: settling {config.settle_s:g} s for late replies ...")
        _settle(sim, driver, run, config.settle_s)
        report.update(judge(run, faults, t0_ms, end_s, sim=sim, k3=k3, before=before, settings=settings,
                            database_url=database_url, prefix=f"cidREL{driver.run_id}",
                            log_dir=work_dir / "logs"))
        report["elapsed_s"] = round(time.monotonic() - run.t0, 1)
    finally:
        stack.stop()
        proxy.close()
        drop_database(database_url)
        flush_redis(f"redis://127.0.0.1:{REDIS_PORT}/{redis_db}")
    return report


async def _with_driver(driver: StackDriver, work):
    try:
        return await work
    finally:
        await driver.aclose()


def _settle(sim: str, driver: StackDriver, run: Run, settle_s: float) -> None:
    """Wait (bounded) until every accepted message has a reply, then a little longer for doubles."""
    deadline = time.monotonic() + settle_s
    waiting = {t["msg_id"] for t in run.result.turn_log if t["accepted"]}
    while waiting and time.monotonic() < deadline:
        answered = {m.get("in_reply_to") for m in _bot_messages(sim, driver)}
        waiting -= answered
        time.sleep(2.0)
    time.sleep(3.0)


def _bot_messages(sim: str, driver: StackDriver, bills: set[str] = frozenset()) -> list[dict]:
    """What the bot sent in our conversations, and its notices elsewhere naming our orders."""
    found = httpx.get(f"{sim}/_sim/messages", params={"after": 0}, timeout=60).json()["messages"]
    ours = set(driver.conversations)
    return [m for m in found if m.get("conversation_id") in ours
            or (not m.get("in_reply_to") and set(BILL_NO.findall(m.get("text") or "")) & bills)]


def resumed_bills(bot: list[dict]) -> set[str]:
    """Bills the worker finished after their confirmation's write was interrupted: the requester is
    told in a notice (``workflow.draft_resumed``), not in the reply the load driver waits for."""
    from rasa_project import catalog

    openers = [catalog.text("workflow.draft_resumed", lang) for lang in catalog.LANGS]
    return {bill for m in bot if any((m.get("text") or "").startswith(o) for o in openers)
            for bill in BILL_NO.findall(m.get("text") or "")[:1]}


def _channel_log_lines(log_dir: Path | None):
    """Every line of the channel's logs: the callback ingresses (they accept a message) and the Rasa
    servers (they run its turn and send its replies); none without a directory."""
    paths = sorted(log_dir.glob("ingress*.log")) + sorted(log_dir.glob("rasa*.log")) if log_dir else ()
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as lines:
            yield from lines


def judge(run: Run, faults: list[Fault], t0_ms: int, end_s: float, *, sim: str, k3: K3Reader, before: set[str],
          settings, database_url: str, prefix: str, log_dir: Path | None = None) -> dict:
    turns = run.result.turn_log
    handled, handled_order = tracker_messages(database_url, prefix)
    new_orders = [o for o in k3.orders() if o.bill_no not in before]
    our_drafts = drafts(settings)  # the database is the run's own
    bills = {o.bill_no for o in new_orders} | run.confirm_bills
    bot = _bot_messages(sim, run.driver, bills)
    rows = approval_rows(database_url, bills)
    instances = {r["instance_id"]: httpx.get(f"{sim}/_sim/approvals/{r['instance_id']}", timeout=30).json()
                 for r in rows if r["instance_id"]}
    pending = httpx.get(f"{sim}/_sim/approvals", params={"staff_id": MANAGER}, timeout=30).json()["approvals"]
    pending_bills = [f["value"] for a in pending for f in a["form"] if f["name"] == "单据编号" and f["value"] in bills]
    via_openapi = openapi_answers(_channel_log_lines(log_dir))
    told = refused_told(turns, bot)  # not run on purpose, and the person told so
    verdicts = [
        *messages_once(turns, handled, told),
        *replies_once(turns, bot, via_openapi),
        order_kept(turns, bot, handled_order, told),
        *order_invariants(our_drafts, new_orders,
                          run.confirm_bills | bills_told_via_openapi(turns, bot, via_openapi, BILL_NO)
                          | resumed_bills(bot)),
        approvals_once([asdict(a) for a in run.approvals], rows, instances, pending_bills),
    ]
    told = [a.told_s - a.decided_s for a in run.approvals if a.told_s is not None]
    answered = set(answers(turns, bot, via_openapi))
    lost = {t["msg_id"] for t in turns if t["accepted"] and not handled.get(t["msg_id"])}
    no_reply = {t["msg_id"] for t in turns if t["accepted"] and t["msg_id"] not in answered}
    t_of = {t["msg_id"]: t for t in turns}
    return {
        "counts": {
            "conversations": len(run.driver.conversations),
            "messages_sent": len(turns),
            "deliveries": sum(t["deliveries"] for t in turns),
            "messages_accepted": sum(1 for t in turns if t["accepted"]),
            "replies": sum(1 for m in bot if m.get("in_reply_to")),
            "notices": sum(1 for m in bot if not m.get("in_reply_to")),
            "turns_answered_in_time": sum(1 for t in turns if t["latency_s"] is not None),
            "flows_run": dict(run.flows),
            "flow_failures": len(run.flow_failures),
            "k3_orders_created": len(new_orders),
            "approvals_decided": len(run.approvals),
            "approvals_told": len(told),
        },
        "flow_failure_examples": run.flow_failures[:20],
        "faults": [asdict(f) for f in faults],
        "latency": latency_windows(turns, faults, t0_ms, end_s, run.config.window_tail_s, lost=lost,
                                   no_reply=no_reply),
        "lost_messages": [{**{k: t_of[m][k] for k in ("conversation", "kind", "text", "deliveries")},
                           "sent_s": round((t_of[m]["sent_ms"] - t0_ms) / 1000.0, 1), "msg_id": m,
                           "answered": m in answered} for m in sorted(lost | no_reply, key=lambda m: t_of[m]["sent_ms"])],
        "approval_rows": rows,
        # for tracing a broken invariant after the run (the simulators are gone by then)
        "trace": {"turns": turns,
                  "bot": [{k: m.get(k) for k in ("seq", "time_ms", "conversation_id", "in_reply_to", "via")}
                          | {"text": (m.get("text") or "")[:100]} for m in bot]},
        "approval_to_notice": latency_summary(told),
        "verdicts": verdicts,
    }


def render(report: dict) -> str:
    from devtools.bench.report import LATENCY_HEADER, latency_row
    from devtools.reliability.invariants import broken, verdict_table

    bad = broken(report.get("verdicts", []))
    lines = [f"# Production topology under load and faults {report['started_at']}", "",
             (f"Result: **{'all invariants hold' if not bad else f'{len(bad)} invariant(s) broken'}**. "
              f"Start-up {report.get('startup_s')} s, run + settle {report.get('elapsed_s')} s."), "",
             f"Topology: `{report['topology']}`", "", "## Counts", ""]
    lines += [f"- {k}: `{v}`" for k, v in report.get("counts", {}).items()]
    lines += ["", "## Faults", "", "| fault | how | start s | over s | detail |", "|---|---|---|---|---|"]
    lines += [f"| {f['name']} | {f['how']} | {f['start_s']} | {f['end_s']} | `{f['detail']}` |"
              for f in report.get("faults", [])]
    lines += ["", "## Turn latency by window (by when the message was sent)", "",
              ("| window | from s | to s | turns | redelivered | not as expected | lost | no reply | p50 ms | p95 ms "
              "| max ms |"), "|---|---|---|---|---|---|---|---|---|---|---|"]
    for w in report.get("latency", []):
        lat = w["latency"]
        p = [lat.get(k, "–") for k in ("p50_ms", "p95_ms", "max_ms")]
        lines.append(f"| {w['window']} | {w['from_s']} | {w['to_s']} | {w['turns']} | {w['redelivered']} | "
                     f"{w['unexpected']} | {w['lost']} | {w['no_reply']} | {p[0]} | {p[1]} | {p[2]} |")
    lines += ["", *LATENCY_HEADER, latency_row("OA agree -> requester told", report.get("approval_to_notice", {})),
              "", "## Invariants", "", *verdict_table(report.get("verdicts", []))]
    return "\n".join(lines) + "\n"
