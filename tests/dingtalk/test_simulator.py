"""The simulator refuses what DingTalk refuses, in DingTalk's shapes (in-process via ASGITransport)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from devtools.simulators.dingtalk import app as sim_app
from devtools.simulators.dingtalk import create_app
from devtools.simulators.dingtalk.wire import sign
from tests.dingtalk.conftest import ThreadedServer, free_port

# spec dingtalk.md §1.1: the fixture's app secret is the vector's
SPEC_SECRET, SPEC_TS, SPEC_SIGN = "demo-app-secret-0123456789abcdefABCDEF", 1700000000000, (
    "4YaBXM3dlzDoP3UxHS9kUwrIfHCuK2NPWWn/dqONQ/s=")


@pytest.fixture
async def client(settings):
    app = create_app(settings, ping_interval_s=0)
    app.state.bot_url = "http://127.0.0.1:9/unreachable"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c:
        c.app = app
        yield c


async def token(client) -> str:
    r = await client.post("/v1.0/oauth2/accessToken",
                          json={"appKey": "dingdemoappkey0001", "appSecret": "demo-app-secret-0123456789abcdefABCDEF"})
    assert r.status_code == 200 and 7100 < r.json()["expireIn"] <= 7200  # a re-issued token: time left
    return r.json()["accessToken"]


async def session_url(client, **chat) -> tuple[str, dict]:
    answer = (await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0001",
                                                    "text": "hi", **chat})).json()
    body = client.app.state.sent_bodies[answer["msgId"]]
    return body["sessionWebhook"].replace("http://sim", ""), body


async def test_callback_body_is_realistic(client):
    _, body = await session_url(client)
    assert body["conversationType"] == "2" and isinstance(body["conversationType"], str)
    assert body["text"]["content"] == " hi"  # mention removed, leading space kept
    assert body["sessionWebhookExpiredTime"] - body["createAt"] == 90 * 60 * 1000
    assert body["senderStaffId"] == "pmc0001" and body["conversationTitle"]
    _, external = await session_url(client, external=True)
    assert "senderStaffId" not in external and external["msgId"] != body["msgId"]
    _, one_to_one = await session_url(client, conversation_id=None)
    assert one_to_one["conversationType"] == "1" and "conversationTitle" not in one_to_one


async def test_session_webhook_errors_come_as_errcodes_in_http_200(client):
    url, _ = await session_url(client)
    ok = await client.post(url, json={"msgtype": "text", "text": {"content": "ok"}})
    assert ok.status_code == 200 and ok.json() == {"errcode": 0, "errmsg": "ok"}
    for bad in ({"msgtype": "nope"}, {"msgtype": "markdown", "markdown": {"text": "no title"}},
                {"msgtype": "actionCard", "actionCard": {"title": "t", "text": "x", "singleTitle": "a",
                                                         "singleURL": "https://x",
                                                         "btns": [{"title": "b", "actionURL": "https://y"}]}}):
        r = await client.post(url, json=bad)
        assert r.status_code == 200 and r.json()["errcode"] != 0
    wrong = await client.post("/robot/sendBySession?session=nope", json={"msgtype": "text", "text": {"content": "x"}})
    assert wrong.json()["errcode"] == 300001
    await client.post("/_sim/clock", json={"advance_s": 91 * 60})
    expired = await client.post(url, json={"msgtype": "text", "text": {"content": "late"}})
    assert expired.status_code == 200 and expired.json()["errcode"] == 300001


async def test_twenty_per_minute_then_130101_for_a_while(client):
    url, _ = await session_url(client)
    codes = [(await client.post(url, json={"msgtype": "text", "text": {"content": str(i)}})).json()["errcode"]
             for i in range(21)]
    assert codes[:20] == [0] * 20 and codes[20] == 130101
    await client.post("/_sim/clock", json={"advance_s": 30})
    still = await client.post(url, json={"msgtype": "text", "text": {"content": "x"}})
    assert still.json()["errcode"] == 130101
    await client.post("/_sim/clock", json={"advance_s": 61})
    assert (await client.post(url, json={"msgtype": "text", "text": {"content": "y"}})).json()["errcode"] == 0


async def test_openapi_needs_a_valid_token_and_a_string_msg_param(client):
    body = {"robotCode": "dingdemoappkey0001", "openConversationId": "cidPMC0001", "msgKey": "sampleText",
            "msgParam": json.dumps({"content": "hi"})}
    r = await client.post("/v1.0/robot/groupMessages/send", json=body)
    assert r.status_code == 401 and set(r.json()) == {"code", "message", "requestid"}
    headers = {"x-acs-dingtalk-access-token": await token(client)}
    assert (await client.post("/v1.0/robot/groupMessages/send", json=body, headers=headers)).json()["processQueryKey"]
    as_object = {**body, "msgParam": {"content": "hi"}}
    r = await client.post("/v1.0/robot/groupMessages/send", json=as_object, headers=headers)
    assert r.status_code == 400 and r.json()["code"] == "invalidParameter.msgParam.invalid"
    r = await client.post("/v1.0/robot/groupMessages/send", json={**body, "msgKey": "sampleNope"}, headers=headers)
    assert r.json()["code"] == "invalidParameter.msgKey.invalid"
    r = await client.post("/v1.0/robot/groupMessages/send", json={**body, "robotCode": ""}, headers=headers)
    assert r.json()["code"] == "invalidParameter.robotCode.empty"
    r = await client.post("/v1.0/robot/oToMessages/batchSend", headers=headers,
                          json={**body, "userIds": [f"u{i}" for i in range(21)]})
    assert r.json()["code"] == "invalidParameter.userIds.overMax"


async def test_token_is_stable_then_expires_on_the_sim_clock(client):
    first = await token(client)
    assert await token(client) == first
    await client.post("/_sim/clock", json={"advance_s": 7201})
    body = {"robotCode": "dingdemoappkey0001", "openConversationId": "cidPMC0001", "msgKey": "sampleText",
            "msgParam": json.dumps({"content": "hi"})}
    r = await client.post("/v1.0/robot/groupMessages/send", json=body, headers={"x-acs-dingtalk-access-token": first})
    assert r.status_code == 401
    assert await token(client) != first


async def test_connections_open_checks_credentials_and_returns_a_plain_endpoint(client):
    subs = [{"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"}]
    bad = await client.post("/v1.0/gateway/connections/open",
                            json={"clientId": "dingdemoappkey0001", "clientSecret": "x", "subscriptions": subs})
    assert bad.status_code == 401
    ok = await client.post("/v1.0/gateway/connections/open",
                           json={"clientId": "dingdemoappkey0001", "clientSecret": "demo-app-secret-0123456789abcdefABCDEF",
                                 "subscriptions": subs, "ua": "t", "localIp": "127.0.0.1"})
    assert ok.status_code == 200 and "?" not in ok.json()["endpoint"] and ok.json()["ticket"]


async def test_chat_page_and_directory_are_served_offline(client):
    page = await client.get("/")
    assert page.status_code == 200 and "/_sim/static/chat.js" in page.text and "http" not in page.text.split("<body>")[1]
    assert (await client.get("/phone")).status_code == 200
    assert (await client.get("/_sim/static/render.js")).status_code == 200
    directory = (await client.get("/_sim/directory")).json()
    assert {g["conversation_id"] for g in directory["groups"]} == {"cidPMC0001", "cidPROD0001"}
    assert any(p["is_manager"] for p in directory["people"])


def test_simulator_signs_like_the_spec():
    assert sign("demo-app-secret-0123456789abcdefABCDEF", 1700000000000) == "4YaBXM3dlzDoP3UxHS9kUwrIfHCuK2NPWWn/dqONQ/s="


@pytest.fixture
def robot():
    """A plain HTTP receiver standing in for the robot: records what the simulator posts to it."""
    received: list[dict] = []

    async def record(request: Request):
        received.append({"path": request.url.path, "headers": dict(request.headers), "body": await request.json()})
        return JSONResponse({})

    server = ThreadedServer(Starlette(routes=[Route("/robot/{name}", record, methods=["POST"])]), free_port())
    server.start()
    yield server.url, received
    server.stop()


async def test_chat_and_card_callbacks_are_signed_like_the_spec_vector(client, robot, monkeypatch):
    """Both callbacks the simulator posts (a chat message, a card button with callbackType HTTP)
    carry ``timestamp``/``sign`` exactly as spec §1.1 computes them: at the vector's instant they
    are the vector."""
    url, received = robot
    client.app.state.bot_url = f"{url}/robot/webhook"
    monkeypatch.setattr(sim_app, "time", SimpleNamespace(time=lambda: SPEC_TS / 1000))
    chat = (await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0001",
                                                  "text": "hi", "via": "http"})).json()
    assert chat["status"] == 200
    headers = {"x-acs-dingtalk-access-token": await token(client)}
    card = {"cardTemplateId": "dingk3_approval.schema", "outTrackId": "approval-sign-1", "callbackType": "HTTP",
            "cardData": {"cardParamMap": {"status": "pending"}}, "openSpaceId": "dtv1.card//IM_GROUP.cidPMC0001",
            "imGroupOpenDeliverModel": {"robotCode": "dingdemoappkey0001"}}
    assert (await client.post("/v1.0/card/instances/createAndDeliver", json=card, headers=headers)).status_code == 200
    press = (await client.post("/_sim/card_action", json={"out_track_id": "approval-sign-1", "staff_id": "manager0001",
                                                          "params": {"decision": "approve"}})).json()
    assert press["status"] == 200
    assert [r["path"] for r in received] == ["/robot/webhook", "/robot/card"]
    for r in received:
        assert (r["headers"]["timestamp"], r["headers"]["sign"]) == (str(SPEC_TS), SPEC_SIGN), r["path"]
    assert json.loads(received[1]["body"]["content"])["cardPrivateData"]["params"] == {"decision": "approve"}


@pytest.mark.parametrize("mode", ["stale", "forged"])
async def test_signature_switches_break_the_spec_formula(client, robot, monkeypatch, mode):
    url, received = robot
    client.app.state.bot_url = f"{url}/robot/webhook"
    monkeypatch.setattr(sim_app, "time", SimpleNamespace(time=lambda: SPEC_TS / 1000))
    await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0001", "text": "hi",
                                          "via": "http", "sign": mode})
    sent = received[0]["headers"]
    if mode == "stale":  # correctly signed, two hours old: outside the 1 h window
        assert int(sent["timestamp"]) == SPEC_TS - 2 * 3600 * 1000 and sent["sign"] == sign(SPEC_SECRET, sent["timestamp"])
    else:
        assert sent["timestamp"] == str(SPEC_TS) and sent["sign"] != SPEC_SIGN
