"""Issue 13 (part A) at the use-case level, over the K/3 simulator: nothing is written before the
confirmation, the confirmation writes the last summary, amending supersedes, undo is audited."""

from __future__ import annotations

import pytest

from rasa_project.chat import access
from rasa_project.chat.turn import Turn
from rasa_project.chat.use_cases import KEEP, yes_no_buttons
from rasa_project.wiring import Wiring

PROD = "cidPROD0001"
PMC = "cidPMC0001"


@pytest.fixture
def wiring(settings, wall, dingtalk_sim):
    w = Wiring(settings, now=wall)
    yield w
    w.close()


@pytest.fixture
def chat(wiring):
    return wiring.chat


def turn(staff_id: str, text: str = "", intent: str = "", conv: str = PROD, lang: str = "zh", msg: str = "",
         **entities) -> Turn:
    t = Turn(f"{conv}:{staff_id}", staff_id, conv, True, lang, text, msg or f"m-{staff_id}-{text}", intent, 0.99,
             entities)
    access.current_turn.set(t)
    return t


def totals(k3, bill_no="P20250401"):
    order = k3.get_order(bill_no)
    return order.reported_good, order.reported_scrap


def test_a_report_is_a_summary_until_confirmed_and_the_confirmation_writes_it_once(chat, k3, audit):
    report = turn("prod0001", "P20250401 完成 30，报废 2", "report_progress", order_no="P20250401", good_qty="30",
                  scrap_qty="2")
    proposed = chat.report_output(report)
    assert (proposed.outcome.key, proposed.asks_yes_no) == ("report.confirm_summary", True)
    assert proposed.pending == f"report:{proposed.outcome.value.id}"
    assert "累计合格 150，报废 6，共 156/300 Pcs，完成 52%" in proposed.outcome.text("zh")
    assert totals(k3) == (120, 4)  # nothing in K/3 yet

    yes = turn("prod0001", "确认")
    written = chat.confirm(yes, proposed.pending)
    assert (written.outcome.key, written.pending) == ("report.recorded", None)
    assert totals(k3) == (150, 6)
    again = chat.confirm(turn("prod0001", "确认", msg="m-2"), proposed.pending)  # a stale slot: no second write
    assert again.outcome.key == "report.already_recorded" and totals(k3) == (150, 6)
    assert any('"report_output"' in r.payload for r in audit.history("P20250401"))


def test_cancel_writes_nothing_and_someone_else_cannot_confirm(chat, k3):
    proposed = chat.report_output(turn("prod0001", "P20250401 完成 30", "report_progress", order_no="P20250401",
                                       good_qty="30"))
    other = chat.confirm(turn("prod0002", "确认"), proposed.pending)
    assert other.outcome.key == "report.proposal_not_yours" and totals(k3) == (120, 4)
    cancelled = chat.cancel(turn("prod0001", "取消"), proposed.pending)
    assert (cancelled.outcome.key, cancelled.pending) == ("report.proposal_cancelled", None)
    late = chat.confirm(turn("prod0001", "确认"), proposed.pending)
    assert late.outcome.key == "report.proposal_cancelled" and totals(k3) == (120, 4)


def test_amending_a_report_supersedes_the_older_summary(chat, k3):
    proposed = chat.report_output(turn("prod0001", "P20250401 完成 30", "report_progress", order_no="P20250401",
                                       good_qty="30"))
    amend = turn("prod0001", "eh jadi 40 aja", "out_of_scope", lang="id")
    assert chat.amend_values(amend, proposed.pending) == {"good_qty": 40}
    amended = chat.amend(amend, proposed.pending)
    assert amended.outcome.key == "report.confirm_summary" and amended.outcome.values["good"] == 40
    assert amended.pending != proposed.pending and totals(k3) == (120, 4)

    old_button = yes_no_buttons("zh", proposed.pending)[0][1]
    stale = chat.confirm(turn("prod0001", old_button), amended.pending)
    assert (stale.outcome.key, stale.pending) == ("dialog.stale_confirmation", KEEP) and totals(k3) == (120, 4)
    assert chat.confirm(turn("prod0001", "确认"), proposed.pending).outcome.key == "report.proposal_stale"

    new_button = yes_no_buttons("zh", amended.pending)[0][1]
    assert chat.confirm(turn("prod0001", new_button), amended.pending).outcome.key == "report.recorded"
    assert totals(k3) == (160, 4)


