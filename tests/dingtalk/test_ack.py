"""The acknowledgement (issue 18): the one-use signature claim and the msgId record in one hop on the
channel's own threads, with the replay and dedupe rules as they were; nothing else before the 200."""

from __future__ import annotations

import json
import threading
import time
import uuid

import httpx
import pytest

from connectors.dedupe import RedisDedupe, SQLiteDedupe
from connectors.replay import RedisClaims, SQLiteClaims
from dingtalk_client.signing import sign
from tests.dingtalk.test_channel import SECRET, post, spec_body
from tests.polling import async_wait_until


@pytest.fixture(autouse=True)
def _spec_conversation(settings):
    settings.dingtalk_reply_origins = ["https://oapi.dingtalk.com"]
    settings.dingtalk_verify_speakers = False


class Recorded:
    """A store that notes each call (what, which message, which thread) and fails the first
    ``fail`` of them."""

    def __init__(self, inner, calls: list, name: str, *, fail: int = 0) -> None:
        self.inner, self.calls, self.name, self.fail = inner, calls, name, fail

    def _note(self, what: str, detail: str) -> None:
        self.calls.append((what, detail, threading.current_thread().name))
        if self.fail:
            self.fail -= 1
            raise ConnectionError(f"{self.name} down")

    def claim(self, key: str, value: str, ttl_s: int):
        self._note("claim", value.split("\n", 1)[0])
        return self.inner.claim(key, value, ttl_s)

    def admit(self, key: str, payload: str, lease_s: float) -> bool:
        self._note("admit", json.loads(payload)["message_id"])
        return self.inner.admit(key, payload, lease_s)

    def __getattr__(self, name):  # renew, finish, reclaim, pending: the store's own
        return getattr(self.inner, name)


@pytest.fixture
def calls() -> list:
    return []


@pytest.fixture
def stores(settings, calls):
    def _stores(*, claims_fail: int = 0, dedupe_fail: int = 0) -> dict:
        return {"claims": Recorded(SQLiteClaims(settings.var_dir / "claims.db"), calls, "claims", fail=claims_fail),
                "dedupe": Recorded(SQLiteDedupe(settings.var_dir / "dedupe.db", 3600), calls, "dedupe",
                                   fail=dedupe_fail)}
    return _stores


async def test_the_claim_and_the_record_are_one_hop_on_the_channels_own_threads(make_bot, stores, calls):
    bot = await make_bot(**stores())
    assert (await post(bot, spec_body())).status_code == 200
    await bot.channel.wait_idle()
    assert [(what, msg) for what, msg, _ in calls] == [("claim", "msgQ2v8Yk0dC4lE3=="),
                                                        ("admit", "msgQ2v8Yk0dC4lE3==")]
    (thread,) = {t for *_, t in calls}  # one thread for both: one hop
    assert thread.startswith("dingtalk-ack")  # not asyncio's default pool, which the turns share
    assert len(bot.received) == 1


async def test_a_replayed_signature_is_refused_and_admits_nothing(make_bot, stores, calls):
    bot = await make_bot(**stores())
    ts = int(time.time() * 1000)
    assert (await post(bot, spec_body(), ts=ts)).status_code == 200
    forged = spec_body(msgId="msg-forged", senderStaffId="manager0001")
    replay = await post(bot, forged, ts=ts)
    assert replay.status_code == 401 and replay.json() == {"error": "signature", "reason": "replayed"}
    assert ("admit", "msg-forged") not in [(what, msg) for what, msg, _ in calls]
    # the same headers with the first body: DingTalk delivering again, acknowledged, not run again
    assert (await post(bot, spec_body(), ts=ts)).status_code == 200
    await bot.channel.wait_idle()
    assert [m.message_id for m in bot.received] == ["msgQ2v8Yk0dC4lE3=="]
    # the forged msgId was never recorded: signed properly, it is a first delivery
    assert (await post(bot, forged, ts=ts + 1)).status_code == 200
    await bot.channel.wait_idle()
    assert [m.message_id for m in bot.received] == ["msgQ2v8Yk0dC4lE3==", "msg-forged"]


