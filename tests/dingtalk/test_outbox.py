"""Replies are paced to DingTalk's 20/min, retried when throttled or failing, and stay in order."""

from __future__ import annotations

import asyncio

import httpx

from connectors.outbox import Destination, Outbox, RateWindow
from dingtalk_client.messages import Text
from dingtalk_client.openapi import AsyncDingTalkOpenAPI
from rasa_project.wiring import dingtalk_config
from tests.polling import async_wait_until


class SimTime:
    """Our monotonic clock and DingTalk's clock move together; sleeping just moves them."""

    def __init__(self, sim_state) -> None:
        self.sim_state = sim_state
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        self.sim_state.clock.advance(seconds)
        await asyncio.sleep(0)


def test_rate_window_allows_twenty_per_minute():
    window = RateWindow(20)
    for i in range(20):
        assert window.wait_s(i * 0.1) == 0
        window.record(i * 0.1)
    assert window.wait_s(2.0) == 60.0 - 2.0  # until the first send leaves the window
    assert window.wait_s(60.0) == 0


async def session_webhook(client: httpx.AsyncClient, app, conversation_id="cidPMC0001") -> str:
    answer = (await client.post("/_sim/chat", json={"conversation_id": conversation_id, "staff_id": "pmc0001",
                                                    "text": "go"})).json()
    return app.state.sent_bodies[answer["msgId"]]["sessionWebhook"]


async def run_outbox(sim, settings, rate_per_minute: int, count: int = 25, *, faults=None, webhook=True):
    sim_url, app = sim
    state = app.state.sim
    app.state.bot_url = "http://127.0.0.1:9/unreachable"  # the bot side is not needed here
    time_ = SimTime(state)
    async with httpx.AsyncClient(base_url=sim_url) as client:
        url = await session_webhook(client, app) if webhook else None
        if faults:
            await client.post("/_sim/faults", json={"rules": faults})
        api = AsyncDingTalkOpenAPI(dingtalk_config(settings))
        outbox = Outbox(api, rate_per_minute=rate_per_minute, monotonic=time_.monotonic,
                        wall_ms=state.clock.now_ms, sleep=time_.sleep)
        destination = Destination("cidPMC0001", True, "pmc0001", url, state.clock.now_ms() + 5_400_000 if url else None)
        for i in range(count):
            outbox.enqueue(destination, Text(f"line {i}"))
        await asyncio.wait_for(outbox.join(), 30)
        await outbox.close()
        await api.aclose()
        sent = (await client.get("/_sim/messages", params={"conversation_id": "cidPMC0001"})).json()["messages"]
        requests = (await client.get("/_sim/requests")).json()["requests"]
    return sent, requests, time_


async def test_pacing_keeps_under_the_limit_without_losing_anything(sim, settings):
    sent, requests, time_ = await run_outbox(sim, settings, rate_per_minute=20)
    assert [m["text"] for m in sent] == [f"line {i}" for i in range(25)]
    assert all(m["via"] == "webhook" for m in sent)
    assert sum(time_.slept) >= 59  # the 21st message waited for the window
    assert not any(r.get("fault") for r in requests)


async def test_throttled_sends_are_retried_in_order(sim, settings):
    # Configured faster than DingTalk allows: DingTalk answers 130101 and we must not drop anything.
    sent, requests, _ = await run_outbox(sim, settings, rate_per_minute=100)
    assert [m["text"] for m in sent] == [f"line {i}" for i in range(25)]
    webhook_calls = [r for r in requests if r["path"] == "/robot/sendBySession"]
    assert len(webhook_calls) > 25  # some were refused with errcode 130101 and sent again


async def test_failing_openapi_is_retried_with_backoff(sim, settings):
    faults = [{"path_prefix": "/v1.0/robot/groupMessages/send", "status": 503, "count": 2}]
    sent, _requests, time_ = await run_outbox(sim, settings, rate_per_minute=20, count=3, faults=faults,
                                             webhook=False)
    assert [m["text"] for m in sent] == ["line 0", "line 1", "line 2"]
    assert [m["via"] for m in sent] == ["openapi"] * 3
    assert time_.slept[:2] == [1.0, 2.0]


