"""Closed-loop load against the floor (REST) and our stack (signed DingTalk callbacks), asyncio.

Each job is one flow in a conversation of its own ("each message a new conversation"): a
read-only progress query (1 turn), a create + confirm (2 turns), an output report + confirm
(2 turns). ``concurrency`` workers take jobs until ``jobs`` are done or the time budget is spent
(jobs not started by then are counted as not run, never as failures). Loopback only.

Our stack: ``POST /_sim/chat`` makes the DingTalk simulator sign and post the callback; its round
trip is the callback's acknowledgement time (it includes the simulator's own work, so it is an
upper bound: ``ack``); the simulator also times the signed POST itself, from sending it to having
the answer, as DingTalk sees it (``callback``). The turn's latency is the simulator's timestamp of the bot reply at the
sessionWebhook that answers it (for a confirm: the one naming the bill) minus the wall clock
just before the POST. One poller reads every new bot
message for all waiting turns (``GET /_sim/messages?after=``), so polling does not grow with the
concurrency. The floor: the REST channel answers the turn in its HTTP response.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from devtools.bench.harness import BILL_NO
from devtools.bench.stats import percentile

# what people type (user input, not bot text: it lives here, not in the catalog)
FLOWS = {
    "query": {"staff": "prod0001", "turns": [("P20250401 进度怎么样", "P20250401")]},
    "create": {"staff": "pmc0001", "turns": [
        ("创建生产订单 BOM-2050 数量 {qty}，4月{day}日完工，标准生产订单，冲压车间", "buttons"),
        ("确认", "bill_no"),
    ]},
    "report": {"staff": "prod0001", "turns": [("P20250403 完成 1", "buttons"), ("确认", "SCHB")]},
}


def done_when(expect: str) -> Callable[[list[dict]], bool]:
    if expect == "buttons":
        return lambda replies: any(r.get("buttons") for r in replies)
    if expect == "bill_no":
        return lambda replies: any(BILL_NO.search(r.get("text") or "") for r in replies)
    return lambda replies: any(expect in (r.get("text") or "") for r in replies)


def texts_of(flow: str, n: int) -> list[str]:
    return [t.format(qty=10 + n % 80, day=10 + n % 15) for t, _ in FLOWS[flow]["turns"]]


@dataclass
class CellResult:
    turn_s: list[float] = field(default_factory=list)
    ack_s: list[float] = field(default_factory=list)
    callback_s: list[float] = field(default_factory=list)  # the signed POST alone, timed by the simulator
    flows_done: int = 0
    failures: list[dict] = field(default_factory=list)
    not_run: int = 0
    elapsed_s: float = 0.0
    turn_log: list[dict] = field(default_factory=list)  # every turn: when sent, its msgId, how it went

    def summary(self) -> dict:
        def pct(values: list[float]) -> dict:
            if not values:
                return {"n": 0}
            return {"n": len(values), **{f"p{q}_ms": round(percentile(values, q) * 1000, 1) for q in (50, 95, 99)},
                    "max_ms": round(max(values) * 1000, 1)}

        return {
            "turns": len(self.turn_s), "flows": self.flows_done, "failures": len(self.failures),
            "failure_samples": self.failures[:5], "not_run": self.not_run, "elapsed_s": round(self.elapsed_s, 2),
            "turns_per_s": round(len(self.turn_s) / self.elapsed_s, 2) if self.elapsed_s > 0 else 0.0,
            "latency": pct(self.turn_s), "ack": pct(self.ack_s), "callback": pct(self.callback_s),
        }


async def run_cell(flow_once, *, jobs: int, concurrency: int, budget_s: float) -> CellResult:
    """``flow_once(index, result)`` runs one flow; closed loop with ``concurrency`` workers."""
    result = CellResult()
    next_job = iter(range(jobs))
    deadline = time.monotonic() + budget_s
    started = time.perf_counter()

    async def worker() -> None:
        for index in next_job:
            if time.monotonic() > deadline:
                result.not_run += 1
                continue
            try:
                await flow_once(index, result)
            except (httpx.HTTPError, asyncio.TimeoutError) as exc:
                result.failures.append({"job": index, "error": f"{type(exc).__name__}: {exc}"[:200]})

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - started
    return result


# -- the floor -------------------------------------------------------------------------------------
class FloorDriver:
    def __init__(self, rasa_url: str, timeout_s: float = 60.0) -> None:
        self.url = rasa_url.rstrip("/")
        self.http = httpx.AsyncClient(timeout=timeout_s, limits=httpx.Limits(max_connections=200))
        self.run_id = uuid.uuid4().hex[:8]

    async def aclose(self) -> None:
        await self.http.aclose()

    def flow(self, name: str):
        async def once(index: int, result: CellResult) -> None:
            sender = f"floor-{self.run_id}-{name}-{index}-{uuid.uuid4().hex[:6]}"
            for text in texts_of(name, index):
                t = time.perf_counter()
                r = await self.http.post(f"{self.url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
                elapsed = time.perf_counter() - t
                if r.status_code != 200:
                    result.failures.append({"job": index, "status": r.status_code})
                    return
                result.turn_s.append(elapsed)
            result.flows_done += 1

        return once

    async def parse_s(self, text: str) -> float:
        """NLU alone (``POST /model/parse``): the NLU stage of a turn."""
        t = time.perf_counter()
        r = await self.http.post(f"{self.url}/model/parse", json={"text": text})
        r.raise_for_status()
        return time.perf_counter() - t


# -- our stack -------------------------------------------------------------------------------------
class StackDriver:
    def __init__(self, sim_url: str, *, poll_s: float = 0.05, turn_timeout_s: float = 60.0,
                 keep_notices: bool = False) -> None:
        self.keep_notices = keep_notices
        self.sim = sim_url.rstrip("/")
        self.http = httpx.AsyncClient(timeout=turn_timeout_s, limits=httpx.Limits(max_connections=200))
        self.poll_s, self.turn_timeout_s = poll_s, turn_timeout_s
        self.run_id = uuid.uuid4().hex[:8]
        self._replies: dict[str, list[dict]] = {}
        self._waiting: dict[str, asyncio.Event] = {}
        self._high_water = 0
        self._poller: asyncio.Task | None = None
        self._notices: list[dict] = []
        self.conversations: list[str] = []

    async def start(self) -> None:
        found = (await self.http.get(f"{self.sim}/_sim/messages", params={"after": 0})).json()["messages"]
        self._high_water = max((m["seq"] for m in found), default=0)
        self._poller = asyncio.ensure_future(self._poll())

    async def aclose(self) -> None:
        if self._poller:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        await self.http.aclose()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            if not self._waiting and not self.keep_notices:
                continue
            try:
                r = await self.http.get(f"{self.sim}/_sim/messages", params={"after": self._high_water})
                found = r.json()["messages"]
            except (httpx.HTTPError, ValueError):
                continue
            for m in found:
                self._high_water = max(self._high_water, m["seq"])
                key = m.get("in_reply_to")
                if key is None and self.keep_notices:
                    self._notices.append(m)
                if key in self._waiting:
                    self._replies.setdefault(key, []).append(m)
                    self._waiting[key].set()

    async def make_conversations(self, flow: str, count: int, *, members: list[str] | None = None,
                                 prefix: str = "cidBENCH") -> list[str]:
        """New groups (as people make them and add the robot): one per flow, so no conversation
        waits on another's turn or on DingTalk's per-conversation pacing."""
        members = members or [FLOWS[flow]["staff"]]
        made = []
        for i in range(count):
            cid = f"{prefix}{self.run_id}{flow}{len(self.conversations) + i}"
            r = await self.http.post(f"{self.sim}/_sim/groups", json={"conversation_id": cid, "title": f"bench {cid}",
                                                                       "members": members})
            r.raise_for_status()
            made.append(cid)
        self.conversations += made
        return made

    def notices(self, *, after: int = 0) -> list[dict]:
        """Bot messages that answer no message (OpenAPI sends: approvals, warnings), in any
        conversation; the driver polls for them only when made with ``keep_notices``."""
        return [m for m in self._notices if m["seq"] > after]

    @property
    def high_water(self) -> int:
        return self._high_water

    async def _deliver(self, cid: str, staff: str, text: str, redeliver_s: float) -> tuple[dict, int]:
        """Post the callback; while it is refused (not 200), deliver it again with the same msgId as
        DingTalk does, for up to ``redeliver_s``. Returns the last answer and how many posts."""
        body = {"conversation_id": cid, "staff_id": staff, "text": text, "at_bot": True}
        deadline = time.monotonic() + redeliver_s
        attempts = 0
        while True:
            attempts += 1
            try:
                r = await self.http.post(f"{self.sim}/_sim/chat", json=body)
                r.raise_for_status()
                answer = r.json()
            except httpx.HTTPError as exc:
                answer = {"status": f"{type(exc).__name__}", "msgId": body.get("msg_id")}
            if answer.get("msgId"):
                body["msg_id"] = answer["msgId"]
            if answer.get("status") == 200 or time.monotonic() + 1.0 > deadline or not body.get("msg_id"):
                return answer, attempts
            await asyncio.sleep(1.0)

    async def turn(self, cid: str, staff: str, text: str, done: Callable[[list[dict]], bool],
                   result: CellResult, *, redeliver_s: float = 0.0, kind: str = "") -> list[dict] | None:
        event = asyncio.Event()
        sent_ms = int(time.time() * 1000)
        t = time.perf_counter()
        answer, attempts = await self._deliver(cid, staff, text, redeliver_s)
        ack = time.perf_counter() - t
        log = {"conversation": cid, "kind": kind, "text": text, "msg_id": answer.get("msgId"), "sent_ms": sent_ms,
               "deliveries": attempts, "accepted": answer.get("status") == 200, "latency_s": None}
        result.turn_log.append(log)
        if answer.get("status") != 200:
            result.failures.append({"conversation": cid, "text": text, "callback_status": answer.get("status")})
            return None
        result.ack_s.append(ack)
        if answer.get("callback_ms") is not None:
            result.callback_s.append(answer["callback_ms"] / 1000.0)
        msg_id = answer["msgId"]
        self._waiting[msg_id] = event
        deadline = time.monotonic() + self.turn_timeout_s
        try:
            while not done(self._replies.get(msg_id, [])):
                left = deadline - time.monotonic()
                if left <= 0:
                    got = " / ".join((m.get("text") or "")[:80] for m in self._replies.get(msg_id, []))
                    result.failures.append({"conversation": cid, "text": text, "got": got or "no reply"})
                    return None
                event.clear()
                try:
                    await asyncio.wait_for(event.wait(), timeout=left)
                except asyncio.TimeoutError:
                    pass
        finally:
            self._waiting.pop(msg_id, None)
        replies = sorted(self._replies.pop(msg_id), key=lambda m: m["seq"])
        answered = next(m for k, m in enumerate(replies) if done(replies[: k + 1]))  # the answer, not a notice
        log["latency_s"] = max(0.0, (answered["time_ms"] - sent_ms) / 1000.0)
        result.turn_s.append(log["latency_s"])
        return replies

    def flow(self, name: str, conversations: list[str]):
        staff = FLOWS[name]["staff"]
        expects = [e for _, e in FLOWS[name]["turns"]]

        async def once(index: int, result: CellResult) -> None:
            cid = conversations[index]
            for text, expect in zip(texts_of(name, index), expects):
                if await self.turn(cid, staff, text, done_when(expect), result) is None:
                    return
            result.flows_done += 1

        return once
