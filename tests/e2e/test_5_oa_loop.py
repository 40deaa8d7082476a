"""The closed loop of a new order through DingTalk OA approval (issue 14), through the real channel.

A planner creates and confirms an order in chat (signed callbacks into the running stack); K/3 shows
it submitted (B), the manager finds it in "待我审批" on the simulator's phone page (headless
chromium) and taps Agree; the simulator pushes DingTalk's encrypted HTTP events to our channel
(subscription registered with check_url, as in the developer console), the worker applies them:
K/3 audited (read back with the official SDK), requester and production group told once. Refuse
with a remark, terminate by the requester, the only-manager escalation, a forged event, events while
the bot is stopped (caught up by polling after the restart).
"""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from dingtalk_client.event_crypto import EventCrypto, signature
from rasa_project.db import make_engine
from rasa_project.oa.inbox import Inbox
from tests.browser import Chromium
from tests.e2e.stack import joined, official_sdk, orders_of, wait_until

pytestmark = [pytest.mark.stack, pytest.mark.browser]

PMC = "cidPMC0001"
BOT_TURN_S = 120.0  # one real turn (NLU, actions, K/3, LDAP, DingTalk OA) on a busy 2-core box
CREATE = {
    "zh": ("pmc0001", "创建生产订单 BOM-2051 数量 210，4月22日完工，标准生产订单，冲压车间", "确认"),
    "id": ("pmc0002", "Buat pesanan produksi BOM-2051 jumlah 220, selesai tanggal 22 April, tipe standar, bengkel stamping", "ya"),
    "en": ("pmc0001", "Create production order BOM-2051 qty 230, finish April 22, standard type, stamping shop", "yes"),
}
# what the bot's answer to the confirmation says (the short card in the group names the bill too)
SUBMITTED = {"确认": "尚未审核", "ya": "belum diaudit", "yes": "not audited yet"}


def status_of(sdk, bill: str) -> str | None:
    rows = [r for r in orders_of(sdk, "1.01.2051") if r[0] == bill]
    return rows[0][2] if rows else None


@pytest.fixture(scope="module")
def subscribed(stack, chat):
    """The HTTP event subscription, registered with DingTalk's check_url against our channel."""
    _, settings = stack
    url = f"http://127.0.0.1:{settings.rasa_port}/webhooks/dingtalk/events"
    r = chat.http.post(f"{chat.sim}/_sim/events/subscription", json={"mode": "http", "url": url})
    assert r.status_code == 200, r.text
    yield url
    chat.http.post(f"{chat.sim}/_sim/events/subscription", json={"mode": "stream"})


def stop(running, name: str, timeout_s: float = 90.0) -> None:
    """Stop one service of the stack (a loaded box can take Rasa a while to shut down)."""
    process = running.service(name).process
    if process and process.poll() is None:
        process.terminate()
        process.wait(timeout=timeout_s)


def create(chat, who: str, text: str, yes: str, conv: str = "cidPMC0001") -> tuple[str, str]:
    chat.ask(who, text, conv, contains="BOM-2051", timeout_s=BOT_TURN_S)
    done = joined(chat.ask(who, yes, conv, contains=SUBMITTED[yes], timeout_s=BOT_TURN_S))
    return re.findall(r"MO\d{6}", done)[0], done


def pending_of(chat, staff_id: str, bill: str) -> dict:
    def find():
        listed = chat.http.get(f"{chat.sim}/_sim/approvals", params={"staff_id": staff_id}).json()["approvals"]
        return next((a for a in listed if {"name": "单据编号", "value": bill} in a["form"]), None)

    return wait_until(find, f"{bill} in {staff_id}'s approvals", 20)


