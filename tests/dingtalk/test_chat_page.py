"""The simulator's chat page in headless chromium: type, see the robot's reply, press a card button."""

from __future__ import annotations

import pytest

from rasa_project.wiring import dingtalk_config
from tests.browser import Chromium
from tests.polling import async_wait_until

pytestmark = [pytest.mark.browser]  # fails when chromium is missing (tests/requirements.py)


async def echo(message):
    if message.text == "buttons":
        await message.output_channel.send_text_with_buttons(
            message.sender_id, "### 请确认\n\n**P20250402** 数量 500",
            [{"title": "确认", "payload": '/affirm{"order_no":"P20250402"}'}, {"title": "取消", "payload": "/deny"}])
    else:
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


async def test_chat_page_shows_replies_and_card_buttons_send_their_content(sim, make_bot, tmp_path):
    sim_url, app = sim
    bot = await make_bot(echo)
    app.state.bot_url = bot.url + "/webhook"
    with Chromium() as browser:
        page = await browser.page()
        try:
            await page.goto(f"{sim_url}/?me=pmc0001&conv=cidPMC0001")
            await page.wait_for("document.querySelectorAll('#convs .conv').length === 3")
            assert "生产计划群" in await page.evaluate("document.getElementById('conv-title').innerText")

            await page.type("#text", "你好 BOM-2050")
            await page.press_enter()
            await page.wait_for("[...document.querySelectorAll('.msg.bot .bubble')]"
                                ".some(e => e.innerText === 'echo: 你好 BOM-2050')")
            assert "你好 BOM-2050" in await page.text_of(".msg.user.mine .bubble")

            await page.type("#text", "buttons")
            await page.click("#send")
            await page.wait_for("document.querySelectorAll('.msg.bot .card-btn').length === 2")
            assert await page.text_of(".msg.bot .card-text h4") == ["请确认"]  # markdown rendered
            await page.click(".msg.bot .card-btn")  # like dtmd://: sends the button's content
            await page.wait_for("[...document.querySelectorAll('.msg.bot .bubble')]"
                                ".some(e => e.innerText === 'echo: /affirm{\"order_no\":\"P20250402\"}')")
            await page.screenshot(tmp_path / "chat.png")
        finally:
            await page.close()
    texts = [m.text for m in bot.received]
    assert texts == ["你好 BOM-2050", "buttons", '/affirm{"order_no":"P20250402"}']
    assert {m.sender_id for m in bot.received} == {"cidPMC0001:pmc0001"}


async def test_manager_approves_from_the_phone_page(sim, make_bot, settings, tmp_path):
    import asyncio

    from dingtalk_client.openapi import DingTalkOpenAPI

    sim_url, app = sim
    bot = await make_bot()
    app.state.bot_url = bot.url + "/webhook"
    with DingTalkOpenAPI(dingtalk_config(settings)) as api:
        await asyncio.to_thread(
            api.send_card, "approval-A-17", "dingk3_approval",
            {"title": "变更审批 P20250402", "markdown": "数量 **500 → 900**", "status": "pending",
             "order_no": "P20250402", "approval_id": "A-17"},
            conversation_id="cidPMC0001", at_staff={"manager0001": "王丽"}, callback_type="HTTP")
    with Chromium() as browser:
        page = await browser.page()
        try:
            await page.goto(f"{sim_url}/phone?me=manager0001")
            await page.wait_for("document.querySelectorAll('.msg[data-track] .card-btn').length === 2")
            assert "Pending: 1" in await page.evaluate("document.getElementById('pending-title').innerText")
            await page.screenshot(tmp_path / "phone.png")
            await page.click(".msg[data-track] .card-btn")  # the first button: approve
            await async_wait_until(lambda: bot.received)
        finally:
            await page.close()
    assert bot.received[0].text == '/approve{"approval_id": "A-17", "order_no": "P20250402"}'
    assert bot.received[0].sender_id == "cidPMC0001:manager0001"
