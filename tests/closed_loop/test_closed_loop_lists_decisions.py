"""Manager decisions in free language, lists people ask for, and a shop-floor report that names no
order, at the use-case level over the real simulators, slapd and a ``Wiring`` built from settings."""

from __future__ import annotations

import pytest

from rasa_project.chat import access
from rasa_project.chat.turn import Turn
from rasa_project.ordering.states import Change
from rasa_project.wiring import Wiring

PMC = "cidPMC0001"


@pytest.fixture
def wiring(settings, wall, dingtalk_sim):
    built = Wiring(settings, now=wall)
    yield built
    built.close()


@pytest.fixture
def chat(wiring):
    return wiring.chat


def turn(staff_id: str, text: str = "", intent: str = "", lang: str = "zh", every: dict | None = None,
         **entities) -> Turn:
    t = Turn(f"{PMC}:{staff_id}", staff_id, PMC, True, lang, text, f"m-{staff_id}-{text}", intent, 0.99, entities,
             every_entity=every or {})
    access.current_turn.set(t)
    return t


def risky(chat, requester="pmc0002", qty="400"):
    """MO000124 150 -> 400 leaves BOM-4100 below its safety stock: waits for a manager."""
    answer = chat.request_change(turn(requester, f"MO000124 数量改成 {qty}", "change_order", order_no="MO000124",
                                      quantity=qty))
    assert answer.outcome.key == "workflow.change_needs_approval", answer.outcome.key
    return answer.outcome.value


def test_a_rejection_heard_as_a_stock_question_keeps_the_reason_as_written(chat, wiring, dingtalk_sim, k3):
    change = risky(chat)
    said = turn("manager0001", "MO000124 这个不批，控制板库存不够", "query_stock", order_no="MO000124", material="BOM-4100")
    assert chat.reads_as_decision(said)  # the stock action hands the turn to the approval desk
    outcome = chat.decide(said).outcome
    assert outcome.key == "workflow.change_rejected", outcome.key
    stored = wiring.workflow.get_change(change.ref)
    assert stored.state is Change.REJECTED and stored.decision_note == "控制板库存不够"
    told = [t for t in dingtalk_sim.texts(conversation_id=PMC) if change.ref in t and "控制板库存不够" in t]
    assert len(told) == 1, dingtalk_sim.texts(conversation_id=PMC)  # the requester hears the reason as written
    assert k3.get_order("MO000124").qty == 150


def test_a_bare_rejection_has_no_fragment_reason(chat, wiring):
    change = risky(chat)
    outcome = chat.decide(turn("manager0001", "MO000124 的变更驳回", "reject", order_no="MO000124")).outcome
    assert outcome.key == "workflow.change_rejected"
    assert wiring.workflow.get_change(change.ref).decision_note is None


def test_an_approval_with_a_remark_applies_and_tells_the_remark(chat, wiring, dingtalk_sim, k3):
    change = risky(chat)
    said = turn("manager0001", "ok setuju MO000124, stok kontrol nanti ditambah", "change_order", lang="id",
                order_no="MO000124")
    assert chat.reads_as_decision(said)  # no new value: not a change, a decision
    outcome = chat.decide(said).outcome
    assert outcome.key == "workflow.change_applied", outcome.key
    assert k3.get_order("MO000124").qty == 400
    assert wiring.workflow.get_change(change.ref).decision_note == "stok kontrol nanti ditambah"
    told = [t for t in dingtalk_sim.texts(conversation_id=PMC) if change.ref in t and "stok kontrol" in t]
    assert len(told) == 1, dingtalk_sim.texts(conversation_id=PMC)


def test_changes_and_questions_are_not_decisions(chat):
    assert not chat.reads_as_decision(turn("pmc0001", "客户同意了，MO000124 改成 500", "change_order",
                                           order_no="MO000124", quantity="500"))
    assert not chat.reads_as_decision(turn("pmc0001", "MO000124 批了吗", "query_order", order_no="MO000124"))
    assert not chat.reads_as_decision(turn("pmc0001", "BOM-4100 库存", "query_stock", material="BOM-4100"))


def test_the_decision_rules_of_the_desk_still_hold_for_free_language(chat, k3):
    risky(chat, requester="pmc0002")
    refused = chat.decide(turn("pmc0001", "MO000124 这个不批，控制板库存不够", "query_stock", order_no="MO000124"))
    assert refused.outcome.key in ("workflow.approval_not_manager", "authz.refused"), refused.outcome.key
    assert chat.decide(turn("manager0001", "MO000124 驳回，数量太多", "reject", order_no="MO000124")).outcome.key \
        == "workflow.change_rejected"
    again = chat.decide(turn("manager0001", "ok setuju MO000124", "approve", order_no="MO000124"))
    assert again.outcome.key == "workflow.already_decided"  # decided once
    assert k3.get_order("MO000124").qty == 150