@pytest.mark.parametrize("down", ["claims", "dedupe"])
async def test_a_store_that_is_down_answers_503_and_admits_nothing(make_bot, stores, calls, down):
    bot = await make_bot(**stores(**{f"{down}_fail": 1}))
    ts = int(time.time() * 1000)
    r = await post(bot, spec_body(), ts=ts)
    assert r.status_code == 503 and r.json() == {"error": "try again"}
    await bot.channel.wait_idle()
    assert bot.received == [] and bot.channel.dedupe.pending() == 0
    # DingTalk delivers it again, the same signed request: the claim (if it was made) is this
    # message's own, so it is a redelivery, and this time it is recorded and run, once
    assert (await post(bot, spec_body(), ts=ts)).status_code == 200
    await bot.channel.wait_idle()
    assert [m.message_id for m in bot.received] == ["msgQ2v8Yk0dC4lE3=="]
    assert [what for what, *_ in calls] == (["claim", "claim", "admit"] if down == "claims"
                                            else ["claim", "admit", "claim", "admit"])


async def test_a_refused_body_still_uses_up_its_signature(make_bot, stores, calls):
    """As when the claim came first: a body refused on its fields (another robot) claims the
    signature it came with, so those headers cannot carry another body afterwards."""
    bot = await make_bot(**stores())
    ts = int(time.time() * 1000)
    assert (await post(bot, spec_body(robotCode="dingotherrobot"), ts=ts)).status_code == 403
    assert (await post(bot, spec_body(), ts=ts)).status_code == 401
    assert [what for what, *_ in calls] == ["claim", "claim"]  # nothing admitted
    await bot.channel.wait_idle()
    assert bot.received == []


async def test_a_card_press_is_claimed_and_recorded_in_one_hop_too(make_bot, stores, calls):
    bot = await make_bot(**stores())
    data = {"type": "actionCallback", "outTrackId": "approval-P20250402", "corpId": "dingdemocorp0001",
            "userId": "manager0001", "userIdType": 1, "spaceType": "IM_GROUP", "spaceId": "cidPMC0001",
            "extension": "{}", "content": json.dumps({"cardPrivateData": {"actionIds": ["approve"],
                                                                          "params": {"order_no": "P20250402"}}})}
    ts = int(time.time() * 1000)
    assert (await post(bot, data, path="/card", ts=ts)).status_code == 200
    stolen = {**data, "userId": "pmc0001"}
    assert (await post(bot, stolen, path="/card", ts=ts)).status_code == 401
    await bot.channel.wait_idle()
    assert [what for what, *_ in calls] == ["claim", "admit", "claim"]
    assert len({t for *_, t in calls[:2]}) == 1
    assert [m.sender_id for m in bot.received] == ["cidPMC0001:manager0001"]


