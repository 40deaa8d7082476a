"""Limits (issue 20 §5): a flood from one person is answered once, then dropped unread, and does not
starve the others; every field has a bound. Through the simulator and the real channel, at the
default limits."""

from __future__ import annotations

import time

import httpx
import pytest

from connectors.limits import Admission, FloodGate
from rasa_project.catalog import text
from tests.polling import async_wait_until
from tests.security.conftest import post, sim_messages


async def test_a_flood_from_one_person_is_answered_once_and_the_others_are_still_heard(sim, make_bot, settings):
    sim_url, app = sim
    bot = await make_bot()  # a turn that says nothing: only the channel's own answers reach the chat
    app.state.bot_url = bot.url + "/webhook"
    burst, per_minute = settings.dingtalk_sender_burst, settings.dingtalk_sender_rate_per_minute
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=sim_url) as client:
        for i in range(60):
            r = await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0001",
                                                      "text": f"进度 P20250401 #{i}"})
            assert r.json()["status"] == 200  # acknowledged: DingTalk must not deliver them again
        elapsed = time.monotonic() - started
        other = (await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0002",
                                                       "text": "进度 P20250402"})).json()
        await async_wait_until(lambda: any(m.sender_id.endswith("pmc0002") for m in bot.received))
        await bot.channel.wait_idle()
    flooded = [m for m in bot.received if m.sender_id == "cidPMC0001:pmc0001"]
    assert burst <= len(flooded) <= burst + int(elapsed * per_minute / 60) + 1
    assert [m.message_id for m in bot.received if m.sender_id.endswith("pmc0002")] == [other["msgId"]]
    told = [m for m in sim_messages(sim_url, conversation_id="cidPMC0001")]
    assert [m["text"] for m in told] == [text("dingtalk.slow_down", "zh")]  # once, not 60 - burst times
    assert told[0]["to_staff_ids"] == ["pmc0001"]


def test_the_gate_refills_and_warns_again_after_a_pause():
    now = [0.0]
    gate = FloodGate(sender_burst=2, sender_per_minute=60, conversation_burst=3, conversation_per_minute=60,
                     clock=lambda: now[0])
    assert [gate.admit("a", "c") for _ in range(4)] == [Admission.ADMIT, Admission.ADMIT, Admission.WARN,
                                                         Admission.DROP]
    assert gate.admit("b", "c") is Admission.ADMIT  # a's flood used a's bucket, not the conversation's
    assert gate.admit("b", "c") is Admission.WARN  # ... until the conversation's own bucket is empty
    now[0] += 1.0
    assert gate.admit("a", "c") is Admission.ADMIT  # one token back: heard at the refill rate ...
    assert gate.admit("a", "c") is Admission.DROP  # ... but the run goes on: not answered twice
    now[0] += 2.0
    assert gate.admit("a", "c") is Admission.ADMIT  # a pause long enough to fill up: the run is over
    assert gate.admit("a", "c") is Admission.ADMIT
    assert gate.admit("a", "c") is Admission.WARN


async def test_a_too_long_message_is_answered_and_not_read(sim, make_bot, settings):
    sim_url, app = sim
    bot = await make_bot()
    app.state.bot_url = bot.url + "/webhook"
    long_text = "改数量 " + "五" * settings.dingtalk_max_text_chars
    async with httpx.AsyncClient(base_url=sim_url) as client:
        r = await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0002",
                                                  "text": long_text})
    assert r.json()["status"] == 200
    told = await async_wait_until(lambda: sim_messages(sim_url, conversation_id="cidPMC0001"))
    assert told[0]["text"] == text("dingtalk.too_long", "zh", max=settings.dingtalk_max_text_chars)
    await bot.channel.wait_idle()
    assert bot.received == []


@pytest.mark.parametrize("field,value", [
    ("msgId", "m" * 129), ("conversationId", "c" * 129), ("senderStaffId", "s" * 129), ("senderNick", "n" * 257),
    ("conversationTitle", "t" * 257), ("atUsers", [{"dingtalkId": "x"}] * 101),
    ("atUsers", [{"dingtalkId": "x", "staffId": "y" * 129}]), ("sessionWebhookExpiredTime", "soon"),
    ("sessionWebhook", {"url": "x"}),
])
async def test_every_robot_field_is_bounded(sim, make_bot, body, signer, field, value):
    bot = await make_bot()
    r = await post(bot, body("pmc0001", **{field: value}), signer.headers())
    assert r.status_code == 400 and r.json()["error"] == field
    await bot.channel.wait_idle()
    assert bot.received == []


@pytest.mark.parametrize("change", [
    {"outTrackId": "o" * 129}, {"userId": "u" * 129}, {"content": '{"cardPrivateData": {"params": {"a": "'
                                                                  + "x" * 9000 + '"}}}'},
    {"content": '{"cardPrivateData": {"actionIds": ["approve"], "params": {"note": "' + "x" * 300 + '"}}}'},
    {"content": '{"cardPrivateData": {"actionIds": "approve"}}'},
    {"content": '{"cardPrivateData": ["approve"]}'},
])
async def test_every_card_field_is_bounded(sim, make_bot, signer, settings, change):
    bot = await make_bot()
    press = {"type": "actionCallback", "outTrackId": "approval-1", "corpId": settings.dingtalk_corp_id,
             "userId": "manager0001", "spaceType": "IM_GROUP", "spaceId": "cidPMC0001", "extension": "{}",
             "content": '{"cardPrivateData": {"actionIds": ["approve"], "params": {"order_no": "P1"}}}', **change}
    r = await post(bot, press, signer.headers(), "/card")
    assert r.status_code == 400
    await bot.channel.wait_idle()
    assert bot.received == []


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"msgId": "\\ud800"}', b"\xc3\x28", b'"text"', b"null"])
async def test_bodies_no_parser_should_choke_on_get_a_400(sim, make_bot, signer, raw):
    bot = await make_bot()
    r = await post(bot, raw, signer.headers())
    assert r.status_code == 400
    await bot.channel.wait_idle()
    assert bot.received == []


async def test_the_event_route_reads_its_body_bounded_and_refuses_deep_nesting(make_bot, settings):
    settings.dingtalk_max_body_bytes = 10_000
    bot = await make_bot()
    query = "?msg_signature=a&timestamp=1&nonce=n"

    async def chunks():  # no Content-Length: counted as it arrives
        for _ in range(20):
            yield b" " * 1_000

    async with httpx.AsyncClient() as client:
        deep = await client.post(bot.url + "/events" + query, content=b"[" * 5_000 + b"]" * 5_000)
        streamed = await client.post(bot.url + "/events" + query, content=chunks())
        announced = await client.post(bot.url + "/events" + query, content=b"{" + b" " * 20_000 + b"}")
    assert (deep.status_code, streamed.status_code, announced.status_code) == (400, 413, 413)
    assert bot.channel.events.refused[-3:] == ["malformed", "too large", "too large"]