def test_approvals_waiting_for_me_and_my_open_requests(chat):
    assert chat.waiting_for_me(turn("manager0001")).outcome.key == "list.approvals_none"
    change = risky(chat)
    waiting = chat.waiting_for_me(turn("manager0001", "哪些单子等我审批")).outcome
    assert waiting.key == "list.approvals_header" and waiting.values["count"] == 1
    text = waiting.text("en")
    assert change.ref in text and "MO000124" in text and "150 → 400" in text and "approve MO000124" in text
    assert chat.waiting_for_me(turn("pmc0002")).outcome.key == "list.approvals_none"  # never your own

    mine = chat.my_requests(turn("pmc0002", "my open requests", lang="en")).outcome
    assert mine.key == "list.requests_header" and mine.values["count"] == 1
    assert change.ref in mine.text("en") and "awaiting approval" in mine.text("en")
    assert chat.my_requests(turn("pmc0001")).outcome.key == "list.requests_none"

    chat.decide(turn("manager0001", "驳回 MO000124", "reject", order_no="MO000124"))
    assert chat.waiting_for_me(turn("manager0001")).outcome.key == "list.approvals_none"
    assert chat.my_requests(turn("pmc0002")).outcome.key == "list.requests_none"  # decided is not open


def test_orders_due_this_week_today_and_late_on_the_business_clock(chat, k3):
    # business day Tuesday 2025-04-01; the factory works Mon-Sat, 04-04..04-06 are holidays
    week = chat.orders_due(turn("pmc0001", "which orders finish this week", lang="en")).outcome
    assert week.key == "list.due_header"
    assert (week.values["start"], week.values["end"], week.values["working_days"]) == ("2025-03-31", "2025-04-06", 3)
    text = week.text("en")
    for bill_no in ("P20250401", "P20250402", "P20250403"):
        assert bill_no in text
    assert "MO000123" not in text and "MO000124" not in text  # finished / due next week
    today = chat.orders_due(turn("pmc0001", "今天到期的订单")).outcome
    assert today.key == "list.due_none"
    assert "今天" in today.text("zh")
    late = chat.orders_due(turn("pmc0001", "pesanan yang terlambat", lang="id")).outcome
    assert late.key == "list.late_none"  # MO000123 (due 03-31) is finished: not late
    k3.set_order_status("MO000124", "ToRelease")
    nextweek = chat.orders_due(turn("pmc0001", "下周要交哪些单")).outcome
    assert nextweek.key == "list.due_header" and "MO000124" in nextweek.text("zh")


def test_several_orders_in_one_message_are_each_answered_from_one_read(chat, k3):
    calls = []
    k3_observer = chat.k3.observer
    chat.k3.observer = lambda record: (calls.append(record.operation), k3_observer and k3_observer(record))
    try:
        answer = chat.query_order(turn("pmc0001", "P20250401 和 P20250402 的进度", "query_order",
                                       every={"order_no": ("P20250401", "P20250402", "P20259999")},
                                       order_no="P20250401"))
    finally:
        chat.k3.observer = k3_observer
    text = answer.outcome.text("zh")
    assert "P20250401" in text and "P20250402" in text and "300" in text and "2000" in text
    assert "P20259999" in text and "找不到" in text
    assert calls == ["ExecuteBillQuery"]


def test_delete_says_what_is_possible_and_changes_nothing(chat, k3):
    before = k3.get_order("MO000124")
    planned = chat.delete_order(turn("pmc0001", "delete MO000124", "delete_order", lang="en", order_no="MO000124"))
    assert planned.outcome.key == "list.delete_not_released"
    assert "can't delete" in planned.outcome.text("en")
    assert chat.delete_order(turn("pmc0001", "删除 P20250401", "delete_order",
                                  order_no="P20250401")).outcome.key == "list.delete_released"
    assert chat.delete_order(turn("pmc0001", "hapus MO000123", "delete_order", lang="id",
                                  order_no="MO000123")).outcome.key == "list.delete_finished"
    assert chat.delete_order(turn("pmc0001", "删除 MO000999", "delete_order",
                                  order_no="MO000999")).outcome.key == "order.not_found"
    assert k3.get_order("MO000124") == before


