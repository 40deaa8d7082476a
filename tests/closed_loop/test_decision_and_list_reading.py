"""Reading a manager's decision and a list question (pure: rasa_project.ordering.decision_words,
rasa_project.chat.lists)."""

from __future__ import annotations

from datetime import date

import pytest

from rasa_project.chat import lists
from rasa_project.mapping import get_mapping
from rasa_project.ordering.decision_words import read_decision

TUESDAY = date(2025, 4, 1)


@pytest.mark.parametrize(
    ("text", "decision", "note"),
    [
        ("MO000124 这个不批，控制板库存不够", "reject", "控制板库存不够"),
        ("MO000124 的变更驳回", "reject", ""),
        ("ok setuju MO000124, stok kontrol nanti ditambah", "approve", "stok kontrol nanti ditambah"),
        ("P20250401 驳回，数量不合理", "reject", "数量不合理"),
        ("数量太多，驳回", "reject", "数量太多"),
        ("驳回 P20250401", "reject", ""),
        ("不行，不能批", "reject", ""),
        ("我不同意", "reject", ""),  # 不同意 holds 同意: refusals are looked for first
        ("P20250402 tidak bisa disetujui", "reject", ""),
        ("ditolak saja, jumlahnya kebanyakan", "reject", "jumlahnya kebanyakan"),
        ("saya menolak perubahan MO000124", "reject", ""),
        ("I reject the change to MO000124", "reject", ""),
        ("not going to approve P20250401", "reject", ""),
        ("P20250401 rejected, quantity makes no sense", "reject", "quantity makes no sense"),
        ("批准 MO000124", "approve", ""),
        ("setujui P20250402", "approve", ""),
        ("approved, but tell the line first", "approve", "but tell the line first"),
        ("不批，因为控制板库存不够", "reject", "因为控制板库存不够"),
        ("驳回 CR-000012 库存不够", "reject", "库存不够"),
        # the decision phrase is a boundary: what stands beside it is judged apart (never "先 这个月…")
        ("MO000124 先不批 这个月控制板紧张", "reject", "这个月控制板紧张"),
        ("P20250402 不批了 下个月再说", "reject", "下个月再说"),
        ("先驳回吧 注塑机还在修", "reject", "注塑机还在修"),
        ("不批，质检没通过", "reject", "质检没通过"),  # another clause stays whole
        ("I can't approve this, the boards are short", "reject", "the boards are short"),
    ],
)
def test_decision_and_reason_as_the_manager_wrote_them(text, decision, note):
    read = read_decision(text)
    assert (read.decision, read.note) == (decision, note)


@pytest.mark.parametrize("text", ["MO000124 批了吗", "sudah disetujui belum?", "is MO000124 approved?",
                                  "BOM-4100 库存", "MO000124 数量改成 500", "which orders are waiting for my approval",
                                  "pesanan mana yang menunggu persetujuan saya"])
def test_questions_and_other_requests_are_not_decisions(text):
    assert read_decision(text).decision is None


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "working_days"),
    [
        ("which orders finish this week", lists.THIS_WEEK, date(2025, 3, 31), date(2025, 4, 6), 3),  # Qingming 4-6
        ("本周到期的工单", lists.THIS_WEEK, date(2025, 3, 31), date(2025, 4, 6), 3),
        ("order yang jatuh tempo minggu ini", lists.THIS_WEEK, date(2025, 3, 31), date(2025, 4, 6), 3),
        ("今天要交的单", lists.TODAY, TUESDAY, TUESDAY, 1),
        ("what is due today", lists.TODAY, TUESDAY, TUESDAY, 1),
        ("besok apa saja", lists.TOMORROW, date(2025, 4, 2), date(2025, 4, 2), 1),
        ("下周要交的订单", lists.NEXT_WEEK, date(2025, 4, 7), date(2025, 4, 13), 6),
        ("逾期的订单", lists.LATE, None, date(2025, 3, 31), 0),
        ("pesanan yang terlambat", lists.LATE, None, date(2025, 3, 31), 0),
        ("overdue orders", lists.LATE, None, date(2025, 3, 31), 0),
    ],
)
def test_list_periods_on_the_business_clock_and_factory_calendar(text, kind, start, end, working_days):
    calendar = get_mapping().calendar
    window = lists.period_in(text, TUESDAY, calendar)
    assert (window.kind, window.start, window.end, window.working_days_left) == (kind, start, end, working_days)


def test_a_list_question_without_a_period_names_none():
    assert lists.period_in("my requests", TUESDAY, get_mapping().calendar) is None
