"""Stream mode: the official SDK and our client against the simulator's gateway."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import httpx
import pytest
import websockets

from dingtalk_client.openapi import DingTalkOpenAPI
from rasa_project.wiring import dingtalk_config
from tests.polling import async_wait_until, wait_until
from tests.requirements import SDK_PYTHON, need

SDK_BOT = Path(__file__).with_name("sdk_stream_bot.py")
KEY, SECRET = "dingdemoappkey0001", "demo-app-secret-0123456789abcdefABCDEF"
TOPIC = "/v1.0/im/bot/messages/get"


def stream_status(sim_url: str) -> dict:
    return httpx.get(f"{sim_url}/_sim/stream").json()


def bot_messages(sim_url: str, **params) -> list[dict]:
    return httpx.get(f"{sim_url}/_sim/messages", params=params).json()["messages"]


@pytest.fixture
def sdk_bot(sim, tmp_path):
    need("sdk")
    sim_url, _ = sim
    with open(tmp_path / "sdk.log", "w") as log:
        process = subprocess.Popen([str(SDK_PYTHON), str(SDK_BOT), sim_url, KEY, SECRET], stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: stream_status(sim_url)["connections"] or process.poll() is not None, 30)
            assert process.poll() is None, (tmp_path / "sdk.log").read_text()
            yield process, tmp_path / "sdk.log"
        finally:
            process.terminate()
            process.wait(10)


def test_official_sdk_receives_a_chat_and_its_reply_arrives(sim, sdk_bot):
    sim_url, _ = sim
    status = stream_status(sim_url)
    assert status["connections"][0]["subscriptions"] == [
        "CALLBACK:/v1.0/card/instances/callback", f"CALLBACK:{TOPIC}"]
    answer = httpx.post(f"{sim_url}/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0001",
                                                     "text": "建单 BOM-2050 100个"}).json()
    assert answer["status"] == "stream"
    messages = wait_until(lambda: bot_messages(sim_url, conversation_id="cidPMC0001"), 15)
    assert messages[0]["text"] == "sdk echo: 建单 BOM-2050 100个"
    assert messages[0]["via"] == "webhook" and messages[0]["in_reply_to"] == answer["msgId"]
    assert messages[0]["to_staff_ids"] == ["pmc0001"]  # SDK reply_text @-mentions the sender
    acks = wait_until(lambda: [a for a in stream_status(sim_url)["acks"] if a["code"] == 200], 5)
    assert acks[0]["message"] == "" and acks[0]["data"] == {"response": "OK"}  # what the SDK really sends


def test_official_sdk_answers_ping_and_reconnects_after_disconnect(sim, sdk_bot):
    sim_url, _ = sim
    ping_id = httpx.post(f"{sim_url}/_sim/stream/ping").json()["done"][0]
    ack = wait_until(lambda: [a for a in stream_status(sim_url)["acks"] if a["messageId"] == ping_id], 5)[0]
    sent = next(d for d in stream_status(sim_url)["deliveries"] if d["messageId"] == ping_id)
    assert ack["code"] == 200 and ack["data"] == json.loads(sent["data"])  # opaque echoed
    first = stream_status(sim_url)["connections"][0]["id"]
    httpx.post(f"{sim_url}/_sim/stream/disconnect")
    wait_until(lambda: [c for c in stream_status(sim_url)["connections"] if c["id"] != first], 20)
    assert stream_status(sim_url)["opens"] == 2  # a fresh connections/open, not a reused ticket


def test_official_sdk_card_callback_updates_the_card(sim, sdk_bot, settings):
    sim_url, _ = sim
    _process, log = sdk_bot
    with DingTalkOpenAPI(dingtalk_config(settings)) as api:
        api.send_card("approval-P20250402", "dingk3_approval",
                      {"title": "变更审批", "status": "pending", "order_no": "P20250402"},
                      conversation_id="cidPMC0001", callback_type="STREAM")
    answer = httpx.post(f"{sim_url}/_sim/card_action", json={
        "out_track_id": "approval-P20250402", "staff_id": "manager0001",
        "params": {"decision": "approve", "order_no": "P20250402"}}).json()
    assert answer["status"] == "stream"
    wait_until(lambda: httpx.get(f"{sim_url}/_sim/cards").json()["cards"][0]["status"] == "approved", 10)
    card_line = wait_until(lambda: [ln for ln in log.read_text().splitlines() if ln.startswith("CARD ")], 5)[0]
    seen = json.loads(card_line[5:])
    assert seen["id"] == "approval-P20250402" and seen["user"] == "manager0001"
    assert seen["content"]["cardPrivateData"]["params"] == {"decision": "approve", "order_no": "P20250402"}


async def open_ticket(client: httpx.AsyncClient, topics=(TOPIC,)) -> str:
    r = await client.post("/v1.0/gateway/connections/open", json={
        "clientId": KEY, "clientSecret": SECRET, "subscriptions": [{"type": "CALLBACK", "topic": t} for t in topics]})
    body = r.json()
    return f"{body['endpoint']}?ticket={body['ticket']}"


async def test_gateway_redelivers_the_identical_frame_until_acked(sim):
    sim_url, app = sim
    async with httpx.AsyncClient(base_url=sim_url) as client:
        uri = await open_ticket(client)
        async with websockets.connect(uri) as ws:
            await async_wait_until(lambda: app.state.gateway.connections)
            await client.post("/_sim/chat", json={"conversation_id": None, "staff_id": "pmc0001", "text": "hi"})
            first = await asyncio.wait_for(ws.recv(), 5)
            frame = json.loads(first)
            assert frame["type"] == "CALLBACK" and isinstance(frame["data"], str)
            assert isinstance(frame["headers"]["time"], str)
            assert {"appId", "connectionId", "contentType", "messageId", "time", "topic"} <= set(frame["headers"])
            assert json.loads(frame["data"])["text"]["content"] == " hi"
            again = await asyncio.wait_for(ws.recv(), 5)  # no ack: the same frame again
            assert again == first
            await ws.send(json.dumps({"code": 500, "headers": {"messageId": frame["headers"]["messageId"]},
                                      "message": "busy", "data": "{}"}))
            assert await asyncio.wait_for(ws.recv(), 5) == first  # non-200 ack: again
            await ws.send(json.dumps({"code": 200, "headers": {"contentType": "application/json",
                                                               "messageId": frame["headers"]["messageId"]},
                                      "message": "OK", "data": json.dumps({"response": None})}))
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.recv(), 1.2)  # acked: nothing more
        # a ticket serves one connection only
        with pytest.raises(websockets.exceptions.InvalidStatusCode):
            async with websockets.connect(uri):
                pass


async def test_gateway_gives_up_after_bounded_redeliveries_and_skips_unsubscribed(sim):
    sim_url, app = sim
    async with httpx.AsyncClient(base_url=sim_url) as client:
        uri = await open_ticket(client)
        async with websockets.connect(uri) as ws:
            await async_wait_until(lambda: app.state.gateway.connections)
            await client.post("/_sim/chat", json={"conversation_id": None, "staff_id": "pmc0001", "text": "hi"})
            frames = [await asyncio.wait_for(ws.recv(), 5) for _ in range(3)]  # 1 + max_redeliveries (2)
            assert len(set(frames)) == 1
            status = await async_wait_until(lambda: stream_status(sim_url)["undelivered"] and stream_status(sim_url))
            assert status["undelivered"] == [json.loads(frames[0])["headers"]["messageId"]]
            # not subscribed to card callbacks: nothing is pushed for them
            assert await app.state.gateway.deliver("CALLBACK", "/v1.0/card/instances/callback", {"x": 1}) is None
            assert await app.state.gateway.deliver("EVENT", "chat_update", {"x": 1}) is None


async def test_our_stream_client_runs_turns_and_acks(sim, make_bot, settings):
    sim_url, _app = sim
    settings.dingtalk_mode = "stream"

    async def echo(message):
        await message.output_channel.send_text_message(message.sender_id, f"stream echo: {message.text}")

    bot = await make_bot(echo)
    await async_wait_until(lambda: bot.channel.stream and bot.channel.stream.connected.is_set(), 10)
    async with httpx.AsyncClient(base_url=sim_url) as client:
        answer = (await client.post("/_sim/chat", json={"conversation_id": "cidPROD0001", "staff_id": "prod0002",
                                                        "text": "lapor P20250402 bagus 50"})).json()
        assert answer["status"] == "stream"
        messages = await async_wait_until(lambda: _messages(client, "cidPROD0001"))
        assert messages[0]["text"] == "stream echo: lapor P20250402 bagus 50"
        status = (await client.get("/_sim/stream")).json()
        assert [a["code"] for a in status["acks"]] == [200]
        # SYSTEM disconnect: we ack, close, and come back through a fresh connections/open
        await client.post("/_sim/stream/disconnect")
        await async_wait_until(lambda: bot.channel.stream.connections == 2, 10)
        # a card press arrives as an intent payload on the card topic
        with DingTalkOpenAPI(dingtalk_config(settings)) as api:
            await asyncio.to_thread(api.send_card, "approval-9", "dingk3_approval",
                                    {"title": "t", "status": "pending", "order_no": "P20250402"},
                                    conversation_id="cidPROD0001")
        await async_wait_until(lambda: bot.channel.stream.connected.is_set(), 10)
        press = (await client.post("/_sim/card_action", json={
            "out_track_id": "approval-9", "staff_id": "manager0001",
            "params": {"decision": "reject", "order_no": "P20250402"}})).json()
        assert press["status"] == "stream"
        await async_wait_until(lambda: len(bot.received) == 2)
    assert bot.received[1].text == '/reject{"order_no": "P20250402"}'
    assert bot.received[1].sender_id == "cidPROD0001:manager0001"


async def _messages(client, conversation_id):
    return (await client.get("/_sim/messages", params={"conversation_id": conversation_id})).json()["messages"]




async def test_stream_frames_from_outside_the_conversation_are_acked_and_get_no_turn(sim, make_bot, settings):
    """Stream mode shares the channel's checks: the frame is acked (DingTalk must not push it again),
    the membership check runs before the turn, and a sender outside the space gets nothing."""
    sim_url, _app = sim
    settings.dingtalk_mode = "stream"

    async def echo(message):
        await message.output_channel.send_text_message(message.sender_id, f"stream echo: {message.text}")

    bot = await make_bot(echo)
    await async_wait_until(lambda: bot.channel.stream and bot.channel.stream.connected.is_set(), 10)
    with DingTalkOpenAPI(dingtalk_config(settings)) as api:
        await asyncio.to_thread(api.send_card, "approval-11", "dingk3_approval",
                                {"title": "t", "status": "pending", "order_no": "P20250401"},
                                conversation_id="cidPMC0001")
    async with httpx.AsyncClient(base_url=sim_url) as client:
        before = len(await _messages(client, "cidPMC0001"))
        for n, staff in enumerate(("prod0001", "manager0001"), 1):  # prod0001 is not in the PMC group
            press = (await client.post("/_sim/card_action", json={
                "out_track_id": "approval-11", "staff_id": staff,
                "params": {"decision": "approve", "order_no": "P20250401"}})).json()
            assert press["status"] == "stream"
            await async_wait_until(lambda n=n: len(stream_status(sim_url)["acks"]) >= n)
            await bot.channel.wait_idle()
        status = (await client.get("/_sim/stream")).json()
        assert [a["code"] for a in status["acks"]] == [200, 200] and status["undelivered"] == []
        messages = (await _messages(client, "cidPMC0001"))[before:]
    assert [m.sender_id for m in bot.received] == ["cidPMC0001:manager0001"]
    assert [m["text"] for m in messages] == ['stream echo: /approve{"order_no": "P20250401"}']
    assert bot.channel.dedupe.pending() == 0
