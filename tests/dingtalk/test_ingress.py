"""The callback ingress (connectors/ingress.py): DingTalk's HTTP callbacks are verified, recorded and
answered outside the Rasa process, then handed to a Rasa channel over loopback HTTP, where the turn
runs under its lease. Real servers on free ports: the DingTalk simulator signs and posts, the
ingress answers, a channel in a Sanic app (``Bot``, as Rasa mounts it) runs the turns."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
import pytest
from sanic import Sanic

from connectors.dedupe import SQLiteDedupe
from connectors.dingtalk import HANDOFF_HEADER, DingTalkInput, _payload, decode_robot_message
from connectors.ingress import Ingress, make_app
from dingtalk_client.signing import sign
from rasa_project.settings import Settings
from tests.dingtalk.conftest import free_port
from tests.dingtalk.test_channel import SECRET, spec_body
from tests.dingtalk.test_http_e2e import bot_messages, echo
from tests.polling import async_wait_until

INGRESS_SECRET = "demo-ingress-secret-0123456789abcdef"


class IngressServer:
    """The ingress app served in this loop (``python -m connectors.ingress`` serves the same app)."""

    def __init__(self, ingress: Ingress) -> None:
        self.ingress = ingress
        self.app = make_app(ingress, name=f"ingress_test_{id(self)}")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/webhooks/dingtalk"

    async def start(self) -> IngressServer:
        self._server = await self.app.create_server(host="127.0.0.1", port=self.port, return_asyncio_server=True,
                                                    access_log=False)
        await self._server.startup()
        await self._server.before_start()
        await self._server.after_start()
        return self

    async def stop(self) -> None:
        await self._server.before_stop()
        self._server.close()
        await self._server.wait_closed()
        for connection in list(self._server.connections):
            connection.close_if_idle()
        await self._server.after_stop()


def dedupe_of(settings) -> SQLiteDedupe:
    """The one dedupe store the ingress and the Rasa channel share (Redis with replicas)."""
    return SQLiteDedupe(settings.var_dir / "dingtalk_dedupe.db", settings.dedupe_ttl_s)


@pytest.fixture
async def make_ingress(settings):
    servers = []

    async def _make(rasa_url: str, *, channel_settings=None, **kwargs) -> IngressServer:
        s = channel_settings or settings
        server = await IngressServer(Ingress(s, rasa_urls=[rasa_url], dedupe=dedupe_of(s), **kwargs)).start()
        servers.append(server)
        return server

    yield _make
    for server in servers:
        await server.stop()


def rasa_base(bot) -> str:
    return f"http://127.0.0.1:{bot.port}"


async def chat(client: httpx.AsyncClient, **body) -> dict:
    r = await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0001", **body})
    r.raise_for_status()
    return r.json()


async def test_signed_callbacks_through_the_ingress_reach_rasa_and_are_answered(sim, settings, make_bot,
                                                                                make_ingress):
    sim_url, app = sim
    bot = await make_bot(echo, dedupe=dedupe_of(settings))
    ingress = await make_ingress(rasa_base(bot))
    app.state.bot_url = ingress.url + "/webhook"  # DingTalk's callback URL is the ingress
    async with httpx.AsyncClient(base_url=sim_url) as client:
        sent = [await chat(client, text=f"你好 {i}") for i in range(3)]
        assert [s["status"] for s in sent] == [200, 200, 200]
        await async_wait_until(lambda: len(bot.received) == 3, timeout_s=20, what="three turns in Rasa")
        await bot.channel.wait_idle()
        await ingress.ingress.wait_idle()  # the hand-offs' answers may come after the turns ran
        replies = await bot_messages(client, conversation_id="cidPMC0001")
    assert [r["in_reply_to"] for r in replies] == [s["msgId"] for s in sent]  # answered, in order, once each
    assert [r["text"] for r in replies] == [f"echo: 你好 {i}" for i in range(3)]
    first = bot.received[0]
    assert first.sender_id == "cidPMC0001:pmc0001" and first.input_channel == "dingtalk"
    assert first.metadata["received_ms"] <= int(time.time() * 1000)  # stamped by the ingress
    assert first.metadata["request_id"] and first.metadata["created_ms"]
    assert ingress.ingress.outcomes == {"handed": 3}
    assert bot.channel.dedupe.pending() == 0  # every turn finished on the Rasa side


async def test_a_card_callback_through_the_ingress_reaches_rasa(settings, make_bot, make_ingress):
    settings.dingtalk_verify_speakers = False
    bot = await make_bot(dedupe=dedupe_of(settings))
    ingress = await make_ingress(rasa_base(bot))
    data = {"outTrackId": "card-1", "userId": "manager0001", "corpId": "dingdemocorp0001", "spaceType": "IM_GROUP",
            "spaceId": "cidPMC0001",
            "content": json.dumps({"cardPrivateData": {"actionIds": ["approve"], "params": {"order_no": "P1"}}})}
    r = await post(ingress, data, path="/card")
    assert (r.status_code, r.json()) == (200, {})
    await async_wait_until(lambda: bot.received, timeout_s=10)
    assert bot.received[0].text == '/approve{"order_no": "P1"}'


async def post(server, body, *, ts=None, sign_with=SECRET, path="/webhook", headers=None, raw=None):
    ts = int(time.time() * 1000) if ts is None else ts
    h = {"timestamp": str(ts), "sign": sign(sign_with, ts), "content-type": "application/json", **(headers or {})}
    content = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    async with httpx.AsyncClient() as client:
        return await client.post(server.url + path, content=content, headers=h)


async def refusal_cases(server) -> list[tuple[int, dict]]:
    """The same callbacks, good and bad, as DingTalk (or an attacker) would post them."""
    now = int(time.time() * 1000)
    good = spec_body(msgId="msgGood0001")
    out = []
    for kwargs in [
        {"body": good, "ts": now},  # admitted
        {"body": good, "ts": now},  # the same delivery again: a repeat, acknowledged
        {"body": spec_body(msgId="msgOther001"), "ts": now},  # its signature with another body: replayed
        {"body": spec_body(msgId="msgForged01"), "sign_with": "not-the-app-secret"},  # forged
        {"body": spec_body(msgId="msgStale001"), "ts": now - 2 * 3600 * 1000},  # stale
        {"body": None, "raw": b"{not json", "ts": now + 1},  # malformed
        {"body": spec_body(msgId="msgRobot001", robotCode="someone-else"), "ts": now + 2},
        {"body": spec_body(msgId="msgOrigin01", sessionWebhook="https://evil.example/hook"), "ts": now + 3},
        {"body": {k: v for k, v in spec_body(msgId="msgNoConv01").items() if k != "conversationId"}, "ts": now + 4},
    ]:
        r = await post(server, **kwargs)
        out.append((r.status_code, r.json()))
    r = await post(server, spec_body(msgId="msgNoSign01"), headers={"sign": ""})
    out.append((r.status_code, r.json()))
    return out


async def test_forged_replayed_and_bad_callbacks_are_answered_at_the_ingress_as_the_channel_answers(
        tmp_path, make_bot, make_ingress):
    """Status and body, case by case, the same as the Rasa channel's own route gives them; only the
    good one reaches Rasa, once."""
    def settings_in(name):
        return Settings(var_dir=tmp_path / name, dingtalk_openapi_url="http://127.0.0.1:9", redis_url=None,
                        dingtalk_reply_origins=["https://oapi.dingtalk.com"], dingtalk_verify_speakers=False)

    direct_settings, via_settings = settings_in("direct"), settings_in("via")
    direct = await make_bot(channel_settings=direct_settings, dedupe=dedupe_of(direct_settings))
    rasa = await make_bot(channel_settings=via_settings, dedupe=dedupe_of(via_settings))
    ingress = await make_ingress(rasa_base(rasa), channel_settings=via_settings)
    through_channel = await refusal_cases(direct)
    through_ingress = await refusal_cases(ingress)
    assert through_ingress == through_channel
    assert [status for status, _ in through_ingress] == [200, 200, 401, 401, 401, 400, 403, 400, 400, 401]
    assert through_ingress[2][1] == {"error": "signature", "reason": "replayed"}
    await async_wait_until(lambda: rasa.received, timeout_s=10)
    await asyncio.sleep(0.3)  # room for anything wrongly handed over to arrive
    await ingress.ingress.wait_idle()
    await rasa.channel.wait_idle()
    assert [m.message_id for m in rasa.received] == ["msgGood0001"]  # the rest reached nothing
    assert ingress.ingress.outcomes == {"handed": 1}
    assert rasa.channel.dedupe.pending() == 0


async def test_a_forged_callback_from_the_simulator_is_refused_and_reaches_nothing(sim, settings, make_bot,
                                                                                   make_ingress):
    sim_url, app = sim
    bot = await make_bot(echo, dedupe=dedupe_of(settings))
    ingress = await make_ingress(rasa_base(bot))
    app.state.bot_url = ingress.url + "/webhook"
    async with httpx.AsyncClient(base_url=sim_url) as client:
        assert (await chat(client, text="伪造", sign="forged"))["status"] == 401
        assert (await chat(client, text="没签名", sign="none"))["status"] == 401
        assert (await chat(client, text="真的"))["status"] == 200
        await async_wait_until(lambda: bot.received, timeout_s=10)
        await ingress.ingress.wait_idle()
        await bot.channel.wait_idle()
        replies = await bot_messages(client, conversation_id="cidPMC0001")
    assert [m.text for m in bot.received] == ["真的"] and [r["text"] for r in replies] == ["echo: 真的"]
    assert dedupe_of(settings).pending() == 0


def lease_settings(tmp_path):
    return Settings(var_dir=tmp_path, redis_url=None, turn_lease_s=1.0, turn_sweep_s=0.2,
                    dingtalk_openapi_url="http://127.0.0.1:9")


async def test_a_handoff_to_a_dead_rasa_is_run_by_the_sweeper_once_rasa_is_back(sim, tmp_path, make_bot,
                                                                                 make_ingress):
    """Rasa is down when the callback comes: the ingress answers DingTalk all the same (200), the
    hand-off finds no server, the record stays leased. DingTalk's redelivery is a repeat. Once a
    Rasa channel runs again its sweeper takes the lapsed lease and runs the turn: answered once."""
    sim_url, app = sim
    s = lease_settings(tmp_path)
    s.dingtalk_openapi_url = sim_url
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    ingress = await make_ingress(dead, channel_settings=s)
    app.state.bot_url = ingress.url + "/webhook"
    async with httpx.AsyncClient(base_url=sim_url) as client:
        sent = await chat(client, text="有人吗")
        assert sent["status"] == 200  # acknowledged: DingTalk will not deliver it again
        await async_wait_until(lambda: ingress.ingress.outcomes.get("unreachable"), timeout_s=10)
        again = await chat(client, text="有人吗", msg_id=sent["msgId"])  # a redelivery anyway
        assert again["status"] == 200
        await ingress.ingress.wait_idle()
        assert ingress.ingress.outcomes == {"unreachable": 1}  # the repeat was not handed over
        assert dedupe_of(s).pending() == 1  # kept, leased: not lost
        bot = await make_bot(echo, channel_settings=s, dedupe=dedupe_of(s))  # Rasa is back
        await async_wait_until(lambda: bot.received, timeout_s=15, what="the swept turn")
        await asyncio.sleep(3 * s.turn_lease_s)  # more sweeps than one lease: it is not run twice
        await bot.channel.wait_idle()
        replies = await bot_messages(client, conversation_id="cidPMC0001")
    assert [m.message_id for m in bot.received] == [sent["msgId"]]
    assert [(r["in_reply_to"], r["text"]) for r in replies] == [(sent["msgId"], "echo: 有人吗")]
    assert dedupe_of(s).pending() == 0


async def test_a_handoff_rasa_never_answers_is_left_to_the_lease_and_run_once(tmp_path, make_bot, make_ingress):
    """A busy Rasa that takes the connection and does not answer within the hand-off timeout: the
    ingress does not send it again (it may have arrived); the lease and the sweeper run it, once."""
    s = lease_settings(tmp_path)
    s.dingtalk_verify_speakers = False
    s.dingtalk_reply_origins = ["https://oapi.dingtalk.com"]
    s.ingress_handoff_timeout_s = 0.3
    stuck = Sanic(f"stuck_{id(s)}")
    port = free_port()

    @stuck.post("/webhooks/dingtalk/internal/turn")
    async def never(_request):
        await asyncio.sleep(30)

    server = await stuck.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    try:
        ingress = await make_ingress(f"http://127.0.0.1:{port}", channel_settings=s)
        assert (await post(ingress, spec_body())).status_code == 200
        await async_wait_until(lambda: ingress.ingress.outcomes.get("failed"), timeout_s=10)
        bot = await make_bot(channel_settings=s, dedupe=dedupe_of(s))
        await async_wait_until(lambda: bot.received, timeout_s=15, what="the swept turn")
        await asyncio.sleep(3 * s.turn_lease_s)
        await bot.channel.wait_idle()
        assert [m.message_id for m in bot.received] == ["msgQ2v8Yk0dC4lE3=="]
        assert ingress.ingress.outcomes == {"failed": 1} and dedupe_of(s).pending() == 0
    finally:
        server.close()
        await server.wait_closed()


async def test_the_next_rasa_server_takes_a_handoff_the_first_refuses(settings, make_bot):
    """Two Rasa servers; the sender's first choice is down (connection refused): the other runs it."""
    settings.dingtalk_verify_speakers = False
    settings.dingtalk_reply_origins = ["https://oapi.dingtalk.com"]
    bot = await make_bot(dedupe=dedupe_of(settings))
    dead = f"http://127.0.0.1:{free_port()}"
    ingress = Ingress(settings, rasa_urls=[dead, rasa_base(bot)], dedupe=dedupe_of(settings))
    sender = next(f"cid{i}:manager4520" for i in range(100) if ingress._order(f"cid{i}:manager4520")[0] == dead)
    server = await IngressServer(ingress).start()
    try:
        assert (await post(server, spec_body(conversationId=sender.split(":")[0]))).status_code == 200
        await async_wait_until(lambda: bot.received, timeout_s=10)
        await ingress.wait_idle()
        assert ingress.outcomes == {"handed": 1}
    finally:
        await server.stop()


