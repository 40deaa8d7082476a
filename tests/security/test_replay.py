"""A callback signature is good for one message (issue 20 §1): through the real HTTP channel.

The attack of the issue: take the ``timestamp``/``sign`` headers of one ordinary callback and post
them again with another msgId, ``senderStaffId: manager0001`` and a sessionWebhook of one's own.
"""

from __future__ import annotations

import uuid

import pytest

from connectors.replay import RedisClaims, ReplayGuard, SQLiteClaims, Verdict
from devtools.security.wire import card_press
from tests.polling import async_wait_until
from tests.security.conftest import post


async def test_captured_headers_with_another_body_are_refused_and_nothing_is_sent(sim, make_bot, body, signer,
                                                                                  listeners):
    bot = await make_bot()
    headers = signer.headers()
    ordinary = body("pmc0001", text="进度 P20250401")
    assert (await post(bot, ordinary, headers)).status_code == 200
    await async_wait_until(lambda: bot.received)

    hook = listeners["127.0.0.1"].origin + "/attacker"
    forged = body("manager0001", text="查看 P20250401", webhook=hook)
    replay = await post(bot, forged, headers)
    assert replay.status_code == 401 and replay.json() == {"error": "signature", "reason": "replayed"}
    # the same headers with the ordinary body, msgId and all: DingTalk delivering again, acked, not re-run
    assert (await post(bot, ordinary, headers)).status_code == 200
    # any other change is a replay too: a new msgId alone, or one changed character of the text
    assert (await post(bot, {**ordinary, "msgId": "msg-other"}, headers)).status_code == 401
    assert (await post(bot, {**ordinary, "text": {"content": " 进度 P20250402"}}, headers)).status_code == 401
    await bot.channel.wait_idle()
    assert [m.sender_id for m in bot.received] == ["cidPMC0001:pmc0001"]
    assert listeners["127.0.0.1"].hits == []


async def test_a_fresh_signature_for_the_same_message_is_a_redelivery_not_a_second_turn(sim, make_bot, body, signer):
    bot = await make_bot()
    ordinary = body("pmc0001")
    assert (await post(bot, ordinary, signer.headers())).status_code == 200
    assert (await post(bot, ordinary, signer.headers())).status_code == 200  # re-signed by DingTalk
    await bot.channel.wait_idle()
    assert len(bot.received) == 1


async def test_a_replay_is_refused_after_a_restart(sim, make_bot, body, signer):
    headers = signer.headers()
    ordinary = body("pmc0001")
    first = await make_bot()
    assert (await post(first, ordinary, headers)).status_code == 200
    await async_wait_until(lambda: first.received)
    await first.stop()

    # a new process over the same var_dir: the claim and the msgId are still remembered
    second = await make_bot()  # the fixture's dedupe file is under the same var_dir too
    assert (await post(second, body("manager0001"), headers)).status_code == 401
    assert (await post(second, ordinary, headers)).status_code == 200
    await second.channel.wait_idle()
    assert second.received == []


@pytest.mark.redis
async def test_replicas_share_the_one_use_rule_through_redis(sim, make_bot, body, signer):
    prefix = f"dingk3:test:{uuid.uuid4().hex}:"
    a = await make_bot(claims=RedisClaims("redis://127.0.0.1:6379/0", prefix=prefix))
    b = await make_bot(claims=RedisClaims("redis://127.0.0.1:6379/0", prefix=prefix))
    headers = signer.headers()
    assert (await post(a, body("pmc0001"), headers)).status_code == 200
    assert (await post(b, body("manager0001"), headers)).status_code == 401
    await a.channel.wait_idle()
    await b.channel.wait_idle()
    assert len(a.received) == 1 and b.received == []
    store = a.channel.claims
    ttl = store._redis.ttl(next(iter(store._redis.scan_iter(prefix + "sig:*"))))
    assert 0 < ttl <= 2 * 3600 + 60  # kept for the signature window (either side of now), then gone
    for key in store._redis.scan_iter(prefix + "*"):
        store._redis.delete(key)


async def test_card_press_signatures_are_one_use_too(sim, make_bot, signer, settings):
    bot = await make_bot()
    headers = signer.headers()
    press = card_press(corp_id=settings.dingtalk_corp_id, out_track_id="approval-CR-000001-manager0001",
                       staff_id="pmc0001", space_id="cidPMC0001", decision="reject", params={"order_no": "P1"})
    assert (await post(bot, press, headers, "/card")).status_code == 200
    stolen = {**press, "userId": "manager0001", "content": press["content"].replace("reject", "approve")}
    assert (await post(bot, stolen, headers, "/card")).status_code == 401
    await bot.channel.wait_idle()
    assert [m.sender_id for m in bot.received] == ["cidPMC0001:pmc0001"]


def test_the_guard_keeps_each_signature_for_the_window_either_side(tmp_path):
    now = [1_000_000.0]
    guard = ReplayGuard(SQLiteClaims(tmp_path / "c.db", clock=lambda: now[0]), window_s=3600)
    assert guard.check("1700000000000", "s", "m1", "d1") is Verdict.FIRST
    assert guard.check("1700000000000", "s", "m1", "d1") is Verdict.REDELIVERY
    assert guard.check("1700000000000", "s", "m2", "d1") is Verdict.REPLAY
    now[0] += 2 * 3600  # still inside: a timestamp up to an hour ahead stays valid two hours
    assert guard.check("1700000000000", "s", "m2", "d2") is Verdict.REPLAY
    now[0] += 61  # past the window on both sides: the signature itself is stale by now
    assert guard.check("1700000000000", "s", "m2", "d2") is Verdict.FIRST
