"""HTTP callback mode end to end: simulator -> signed callback -> channel -> turn -> reply -> simulator."""

from __future__ import annotations

import httpx

from tests.polling import async_wait_until


async def echo(message):
    """Stands in for rasa's agent: answers through the output channel like a real turn."""
    if message.text == "buttons":
        await message.output_channel.send_text_with_buttons(
            message.sender_id, "### 请确认 P20250402",
            [{"title": "确认", "payload": '/affirm{"order_no":"P20250402"}'}, {"title": "取消", "payload": "/deny"}],
        )
    else:
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


async def bot_messages(client: httpx.AsyncClient, **params) -> list[dict]:
    return (await client.get("/_sim/messages", params=params)).json()["messages"]


async def test_group_message_round_trip_through_session_webhook(sim, make_bot):
    sim_url, app = sim
    bot = await make_bot(echo)
    app.state.bot_url = bot.url + "/webhook"
    async with httpx.AsyncClient(base_url=sim_url) as client:
        answer = (await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0001",
                                                       "text": "你好 BOM-2050"})).json()
        assert answer["status"] == 200
        messages = await async_wait_until(lambda: bot_messages(client, conversation_id="cidPMC0001"))
    reply = messages[0]
    assert reply["text"] == "echo: 你好 BOM-2050"
    assert reply["via"] == "webhook" and reply["in_reply_to"] == answer["msgId"]
    assert reply["to_staff_ids"] == ["pmc0001"]  # the asker is @-tagged in a group
    user = bot.received[0]
    assert user.sender_id == "cidPMC0001:pmc0001" and user.input_channel == "dingtalk"
    assert user.message_id == answer["msgId"]


async def test_buttons_become_an_action_card_whose_buttons_send_their_payload(sim, make_bot):
    sim_url, app = sim
    bot = await make_bot(echo)
    app.state.bot_url = bot.url + "/webhook"
    async with httpx.AsyncClient(base_url=sim_url) as client:
        await client.post("/_sim/chat", json={"conversation_id": None, "staff_id": "pmc0002", "text": "buttons"})
        messages = await async_wait_until(lambda: bot_messages(client, staff_id="pmc0002"))
    card = messages[0]
    assert card["msgtype"] == "actionCard" and card["title"] == "请确认 P20250402"
    assert [b["content"] for b in card["buttons"]] == ['/affirm{"order_no":"P20250402"}', "/deny"]
    assert card["buttons"][0]["url"].startswith("dtmd://dingtalkclient/sendMessage?content=%2Faffirm%7B")


async def test_redelivered_message_is_processed_once(sim, make_bot):
    sim_url, app = sim
    bot = await make_bot(echo)
    app.state.bot_url = bot.url + "/webhook"
    async with httpx.AsyncClient(base_url=sim_url) as client:
        first = (await client.post("/_sim/chat", json={"conversation_id": "cidPROD0001", "staff_id": "prod0001",
                                                      "text": "进度"})).json()
        again = (await client.post("/_sim/chat", json={"conversation_id": "cidPROD0001", "staff_id": "prod0001",
                                                      "text": "进度", "msg_id": first["msgId"]})).json()
        assert again["status"] == 200 and again["msgId"] == first["msgId"]
        await bot.channel.wait_idle()
        messages = await bot_messages(client, conversation_id="cidPROD0001")
    assert len(bot.received) == 1
    assert len(messages) == 1


async def test_expired_session_webhook_falls_back_to_openapi(sim, make_bot):
    sim_url, app = sim
    gate = []

    async def slow_echo(message):
        await async_wait_until(lambda: gate)  # reply only after the webhook has expired
        await echo(message)

    bot = await make_bot(slow_echo)
    app.state.bot_url = bot.url + "/webhook"
    async with httpx.AsyncClient(base_url=sim_url) as client:
        await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "manager0001",
                                              "text": "late"})
        await async_wait_until(lambda: bot.received)
        # DingTalk's clock moves past sessionWebhookExpiredTime (90 min) while the bot still thinks it is valid.
        await client.post("/_sim/clock", json={"advance_s": 2 * 3600})
        gate.append(True)
        messages = await async_wait_until(lambda: bot_messages(client, conversation_id="cidPMC0001"))
        requests = (await client.get("/_sim/requests")).json()["requests"]
    assert messages[0]["text"] == "echo: late" and messages[0]["via"] == "openapi"
    assert messages[0]["raw"]["msgKey"] == "sampleText"
    webhook_calls = [r for r in requests if r["path"] == "/robot/sendBySession"]
    assert webhook_calls and all(r["status"] == 200 for r in webhook_calls)  # errcode in HTTP 200, then fallback


async def test_one_to_one_reply_after_expiry_goes_to_the_user(sim, make_bot):
    sim_url, app = sim
    bot = await make_bot(echo)
    app.state.bot_url = bot.url + "/webhook"
    async with httpx.AsyncClient(base_url=sim_url) as client:
        await client.post("/_sim/chat", json={"conversation_id": None, "staff_id": "prod0002", "text": "halo"})
        await async_wait_until(lambda: bot_messages(client, staff_id="prod0002"))
        await bot.channel.wait_idle()
        # A proactive send (no session): rasa's output_channel=latest path.
        output = bot.channel.get_output_channel()
        recipient = bot.received[0].sender_id
        await output.send_text_message(recipient, "pesanan sudah disetujui")
        await bot.channel.wait_idle()
        messages = await bot_messages(client, staff_id="prod0002")
    assert [m["via"] for m in messages] == ["webhook", "openapi"]
    assert messages[1]["text"] == "pesanan sudah disetujui"
    assert messages[1]["conversation_id"] == messages[0]["conversation_id"]


async def test_picture_message_gets_a_catalog_answer_without_a_turn(sim, make_bot):
    sim_url, app = sim
    bot = await make_bot(echo)
    app.state.bot_url = bot.url + "/webhook"
    async with httpx.AsyncClient(base_url=sim_url) as client:
        await client.post("/_sim/chat", json={"conversation_id": None, "staff_id": "pmc0001", "text": "",
                                              "msgtype": "picture"})
        messages = await async_wait_until(lambda: bot_messages(client, staff_id="pmc0001"))
    assert bot.received == []
    from rasa_project.catalog import text

    assert messages[0]["text"] == text("dingtalk.unsupported_message", "zh")


async def test_simulator_signature_switches_are_refused_and_mentions_stripped(sim, make_bot):
    sim_url, app = sim
    bot = await make_bot(echo)
    app.state.bot_url = bot.url + "/webhook"
    async with httpx.AsyncClient(base_url=sim_url) as client:
        for mode in ("stale", "forged", "none"):
            answer = (await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0001",
                                                           "text": "x", "sign": mode})).json()
            assert answer["status"] == 401, mode
        answer = (await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0002",
                                                       "text": "建单 BOM-2050", "keep_mention": True,
                                                       "at_staff_ids": ["prod0001"]})).json()
        assert answer["status"] == 200
        await async_wait_until(lambda: bot.received)
        skipped = (await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0002",
                                                        "text": "not for the robot", "at_bot": False})).json()
        assert skipped["status"] == "not_delivered"
        await bot.channel.wait_idle()
        await client.post("/_sim/reset")
        assert (await bot_messages(client)) == []
    assert [m.text for m in bot.received] == ["建单 BOM-2050"]
    assert bot.received[0].metadata["at_staff_ids"] == ["prod0001"]
