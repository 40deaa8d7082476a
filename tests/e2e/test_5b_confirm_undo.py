"""Issue 13 (part A) through the real channel: every write path (create, change, report, void a
report, correct a report, withdraw an order, manager approval) writes nothing to K/3 before its
confirmation, and the confirmation writes exactly what the last summary showed. Amending a
summary shows it again and an older summary's button is refused; questions are never writes.

A new order waits in K/3 status B for its OA approval (issue 14): the create flow has the manager
agree on the simulator's OA before it changes and withdraws the order.

Runs after test_5 (name order) on the state it leaves: P20250401 at 200 with 153 + 7 reported,
P20250403 released (with test_0_risk's report: the report tests count from what they find), MO000124 at 400. The sentences here are not in the
training data (data/nlu)."""

import json
import re
import time

import pytest

from tests.e2e.oa_approve import approve_new_order
from tests.e2e.stack import joined, official_sdk, orders_of

pytestmark = pytest.mark.stack

PMC = "cidPMC0001"
PROD = "cidPROD0001"


def report_totals(sdk, bill_no: str) -> tuple[float, float]:
    rows = json.loads(sdk.ExecuteBillQuery({
        "FormId": "PRD_MORPT", "FieldKeys": "FBillNo,FQuaQty,FScrapQty",
        "FilterString": f"FMoBillNo='{bill_no}' and FDocumentStatus='C'"}))
    return sum(float(r[1]) for r in rows), sum(float(r[2]) for r in rows)


def order_or_none(sdk, bill_no: str) -> dict | None:
    keys = ["FBillNo", "FQty", "FDocumentStatus", "FStatus"]
    rows = json.loads(sdk.ExecuteBillQuery({"FormId": "PRD_MO", "FieldKeys": ",".join(keys),
                                            "FilterString": f"FBillNo='{bill_no}'"}))
    return dict(zip(keys, rows[0])) if rows else None


def buttons_of(replies) -> list[dict]:
    return [b for r in replies for b in r.buttons]


def press(chat, staff_id: str, button: dict, conversation_id: str, **ask) -> list:
    """An action-card button makes the DingTalk client send its content as the person's message."""
    assert button.get("content"), button
    return chat.ask(staff_id, button["content"], conversation_id, **ask)


def settle(chat, conversation_id: str, quiet_s: float = 1.5) -> None:
    """Wait until no reply has arrived for ``quiet_s`` (the turn before is over)."""
    last, still = chat.mark(), time.monotonic()
    while time.monotonic() - still < quiet_s:
        time.sleep(0.3)
        now = chat.mark()
        if now != last:
            last, still = now, time.monotonic()


