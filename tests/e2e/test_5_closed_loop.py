"""The closed loop through the real channel: a held change reaches the manager, the manager
decides in chat, K/3 is updated once, the requester and the production group are told; the shop
floor reports output and K/3 shows the progress."""

import json
import re

import pytest

from tests.e2e.stack import joined, official_sdk, order_row

pytestmark = pytest.mark.stack


def report_totals(sdk, bill_no: str) -> tuple[float, float, int]:
    rows = json.loads(
        sdk.ExecuteBillQuery(
            {
                "FormId": "PRD_MORPT",
                "FieldKeys": "FBillNo,FQuaQty,FScrapQty,FDocumentStatus",
                "FilterString": f"FMoBillNo='{bill_no}' and FDocumentStatus='C'",
            }
        )
    )
    return sum(float(r[1]) for r in rows), sum(float(r[2]) for r in rows), len(rows)


def test_manager_got_an_approval_card_and_approving_applies_once_and_tells_everyone(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    # test_3 left MO000124 -> 400 waiting for approval (pmc0002 asked in cidPMC0001)
    card = chat.wait_for(0, lambda r: "MO000124" in r.text and r.buttons, staff_id="manager0001")
    assert any("MO000124" in b.get("content", "") for b in card[0].buttons), card[0].buttons
    assert float(order_row(sdk, "MO000124")["FQty"]) == 150

    start = chat.mark()
    decided = joined(chat.ask("manager0001", "批准 MO000124", "cidPMC0001", contains="MO000124"))
    assert "400" in decided, decided
    assert float(order_row(sdk, "MO000124")["FQty"]) == 400
    told = chat.wait_for(start, lambda r: "400" in r.text or "批准" in r.text, conversation_id="cidPMC0001")
    assert told
    notice = chat.wait_for(start, lambda r: "MO000124" in r.text, conversation_id="cidPROD0001")
    assert "400" in joined(notice)

    again = joined(chat.ask("manager0001", "approve MO000124", "cidPMC0001", contains="already"))
    assert "王丽" in again or "wang" in again.lower(), again  # says who already decided
    assert float(order_row(sdk, "MO000124")["FQty"]) == 400  # applied once


def test_reject_tells_the_requester_with_the_reason(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    before = order_row(sdk, "P20250403")
    held = joined(chat.ask("pmc0001", "P20250403 数量改成 3000", "cidPMC0001", contains="P20250403"))
    assert "审批" in held or "经理" in held, held
    start = chat.mark()
    chat.ask("manager0001", "拒绝 P20250403 产能不够", "cidPMC0001", contains="P20250403")
    told = chat.wait_for(start, lambda r: "产能不够" in r.text, conversation_id="cidPMC0001")
    assert "P20250403" in joined(told)
    assert order_row(sdk, "P20250403") == before


def test_a_manager_cannot_approve_their_own_request(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    before = order_row(sdk, "P20250403")
    held = joined(chat.ask("manager0001", "P20250403 数量改成 2800", "cidPMC0001", contains="2800"))
    assert "审批" in held or "经理" in held, held
    refused = joined(chat.ask("manager0001", "批准 P20250403", "cidPMC0001", contains="本人"))
    assert "自己" in refused or "本人" in refused, refused
    assert order_row(sdk, "P20250403") == before


def test_shop_floor_output_becomes_k3_reports_with_progress(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    good0, scrap0, _ = report_totals(sdk, "P20250401")
    assert (good0, scrap0) == (120, 4)

    # issue 13: a report is a summary first (order, good, scrap, the cumulative it leads to);
    # nothing reaches K/3 before the reporter's Confirm, which writes exactly that
    summary = joined(chat.ask("prod0001", "P20250401 做完了30个，报废2个", "cidPROD0001", contains="150"))
    assert "150" in summary and "6" in summary, summary  # cumulative good / scrap once confirmed
    assert report_totals(sdk, "P20250401")[:2] == (120, 4)
    text = joined(chat.ask("prod0001", "确认", "cidPROD0001", contains="SCHB"))
    assert "150" in text and "6" in text, text
    assert report_totals(sdk, "P20250401")[:2] == (150, 6)

    # the same DingTalk message delivered again is one summary, and one "ya" reports it once
    start = chat.mark()
    first = chat.send("prod0002", "P20250401 selesai 10, cacat 1", "cidPROD0001", msg_id="redelivered-report-1")
    chat.send("prod0002", "P20250401 selesai 10, cacat 1", "cidPROD0001", msg_id="redelivered-report-1")
    assert first["msgId"] == "redelivered-report-1"
    chat.wait_for(start, lambda r: "160" in r.text, conversation_id="cidPROD0001")
    assert report_totals(sdk, "P20250401")[:2] == (150, 6)
    chat.ask("prod0002", "ya", "cidPROD0001", contains="SCHB")
    assert report_totals(sdk, "P20250401")[:2] == (160, 7)

    over = joined(chat.ask("prod0001", "P20250401 done 500, scrap 0", "cidPROD0001", contains="P20250401"))
    assert "500" in over and report_totals(sdk, "P20250401")[:2] == (160, 7)

    proposed = joined(chat.ask("prod0001", "改一下，刚才是28个", "cidPROD0001", contains="28"))
    assert report_totals(sdk, "P20250401")[:2] == (160, 7), proposed  # a correction waits too
    fixed = joined(chat.ask("prod0001", "确认", "cidPROD0001", contains="SCHB"))
    assert re.search(r"28", fixed), fixed
    assert report_totals(sdk, "P20250401")[:2] == (158, 7)  # 30 -> 28 good, scrap kept

    # a correction touches only the sender's own last report: prod0002's 10 -> 5, prod0001's 28 stays
    chat.ask("prod0002", "改一下，刚才是5个", "cidPROD0001", contains="5")
    other = joined(chat.ask("prod0002", "确认", "cidPROD0001", contains="SCHB"))
    assert report_totals(sdk, "P20250401")[:2] == (153, 7), other
