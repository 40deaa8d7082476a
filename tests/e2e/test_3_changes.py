"""Order changes through the real channel and the persisted state machine; K/3 checked after each."""

import pytest

from tests.e2e.stack import joined, official_sdk, order_row

pytestmark = pytest.mark.stack


def test_started_order_cannot_go_below_what_was_reported_but_200_is_applied(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    assert float(order_row(sdk, "P20250401")["FQty"]) == 300

    refused = joined(chat.ask("pmc0001", "P20250401 数量改成 100", contains="124"))
    assert "124" in refused and float(order_row(sdk, "P20250401")["FQty"]) == 300  # 120 good + 4 scrap

    checked = chat.ask("pmc0001", "P20250401 ubah jumlah jadi 200", contains="200")
    assert any(r.buttons for r in checked), joined(checked)  # asks for confirmation first
    assert float(order_row(sdk, "P20250401")["FQty"]) == 300  # nothing written before "ya"
    applied = joined(chat.ask("pmc0001", "ya", contains="200"))
    assert "300" in applied and "200" in applied, applied  # old -> new
    row = order_row(sdk, "P20250401")
    assert float(row["FQty"]) == 200 and row["FDocumentStatus"] == "C" and row["FStatus"] == "4"


def test_finished_order_refuses_any_change(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    before = order_row(sdk, "MO000123")
    text = joined(chat.ask("pmc0001", "change MO000123 qty to 250", contains="MO000123"))
    assert "finished" in text.lower(), text
    assert order_row(sdk, "MO000123") == before


def test_stock_risk_waits_for_approval_and_says_which_component(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    before = order_row(sdk, "MO000124")
    text = joined(chat.ask("pmc0002", "pls change MO000124 qty to 400", contains="approv"))
    assert "BOM-4100" in text and "300" in text, text  # component and its safety stock
    assert "approv" in text.lower(), text
    assert order_row(sdk, "MO000124") == before  # held, not applied


def test_capacity_risk_waits_for_approval_and_says_which_day(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    before = order_row(sdk, "P20250402")
    text = joined(chat.ask("pmc0001", "P20250402 数量改成5000", contains="P20250402"))
    assert "WC-02" in text or "注塑" in text, text
    assert "1200" in text, text  # the daily capacity it exceeds
    assert "审批" in text or "经理" in text, text
    assert order_row(sdk, "P20250402") == before


def test_stock_and_order_status_questions_are_answered_live(chat):
    text = joined(chat.ask("prod0001", "BOM-4100 还有多少库存", "cidPROD0001", contains="BOM-4100"))
    assert "420" in text and "300" in text, text
    text = joined(chat.ask("prod0002", "stok BOM-2050?", "cidPROD0001", contains="1.01.2050"))
    assert "1500" in text and "Stok" in text, text
