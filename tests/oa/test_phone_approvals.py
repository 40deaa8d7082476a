"""The manager's phone page in headless chromium: "待我审批 / Pending my approval" lists the OA
instance with its form; Agree with a remark emits the events, which reach our channel's inbox."""

from __future__ import annotations

import httpx
import pytest

from tests.browser import Chromium
from tests.oa.conftest import FORM, KEY, MANAGER, SECRET, start_body
from tests.polling import async_wait_until

pytestmark = [pytest.mark.browser]


async def start(client: httpx.AsyncClient, **overrides) -> str:
    token = (await client.post("/v1.0/oauth2/accessToken", json={"appKey": KEY, "appSecret": SECRET})).json()
    r = await client.post("/v1.0/workflow/processInstances", json=start_body(**overrides),
                          headers={"x-acs-dingtalk-access-token": token["accessToken"]})
    return r.json()["instanceId"]


async def test_manager_agrees_on_the_phone_and_the_events_reach_the_channel(sim, make_bot, inbox, tmp_path):
    sim_url, _ = sim
    bot = await make_bot(inbox=inbox)
    async with httpx.AsyncClient(base_url=sim_url, timeout=10) as client:
        assert (await client.post("/_sim/events/subscription",
                                  json={"mode": "http", "url": bot.url + "/events"})).status_code == 200
        agree_id = await start(client)
        refuse_id = await start(client, formComponentValues=[dict(v, value="MO250401002") if v["name"] == "单据编号"
                                                             else v for v in FORM])
        with Chromium() as browser:
            page = await browser.page()
            try:
                await page.goto(f"{sim_url}/phone?me={MANAGER}&tab=approvals")
                await page.wait_for("document.querySelectorAll('.approval[data-instance]').length === 2")
                assert await page.evaluate("document.getElementById('approvals-count').innerText") == "2"
                card = f".approval[data-instance='{agree_id}']"
                shown = await page.evaluate(
                    f"[...document.querySelectorAll(\"{card} dt, {card} dd\")].map(e => e.innerText)")
                assert shown[:6] == ["单据编号", "MO250401001", "物料", "BOM-2050 · 1.01.2050 · 主板", "数量", "100"]
                assert await page.evaluate("document.getElementById('messages').hidden") is True
                await page.screenshot(tmp_path / "phone-approvals.png")

                await page.type(f"{card} .remark", "同意，尽快排产")
                await page.click(f"{card} button.agree")
                await page.wait_for("document.querySelectorAll('.approval[data-instance]').length === 1")
                await page.type(f".approval[data-instance='{refuse_id}'] .remark", "产能不足")
                await page.click(f".approval[data-instance='{refuse_id}'] button.refuse")
                await page.wait_for("document.getElementById('approvals-empty') !== null")
                decided = await page.text_of(".decided")
                assert [d.split(":")[0] for d in decided] == ["已同意 Agreed", "已拒绝 Refused"]
            finally:
                await page.close()

        await async_wait_until(lambda: inbox.count() == 8, 10)  # start + task start + task finish + finish, twice
        for instance_id, result, remark in ((agree_id, "agree", "同意，尽快排产"), (refuse_id, "refuse", "产能不足")):
            rows = {(r["event_type"], r["payload"]["type"]): r["payload"] for r in inbox.events(instance_id=instance_id)}
            assert rows["bpms_task_change", "finish"]["remark"] == remark
            assert rows["bpms_task_change", "finish"]["staffId"] == MANAGER
            assert rows["bpms_instance_change", "finish"]["result"] == result
        got = (await client.get(f"/_sim/approvals/{agree_id}")).json()
        assert (got["status"], got["result"]) == ("COMPLETED", "agree")
        assert got["operationRecords"][-1]["remark"] == "同意，尽快排产"
