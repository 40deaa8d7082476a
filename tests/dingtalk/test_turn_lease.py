"""An acknowledged message is not lost when the process running its turn dies (issue 17 item 7).

The channel acknowledges DingTalk before the Rasa turn runs, so DingTalk will never deliver that
message again; the dedupe store keeps the admitted turn, leased, until it is done, and another
channel takes back a turn whose lease ran out."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from connectors.dedupe import RedisDedupe, SQLiteDedupe
from connectors.dingtalk import _payload, decode_robot_message
from tests.dingtalk.conftest import free_port
from tests.dingtalk.dying_bot import turn_settings
from tests.dingtalk.test_channel import post, spec_body
from tests.dingtalk.test_dedupe import FakeClock
from tests.polling import async_wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_sqlite_admitted_turn_is_leased_renewed_finished_and_reclaimed(tmp_path):
    clock = FakeClock()
    store = SQLiteDedupe(tmp_path / "d.db", ttl_s=3600, clock=clock)
    assert store.admit("m1", '{"a": 1}', lease_s=30) is True
    assert store.admit("m1", '{"a": 1}', lease_s=30) is False  # a redelivery: no second turn
    assert store.reclaim(lease_s=30, limit=10, max_reruns=2) == []  # its process is alive (lease)
    clock.now += 20
    store.renew("m1", lease_s=30)
    clock.now += 20
    assert store.reclaim(lease_s=30, limit=10, max_reruns=2) == []  # renewed: still alive
    clock.now += 11
    (back,) = store.reclaim(lease_s=30, limit=10, max_reruns=2)  # not renewed: its process died
    assert (back.key, json.loads(back.payload), back.reruns) == ("m1", {"a": 1}, 1)
    assert store.reclaim(lease_s=30, limit=10, max_reruns=2) == []  # now leased to the reclaimer
    store.finish("m1")
    clock.now += 100
    assert store.reclaim(lease_s=30, limit=10, max_reruns=2) == [] and store.pending() == 0


def test_sqlite_a_turn_that_keeps_dying_is_given_up(tmp_path):
    clock = FakeClock()
    store = SQLiteDedupe(tmp_path / "d.db", ttl_s=3600, clock=clock)
    store.admit("m1", "{}", lease_s=1)
    reruns = []
    for _ in range(4):
        clock.now += 2
        reruns += [(r.payload is not None, r.reruns) for r in store.reclaim(lease_s=1, limit=10, max_reruns=2)]
    assert reruns == [(True, 1), (True, 2), (False, 2)] and store.pending() == 0


def test_sqlite_two_sweepers_never_take_the_same_turn(tmp_path):
    clock = FakeClock()
    store = SQLiteDedupe(tmp_path / "d.db", ttl_s=3600, clock=clock)
    for i in range(20):
        store.admit(f"m{i}", "{}", lease_s=1)
    clock.now += 2
    with ThreadPoolExecutor(4) as pool:
        taken = [r.key for rs in pool.map(lambda _: store.reclaim(30, 5, 2), range(8)) for r in rs]
    assert sorted(taken) == sorted(f"m{i}" for i in range(20))


@pytest.mark.redis
def test_redis_admitted_turn_is_leased_and_reclaimed_once():
    tag = uuid.uuid4().hex
    store = RedisDedupe("redis://127.0.0.1:6379/0", ttl_s=60, prefix=f"dingk3:test:{tag}:seen:",
                        turns_prefix=f"dingk3:test:{tag}:turns:")
    try:
        assert store.admit("m1", '{"a": 1}', lease_s=0.3) is True
        assert store.admit("m1", '{"a": 1}', lease_s=0.3) is False
        assert store.reclaim(lease_s=30, limit=10, max_reruns=1) == []
        time.sleep(0.35)
        with ThreadPoolExecutor(4) as pool:
            taken = [r for rs in pool.map(lambda _: store.reclaim(30, 10, 1), range(4)) for r in rs]
        assert [(r.key, r.payload, r.reruns) for r in taken] == [("m1", '{"a": 1}', 1)]
        store.renew("m1", lease_s=0.01)
        time.sleep(0.05)
        (gone,) = store.reclaim(30, 10, 1)  # died again: given up (max_reruns=1)
        assert gone.payload is None and store.pending() == 0
        store.admit("m2", "{}", lease_s=30)
        store.finish("m2")
        assert store.pending() == 0
    finally:
        keys = list(store._redis.scan_iter(f"dingk3:test:{tag}:*"))
        if keys:
            store._redis.delete(*keys)


def start_dying_bot(var_dir: Path, port: int, marker: Path, *mode: str) -> subprocess.Popen:
    with open(var_dir / "dying_bot.log", "w") as log:
        return subprocess.Popen([sys.executable, "-m", "tests.dingtalk.dying_bot", str(var_dir), str(port),
                                 str(marker), *mode], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})


async def test_a_turn_whose_process_was_killed_runs_on_another_process(make_bot, tmp_path):
    """Process A acknowledges the message (200) and is killed -9 inside its turn; process B (same
    dedupe store, as two Rasa servers share Redis) runs the turn once the lease runs out."""
    port, marker = free_port(), tmp_path / "started"
    dying = start_dying_bot(tmp_path, port, marker)
    try:
        ready = Path(f"{marker}.ready")
        await async_wait_until(lambda: ready.exists() or dying.poll() is not None, timeout_s=60)
        assert ready.exists(), (tmp_path / "dying_bot.log").read_text()

        class A:
            url = f"http://127.0.0.1:{port}/webhooks/dingtalk"

        accepted = await post(A, spec_body())
        assert accepted.status_code == 200  # acknowledged: DingTalk will not deliver it again
        await async_wait_until(marker.exists, timeout_s=10)
        dying.send_signal(signal.SIGKILL)
        dying.wait(10)
    finally:
        dying.kill()
    bot = await make_bot(channel_settings=turn_settings(tmp_path),
                         dedupe=SQLiteDedupe(tmp_path / "dingtalk_dedupe.db", 3600))
    await async_wait_until(lambda: bot.received, timeout_s=15)
    await asyncio.sleep(2 * 1.0)  # more sweeps than one lease: it is not run a second time
    await bot.channel.wait_idle()
    assert [m.message_id for m in bot.received] == ["msgQ2v8Yk0dC4lE3=="]
    assert bot.received[0].text == "审批 R-1024" and bot.received[0].metadata["staff_id"] == "manager4520"
    assert bot.channel.dedupe.pending() == 0


@pytest.mark.parametrize("handled", [True, False])
async def test_a_reclaimed_turn_runs_only_if_the_tracker_store_lacks_it(make_bot, tmp_path, handled):
    """A dead process may have finished the turn (tracker saved, replies queued) and died before
    saying so: then it is not run again."""
    settings = turn_settings(tmp_path)
    store = SQLiteDedupe(tmp_path / "dingtalk_dedupe.db", 3600)
    inbound = decode_robot_message(spec_body(), robot_name=settings.dingtalk_robot_name)
    store.admit(inbound.dedupe_key, _payload(inbound), lease_s=0.0)  # as a process that died at once
    asked = []

    async def in_tracker(i) -> bool:
        asked.append(i.message_id)
        return handled

    bot = await make_bot(channel_settings=settings, dedupe=store, handled=in_tracker)
    await async_wait_until(lambda: asked, timeout_s=5)
    await asyncio.sleep(0.6)
    await bot.channel.wait_idle()
    assert asked == [inbound.message_id]
    assert [m.message_id for m in bot.received] == ([] if handled else [inbound.message_id])
    assert store.pending() == 0