def test_a_report_without_order_number_offers_the_running_orders_as_buttons(chat, k3):
    said = turn("prod0001", "冲压今天做了30个电机壳，报废2个", "report_progress", material="BOM-2050",
                work_center="WC-01", good_qty="30", scrap_qty="2")
    answer = chat.report_output(said)
    assert answer.outcome.key == "report.pick_order"
    assert [(t.text("zh"), p.text("zh")) for t, p in answer.choices] == [("P20250401（已做 120/300）",
                                                                          "P20250401 合格 30，报废 2")]
    assert [p.text("en") for _, p in answer.choices] == ["P20250401 good 30, scrap 2"]
    assert k3.get_order("P20250401").reported_good == 120  # nothing reported before a choice
    none = chat.report_output(turn("prod0001", "总装今天做了5台落地扇", "report_progress", material="BOM-5200",
                                   work_center="WC-04", good_qty="5"))
    assert none.outcome.key == "report.pick_none"  # MO000124 is only planned, MO000123 finished
    assert chat.reads_as_report(turn("prod0001", "", "create_order", good_qty="300", scrap_qty="2",
                                     due_date="2025-04-01"))
    assert not chat.reads_as_report(turn("pmc0001", "", "create_order", quantity="300", due_date="2025-04-10"))


def test_a_typed_order_number_answers_the_offer_as_its_button_would(chat, k3):
    """The offer of running orders is what the conversation waits for: "就是P20250401" (or
    "yang ...", "... that one") continues the offered report (its summary, waiting for Confirm);
    an order that was not offered is refused by name and the offer keeps waiting."""
    offer = chat.report_output(turn("prod0001", "冲压今天做了30个电机壳，报废2个", "report_progress",
                                    material="BOM-2050", work_center="WC-01", good_qty="30", scrap_qty="2"))
    assert offer.outcome.key == "report.pick_order" and offer.pending.startswith("pick:")

    other = turn("prod0001", "就是P20250403", "out_of_scope", order_no="P20250403")
    assert chat.answers_offer(other, offer.pending)
    refused = chat.report_to_offered_order(other, offer.pending)
    assert refused.outcome.key == "report.pick_not_offered"
    assert "P20250403" in refused.outcome.text("zh") and "P20250401" in refused.outcome.text("zh")
    assert refused.pending is not None and not str(refused.pending).startswith("report:")  # the offer waits

    # a "yes" while the offer waits picks nothing and writes nothing
    yes = chat.confirm(turn("prod0001", "确认", "confirm"), offer.pending)
    assert yes.outcome.key == "report.pick_first" and k3.get_order("P20250401").reported_good == 120

    for text, lang in (("yang P20250401", "id"), ("P20250401 that one", "en")):
        assert chat.answers_offer(turn("prod0001", text, "query_order", lang=lang, order_no="P20250401"),
                                  offer.pending)
    # the button's own text ("P20250401 合格 30，报废 2") is a report of its own, not this answer
    assert not chat.answers_offer(turn("prod0001", "P20250401 合格 30，报废 2", "report_progress",
                                       order_no="P20250401", good_qty="30", scrap_qty="2"), offer.pending)
    assert not chat.answers_offer(turn("prod0001", "P20250401 做完了吗？", "query_order", order_no="P20250401"),
                                  offer.pending)
    assert not chat.answers_offer(turn("prod0001", "取消 P20250401", "cancel", order_no="P20250401"), offer.pending)
    assert not chat.answers_offer(turn("prod0001", "P20250401 明天早上要先换模具再开机", "out_of_scope"),
                                  offer.pending)

    # heard as off-topic, the message carries no entities: the order number is read from its text
    typed = turn("prod0001", "就是P20250401", "out_of_scope")
    assert chat.answers_offer(typed, offer.pending)
    picked = chat.report_to_offered_order(typed, offer.pending)
    assert picked.outcome.key == "report.confirm_summary", picked.outcome.key
    assert picked.pending.startswith("report:") and picked.asks_yes_no
    summary = picked.outcome.text("zh")
    assert "P20250401" in summary and "30" in summary
    assert k3.get_order("P20250401").reported_good == 120  # nothing before the Confirm
    done = chat.confirm(turn("prod0001", "确认", "confirm"), picked.pending)
    assert done.outcome.key == "report.recorded", done.outcome.key
    order = k3.get_order("P20250401")
    assert (order.reported_good, order.reported_scrap) == (150, 6)