def test_create_amend_stale_button_and_confirm_write_the_last_summary_then_withdraw(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    before = {r[0] for r in orders_of(sdk, "1.01.2050")}

    first = chat.ask("pmc0001", "新建生产订单 BOM-2050 数量 300，4月12日完工，标准生产订单，冲压车间", PMC,
                     contains="BOM-2050_V1")
    old_yes = [b for b in buttons_of(first) if b["title"] == "确认"]
    assert old_yes and "#draft-" in old_yes[0]["content"], buttons_of(first)  # tagged with its summary

    amended = joined(chat.ask("pmc0001", "等等，改成600", PMC, contains="600"))
    assert "600" in amended and "BOM-2050" in amended, amended
    assert {r[0] for r in orders_of(sdk, "1.01.2050")} == before  # nothing written before a confirmation

    stale = joined(press(chat, "pmc0001", old_yes[0], PMC, expect=1))
    assert "之前" in stale or "取代" in stale, stale  # the older summary's button is refused
    settle(chat, PMC)
    assert {r[0] for r in orders_of(sdk, "1.01.2050")} == before

    done = joined(chat.ask("pmc0001", "确认", PMC, contains="MO"))
    [new] = [r for r in orders_of(sdk, "1.01.2050") if r[0] not in before]
    bill_no = new[0]
    assert bill_no in done and float(new[1]) == 600  # exactly the last summary: 600, not 300
    approve_new_order(chat, settings, bill_no)  # it waits in B for OA (issue 14): the manager agrees

    # relative change: "少做 100" is 600 -> 500 against K/3's quantity; amended to 450 before the yes
    delta = joined(chat.ask("pmc0001", f"{bill_no} 少做 100 个", PMC, contains=bill_no))
    assert "600" in delta and "500" in delta, delta  # old -> new
    assert float(order_or_none(sdk, bill_no)["FQty"]) == 600
    again = joined(chat.ask("pmc0001", "wait, make it 450", PMC, contains="450"))
    assert "600" in again and "450" in again, again
    assert float(order_or_none(sdk, bill_no)["FQty"]) == 600
    applied = joined(chat.ask("pmc0001", "yes", PMC, contains="450"))
    assert float(order_or_none(sdk, bill_no)["FQty"]) == 450, applied

    # withdrawing it: a summary first, K/3 deletes it (UnAudit + Delete) only after the confirmation
    summary = joined(chat.ask("pmc0001", f"取消工单 {bill_no}", PMC, contains=bill_no))
    assert order_or_none(sdk, bill_no) is not None, summary
    assert "确认" in summary or "撤销" in summary, summary
    gone = joined(chat.ask("pmc0001", "确认", PMC, contains=bill_no))
    assert order_or_none(sdk, bill_no) is None, gone


def test_a_yes_delivered_after_later_messages_confirms_nothing(chat, stack):
    """DingTalk delivers a message again, with its original body, after an outage; by then the
    person's later messages were handled. The old "确认" must not confirm the newer summary."""
    _, settings = stack
    sdk = official_sdk(settings)
    before = {r[0] for r in orders_of(sdk, "1.01.2050")}
    held = chat.send("pmc0001", "确认", PMC, hold=True)  # written now, delivered late
    assert held["status"] == "held", held
    time.sleep(0.01)  # DingTalk's createAt is in milliseconds
    summary = joined(chat.ask("pmc0001", "新建生产订单 BOM-2050 数量 120，4月14日完工，标准生产订单，冲压车间", PMC,
                              contains="BOM-2050_V1"))
    assert "120" in summary, summary
    start = chat.mark()
    late = chat.send("pmc0001", "确认", PMC, msg_id=held["msgId"])  # the same body, now
    assert late["status"] == 200, late
    told = joined(chat.wait_for(start, lambda r: "没有执行" in r.text, conversation_id=PMC))
    assert "确认" in told, told
    settle(chat, PMC)
    assert {r[0] for r in orders_of(sdk, "1.01.2050")} == before  # the summary still waits
    gone = joined(chat.ask("pmc0001", "取消", PMC, expect=1))
    settle(chat, PMC)
    assert {r[0] for r in orders_of(sdk, "1.01.2050")} == before, gone


def test_a_released_order_is_not_withdrawn_and_says_why(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    before = order_or_none(sdk, "P20250403")
    text = joined(chat.ask("pmc0001", "delete P20250403", PMC, contains="P20250403"))
    assert order_or_none(sdk, "P20250403") == before, text
    assert "K/3" in text, text  # what is possible instead: a planner undoes the release in K/3


def test_questions_about_an_order_write_nothing(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    before = report_totals(sdk, "P20250403"), report_totals(sdk, "P20250401")

    asked = joined(chat.ask("prod0001", "can we finish 500 of P20250403 today?", PROD, contains="P20250403"))
    attack = joined(chat.ask("prod0001", "P20250401' OR '1'='1 的进度怎么样", PROD, contains="P20250401"))
    bisa = joined(chat.ask("prod0001", "apakah P20250403 bisa selesai 200 hari ini?", PROD, contains="P20250403"))
    settle(chat, PROD)
    assert (report_totals(sdk, "P20250403"), report_totals(sdk, "P20250401")) == before, (asked, attack, bisa)
    for text in (asked, attack, bisa):
        assert "SCHB" not in text, text


class Reported:
    """P20250403's reports as this test found them (test_0_risk confirms a report of its own on the
    same stack first): totals and the summary's "cumulative/500" and % after more is written."""

    def __init__(self, sdk) -> None:
        self.sdk = sdk
        self.good, self.scrap = report_totals(sdk, "P20250403")

    def now(self) -> tuple[float, float]:
        return report_totals(self.sdk, "P20250403")

    def plus(self, good: float, scrap: float = 0) -> tuple[float, float]:
        return self.good + good, self.scrap + scrap

    def shown(self, good: float, scrap: float = 0) -> str:
        return f"{self.good + self.scrap + good + scrap:g}/500"

    def percent(self, good: float, scrap: float = 0) -> str:
        return f"{round((self.good + self.scrap + good + scrap) / 5, 1):g}%"


def test_report_amend_confirm_void_and_correct_each_wait_for_their_confirmation(chat, stack):
    _, settings = stack
    p = Reported(official_sdk(settings))
    before = p.plus(0)

    first = chat.ask("prod0001", "P20250403 完成 100，报废 2", PROD, contains=p.shown(100, 2))
    text = joined(first)
    assert "100" in text and p.shown(100, 2) in text and p.percent(100, 2) in text, text  # cumulative and %
    old_yes = [b for b in buttons_of(first) if b["title"] == "确认"]
    assert old_yes, buttons_of(first)
    assert p.now() == before  # nothing before the confirmation

    amended = joined(chat.ask("prod0001", "eh jadi 120 aja", PROD, contains=p.shown(120, 2)))
    assert "120" in amended and p.percent(120, 2) in amended, amended
    stale = joined(press(chat, "prod0001", old_yes[0], PROD, expect=1))
    settle(chat, PROD)
    assert p.now() == before, stale

    written = joined(chat.ask("prod0001", "ya", PROD, contains="SCHB"))
    assert p.now() == p.plus(120, 2), written  # exactly the last summary

    voiding = joined(chat.ask("prod0001", "作废刚才的报工", PROD, contains="P20250403"))
    assert "SCHB" in voiding and p.shown(0) in voiding, voiding  # which report, and what is left after
    assert p.now() == p.plus(120, 2)
    voided = joined(chat.ask("prod0001", "确认", PROD, contains="P20250403"))
    assert p.now() == before, voided

    chat.ask("prod0001", "P20250403 done 50 good", PROD, contains=p.shown(50))
    chat.ask("prod0001", "yes", PROD, contains="SCHB")
    assert p.now() == p.plus(50)
    correcting = joined(chat.ask("prod0001", "刚才报错了，应该是 40", PROD, contains="40"))
    assert "50" in correcting and p.shown(40) in correcting, correcting  # old -> new, and the cumulative
    assert p.now() == p.plus(50)
    chat.ask("prod0001", "确认", PROD, contains="SCHB")
    assert p.now() == p.plus(40)

    chat.ask("prod0001", "P20250403 selesai 10", PROD, contains=p.shown(50))
    chat.ask("prod0001", "batal", PROD, expect=1)
    settle(chat, PROD)
    assert p.now() == p.plus(40)  # cancel writes nothing

    undo_en = joined(chat.ask("prod0001", "void my last report", PROD, contains="P20250403"))
    assert "40" in undo_en and p.now() == p.plus(40), undo_en
    chat.ask("prod0001", "yes", PROD, contains="P20250403")
    assert p.now() == before


def test_a_correction_naming_the_old_value_writes_the_new_one(chat, stack):
    """"X 不对，应该是 Y" / "bukan X, harusnya Y" / "was Y, not X": Y is written, in each language."""
    _, settings = stack
    p = Reported(official_sdk(settings))
    before = p.plus(0)
    chat.ask("prod0001", "P20250403 完成 90，报废 6", PROD, contains=p.shown(90, 6))
    chat.ask("prod0001", "确认", PROD, contains="SCHB")
    assert p.now() == p.plus(90, 6)

    for text, yes, new, (good, scrap) in [
        ("刚才报错了，90个不对，应该是80个", "确认", "80", (80, 6)),
        ("koreksi laporan tadi: bukan 80, harusnya 75 pcs", "ya", "75", (75, 6)),
        ("fix my last report, the rejects were 3 not 6", "yes", "3", (75, 3)),
    ]:
        summary = joined(chat.ask("prod0001", text, PROD, contains=p.shown(good, scrap)))
        assert new in summary, summary
        chat.ask("prod0001", yes, PROD, contains="SCHB")
        assert p.now() == p.plus(good, scrap)

    chat.ask("prod0001", "作废刚才的报工", PROD, contains="P20250403")
    chat.ask("prod0001", "确认", PROD, contains="P20250403")
    assert p.now() == before  # as the next test expects it


def test_someone_elses_report_is_not_voided(chat, stack):
    _, settings = stack
    p = Reported(official_sdk(settings))
    chat.ask("prod0002", "P20250403 selesai 30", PROD, contains=p.shown(30))
    chat.ask("prod0002", "ya", PROD, contains="SCHB")
    assert p.now() == p.plus(30)
    text = joined(chat.ask("prod0001", "batalkan laporan tadi", PROD, expect=1))
    settle(chat, PROD)
    assert p.now() == p.plus(30), text
    # the reporter themself may
    chat.ask("prod0002", "batalkan laporan tadi", PROD, contains="P20250403")
    chat.ask("prod0002", "ya", PROD, contains="P20250403")
    assert p.now() == p.plus(0)


def test_a_managers_approval_writes_exactly_the_change_that_was_held(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    qty = float(order_or_none(sdk, "MO000124")["FQty"])
    held = joined(chat.ask("pmc0002", "MO000124 再加 20 个", PMC, contains="MO000124"))
    target = qty + 20
    assert re.search(rf"{qty:g}\D+{target:g}", held), held  # old -> new, relative to K/3's quantity
    ref = re.search(r"CR-\d+", held)
    assert float(order_or_none(sdk, "MO000124")["FQty"]) == qty  # held: nothing before the decision
    if ref is None or "审批" not in held and "approv" not in held.lower():
        # low risk: it waits for the requester's own confirmation instead
        chat.send("pmc0002", "确认", PMC)
    else:
        chat.send("manager0001", "批准 MO000124", PMC)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and float(order_or_none(sdk, "MO000124")["FQty"]) != target:
        time.sleep(0.3)
    assert float(order_or_none(sdk, "MO000124")["FQty"]) == target
    settle(chat, PMC)
