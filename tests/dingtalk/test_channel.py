"""The HTTP callback route refuses what it must before Rasa sees anything, and maps senders right."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from connectors.dingtalk import (
    DingTalkInput,
    InvalidCallback,
    decode_card_callback,
    decode_robot_message,
    settings_from_credentials,
    strip_mention,
)
from dingtalk_client.signing import SignatureProblem, check_signature, sign
from tests.polling import async_wait_until

SECRET = "demo-app-secret-0123456789abcdefABCDEF"
METADATA_KEYS = {
    "conversation_id", "conversation_type", "conversation_title", "staff_id", "sender_nick", "msg_id",
    "session_webhook", "session_webhook_expires_ms", "at_staff_ids", "robot_code", "is_group",
    "request_id",  # followed into the action server's log (rasa_project/logs.py)
    "received_ms",  # when the channel took it: a rerun after a crash is not run behind later messages
    "created_ms",  # DingTalk's createAt: a message delivered late is not acted on behind a later one
}


@pytest.fixture(autouse=True)
def _spec_conversation(settings):
    """These tests post the spec's own bodies: replies to DingTalk's own host, and no DingTalk here to
    ask who is in the conversation (origins and membership are tested with the simulator in
    tests/security)."""
    settings.dingtalk_reply_origins = ["https://oapi.dingtalk.com"]
    settings.dingtalk_verify_speakers = False


def spec_body(**changes) -> dict:
    """The documented robot message (spec §1.2), addressed to our demo robot."""
    body = {
        "msgtype": "text", "text": {"content": " 审批 R-1024"}, "msgId": "msgQ2v8Yk0dC4lE3==",
        "createAt": 1700000000123, "conversationType": "2", "conversationId": "cidAbC123==",
        "conversationTitle": "财务审批群", "senderId": "$:LWCP_v1:$9aBc", "senderNick": "张三",
        "senderStaffId": "manager4520", "senderCorpId": "dingdemocorp0001", "chatbotUserId": "$:LWCP_v1:$ZyXw",
        "chatbotCorpId": "dingdemocorp0001", "robotCode": "dingdemoappkey0001", "isAdmin": False,
        "isInAtList": True,
        "atUsers": [{"dingtalkId": "$:LWCP_v1:$ZyXw"}, {"dingtalkId": "$:LWCP_v1:$p1", "staffId": "prod0001"}],
        "sessionWebhook": "https://oapi.dingtalk.com/robot/sendBySession?session=c1f0e2",
        "sessionWebhookExpiredTime": 1700005400123,
    }
    body.update(changes)
    return body


async def post(bot, body, *, ts: int | None = None, secret: str = SECRET, path: str = "/webhook",
               headers: dict | None = None, raw: bytes | None = None):
    ts = int(time.time() * 1000) if ts is None else ts
    h = {"timestamp": str(ts), "sign": sign(secret, ts), "Content-Type": "application/json"}
    h.update(headers or {})
    content = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    async with httpx.AsyncClient() as client:
        return await client.post(bot.url + path, content=content, headers=h)


def test_signature_matches_the_spec_vector():
    assert sign(SECRET, 1700000000000) == "4YaBXM3dlzDoP3UxHS9kUwrIfHCuK2NPWWn/dqONQ/s="


def test_signature_problems_are_named():
    ts = "1700000000000"
    good = sign(SECRET, ts)
    assert check_signature(SECRET, ts, good, now_ms=1700000000000, window_s=3600) is None
    assert check_signature(SECRET, ts, good, now_ms=1700000000000 + 3_600_001, window_s=3600) is SignatureProblem.STALE
    assert check_signature(SECRET, ts, good[:-2] + "A=", now_ms=1700000000000, window_s=3600) is SignatureProblem.MISMATCH
    assert check_signature(SECRET, None, good, now_ms=1, window_s=3600) is SignatureProblem.MISSING
    assert check_signature(SECRET, "17e11", good, now_ms=1, window_s=3600) is SignatureProblem.MALFORMED_TIMESTAMP


async def test_valid_callback_reaches_rasa_with_exact_metadata(make_bot):
    bot = await make_bot()
    r = await post(bot, spec_body())
    assert r.status_code == 200
    await async_wait_until(lambda: bot.received)
    message = bot.received[0]
    assert message.text == "审批 R-1024"
    assert message.sender_id == "cidAbC123==:manager4520"
    assert message.message_id == "msgQ2v8Yk0dC4lE3==" and message.input_channel == "dingtalk"
    assert set(message.metadata) == METADATA_KEYS
    assert message.metadata["at_staff_ids"] == ["prod0001"]  # people, not the robot
    assert message.metadata["is_group"] is True and message.metadata["conversation_type"] == "2"
    assert message.metadata["session_webhook_expires_ms"] == 1700005400123


@pytest.mark.parametrize("case", ["missing", "forged", "stale", "future"])
async def test_bad_signatures_are_refused_before_rasa(make_bot, case):
    bot = await make_bot()
    now = int(time.time() * 1000)
    if case == "missing":
        r = await post(bot, spec_body(), headers={"timestamp": "", "sign": ""})
    elif case == "forged":
        r = await post(bot, spec_body(), secret="not-the-app-secret")
    elif case == "stale":
        r = await post(bot, spec_body(), ts=now - 3_600_000 - 60_000)
    else:
        r = await post(bot, spec_body(), ts=now + 3_600_000 + 60_000)
    assert r.status_code == 401
    await bot.channel.wait_idle()
    assert bot.received == []


async def test_replayed_signed_request_is_processed_once(make_bot):
    bot = await make_bot()
    ts = int(time.time() * 1000)
    first = await post(bot, spec_body(), ts=ts)
    second = await post(bot, spec_body(), ts=ts)  # the identical request, headers and all
    assert first.status_code == second.status_code == 200
    await bot.channel.wait_idle()
    assert len(bot.received) == 1


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"msgtype": "text"}'])
async def test_malformed_bodies_get_4xx_without_rasa(make_bot, raw):
    bot = await make_bot()
    r = await post(bot, None, raw=raw)
    assert r.status_code == 400
    await bot.channel.wait_idle()
    assert bot.received == []


async def test_oversized_body_is_refused_by_length_and_by_actual_size(make_bot, settings):
    settings.dingtalk_max_body_bytes = 2_000
    bot = await make_bot()
    big = spec_body(text={"content": " " + "料" * 2_000})
    r = await post(bot, big)
    assert r.status_code == 413

    async def chunks():  # no Content-Length: the channel must count what arrives
        yield json.dumps(big, ensure_ascii=False).encode()

    ts = int(time.time() * 1000)
    async with httpx.AsyncClient() as client:
        r = await client.post(bot.url + "/webhook", content=chunks(),
                              headers={"timestamp": str(ts), "sign": sign(SECRET, ts)})
    assert r.status_code == 413
    await bot.channel.wait_idle()
    assert bot.received == []


@pytest.mark.parametrize("change", [{"robotCode": "dingotherrobot"}, {"chatbotCorpId": "dingothercorp"}])
async def test_message_for_another_robot_or_corp_is_refused(make_bot, change):
    bot = await make_bot()
    r = await post(bot, spec_body(**change))
    assert r.status_code == 403
    await bot.channel.wait_idle()
    assert bot.received == []


async def test_response_does_not_wait_for_the_turn(make_bot):
    release = asyncio.Event()

    async def slow(message):
        await release.wait()  # a turn stuck on K/3

    bot = await make_bot(slow)
    r = await asyncio.wait_for(post(bot, spec_body()), timeout=5)
    assert r.status_code == 200  # answered while the turn cannot have finished
    await async_wait_until(lambda: bot.received)  # the turn did start ...
    assert bot.channel._tasks and not release.is_set()  # ... and is still blocked
    release.set()
    await bot.channel.wait_idle()


async def test_card_button_press_becomes_an_intent_payload(make_bot):
    bot = await make_bot()
    data = {
        "type": "actionCallback", "outTrackId": "approval-P20250402", "corpId": "dingdemocorp0001",
        "userId": "manager0001", "userIdType": 1, "spaceType": "IM_GROUP", "spaceId": "cidPMC0001",
        "extension": "{}",
        "content": json.dumps({"cardPrivateData": {"actionIds": ["approve"],
                                                   "params": {"decision": "approve", "order_no": "P20250402"}}}),
    }
    r = await post(bot, data, path="/card")
    assert r.status_code == 200
    await async_wait_until(lambda: bot.received)
    message = bot.received[0]
    assert message.text == '/approve{"order_no": "P20250402"}'
    assert message.sender_id == "cidPMC0001:manager0001"
    assert set(message.metadata) == METADATA_KEYS
    # pressing the same button again is the same decision: processed once
    assert (await post(bot, data, path="/card")).status_code == 200
    await bot.channel.wait_idle()
    assert len(bot.received) == 1


def test_mention_and_leading_spaces_are_stripped():
    assert strip_mention("  @K3助手  建单 BOM-2050 100个", "K3助手") == "建单 BOM-2050 100个"
    assert strip_mention(" 进度 P20250402", "K3助手") == "进度 P20250402"
    assert strip_mention("@李强 看一下", "K3助手") == "@李强 看一下"  # people's mentions stay


def test_external_sender_without_staff_id_uses_sender_id():
    body = spec_body()
    del body["senderStaffId"]
    inbound = decode_robot_message(body, robot_name="K3助手")
    assert inbound.sender_id == "cidAbC123==:$:LWCP_v1:$9aBc"
    assert inbound.metadata["staff_id"] is None


def test_one_to_one_and_other_msgtypes():
    audio = spec_body(msgtype="audio", conversationType="1", content={"recognition": "查库存 BOM-2050",
                                                                       "duration": 2, "downloadCode": "x"})
    del audio["text"]
    inbound = decode_robot_message(audio, robot_name="K3助手")
    assert inbound.text == "查库存 BOM-2050" and inbound.metadata["is_group"] is False
    rich = spec_body(msgtype="richText", content={"richText": [{"text": "报工 "}, {"type": "picture",
                                                                                    "downloadCode": "d"},
                                                                {"text": "P20250402 良品50"}]})
    assert decode_robot_message(rich, robot_name="K3助手").text == "报工 P20250402 良品50"
    picture = spec_body(msgtype="picture", content={"downloadCode": "d", "pictureDownloadCode": "d"})
    assert decode_robot_message(picture, robot_name="K3助手").is_readable is False


def test_two_people_in_one_group_have_separate_dialogs():
    a = decode_robot_message(spec_body(senderStaffId="pmc0001"), robot_name="K3助手")
    b = decode_robot_message(spec_body(senderStaffId="pmc0002", msgId="other"), robot_name="K3助手")
    assert a.sender_id != b.sender_id


def test_invalid_bodies_name_the_field():
    with pytest.raises(InvalidCallback) as exc:
        decode_robot_message(spec_body(conversationType=2), robot_name="K3助手")
    assert exc.value.field == "conversationType"
    with pytest.raises(InvalidCallback):
        decode_card_callback({"outTrackId": "x", "userId": "u", "content": '{"cardPrivateData": {"params": {}}}'})
    with pytest.raises(InvalidCallback):  # no intent injection through card params
        decode_card_callback({"outTrackId": "x", "userId": "u",
                              "content": '{"cardPrivateData": {"params": {"decision": "a{b}"}}}'})


def test_credentials_fall_back_to_settings(settings):
    channel = DingTalkInput(settings_from_credentials({"mode": "stream", "app_key": ""}, base=settings))
    assert channel.settings.dingtalk_mode == "stream"
    assert channel.settings.dingtalk_app_key == settings.dingtalk_app_key
    with pytest.raises(ValueError):
        settings_from_credentials({"app_secrte": "typo"}, base=settings)


def test_rasa_builds_the_channel_from_a_nearly_empty_credentials_file(tmp_path):
    from rasa.core.run import create_http_input_channels

    credentials = tmp_path / "credentials.yml"
    credentials.write_text("connectors.dingtalk.DingTalkInput:\n  mode: http\nrest:\n")
    channels = create_http_input_channels(None, str(credentials))
    dingtalk = next(c for c in channels if c.name() == "dingtalk")
    assert isinstance(dingtalk, DingTalkInput) and dingtalk.url_prefix() == "dingtalk"
    assert dingtalk.settings.dingtalk_robot_code  # everything else came from Settings


class SlowDedupe:
    """A dedupe store answering later than DingTalk waits for the callback's ack (an overloaded box)."""

    def __init__(self, inner, delay_s: float) -> None:
        self.inner, self.delay_s = inner, delay_s

    def admit(self, key: str, payload: str, lease_s: float) -> bool:
        seen = self.inner.admit(key, payload, lease_s)
        time.sleep(self.delay_s)
        return seen

    def __getattr__(self, name):  # renew, finish, reclaim: the store's own
        return getattr(self.inner, name)