def events_settled(settings, instance_id: str, *, deliveries: int = 0) -> None:
    """Wait until every event of the instance reached our inbox (``deliveries`` in all, at least)
    and the worker is done with each: after that, nothing more can come of them."""
    engine = make_engine(settings.sqlalchemy_url)
    inbox = Inbox(engine)
    try:
        def settled():
            rows = inbox.events(instance_id=instance_id)
            finished = any(r["event_type"] == "bpms_instance_change" and r["payload"].get("type") != "start"
                           for r in rows)
            return (finished and all(r["state"] == "done" for r in rows)
                    and sum(r["deliveries"] for r in rows) >= deliveries)

        wait_until(settled, f"the events of {instance_id} applied")
    finally:
        engine.dispose()


def inbox_rows(settings, instance_id: str) -> list[dict]:
    engine = make_engine(settings.sqlalchemy_url)
    try:
        return Inbox(engine).events(instance_id=instance_id)
    finally:
        engine.dispose()


def told(chat, conv: str, *needles: str) -> list[str]:
    return [m.text for m in chat.replies(0, conversation_id=conv) if all(n in m.text for n in needles)]


async def test_zh_create_waits_in_b_then_agree_on_the_phone_audits_once(chat, stack, subscribed):
    _, settings = stack
    sdk = official_sdk(settings)
    who, text, yes = CREATE["zh"]
    bill, done = create(chat, who, text, yes)
    assert "审核中" in done and "王丽" in done, done
    assert status_of(sdk, bill) == "B"  # saved and submitted, not audited
    item = pending_of(chat, "manager0001", bill)
    form = {f["name"]: f["value"] for f in item["form"]}
    assert form["数量"] == "210" and form["计划完工"] == "2025-04-22" and "BOM-2051" in form["物料"]
    card = [m for m in chat.replies(0, conversation_id="cidPMC0001") if bill in (m.raw.get("title") or "")]
    assert card and item["instance_id"] in card[0].buttons[0]["url"]  # the short card links to the instance

    sim = chat.sim
    with Chromium() as browser:
        page = await browser.page()
        try:
            await page.goto(f"{sim}/phone?me=manager0001&tab=approvals")
            selector = f".approval[data-instance='{item['instance_id']}']"
            await page.wait_for(f"document.querySelector(\"{selector}\") !== null")
            await page.type(f"{selector} .remark", "同意，尽快排产")
            await page.click(f"{selector} button.agree")
            await page.wait_for(f"document.querySelector(\"{selector}\") === null")
        finally:
            await page.close()

    wait_until(lambda: status_of(sdk, bill) == "C", f"{bill} audited")
    wait_until(lambda: told(chat, "cidPROD0001", bill), "the production group told")
    wait_until(lambda: told(chat, "cidPMC0001", bill, "已同意"), "the requester told")
    events_settled(settings, item["instance_id"])
    assert len(told(chat, "cidPMC0001", bill, "已同意")) == 1
    [notice] = told(chat, "cidPROD0001", bill)
    assert "210" in notice and "2025-04-22" in notice and "王丽" in notice
    # DingTalk delivers an event again: nothing happens twice
    seqs = [e["push_seq"] for e in chat.http.get(f"{sim}/_sim/events").json()["events"]
            if e["data"].get("processInstanceId") == item["instance_id"] and e["push_seq"]]
    before = sum(r["deliveries"] for r in inbox_rows(settings, item["instance_id"]))
    for seq in seqs:
        chat.http.post(f"{sim}/_sim/events/resend/{seq}")
    events_settled(settings, item["instance_id"], deliveries=before + len(seqs))
    assert len(told(chat, "cidPMC0001", bill, "已同意")) == 1 and len(told(chat, "cidPROD0001", bill)) == 1
    assert status_of(sdk, bill) == "C"


def test_id_refuse_with_a_remark_withdraws_the_order(chat, stack, subscribed):
    _, settings = stack
    sdk = official_sdk(settings)
    who, text, yes = CREATE["id"]
    bill, done = create(chat, who, text, yes)
    assert status_of(sdk, bill) == "B", done
    item = pending_of(chat, "manager0001", bill)
    r = chat.http.post(f"{chat.sim}/_sim/approvals/{item['instance_id']}/decide",
                       json={"staff_id": "manager0001", "result": "refuse", "remark": "stok komponen kurang"})
    assert r.status_code == 200, r.text
    wait_until(lambda: status_of(sdk, bill) is None, f"{bill} withdrawn and deleted")
    [message] = wait_until(lambda: told(chat, "cidPMC0001", bill, "stok komponen kurang"), "the requester told")
    assert "menolak" in message, message  # in the requester's language
    assert not told(chat, "cidPROD0001", bill)