async def test_refused_session_webhook_falls_back_to_openapi(sim, settings):
    faults = [{"path_prefix": "/robot/sendBySession", "errcode": 300001, "count": 1}]
    sent, _requests, _ = await run_outbox(sim, settings, rate_per_minute=20, count=2, faults=faults)
    assert [(m["text"], m["via"]) for m in sent] == [("line 0", "openapi"), ("line 1", "openapi")]


async def test_close_ends_the_dispatcher_even_when_its_cancellation_is_lost(tmp_path, settings):
    """Shutdown must not hang. The dispatcher waits in ``asyncio.wait_for(wake.wait(), poll)``; when
    the wake-up and the cancellation land in the same loop pass, Python 3.10's wait_for returns
    normally instead of raising (a cancelled send's done-callback sets the wake-up while close()
    cancels). Seen as a ``make test`` run hanging for good in a bot's teardown."""
    from connectors.reply_queue import SQLiteReplyStore

    api = AsyncDingTalkOpenAPI(dingtalk_config(settings))
    outbox = Outbox(api, store=SQLiteReplyStore(tmp_path / "replies.db"), poll_s=30.0)
    outbox.start()
    await asyncio.sleep(0.2)  # the dispatcher found nothing and waits for a wake-up
    dispatcher = outbox._dispatcher
    outbox._wake.set()  # the wake-up lands in the same loop pass as close()'s cancellation
    done, _ = await asyncio.wait({asyncio.ensure_future(outbox.close())}, timeout=5)
    assert done, "close() still waits for the dispatcher"
    assert dispatcher.done()
    await api.aclose()


class BlinkingStore:
    """A reply store that is unreachable (every call raises) from the first ``done`` for ``down_s``,
    as Redis cut for a moment right after DingTalk accepted a reply."""

    def __init__(self, inner, down_s: float) -> None:
        self.inner, self.down_s = inner, down_s
        self.down_until: float | None = None

    def __getattr__(self, name):
        call = getattr(self.inner, name)

        def guarded(*args):
            import time

            if name == "done" and self.down_until is None:
                self.down_until = time.monotonic() + self.down_s
            if self.down_until is not None and time.monotonic() < self.down_until:
                raise ConnectionError("reply store unreachable")
            return call(*args)

        return guarded


async def test_a_sent_reply_is_marked_sent_once_the_store_is_back_not_sent_again(sim, settings, tmp_path):
    """A blip of the shared store between the send and ``done``: the reply must be removed when the
    store answers again, within its lease; otherwise another sender sends it again when the lease
    ends (seen as replies recorded twice in the reliability run's Redis outage)."""
    from connectors.reply_queue import SQLiteReplyStore

    sim_url, app = sim
    app.state.bot_url = "http://127.0.0.1:9/unreachable"
    store = BlinkingStore(SQLiteReplyStore(tmp_path / "replies.db"), down_s=1.0)
    async with httpx.AsyncClient(base_url=sim_url) as client:
        url = await session_webhook(client, app)
        api = AsyncDingTalkOpenAPI(dingtalk_config(settings))
        first = Outbox(api, store=store, lease_s=3.0, poll_s=0.1)
        second = Outbox(api, store=SQLiteReplyStore(tmp_path / "replies.db"), lease_s=3.0, poll_s=0.1)
        first.enqueue(Destination("cidPMC0001", True, "pmc0001", url, app.state.sim.clock.now_ms() + 5_400_000),
                      Text("only once"))
        await async_wait_until(lambda: store.down_until is not None, timeout_s=10)  # sent; the store blinks
        second.start()  # another replica, sharing the store: it takes over what is left after a lease
        await asyncio.wait_for(first.join(), 15)
        await asyncio.sleep(4.0)  # longer than a lease: a reply left in the store would go out again
        await first.close()
        await second.close()
        await api.aclose()
        sent = (await client.get("/_sim/messages", params={"conversation_id": "cidPMC0001"})).json()["messages"]
    assert [m["text"] for m in sent if m["text"] == "only once"] == ["only once"]