def test_a_report_naming_a_material_or_work_center_is_not_an_amendment_of_the_waiting_one(chat, k3):
    """While P20250403's report waits, "today stamping made 2 motor housings, 1 scrap" is a report of
    its own (which order of BOM-2050 at WC-01?), not new figures for P20250403 (Papan kontrol)."""
    proposed = chat.report_output(turn("prod0002", "P20250403 selesai 30", "report_progress", lang="id",
                                       order_no="P20250403", good_qty="30"))
    assert proposed.outcome.key == "report.confirm_summary"
    for text, entities in [
        ("today stamping made 2 motor housings, 1 scrap", {"material": "BOM-2050", "work_center": "WC-01"}),
        ("电机壳做了2个", {"material": "BOM-2050"}),
        ("stamping 2 pcs", {"work_center": "WC-01"}),
    ]:
        other = turn("prod0002", text, "report_progress", good_qty="2", **entities)
        assert chat.amend_values(other, proposed.pending) is None, text
    still = turn("prod0002", "eh jadi 20 aja", "out_of_scope", lang="id")
    assert chat.amend_values(still, proposed.pending) == {"good_qty": 20}  # figures alone still amend it


def test_void_and_correct_the_last_report_each_after_a_confirmation(chat, k3, audit):
    proposed = chat.report_output(turn("prod0001", "P20250401 完成 30", "report_progress", order_no="P20250401",
                                       good_qty="30"))
    chat.confirm(turn("prod0001", "确认"), proposed.pending)
    assert totals(k3) == (150, 4)

    correcting = chat.report_output(turn("prod0001", "刚才报错了，应该是 28", "report_progress", good_qty="28"))
    assert correcting.outcome.key == "report.confirm_correction" and totals(k3) == (150, 4)
    assert (correcting.outcome.values["old_good"], correcting.outcome.values["good"]) == (30, 28)
    assert chat.confirm(turn("prod0001", "确认", msg="c1"), correcting.pending).outcome.key == "report.corrected"
    assert totals(k3) == (148, 4)

    void = chat.void_last_report(turn("prod0001", "作废刚才的报工"))
    assert void.outcome.key == "report.confirm_void" and void.pending.startswith("void:")
    assert void.outcome.values["total_good"] == 120 and totals(k3) == (148, 4)
    kept = chat.cancel(turn("prod0001", "取消"), void.pending)
    assert kept.outcome.key == "report.void_kept" and totals(k3) == (148, 4)
    void = chat.void_last_report(turn("prod0001", "void my last report", lang="en"))
    assert chat.confirm(turn("prod0001", "yes", lang="en"), void.pending).outcome.key == "report.voided"
    assert totals(k3) == (120, 4)
    assert any('"void"' in r.payload for r in audit.history("P20250401"))
    # nothing of prod0001's is left to void; prod0002 never reported
    assert chat.void_last_report(turn("prod0002", "batalkan laporan tadi")).outcome.key in (
        "report.nothing_to_correct", "report.correction_not_yours")


def test_void_is_refused_after_the_correction_window(chat, k3, wall):
    proposed = chat.report_output(turn("prod0001", "P20250401 完成 30", "report_progress", order_no="P20250401",
                                       good_qty="30"))
    chat.confirm(turn("prod0001", "确认"), proposed.pending)
    void = chat.void_last_report(turn("prod0001", "作废刚才的报工"))
    wall.advance(seconds=1801)
    late = chat.confirm(turn("prod0001", "确认"), void.pending)
    assert late.outcome.key == "report.correction_too_late" and totals(k3) == (150, 4)