def test_en_requester_terminates_and_a_forged_event_changes_nothing(chat, stack, subscribed):
    _, settings = stack
    sdk = official_sdk(settings)
    who, text, yes = CREATE["en"]
    bill, _ = create(chat, who, text, yes)
    item = pending_of(chat, "manager0001", bill)

    # a forged "agree" (right shape, wrong key): refused by the channel, K/3 untouched
    forged = EventCrypto(settings.dingtalk_event_token, "A" * 43, settings.dingtalk_app_key)
    plain = {"EventType": "bpms_instance_change", "processInstanceId": item["instance_id"], "type": "finish",
             "result": "agree", "corpId": settings.dingtalk_corp_id}
    encrypt = forged.encrypt(json.dumps(plain))
    stamp, nonce = str(int(time.time() * 1000)), "abcdef12"
    query = {"msg_signature": signature(settings.dingtalk_event_token, stamp, nonce, encrypt), "timestamp": stamp,
             "nonce": nonce}
    r = httpx.post(subscribed, params=query, json={"encrypt": encrypt})
    assert r.status_code == 403, r.text
    assert not [e for e in inbox_rows(settings, item["instance_id"]) if e["payload"].get("type") == "finish"]
    assert status_of(sdk, bill) == "B"

    token = chat.http.post(f"{chat.sim}/v1.0/oauth2/accessToken",
                           json={"appKey": settings.dingtalk_app_key,
                                 "appSecret": settings.dingtalk_app_secret.get_secret_value()}).json()["accessToken"]
    r = chat.http.post(f"{chat.sim}/v1.0/workflow/processInstances/terminate",
                       json={"processInstanceId": item["instance_id"], "isSystem": False,
                             "operatingUserId": who, "remark": "wrong quantity"},
                       headers={"x-acs-dingtalk-access-token": token})
    assert r.status_code == 200, r.text
    wait_until(lambda: status_of(sdk, bill) is None, f"{bill} withdrawn")
    wait_until(lambda: told(chat, "cidPMC0001", bill, "wrong quantity"), "the requester told")


def test_withdraw_a_waiting_order_in_chat_terminates_its_oa_approval(chat, stack, subscribed):
    """"撤回 MO…" by the requester while the OA approval runs: a summary with buttons first, then
    the instance is terminated in DingTalk (by the requester, with a remark), K/3 CancelAssign +
    Delete, told once. Someone else's "tarik MO…" is refused; a later "withdraw MO…" says it is gone."""
    _, settings = stack
    sdk = official_sdk(settings)
    bill, _ = create(chat, "pmc0001", "创建生产订单 BOM-2051 数量 250，4月24日完工，标准生产订单，冲压车间", "确认")
    item = pending_of(chat, "manager0001", bill)

    other = joined(chat.ask("pmc0002", f"tarik pesanan {bill}", PMC, contains=bill, timeout_s=BOT_TURN_S))
    assert "bukan" in other, other  # id: not theirs
    assert status_of(sdk, bill) == "B"

    summary = chat.ask("pmc0001", f"撤回 {bill}", PMC, contains=bill, timeout_s=BOT_TURN_S)
    text = joined(summary)
    assert "钉钉审批" in text and "王丽" in text, text  # says the running approval goes too, and whose
    assert any(r.buttons for r in summary), text  # confirm / cancel buttons
    assert status_of(sdk, bill) == "B"  # a summary writes nothing
    gone = joined(chat.ask("pmc0001", "确认", PMC, contains="钉钉审批已撤销", timeout_s=BOT_TURN_S))
    assert bill in gone, gone
    assert status_of(sdk, bill) is None
    view = chat.http.get(f"{chat.sim}/_sim/approvals/{item['instance_id']}").json()
    assert view["status"] == "TERMINATED"
    [stop] = [r for r in view["operationRecords"] if r["type"] == "TERMINATE_PROCESS_INSTANCE"]
    assert stop["userId"] == "pmc0001" and "撤回" in stop["remark"]
    events_settled(settings, item["instance_id"])  # the terminate event came back over HTTP and was applied
    assert len(told(chat, PMC, bill, "钉钉审批已撤销")) == 1
    assert not told(chat, PMC, bill, "的审批已由")  # no second "withdrawn by" notice from the event

    later = joined(chat.ask("pmc0001", f"please withdraw order {bill}", PMC, contains=bill, timeout_s=BOT_TURN_S))
    assert "already" in later, later