async def test_a_message_whose_ack_came_too_late_is_still_handled_once(make_bot, settings):
    """DingTalk gives up on the ack and hangs up while the dedupe store is slow; the store has
    already recorded the msgId, so DingTalk's redelivery is a repeat. The first delivery's turn must
    still run (it is the only one that will): once, not zero times."""
    from connectors.dedupe import SQLiteDedupe

    bot = await make_bot(dedupe=SlowDedupe(SQLiteDedupe(settings.var_dir / "slow.db", 3600), 1.0))
    ts = int(time.time() * 1000)
    h = {"timestamp": str(ts), "sign": sign(SECRET, ts), "Content-Type": "application/json"}
    body = json.dumps(spec_body(), ensure_ascii=False).encode()
    async with httpx.AsyncClient(timeout=0.2) as client:
        with pytest.raises(httpx.TimeoutException):
            await client.post(bot.url + "/webhook", content=body, headers=h)  # hangs up before the ack
    await asyncio.sleep(1.5)  # the slow store answers after the hang-up
    again = await post(bot, spec_body())  # DingTalk delivers it again: a repeat by now
    assert again.status_code == 200
    await async_wait_until(lambda: bot.received, timeout_s=10)
    await bot.channel.wait_idle()
    assert [m.message_id for m in bot.received] == ["msgQ2v8Yk0dC4lE3=="]