def admitted_turn(settings, **changes) -> tuple[str, bytes]:
    """A message as the ingress admits it (recorded, leased) and hands it over."""
    inbound = decode_robot_message(spec_body(**changes), robot_name=settings.dingtalk_robot_name)
    inbound.metadata.update(received_ms=int(time.time() * 1000), request_id="rid-handoff-test")
    payload = _payload(inbound)
    dedupe_of(settings).admit(inbound.dedupe_key, payload, settings.turn_lease_s)
    return inbound.message_id, payload.encode()


async def handoff(bot, body: bytes, secret: str | None):
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers[HANDOFF_HEADER] = secret
    async with httpx.AsyncClient() as client:
        return await client.post(bot.url + "/internal/turn", content=body, headers=headers)


async def test_the_handoff_route_refuses_a_missing_or_wrong_secret(settings, make_bot, caplog):
    settings.dingtalk_verify_speakers = False
    settings.dingtalk_reply_origins = ["https://oapi.dingtalk.com"]
    bot = await make_bot(dedupe=dedupe_of(settings))
    msg_id, body = admitted_turn(settings)
    caplog.set_level(logging.INFO)
    for secret in (None, "", "wrong-secret", INGRESS_SECRET[:-1], INGRESS_SECRET + "x"):
        r = await handoff(bot, body, secret)
        assert (r.status_code, r.json()) == (401, {"error": "unauthorized"}), secret
    assert bot.received == [] and not bot.channel._tasks  # nothing started
    assert (await handoff(bot, b"{}", INGRESS_SECRET)).status_code == 400  # not an admitted turn
    r = await handoff(bot, body, INGRESS_SECRET)
    assert (r.status_code, r.json()) == (202, {"status": "started"})
    assert (await handoff(bot, body, INGRESS_SECRET)).status_code == 200  # the same hand-off again: run once
    await async_wait_until(lambda: bot.received, timeout_s=10)
    await bot.channel.wait_idle()
    assert [m.message_id for m in bot.received] == [msg_id]
    assert bot.received[0].metadata["request_id"] == "rid-handoff-test"
    assert bot.channel.dedupe.pending() == 0  # finished under the lease machinery
    assert INGRESS_SECRET not in caplog.text and "wrong-secret" not in caplog.text  # never logged