def test_a_transferred_approval_is_decided_and_named_by_the_new_approver(chat, stack, subscribed):
    _, settings = stack
    sdk = official_sdk(settings)
    bill, _ = create(chat, "pmc0001", "创建生产订单 BOM-2051 数量 260，4月25日完工，标准生产订单，冲压车间", "确认")
    item = pending_of(chat, "manager0001", bill)
    chat.http.post(f"{chat.sim}/_sim/approvals/{item['instance_id']}/redirect",
                   json={"staff_id": "manager0001", "to": "director0001", "remark": "周总定"}).raise_for_status()
    pending_of(chat, "director0001", bill)
    chat.http.post(f"{chat.sim}/_sim/approvals/{item['instance_id']}/decide",
                   json={"staff_id": "director0001", "result": "agree", "remark": "同意"}).raise_for_status()
    wait_until(lambda: status_of(sdk, bill) == "C", f"{bill} audited")
    [notice] = wait_until(lambda: told(chat, PMC, bill, "已同意"), "the requester told")
    assert "周敏" in notice, notice


def test_the_only_manager_escalates_to_the_plant_director(chat, stack, subscribed):
    _, settings = stack
    sdk = official_sdk(settings)
    bill, done = create(chat, "manager0001", "创建生产订单 BOM-2051 数量 240，4月23日完工，标准生产订单，冲压车间", "确认")
    assert "周敏" in done, done  # four-eyes: the requester is the only manager, the director decides
    assert status_of(sdk, bill) == "B"
    listed = chat.http.get(f"{chat.sim}/_sim/approvals", params={"staff_id": "manager0001"}).json()["approvals"]
    assert not [a for a in listed if {"name": "单据编号", "value": bill} in a["form"]]
    item = pending_of(chat, "director0001", bill)
    chat.http.post(f"{chat.sim}/_sim/approvals/{item['instance_id']}/decide",
                   json={"staff_id": "director0001", "result": "agree", "remark": ""}).raise_for_status()
    wait_until(lambda: status_of(sdk, bill) == "C", f"{bill} audited")


def test_a_decision_while_the_bot_is_down_is_caught_up_after_the_restart(chat, stack, subscribed):
    running, settings = stack
    sdk = official_sdk(settings)
    who, text, yes = CREATE["zh"]
    bill, _ = create(chat, who, text.replace("210", "250"), yes)
    item = pending_of(chat, "manager0001", bill)
    for name in ("rasa", "worker", "actions"):
        stop(running, name)
    try:
        r = chat.http.post(f"{chat.sim}/_sim/approvals/{item['instance_id']}/decide",
                           json={"staff_id": "manager0001", "result": "agree", "remark": "ok"})
        assert r.status_code == 200, r.text  # DingTalk's pushes fail: nobody is listening
        assert status_of(sdk, bill) == "B"
    finally:
        for name in ("actions", "worker", "rasa"):
            running.start_service(name)
    wait_until(lambda: status_of(sdk, bill) == "C", f"{bill} audited after the restart", 90)
    wait_until(lambda: told(chat, "cidPROD0001", bill), "the production group told")
    assert len(told(chat, "cidPROD0001", bill)) == 1
