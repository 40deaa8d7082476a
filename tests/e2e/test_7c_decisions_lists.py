"""Through the real channel, in zh / id / en: managers decide in free language (the reason as they
wrote it), lists people ask for (approvals waiting for me, my requests, orders due, several orders
in one message, "delete"), and a shop-floor report that names no order number (the bot offers the
running orders of that material and work center as buttons). K/3 read back with the official SDK."""

import json
import re
import time

import pytest

from tests.e2e.stack import official_sdk, order_row

pytestmark = pytest.mark.stack

PMC, PROD = "cidPMC0001", "cidPROD0001"


def reply_to(chat, who: str, text: str, pattern: str, conversation_id: str = PMC, timeout_s: float = 60.0):
    """Send ``text`` and return the first later reply in the conversation that matches ``pattern``
    (the group also carries cards and notices of earlier turns, which may land at any time)."""
    start = chat.mark()
    chat.send(who, text, conversation_id)
    return chat.wait_for(start, lambda r: re.search(pattern, r.text), timeout_s=timeout_s,
                    conversation_id=conversation_id)[0]


def say(chat, who: str, text: str, pattern: str, conversation_id: str = PMC) -> str:
    return reply_to(chat, who, text, pattern, conversation_id).text


NEEDS_MANAGER = r"需要经理审批|perlu persetujuan manajer|needs a manager's approval"


def held(chat, who: str, text: str) -> str:
    """Ask for a risky change of MO000124 and return its request ref (it waits for a manager)."""
    open_request = r"已有未完成的变更申请|already has an open change request|sudah punya permintaan"
    reply = say(chat, who, text, NEEDS_MANAGER + "|" + open_request)
    if re.search(open_request, reply):  # an earlier file left a request open: decide it first, then ask again
        left = re.search(r"CR-\d{6}", reply).group(0)
        say(chat, "manager0001", f"驳回 {left}", rf"{left}")
        reply = say(chat, who, text, NEEDS_MANAGER + "|" + open_request)
    assert re.search(NEEDS_MANAGER, reply), reply
    return re.search(r"CR-\d{6}", reply).group(0)


def open_orders(sdk) -> list[dict]:
    keys = ["FBillNo", "FStatus", "FPlanFinishDate"]
    rows = json.loads(sdk.ExecuteBillQuery({"FormId": "PRD_MO", "FieldKeys": ",".join(keys),
                                            "FilterString": "FStatus in ('1','2','3','4')"}))
    return [dict(zip(keys, r)) for r in rows]


