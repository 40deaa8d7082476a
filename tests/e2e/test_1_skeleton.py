"""The walking skeleton through the real channel: signed callback in, sessionWebhook reply out,
order read back from the K/3 simulator with the official SDK."""

import json
import re

import httpx
import pytest

from tests.e2e.stack import official_sdk, orders_of

pytestmark = pytest.mark.stack

CREATE = {
    "zh": ("创建生产订单 BOM-2050 数量 300，4月10日完工，标准生产订单，冲压车间", "确认", "取消"),
    "id": ("Buat pesanan produksi BOM-2050 jumlah 300, selesai tanggal 10 April, tipe standar, bengkel stamping", "ya", "batal"),
    "en": ("Create production order BOM-2050 qty 300, finish April 10, standard type, stamping shop", "yes", "no"),
}
PROGRESS = {
    "zh": "P20250401 进度怎么样",
    "id": "Bagaimana progres P20250401",
    "en": "progress of P20250401?",
}
MATERIAL_NAME = {"zh": "电机外壳A型", "id": "Rumah motor tipe A", "en": "Motor housing type A"}


@pytest.mark.parametrize("lang", ["zh", "id", "en"])
def test_create_order_in_each_language_confirm_writes_one_audited_order(chat, stack, lang):
    _, settings = stack
    sdk = official_sdk(settings)
    before = {r[0] for r in orders_of(sdk, "1.01.2050")}
    create, yes, _ = CREATE[lang]

    summary = chat.ask("pmc0001", create, contains="BOM-2050_V1")
    text = "\n".join(r.text for r in summary)
    for expected in ("1.01.2050", MATERIAL_NAME[lang], "BOM-2050_V1", "300", "Pcs", "2025-04-10", "WC-01"):
        assert expected in text, (expected, text)
    assert any(r.buttons for r in summary), "the summary offers confirm / cancel buttons"

    done = chat.ask("pmc0001", yes, contains="MO")
    bills = re.findall(r"MO\d{6}", "\n".join(r.text for r in done))
    assert bills, [r.text for r in done]
    after = {r[0]: r for r in orders_of(sdk, "1.01.2050")}
    new = set(after) - before
    assert new == {bills[0]}, (new, bills)
    row = after[bills[0]]
    # issue 14: a confirmed new order is saved and submitted (B, 审核中) and waits for its OA approval
    # (tests/e2e/test_5_oa_loop.py follows it to the audit); before issue 14 it was audited at once
    assert float(row[1]) == 300 and row[2] == "B"

    viewed = json.loads(sdk.View("PRD_MO", {"Number": bills[0]}))
    assert viewed["Result"]["ResponseStatus"]["IsSuccess"] is True


@pytest.mark.parametrize("lang", ["zh", "id", "en"])
def test_cancel_writes_nothing(chat, stack, lang):
    _, settings = stack
    sdk = official_sdk(settings)
    before = orders_of(sdk, "1.01.2050")
    create, _, no = CREATE[lang]
    chat.ask("pmc0002", create, contains="BOM-2050_V1")
    chat.ask("pmc0002", no, expect=1)
    assert orders_of(sdk, "1.01.2050") == before


@pytest.mark.parametrize("lang", ["zh", "id", "en"])
def test_progress_is_read_live_from_k3(chat, lang):
    replies = chat.ask("pmc0001", PROGRESS[lang], contains="P20250401")
    text = "\n".join(r.text for r in replies)
    assert "P20250401" in text and "300" in text and "120" in text and "4" in text, text


def test_forged_signature_is_refused_and_changes_nothing(chat, stack):
    _, settings = stack
    url = f"http://127.0.0.1:{settings.rasa_port}/webhooks/dingtalk/webhook"
    start = chat.mark()
    body = {
        "msgtype": "text",
        "text": {"content": " 创建生产订单 BOM-2050 数量 300"},
        "msgId": "forged-1",
        "conversationType": "2",
        "conversationId": "cidPMC0001",
        "senderStaffId": "pmc0001",
        "sessionWebhook": f"{chat.sim}/robot/sendBySession?session=forged",
        "robotCode": settings.dingtalk_robot_code,
    }
    r = httpx.post(url, json=body, headers={"timestamp": "1700000000000", "sign": "forged"})
    assert r.status_code in (401, 403)
    assert chat.replies(start) == []
