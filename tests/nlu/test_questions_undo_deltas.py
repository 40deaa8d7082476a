"""Questions are never writes; undo requests; relative quantities (issue 13, items 1-3)."""

from datetime import date

import pytest

from rasa_project.mapping import get_mapping
from rasa_project.nlu.extractor import entity_dict, extract_entities
from rasa_project.nlu.questions import is_question
from rasa_project.nlu.replies import closed_reply_intent, confirm_tag
from rasa_project.nlu.undo import undo_request
from rasa_project.values import apply_delta

TODAY = date(2025, 4, 1)


@pytest.mark.parametrize("text", [
    "can we finish 500 of P20250403 today?",
    "P20250401 今天能做完 500 吗",
    "P20250401' OR '1'='1 的进度怎么样",
    "P20250402 会不会来不及",
    "apakah P20250401 sudah selesai",
    "bisa selesai 300 hari ini",
    "will P20250403 be done by friday",
    "could P20250402 reach 2000 by tomorrow",
    "P20250401 完成 120？",
])
def test_questions(text):
    assert is_question(text)


@pytest.mark.parametrize("text", [
    "P20250401 完成 120，报废 4",
    "P20250401 selesai 10, cacat 1",
    "today stamping made 300 motor housings, 2 scrap",
    "MO000134 再加50个",
    "tambah 200 pcs lagi",
    "add 50 more",
    "can you change MO000134 to 500",
    "请把 MO000134 改成 500",
    "tolong bisa diubah jadi 500?",
    "wait, make it 600",
    "等等，改成600",
    "eh jadi 600 aja",
    "刚才报错了，应该是 280",
    "作废刚才的报工",
])
def test_statements_and_requests_are_not_questions(text):
    assert not is_question(text)


@pytest.mark.parametrize(("text", "order_no", "kind"), [
    ("作废刚才的报工", None, "void"),
    ("刚才那条报工撤销", None, "void"),
    ("batalkan laporan tadi", None, "void"),
    ("hapus laporan terakhir", None, "void"),
    ("void my last report", None, "void"),
    ("undo the last one", None, "void"),
    ("取消工单 MO000134", "MO000134", "withdraw"),
    ("delete MO000134", "MO000134", "withdraw"),
    ("batalkan order MO000134", "MO000134", "withdraw"),
    ("取消", None, None),
    ("batal", None, None),
    ("cancel", None, None),
    ("取消这个工单", None, None),  # the pending draft: an ordinary "no"
    ("刚才报错了，应该是 280", None, None),  # a correction, not a void
    ("P20250401 完成 120", "P20250401", None),
    # no number: an order noun and a back-reference mean the order the person just created
    ("上午那个工单刚才下错了，取消掉吧", None, "withdraw"),
    ("tolong batalkan pesanan yang barusan", None, "withdraw"),
    ("please cancel the order I just created", None, "withdraw"),
    ("取消刚才的订单修改", None, None),  # a change request, not the order
    ("cancel the change to the last order", None, None),
])
def test_undo_requests(text, order_no, kind):
    assert undo_request(text, order_no) == kind


@pytest.mark.parametrize(("text", "intent", "expected"), [
    ("MO000134 再加50个", "change_order", {"order_no": "MO000134", "quantity_delta": 50}),
    ("tambah 200 pcs lagi", "change_order", {"quantity_delta": 200}),
    ("add 50 more", "change_order", {"quantity_delta": 50}),
    ("P20250402 减少 30", "change_order", {"order_no": "P20250402", "quantity_delta": -30}),
    ("少做 30", "change_order", {"quantity_delta": -30}),
    ("kurangi 30", "change_order", {"quantity_delta": -30}),
    ("30 less", "change_order", {"quantity_delta": -30}),
    ("MO000134 改成 500", "change_order", {"order_no": "MO000134", "quantity": 500}),
    ("MO000134 加到 500", "change_order", {"order_no": "MO000134", "quantity": 500}),
    ("kurangi jadi 300", "change_order", {"quantity": 300}),
    ("reduce it to 300", "change_order", {"quantity": 300}),
    ("BOM-2051 要追加生产 650 件", "create_order", {"material": "BOM-2051", "quantity": 650}),
    ("P20250401 做完了30个，报废2个", "report_progress", {"order_no": "P20250401", "good_qty": 30, "scrap_qty": 2}),
])
def test_relative_and_absolute_quantities(text, intent, expected):
    assert entity_dict(extract_entities(text, get_mapping(), TODAY, intent)) == expected


def test_apply_delta():
    assert apply_delta(500, "50") == 550 and apply_delta(500.0, "-30") == 470 and apply_delta(500, "+5") == 505
    assert apply_delta(500, "lots") is None


def test_button_tags_keep_the_reply_closed_and_are_read_back():
    assert closed_reply_intent("确认 #report-7") == "affirm" and confirm_tag("确认 #report-7") == "report-7"
    assert closed_reply_intent("ya #change-cr-000012") == "affirm"
    assert closed_reply_intent("取消 #draft-3") == "deny" and closed_reply_intent("batal #void-2") == "deny"
    assert confirm_tag("确认") is None and closed_reply_intent("取消") is None