async def test_the_handoff_route_takes_nothing_when_the_ingress_is_off_or_the_handoff_is_stale(settings, make_bot):
    settings.dingtalk_verify_speakers = False
    settings.dingtalk_reply_origins = ["https://oapi.dingtalk.com"]
    bot = await make_bot(dedupe=dedupe_of(settings))
    _, body = admitted_turn(settings)
    stale = json.loads(body)
    stale["metadata"]["received_ms"] -= int(settings.turn_lease_s * 1000)  # the sweeper's by now
    r = await handoff(bot, json.dumps(stale).encode(), INGRESS_SECRET)
    assert (r.status_code, r.json()["error"]) == (409, "stale")
    settings.ingress_enabled = False
    assert (await handoff(bot, body, INGRESS_SECRET)).status_code == 404
    assert bot.received == [] and not bot.channel._tasks


def test_production_refuses_the_demo_ingress_secret():
    from rasa_project.production import refusals

    found = {r.setting for r in refusals(Settings(env="test"))}
    assert "ingress_secret" in found
    assert "ingress_secret" not in {r.setting for r in refusals(Settings(env="test", ingress_secret="x" * 40))}
    with pytest.raises(ValueError, match="ingress_secret"):
        Settings(env="production")


def test_the_ingress_is_the_channel_without_its_turns():
    """Same verification and decoding code (a subclass), nothing of Rasa's turn machinery started."""
    assert issubclass(Ingress, DingTalkInput)
    for name in ("http_callback", "_refuse_signature", "_read_json", "_robot_inbound", "_decode_card", "accept",
                 "_record"):
        assert getattr(Ingress, name) is getattr(DingTalkInput, name), name