def test_relative_change_is_against_the_live_quantity_and_can_be_amended(chat, k3):
    pmc = turn("pmc0001", "P20250401 少做 50", "change_order", conv=PMC, order_no="P20250401", quantity_delta="-50")
    checked = chat.request_change(pmc)
    assert checked.outcome.key == "workflow.change_checked"
    [line] = [d for d in checked.outcome.details if d.key == "workflow.field_qty"]
    assert (line.values["old"], line.values["new"]) == (300, 250) and k3.get_order("P20250401").qty == 300

    amend = turn("pmc0001", "wait, make it 260", "change_order", conv=PMC, lang="en", quantity="260")
    again = chat.amend(amend, checked.pending)
    assert again.outcome.key == "workflow.change_checked" and again.pending != checked.pending
    assert chat.confirm(turn("pmc0001", "确认", conv=PMC), checked.pending).outcome.key != "workflow.change_applied"
    assert chat.confirm(turn("pmc0001", "yes", conv=PMC), again.pending).outcome.key == "workflow.change_applied"
    assert k3.get_order("P20250401").qty == 260


def test_questions_are_answered_not_written(chat):
    assert chat.asks_question(turn("prod0001", "can we finish 500 of P20250403 today?"))
    assert chat.asks_question(turn("prod0001", "P20250401' OR '1'='1 的进度怎么样"))
    assert not chat.asks_question(turn("prod0001", "P20250401 完成 30"))


SLOTS = {"material": "BOM-2050", "quantity": 300.0, "due_date": "2025-04-10", "production_type": "SCDD01_SYS",
         "work_center": "WC-01"}  # fmt: skip


def test_amend_a_draft_then_withdraw_the_order_until_it_is_released(chat, k3):
    pmc = turn("pmc0001", conv=PMC)
    draft = chat.prepare_draft(pmc, SLOTS)
    amended = chat.amend(turn("pmc0001", "等等，改成600", "change_order", conv=PMC, quantity="600"), draft.pending)
    assert amended.outcome.key == "workflow.draft_summary" and amended.outcome.values["qty"] == 600
    assert chat.confirm(turn("pmc0001", "确认", conv=PMC), draft.pending).outcome.key == "workflow.draft_cancelled"
    created = chat.confirm(turn("pmc0001", "确认", conv=PMC), amended.pending)
    bill_no = created.outcome.values["bill_no"]
    assert k3.get_order(bill_no).qty == 600

    other = chat.withdraw_order(turn("pmc0002", f"取消工单 {bill_no}", conv=PMC, order_no=bill_no))
    assert other.outcome.key == "workflow.withdraw_not_yours"
    seeded = chat.withdraw_order(turn("pmc0001", "delete P20250403", conv=PMC, order_no="P20250403"))
    assert seeded.outcome.key == "workflow.withdraw_released"

    proposal = chat.withdraw_order(turn("pmc0001", f"取消工单 {bill_no}", conv=PMC, order_no=bill_no))
    assert proposal.outcome.key == "workflow.withdraw_summary" and k3.get_order(bill_no) is not None
    done = chat.confirm(turn("pmc0001", "确认", conv=PMC), proposal.pending)
    assert done.outcome.key == "oa.withdrawn_in_chat" and k3.get_order(bill_no) is None