async def test_a_client_that_hangs_up_during_the_hop_still_gets_its_turn_run_once(make_bot, settings):
    """The hop is shielded: DingTalk giving up on the ack does not cancel the record half-way."""

    class Slow(SQLiteDedupe):
        def admit_many(self, items):
            seen = super().admit_many(items)
            time.sleep(0.5)
            return seen

    bot = await make_bot(dedupe=Slow(settings.var_dir / "slow.db", 3600))
    ts = int(time.time() * 1000)
    headers = {"timestamp": str(ts), "sign": sign(SECRET, ts), "Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=0.1) as client:
        with pytest.raises(httpx.TimeoutException):
            await client.post(bot.url + "/webhook", content=json.dumps(spec_body()).encode(), headers=headers)
    await async_wait_until(lambda: bot.received, timeout_s=10)
    assert (await post(bot, spec_body())).status_code == 200  # redelivered: a repeat
    await bot.channel.wait_idle()
    assert [m.message_id for m in bot.received] == ["msgQ2v8Yk0dC4lE3=="]


@pytest.mark.redis
async def test_the_one_hop_keeps_both_rules_on_redis(make_bot):
    prefix = f"dingk3:test:{uuid.uuid4().hex}:"
    claims = RedisClaims("redis://127.0.0.1:6379/0", prefix=prefix + "claim:")
    dedupe = RedisDedupe("redis://127.0.0.1:6379/0", 3600, prefix=prefix + "seen:", turns_prefix=prefix + "turns:")
    try:
        a = await make_bot(claims=claims, dedupe=dedupe)
        b = await make_bot(claims=claims, dedupe=dedupe)  # a second replica on the same Redis
        ts = int(time.time() * 1000)
        assert (await post(a, spec_body(), ts=ts)).status_code == 200
        assert (await post(b, spec_body(msgId="msg-forged"), ts=ts)).status_code == 401
        assert (await post(b, spec_body(), ts=ts)).status_code == 200  # redelivered to the other replica
        assert (await post(b, spec_body(), ts=ts + 5)).status_code == 200  # re-signed: still a repeat
        await a.channel.wait_idle()
        await b.channel.wait_idle()
        assert [m.message_id for m in a.received + b.received] == ["msgQ2v8Yk0dC4lE3=="]
        assert dedupe.pending() == 0
        assert not dedupe._redis.exists(prefix + "seen:msg:msg-forged")  # the replay admitted nothing
    finally:
        for key in dedupe._redis.scan_iter(prefix + "*"):
            dedupe._redis.delete(key)


async def test_callbacks_arriving_together_keep_both_rules(make_bot, settings):
    """Queued together, written together: still one turn per msgId, and of two bodies under one
    signature exactly one is heard."""
    import asyncio

    bot = await make_bot()
    ts = int(time.time() * 1000)
    bodies = [spec_body(msgId=f"msg-{i}") for i in range(12)]
    answers = await asyncio.gather(*(post(bot, b, ts=ts + i) for i, b in enumerate(bodies)),
                                   *(post(bot, b, ts=ts + i) for i, b in enumerate(bodies)),  # delivered twice
                                   post(bot, spec_body(msgId="msg-rival"), ts=ts + 100),
                                   post(bot, spec_body(msgId="msg-other"), ts=ts + 100))
    assert [a.status_code for a in answers[:24]] == [200] * 24
    assert sorted(a.status_code for a in answers[24:]) == [200, 401]
    await bot.channel.wait_idle()
    heard = sorted(m.message_id for m in bot.received)
    assert heard[:12] == sorted(f"msg-{i}" for i in range(12)) and len(heard) == 13
    assert heard[12] in ("msg-rival", "msg-other") and bot.channel.dedupe.pending() == 0


def _stores(kind: str, tmp_path, clock):
    if kind == "sqlite":
        return (SQLiteClaims(tmp_path / "c.db", clock=clock), SQLiteDedupe(tmp_path / "d.db", 60, clock=clock), None)
    prefix = f"dingk3:test:{uuid.uuid4().hex}:"
    dedupe = RedisDedupe("redis://127.0.0.1:6379/0", 60, prefix=prefix + "seen:", turns_prefix=prefix + "turns:")
    return RedisClaims("redis://127.0.0.1:6379/0", prefix=prefix + "claim:"), dedupe, prefix


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_batch_is_what_the_same_calls_one_after_the_other_are(tmp_path, kind):
    from connectors.dedupe import admit_many
    from connectors.replay import claim_many

    now = [1_000.0]
    claims, dedupe, prefix = _stores(kind, tmp_path, lambda: now[0])
    try:
        assert claims.claim("a", "first", 60) is None and dedupe.admit("m1", "{}", 30) is True
        assert claim_many(claims, [("a", "x", 60), ("b", "b1", 60), ("b", "b2", 60), ("c", "c1", 60)]) == \
            ["first", None, "b1", None]
        assert claim_many(claims, [("b", "b3", 60)]) == ["b1"]
        assert admit_many(dedupe, [("m1", "{}", 30), ("m2", '{"n": 2}', 30), ("m2", "{}", 30), ("m3", "{}", 30)]) == \
            [False, True, False, True]
        assert admit_many(dedupe, [("m2", "{}", 30)]) == [False]
        assert dedupe.pending() == 3  # m1, m2, m3: the admitted turns, each once
        if kind == "sqlite":  # past the TTL both forget (Redis expires by its own clock)
            now[0] += 61
            assert claim_many(claims, [("a", "again", 60)]) == [None]
            assert admit_many(dedupe, [("m1", "{}", 30)]) == [True]
    finally:
        if prefix:
            for key in dedupe._redis.scan_iter(prefix + "*"):
                dedupe._redis.delete(key)
