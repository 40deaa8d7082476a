"""The channel's reply queue is durable and shared (issue 17 item 3): per-conversation order, each
reply sent once under a lease a crashed sender loses, pacing per conversation across processes.

Every rule is checked on the three stores (memory, the SQLite file, real Redis); the cross-process
tests run real sender processes (``devtools/topology/reply_sender.py``) against the DingTalk
simulator, kill one with SIGKILL while it is in the middle of sending, and read what DingTalk got.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from connectors import reply_queue
from connectors.outbox import Destination, Outbox, decode, encode
from devtools.simulators.dingtalk import create_app
from dingtalk_client.messages import ActionCard, Markdown, Text
from dingtalk_client.openapi import AsyncDingTalkOpenAPI
from rasa_project.settings import Settings
from rasa_project.wiring import dingtalk_config
from tests.dingtalk.conftest import ThreadedServer, free_port
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379/2"
GROUPS = ("cidPMC0001", "cidPROD0001")


def redis_store(prefix: str) -> reply_queue.RedisReplyStore:
    return reply_queue.RedisReplyStore(REDIS, prefix=prefix)


def drop_prefix(prefix: str) -> None:
    import redis

    red = redis.Redis.from_url(REDIS)
    keys = list(red.scan_iter(match=prefix + "*"))
    if keys:
        red.delete(*keys)


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store(request, tmp_path):
    if request.param == "memory":
        yield reply_queue.MemoryReplyStore()
    elif request.param == "sqlite":
        yield reply_queue.SQLiteReplyStore(tmp_path / "replies.db")
    else:
        prefix = f"test:replies:{uuid.uuid4().hex[:8]}:"
        yield redis_store(prefix)
        drop_prefix(prefix)


# --- the store's rules ------------------------------------------------------------------------------
def test_one_conversation_is_served_in_order_and_one_reply_at_a_time(store):
    ids = [store.push("a", f"a{i}") for i in range(3)]
    store.push("b", "b0")
    first = store.claim("s1", 30)
    assert (first.conversation_id, first.payload, first.item_id) == ("a", "a0", ids[0])
    second = store.claim("s2", 30)
    assert (second.conversation_id, second.payload) == ("b", "b0")  # "a" is leased: its a1 must wait
    assert store.claim("s3", 30) is None
    assert store.done(first)
    assert store.claim("s3", 30).payload == "a1"
    assert store.pending(ids) == set(ids[1:])
    depth, age = store.stats()
    assert depth == 3 and age >= 0


def test_a_lapsed_lease_is_taken_over_and_the_late_holder_cannot_finish(store):
    store.push("a", "a0")
    store.push("a", "a1")
    dead = store.claim("crashed", 0.2)
    taken = wait_until(lambda: store.claim("alive", 30))
    assert taken.payload == "a0" and taken.item_id == dead.item_id  # the same reply, not the next one
    assert not store.renew(dead, 30) and not store.done(dead)  # the crashed one lost it
    assert store.done(taken)
    assert store.claim("alive", 30).payload == "a1"  # sent once: a0 is gone


def test_a_released_reply_stays_first_and_comes_back_after_its_delay(store):
    store.push("a", "a0")
    store.push("a", "a1")
    claim = store.claim("s", 30)
    assert store.release(claim, 0.3)
    assert store.claim("s", 30) is None  # not before the delay, and a1 does not overtake
    assert wait_until(lambda: store.claim("s", 30)).payload == "a0"


def test_pacing_gives_limit_slots_per_period(store):
    now = 1000.0
    assert [store.pace("a", 3, 60, now + i) for i in range(3)] == [0.0, 0.0, 0.0]
    wait = store.pace("a", 3, 60, now + 3)
    assert wait > 0
    assert store.pace("b", 3, 60, now + 3) == 0.0  # per conversation


def test_a_reply_pushed_again_under_its_key_is_stored_once(store):
    # a turn run again after its process died pushes its replies under the same keys
    first = store.push("a", "a0", key="msg:M#0")
    assert first is not None
    assert store.push("a", "a0 again", key="msg:M#0") is None
    assert store.push("a", "a1", key="msg:M#1") is not None
    assert store.push("a", "plain") is not None and store.push("a", "plain") is not None  # no key: always
    payloads = []
    while (claim := store.claim("s", 30)) is not None:
        payloads.append(claim.payload)
        assert store.done(claim)
    assert payloads == ["a0", "a1", "plain", "plain"]
    assert store.push("a", "a0 later", key="msg:M#0") is None  # remembered after it was sent


def test_finishing_replies_does_not_empty_the_pacing_windows(tmp_path):
    # the SQLite store keeps send times on the monotonic clock and prunes its log now and then when
    # a reply is done: the pruning must use that same clock, or every window empties at once
    wall, mono = [1_750_000_000.0], [500.0]
    store = reply_queue.SQLiteReplyStore(tmp_path / "replies.db", clock=lambda: wall[0], pace_clock=lambda: mono[0])
    assert [store.pace("a", 4, 60, 0) for _ in range(4)] == [0.0] * 4
    for i in range(64):  # the 64th reply done triggers the prune
        store.push("b", f"b{i}")
        assert store.done(store.claim("s", 30))
    mono[0] += 1
    assert store.pace("a", 4, 60, 0) == pytest.approx(59.0)
    mono[0] += 3600 + 60  # an hour on, the old entries do go
    assert store.pace("a", 4, 60, 0) == 0.0


def test_pacing_starts_afresh_when_the_host_clock_started_again(tmp_path):
    # the file outlives a reboot; CLOCK_MONOTONIC starts near zero again: old times say nothing
    mono = [1_000_000.0]
    store = reply_queue.SQLiteReplyStore(tmp_path / "replies.db", pace_clock=lambda: mono[0])
    assert [store.pace("a", 2, 60, 0) for _ in range(3)][:2] == [0.0, 0.0]
    mono[0] = 12.0  # after the reboot
    assert store.pace("a", 2, 60, 0) == 0.0
    assert store.pace("a", 2, 60, 0) == 0.0
    assert store.pace("a", 2, 60, 0) > 0  # and the window holds again on the new clock


def test_pace_times_never_go_back_when_a_clock_reads_behind(tmp_path):
    # one process's clock read may land a hair behind another's grant; the store records the later
    # of the two, so no window of `period` ever holds more than `limit` grants
    mono = [100.0]
    store = reply_queue.SQLiteReplyStore(tmp_path / "replies.db", pace_clock=lambda: mono[0])
    granted = []
    for step in (0.25, 0.0, 1.0, -0.0007, 1.0):  # the fourth read is 0.7 ms behind the third
        mono[0] += step
        if store.pace("a", 2, 1.0, 0) == 0.0:
            granted.append(store.last_pace_at)
    assert len(granted) >= 3 and granted == sorted(granted), granted
    assert all(later - first >= 1.0 - 1e-9 for first, later in zip(granted, granted[2:])), granted


def test_a_stored_reply_keeps_every_field():
    to = Destination("cidPMC0001", True, "pmc0001", "https://oapi.dingtalk.com/robot/sendBySession?x=1", 123)
    for message in (Text("hi", ("pmc0001",)), Markdown("T", "**b**", ("a", "b")),
                    ActionCard("T", "pick", (("Yes", "/confirm"), ("No", "/deny")), is_horizontal=True),
                    ActionCard("T", "open", single_title="Open", single_url="https://example.com/x")):
        assert decode(encode(to, message)) == (to, message)


async def test_outbox_sends_each_reply_once_in_order_on_a_shared_store(store, tmp_path):
    """Two Outboxes (two replicas' channels) on one store and one DingTalk: nothing lost, doubled, reordered."""
    settings = Settings(var_dir=tmp_path, redis_url=None)
    app = create_app(settings)
    server = ThreadedServer(app, free_port()).start()
    try:
        settings.dingtalk_openapi_url = server.url
        apis = [AsyncDingTalkOpenAPI(dingtalk_config(settings)) for _ in range(2)]
        outboxes = [Outbox(api, store=store, owner=f"replica{i}", poll_s=0.05) for i, api in enumerate(apis)]
        for i in range(8):
            for group in GROUPS:
                outboxes[i % 2].enqueue(Destination(group, True, "pmc0001"), Text(f"{group} {i}"))
        await asyncio.wait_for(asyncio.gather(*(o.join() for o in outboxes)), 60)
        for outbox in outboxes:
            await outbox.close()
        for api in apis:
            await api.aclose()
        for group in GROUPS:
            texts = [m["text"] for m in app.state.sim.messages(conversation_id=group)]
            assert texts == [f"{group} {i}" for i in range(8)]
    finally:
        server.stop()


# --- real processes ---------------------------------------------------------------------------------
class BlackHole:
    """A DingTalk that accepts connections and never answers: a sender stuck in the middle of a send."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def sender(store_spec: str, prefix: str, dingtalk: str, name: str, lease_s: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtools.topology.reply_sender", "--store", store_spec, "--prefix", prefix,
         "--dingtalk", dingtalk, "--name", name, "--lease", str(lease_s)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def shared(request, tmp_path):
    """(store spec, prefix, a store object on it) for processes to share."""
    prefix = f"test:replies:{uuid.uuid4().hex[:8]}:"
    if request.param == "sqlite":
        path = tmp_path / "replies.db"
        yield f"sqlite:{path}", prefix, reply_queue.SQLiteReplyStore(path)
    else:
        yield REDIS, prefix, redis_store(prefix)
        drop_prefix(prefix)


def test_a_sender_killed_mid_send_loses_nothing_and_doubles_nothing(shared, tmp_path):
    spec, prefix, store = shared
    settings = Settings(var_dir=tmp_path, redis_url=None)
    app = create_app(settings)
    server = ThreadedServer(app, free_port()).start()
    hole = BlackHole()
    procs: list[subprocess.Popen] = []
    lease_s = 1.0
    try:
        def push(round_: str, count: int) -> None:
            for i in range(count):
                for group in GROUPS:
                    store.push(group, encode(Destination(group, True, "pmc0001"), Text(f"{group} {round_}{i}")))

        def texts(group):
            return [m["text"] for m in app.state.sim.messages(conversation_id=group)]

        # 1. a sender whose DingTalk never answers claims both conversations and hangs mid-send
        stuck = sender(spec, prefix, hole.url, "stuck", lease_s)
        procs.append(stuck)
        push("a", 6)
        wait_until(lambda: hole.accepted, 10)
        # 2. a healthy sender cannot take a live sender's replies (its lease is renewed) ...
        healthy = sender(spec, prefix, server.url, "healthy", lease_s)
        procs.append(healthy)
        deadline = time.monotonic() + 3 * lease_s
        while time.monotonic() < deadline:
            assert texts(GROUPS[0]) == [] and texts(GROUPS[1]) == []
            time.sleep(0.1)
        # 3. ... and takes them over once it is killed: every reply once, in order
        stuck.send_signal(signal.SIGKILL)
        stuck.wait(10)
        wait_until(lambda: all(len(texts(g)) >= 6 for g in GROUPS), 30)
        # 4. two healthy senders at once on the same queue
        procs.append(sender(spec, prefix, server.url, "second", lease_s))
        push("b", 6)
        wait_until(lambda: store.stats()[0] == 0, 30)
        for group in GROUPS:
            assert texts(group) == [f"{group} a{i}" for i in range(6)] + [f"{group} b{i}" for i in range(6)]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
        hole.close()
        server.stop()


def test_pacing_holds_across_two_processes(shared):
    spec, prefix, _store = shared
    limit, period, count = 4, 1.0, 10
    conversation = f"paced-{uuid.uuid4().hex[:6]}"
    procs = [subprocess.Popen(
        [sys.executable, "-m", "devtools.topology.reply_sender", "pace", "--store", spec, "--prefix", prefix,
         "--conversation", conversation, "--count", str(count), "--limit", str(limit), "--period", str(period)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
        for _ in range(2)]
    assert [proc.stdout.readline().strip() for proc in procs] == ["ready", "ready"]
    for proc in procs:  # both start asking at the same moment
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=60)[0] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    per_process = [[float(line) for line in out.split()] for out in outputs]
    assert [len(times) for times in per_process] == [count, count]
    granted = sorted(t for times in per_process for t in times)
    # no window of `period` seconds holds more than `limit` sends of the conversation, both processes together
    for i in range(len(granted) - limit):
        assert granted[i + limit] - granted[i] >= period - 0.001, (i, granted)
    # and each process got slots inside the other's windows (they really shared one budget)
    assert min(per_process[0]) < max(per_process[1]) and min(per_process[1]) < max(per_process[0])


class Unreachable:
    """A store whose ``method`` fails (Redis down) for its first ``down`` calls."""

    def __init__(self, store, method: str, down: int) -> None:
        self.store, self.method, self.down = store, method, down

    def __getattr__(self, name):
        real = getattr(self.store, name)
        if name != self.method:
            return real

        def call(*args):
            if self.down > 0:
                self.down -= 1
                raise ConnectionError("store unreachable")
            return real(*args)

        return call


async def test_a_reply_whose_pacing_slot_the_store_cannot_give_waits_and_is_sent_once(tmp_path):
    # seen in prod-faults: the Redis cut made pace() raise, the reply was marked done unsent
    settings = Settings(var_dir=tmp_path, redis_url=None)
    app = create_app(settings)
    server = ThreadedServer(app, free_port()).start()
    try:
        settings.dingtalk_openapi_url = server.url
        api = AsyncDingTalkOpenAPI(dingtalk_config(settings))
        outbox = Outbox(api, store=Unreachable(reply_queue.SQLiteReplyStore(tmp_path / "r.db"), "pace", down=4), poll_s=0.05)
        for i in range(3):
            outbox.enqueue(Destination(GROUPS[0], True, "pmc0001"), Text(f"line {i}"))
        await asyncio.wait_for(outbox.join(), 60)
        await outbox.close()
        await api.aclose()
        assert [m["text"] for m in app.state.sim.messages(conversation_id=GROUPS[0])] == ["line 0", "line 1", "line 2"]
    finally:
        server.stop()


async def test_replies_wait_in_order_while_the_store_is_unreachable(tmp_path):
    settings = Settings(var_dir=tmp_path, redis_url=None)
    app = create_app(settings)
    server = ThreadedServer(app, free_port()).start()
    try:
        settings.dingtalk_openapi_url = server.url
        api = AsyncDingTalkOpenAPI(dingtalk_config(settings))
        outbox = Outbox(api, store=Unreachable(reply_queue.SQLiteReplyStore(tmp_path / "r.db"), "push", down=8), poll_s=0.05)
        for i in range(6):
            outbox.enqueue(Destination(GROUPS[0], True, "pmc0001"), Text(f"line {i}"))
        await asyncio.wait_for(outbox.join(), 60)
        await outbox.close()
        await api.aclose()
        assert [m["text"] for m in app.state.sim.messages(conversation_id=GROUPS[0])] == [f"line {i}" for i in range(6)]
    finally:
        server.stop()