# -- 7: manager decisions in free language ----------------------------------------------------------
def test_zh_rejection_heard_as_stock_question_is_a_rejection_with_the_reason(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    qty = float(order_row(sdk, "MO000124")["FQty"])
    ref = held(chat, "pmc0002", f"MO000124 数量改成 {int(qty) + 100}")
    start = chat.mark()
    decided = say(chat, "manager0001", "MO000124 这个不批，控制板库存不够", rf"{ref}.*已被.*驳回|库存：")
    assert "驳回" in decided and "控制板库存不够" in decided, decided  # a decision, not a stock answer
    chat.wait_for(start, lambda r: ref in r.text and "原因：控制板库存不够" in r.text, conversation_id=PMC)  # requester
    assert float(order_row(sdk, "MO000124")["FQty"]) == qty  # rejected: K/3 unchanged


def test_zh_bare_rejection_gives_no_fragment_as_reason(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    qty = float(order_row(sdk, "MO000124")["FQty"])
    ref = held(chat, "pmc0002", f"MO000124 数量改成 {int(qty) + 100}")
    start = chat.mark()
    decided = say(chat, "manager0001", "MO000124 的变更驳回", rf"{ref}.*已被.*驳回")
    assert not decided.rstrip().endswith("的变更"), decided
    told = chat.wait_for(start, lambda r: ref in r.text and "原因" in r.text, conversation_id=PMC)
    assert "的变更" not in told[0].text.split("原因")[-1], told[0].text
    assert float(order_row(sdk, "MO000124")["FQty"]) == qty


def test_en_rejection_keeps_the_managers_words(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    qty = float(order_row(sdk, "MO000124")["FQty"])
    ref = held(chat, "pmc0001", f"change MO000124 qty to {int(qty) + 100}")
    start = chat.mark()
    decided = say(chat, "manager0001", "MO000124 rejected, the control board stock is too low", rf"{ref}.*was rejected by")
    assert "the control board stock is too low" in decided, decided
    chat.wait_for(start, lambda r: ref in r.text and "Reason: the control board stock is too low" in r.text,
             conversation_id=PMC)  # the requester (English) hears the reason as written
    assert float(order_row(sdk, "MO000124")["FQty"]) == qty


def test_id_approval_with_a_remark_applies_once_and_passes_the_remark_on(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    qty = float(order_row(sdk, "MO000124")["FQty"])
    target = int(qty) + 100
    ref = held(chat, "pmc0002", f"MO000124 ubah jumlah jadi {target}")
    start = chat.mark()
    decided = say(chat, "manager0001", "ok setuju MO000124, stok kontrol nanti ditambah", rf"{ref}|Apa yang diubah")
    assert "Apa yang diubah" not in decided, decided  # a decision, not "what should change?"
    chat.wait_for(start, lambda r: ref in r.text and "stok kontrol nanti ditambah" in r.text, conversation_id=PMC)
    assert float(order_row(sdk, "MO000124")["FQty"]) == target
    again = say(chat, "manager0001", "ok setuju MO000124", rf"{ref}.*sudah")  # "already approved by ..."
    assert "disetujui" in again, again
    assert float(order_row(sdk, "MO000124")["FQty"]) == target  # decided once


# -- 10: lists -----------------------------------------------------------------------------------
def test_approvals_waiting_for_me_and_my_requests_in_three_languages(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    qty = float(order_row(sdk, "MO000124")["FQty"])
    ref = held(chat, "pmc0002", f"MO000124 数量改成 {int(qty) + 50}")
    for text, head in (("哪些单子等我审批", "等您审批"),
                       ("pesanan mana yang menunggu persetujuan saya", "menunggu persetujuan Anda"),
                       ("which orders are waiting for my approval", "waiting for your approval")):
        listed = say(chat, "manager0001", text, head)
        assert "MO000124" in listed and f"{int(qty)} → {int(qty) + 50}" in listed, (text, listed)
    refused = say(chat, "pmc0001", "which orders are waiting for my approval", r"not allowed|may not|permission|权限|izin")
    assert ref not in refused, refused  # planners decide nothing
    for text, head, word in (("我的申请有哪些", "未结束的变更申请", "审批"),
                             ("permintaan saya yang masih terbuka", "belum selesai", "persetujuan"),
                             ("my open requests", "open change request", "approval")):
        mine = say(chat, "pmc0002", text, head)
        assert "MO000124" in mine and word in mine.lower(), (text, mine)
    say(chat, "manager0001", f"驳回 {ref}", rf"{ref}.*已被.*驳回")  # leave nothing waiting for later files
    assert float(order_row(sdk, "MO000124")["FQty"]) == qty


# the late list in any language (a two-word message may keep the conversation's language)
LATE = r"(?i)past their plan finish|no orders are late|逾期|已过计划完工日期|lewat tanggal selesai|tidak ada pesanan yang terlambat"


@pytest.mark.parametrize(
    ("text", "lo", "hi", "head"),
    [
        ("这周要完工的订单有哪些", "2025-03-31", "2025-04-06", "本周.*要完工的未完成订单"),
        ("order apa yang jatuh tempo minggu ini", "2025-03-31", "2025-04-06", "jatuh tempo minggu ini"),
        ("which orders finish this week", "2025-03-31", "2025-04-06", "due this week"),
        ("今天到期的工单", "2025-04-01", "2025-04-01", "今天.*要完工的未完成订单"),
        ("late orders", None, "2025-03-31", LATE),
        ("pesanan yang terlambat", None, "2025-03-31", LATE),
    ],
)
def test_orders_due_are_the_open_orders_k3_has_in_that_window(chat, stack, text, lo, hi, head):
    _, settings = stack
    sdk = official_sdk(settings)
    answer = say(chat, "pmc0001", text, head)
    due = {o["FBillNo"] for o in open_orders(sdk) if (lo is None or o["FPlanFinishDate"][:10] >= lo)
           and o["FPlanFinishDate"][:10] <= hi}
    shown = set(re.findall(r"(?:P\d{8}|MO\d{6})", answer))
    assert shown == due, (text, answer, due)
    assert "SCDD" not in answer


@pytest.mark.parametrize(
    ("text", "bills"),
    [
        ("P20250401 和 P20250402 的进度", ("P20250401", "P20250402")),
        ("progres P20250401 dan P20250403 gimana", ("P20250401", "P20250403")),
        ("status of P20250402 and MO000123", ("P20250402", "MO000123")),
    ],
)
def test_several_orders_in_one_message_are_each_answered(chat, stack, text, bills):
    _, settings = stack
    sdk = official_sdk(settings)
    answer = say(chat, "pmc0001", text, rf"{bills[0]}[\s\S]*{bills[1]}")
    for bill_no in bills:
        assert bill_no in answer, (bill_no, answer)
        qty = float(order_row(sdk, bill_no)["FQty"])
        assert f"{qty:g}" in answer, (bill_no, qty, answer)


@pytest.mark.parametrize(
    ("text", "bill_no", "says"),
    [
        ("delete MO000124", "MO000124", "can't delete"),
        ("删除 P20250401", "P20250401", "不允许删除"),
        ("tolong hapus pesanan MO000123", "MO000123", "tidak bisa dihapus"),
    ],
)
def test_delete_says_what_is_possible_and_changes_nothing(chat, stack, text, bill_no, says):
    _, settings = stack
    sdk = official_sdk(settings)
    before = order_row(sdk, bill_no)
    answer = say(chat, "pmc0001", text, rf"(?s)(?=.*{bill_no}).*(delete|删除|dihapus)")
    assert says in answer, answer
    assert order_row(sdk, bill_no) == before


# -- 8: shop-floor messages without an order number --------------------------------------------------
def report_totals(sdk, bill_no: str) -> tuple[float, float]:
    rows = json.loads(sdk.ExecuteBillQuery({
        "FormId": "PRD_MORPT", "FieldKeys": "FQuaQty,FScrapQty",
        "FilterString": f"FMoBillNo='{bill_no}' and FDocumentStatus='C'",
    }))
    return sum(float(r[0]) for r in rows), sum(float(r[1]) for r in rows)


@pytest.mark.parametrize(
    ("who", "text"),
    [
        ("prod0001", "冲压今天做了2个电机壳，报废1个"),
        ("prod0002", "hari ini stamping buat 2 rumah motor, 1 reject"),
        ("prod0001", "today stamping made 2 motor housings, 1 scrap"),
    ],
)
def test_a_report_without_order_number_asks_which_order_then_reports_it(chat, stack, who, text):
    _, settings = stack
    sdk = official_sdk(settings)
    before = report_totals(sdk, "P20250401")
    asked = reply_to(chat, who, text, PICK, PROD)
    assert not re.search(r"创建|create|membuat", asked.text, re.IGNORECASE), asked.text  # not "you may not create"
    chosen = [b for b in asked.buttons if b.get("content", "").startswith("P20250401")]
    assert chosen, (asked.text, asked.buttons)
    assert report_totals(sdk, "P20250401") == before  # nothing written before the order is chosen
    start = chat.mark()
    chat.send(who, chosen[0]["content"], PROD)  # the button sends its chat text as the person's message
    deadline = time.monotonic() + 60
    confirmed = False
    while time.monotonic() < deadline and report_totals(sdk, "P20250401") == before:
        summary = [r for r in chat.replies(start, conversation_id=PROD) if "P20250401" in r.text and r.buttons]
        if summary and not confirmed:  # the report path asks for a confirmation first: press Confirm
            chat.send(who, summary[0].buttons[0]["content"], PROD)
            confirmed = True
        time.sleep(0.3)
    good, scrap = report_totals(sdk, "P20250401")
    assert (good - before[0], scrap - before[1]) == (2, 1), [r.text for r in chat.replies(start, conversation_id=PROD)]


def test_a_typed_order_number_continues_the_offered_report(chat, stack):
    """Typing one of the offered orders instead of pressing its button continues that report (its
    summary, then Confirm); an order that was not offered is refused by name and nothing is written."""
    _, settings = stack
    sdk = official_sdk(settings)
    before = report_totals(sdk, "P20250401")
    asked = reply_to(chat, "prod0001", "冲压那边电机壳又出了2个，坏了1个", PICK, PROD)
    assert any(b.get("content", "").startswith("P20250401") for b in asked.buttons), (asked.text, asked.buttons)
    other = say(chat, "prod0001", "P20250403 这个", r"P20250403", PROD)
    assert "P20250401" in other and report_totals(sdk, "P20250401") == before, other  # not offered: said so
    summary = reply_to(chat, "prod0001", "P20250401 这个", r"P20250401", PROD)
    assert summary.buttons and "2" in summary.text, (summary.text, summary.buttons)
    assert report_totals(sdk, "P20250401") == before  # nothing before the Confirm
    chat.send("prod0001", summary.buttons[0]["content"], PROD)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and report_totals(sdk, "P20250401") == before:
        time.sleep(0.3)
    good, scrap = report_totals(sdk, "P20250401")
    assert (good - before[0], scrap - before[1]) == (2, 1)


PICK = r"报到哪个生产订单|dilaporkan ke perintah produksi yang mana|which production order is this for"