def test_the_order_just_created_is_withdrawn_without_its_number_while_it_waits_for_oa(chat, k3):
    """"上午那个工单刚才下错了，取消掉吧" names no number: the order this person created last in this
    conversation (waiting in K/3 status B for its OA approval) is shown, and withdrawn after Confirm."""
    created = chat.confirm(turn("pmc0001", "确认", conv=PMC), chat.prepare_draft(turn("pmc0001", conv=PMC), SLOTS).pending)
    bill_no = created.outcome.values["bill_no"]
    assert k3.get_order(bill_no) is not None
    said = turn("pmc0001", "上午那个工单刚才下错了，取消掉吧", "cancel", conv=PMC)
    assert chat.undo_kind(said) == "withdraw"
    proposal = chat.withdraw_order(said)
    assert proposal.outcome.key == "workflow.withdraw_summary" and proposal.outcome.values["bill_no"] == bill_no
    assert k3.get_order(bill_no) is not None  # nothing before the Confirm
    # someone who created nothing here is asked which order, never given another person's
    assert chat.withdraw_order(turn("pmc0002", "tolong batalkan pesanan yang barusan", "cancel", conv=PMC,
                                    lang="id")).outcome.key == "ask.which_order"
    done = chat.confirm(turn("pmc0001", "确认", conv=PMC, msg="m-yes-withdraw"), proposal.pending)
    assert done.outcome.key == "oa.withdrawn_in_chat" and k3.get_order(bill_no) is None
    # while a create summary waits, the same words are a "no" to that summary
    waiting = chat.prepare_draft(turn("pmc0001", conv=PMC), SLOTS)
    assert chat.undo_kind(turn("pmc0001", "刚才那个工单不要了，取消", "cancel", conv=PMC), waiting.pending) is None


@pytest.mark.parametrize("emoji", ["👍", "👌👌", "✅", "🙏"])
def test_a_thumbs_up_confirms_no_write_and_asks_for_an_explicit_yes(chat, k3, emoji):
    proposed = chat.report_output(turn("prod0001", "P20250401 完成 30", "report_progress", order_no="P20250401",
                                       good_qty="30"))
    for lang in ("zh", "id", "en"):
        nod = chat.confirm(turn("prod0001", emoji, "affirm", lang=lang, msg=f"m-{lang}"), proposed.pending)
        assert nod.outcome.key == "dialog.confirm_in_words" and totals(k3) == (120, 4)  # nothing written
        assert nod.pending == proposed.pending and nod.asks_yes_no  # it keeps waiting, buttons again
    assert "“确认”" in nod.outcome.text("zh") and '"ya"' in nod.outcome.text("id") and '"yes"' in nod.outcome.text("en")
    # nothing pending: still nothing written, and no order finished from an open finish offer
    assert chat.confirm(turn("pmc0001", emoji, "affirm", conv=PMC), None).outcome.key == "dialog.nothing_pending"
    written = chat.confirm(turn("prod0001", "确认"), proposed.pending)  # the explicit yes still works
    assert written.outcome.key == "report.recorded" and totals(k3) == (150, 4)


@pytest.mark.parametrize(("text", "lang"), [("冲压车间", "zh"), ("标准生产订单", "zh"), ("rumah motor", "id"),
                                            ("motor housing", "en"), ("BOM-2051", "en")])
def test_a_bare_name_while_a_draft_waits_is_asked_about_and_the_draft_keeps_waiting(chat, k3, text, lang):
    draft = chat.prepare_draft(turn("pmc0001", conv=PMC), SLOTS)
    asked = chat.name_while_pending(turn("pmc0001", text, "create_order", conv=PMC, lang=lang), draft.pending)
    assert asked is not None and asked.outcome.key == "dialog.name_while_pending", text
    assert asked.pending == draft.pending and asked.asks_yes_no and text in asked.outcome.text(lang)
    created = chat.confirm(turn("pmc0001", "确认", conv=PMC), asked.pending)  # the same draft is confirmed
    assert created.outcome.values["bill_no"] and k3.get_order(created.outcome.values["bill_no"]).qty == 300


@pytest.mark.parametrize("text", ["新建生产订单 BOM-2051 数量 50", "BOM-2051 还有多少库存", "冲压车间 P20250401 进度",
                                  "确认", "600"])
def test_anything_more_than_a_bare_name_is_not_held_up(chat, text):
    draft = chat.prepare_draft(turn("pmc0001", conv=PMC), SLOTS)
    assert chat.name_while_pending(turn("pmc0001", text, "create_order", conv=PMC), draft.pending) is None
    assert chat.name_while_pending(turn("pmc0001", "冲压车间", "create_order", conv=PMC), None) is None
