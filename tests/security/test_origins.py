"""Replies go only where DingTalk is (issue 20 §2): through the real channel, with webhook servers an
attacker runs on other loopback addresses, in HTTP and in Stream mode."""

from __future__ import annotations

import httpx
import pytest

from devtools.simulators.dingtalk import create_app
from dingtalk_client.origins import ReplyOrigins
from rasa_project.settings import Settings
from tests.dingtalk.conftest import ThreadedServer, free_port
from tests.polling import async_wait_until
from tests.security.conftest import post, real_secrets, sim_messages


def disallowed(listeners) -> list[str]:
    """Webhook URLs that reach a server of ours, none of them under an allowed demo origin."""
    one, two, six = (listeners[h] for h in ("127.0.0.1", "127.0.0.2", "::1"))
    return [
        f"http://localhost:{one.port}/a",  # another name of 127.0.0.1
        f"{two.origin}/b",  # another loopback address
        f"{six.origin}/c",  # IPv6 loopback
        f"http://2130706433:{one.port}/d",  # 127.0.0.1 as one number
        f"http://127.1:{one.port}/e",
        f"http://0x7f000001:{one.port}/f",
        f"http://127.0.0.1:{one.port}@127.0.0.2:{two.port}/g",  # userinfo
        f"http://127.0.0.1:{one.port}\\@127.0.0.2:{two.port}/h",
        f"https://127.0.0.1:{one.port}/i",  # another scheme
        f"ftp://127.0.0.1:{one.port}/j",
        f"http://127.0.0.1:{one.port}/k#@127.0.0.2",
        f" http://127.0.0.1:{one.port}/l",
        f"http://127.0.0.1.:{one.port}/m",
    ]


async def test_a_callback_whose_session_webhook_is_elsewhere_is_refused_before_anything(sim, make_bot, body, signer,
                                                                                      listeners):
    sim_url, _ = sim
    bot = await make_bot()
    for url in disallowed(listeners):
        r = await post(bot, body("pmc0001", text="进度 P20250401", webhook=url), signer.headers())
        assert r.status_code == 400, url
        assert r.json() == {"error": "sessionWebhook", "reason": "origin not allowed"}
    await bot.channel.wait_idle()
    assert bot.received == []
    assert all(listener.hits == [] for listener in listeners.values())
    assert sim_messages(sim_url) == []  # and nothing went out through the OpenAPI either


async def test_an_allowed_origin_that_redirects_is_not_followed(sim, make_bot, body, signer, listeners):
    sim_url, _ = sim
    two = listeners["127.0.0.2"]
    with_redirect = listeners["127.0.0.1"]
    with_redirect.redirect_to = two.origin

    async def answer(message):
        await message.output_channel.send_text_message(message.sender_id, "已收到")

    bot = await make_bot(answer)
    r = await post(bot, body("pmc0001", webhook=f"{with_redirect.origin}/redirect/x"), signer.headers())
    assert r.status_code == 200
    delivered = await async_wait_until(lambda: sim_messages(sim_url, conversation_id="cidPMC0001"))
    assert with_redirect.hits_for("/redirect/x")  # the bot did post to the allowed URL ...
    assert two.hits == []  # ... and did not follow its redirect
    assert delivered[0]["text"] == "已收到" and delivered[0]["via"] == "openapi"  # DingTalk's own API instead


def test_production_allows_dingtalk_only_and_the_demo_the_simulator_and_127_0_0_1():
    production = ReplyOrigins(Settings(env="production", **PRODUCTION_SECRETS).dingtalk_reply_origins)
    assert production.allows("https://oapi.dingtalk.com/robot/sendBySession?session=c1f0e2")
    for url in ("http://oapi.dingtalk.com/robot/sendBySession", "https://oapi.dingtalk.com.example.org/x",
                "https://api.dingtalk.com/x", "https://oapi.dingtalk.com:8443/x", "http://127.0.0.1:8802/x"):
        assert not production.allows(url), url
    demo = ReplyOrigins(Settings(env="demo", dingtalk_sim_port=8802).dingtalk_reply_origins)
    assert demo.allows("http://127.0.0.1:8802/robot/sendBySession?session=1")
    assert demo.allows("http://127.0.0.1:45123/hook")
    assert not demo.allows("https://oapi.dingtalk.com/robot/sendBySession?session=1")
    with pytest.raises(ValueError):  # production never takes a wildcard port or plain http
        Settings(env="production", dingtalk_reply_origins=["http://127.0.0.1:*"], **PRODUCTION_SECRETS)


PRODUCTION_SECRETS = real_secrets()


@pytest.fixture
def localhost_sim(settings):
    """A DingTalk simulator that hands out sessionWebhooks under http://localhost (not allowed)."""
    port = free_port()
    app = create_app(settings, public_url=f"http://localhost:{port}", ack_timeout_s=0.5, max_redeliveries=1,
                     ping_interval_s=0)
    server = ThreadedServer(app, port).start()
    settings.dingtalk_openapi_url = server.url
    yield server.url, app
    server.stop()


async def test_stream_frames_are_held_to_the_same_origins(localhost_sim, make_bot, settings):
    sim_url, _ = localhost_sim
    settings.dingtalk_mode = "stream"
    bot = await make_bot()
    await async_wait_until(lambda: bot.channel.stream and bot.channel.stream.connected.is_set(), 10)
    async with httpx.AsyncClient(base_url=sim_url) as client:
        answer = (await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0001",
                                                        "text": "进度 P20250401"})).json()
        assert answer["status"] == "stream"
        acks = await async_wait_until(lambda: bot.channel.stream.acked)
    assert acks[0][1] == 400
    await bot.channel.wait_idle()
    assert bot.received == [] and sim_messages(sim_url) == []


async def test_http_callbacks_of_that_simulator_are_refused(localhost_sim, make_bot):
    sim_url, app = localhost_sim
    bot = await make_bot()
    app.state.bot_url = bot.url + "/webhook"
    async with httpx.AsyncClient(base_url=sim_url) as client:
        answer = (await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0001",
                                                        "text": "进度 P20250401"})).json()
    assert answer["status"] == 400
    await bot.channel.wait_idle()
    assert bot.received == [] and sim_messages(sim_url) == []
