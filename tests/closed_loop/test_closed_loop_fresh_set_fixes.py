"""Issue 13, the classes the untuned fresh dialogue set found (docs/DIALOGUES.md "Fresh set"), at the
use-case level over the K/3 simulator. The sentences are new ones, not the dialogues' texts.

* a summary's Cancel button ("batal #report-7") cancels that summary, in every language and for
  every kind of summary; it is never read as "void my last report";
* a bare number answering the bot's own change question is that change, never an output report;
  a change request naming its field ("ubah jumlah P20250402") asks only for the value;
* a correction of one's own last report that names no order ("should have been 28 not 30",
  "rejectnya cuma 1, bukan 4") is a correction summary.
"""

from __future__ import annotations

import pytest

from rasa_project import catalog
from rasa_project.chat.pending import parse_pending
from rasa_project.chat.use_cases import yes_no_buttons
from rasa_project.wiring import Wiring
from tests.closed_loop.test_closed_loop_confirmations import PMC, SLOTS, totals, turn


@pytest.fixture
def chat(settings, wall, dingtalk_sim):
    w = Wiring(settings, now=wall)
    yield w.chat
    w.close()


def report(chat, who="prod0001", good="30", scrap=None):
    entities = {"order_no": "P20250401", "good_qty": good}
    if scrap is not None:
        entities["scrap_qty"] = scrap
    return chat.report_output(turn(who, f"P20250401 完成 {good}", "report_progress", msg=f"r-{good}-{scrap}",
                                   **entities))


@pytest.mark.parametrize("lang", ["zh", "id", "en"])
def test_the_cancel_button_of_a_report_summary_cancels_it_and_a_later_yes_writes_nothing(chat, k3, lang):
    proposed = report(chat)
    (yes_title, _), (_, no_sends) = yes_no_buttons(lang, proposed.pending)
    press = turn("prod0001", no_sends, "deny", lang=lang)
    assert chat.pressed(press) == "cancel"
    assert chat.undo_kind(press, proposed.pending) is None  # "batal #report-7" is no "void my report"
    cancelled = chat.cancel(press, proposed.pending)
    assert (cancelled.outcome.key, cancelled.pending) == ("report.proposal_cancelled", None)
    later = chat.confirm(turn("prod0001", yes_title, lang=lang, msg="later-yes"), cancelled.pending)
    assert later.outcome.key == "dialog.nothing_pending" and totals(k3) == (120, 4)


@pytest.mark.parametrize("lang", ["zh", "id", "en"])
def test_every_summary_kind_has_buttons_read_exactly(chat, k3, lang):
    """Create, change, report, void, withdraw: each summary's Confirm / Cancel is its button, by its
    exact text; a press of a void or withdraw summary's Cancel is never a new void or withdrawal."""
    pmc = turn("pmc0001", conv=PMC)
    draft = chat.prepare_draft(pmc, SLOTS)
    change = chat.request_change(turn("pmc0001", "P20250401 少做 20", "change_order", conv=PMC, order_no="P20250401",
                                      quantity_delta="-20"))
    proposed = report(chat, good="10")
    chat.confirm(turn("prod0001", "确认"), proposed.pending)
    void = chat.void_last_report(turn("prod0001", "作废刚才的报工"))
    for pending in (draft.pending, change.pending, proposed.pending, void.pending):
        assert parse_pending(pending) is not None, pending
        (_, yes), (_, no) = yes_no_buttons(lang, pending)
        assert chat.pressed(turn("x", yes, lang=lang)) == "confirm", yes
        assert chat.pressed(turn("x", no, lang=lang)) == "cancel", no
        assert chat.undo_kind(turn("x", no, lang=lang, order_no="MO000134"), pending) is None, no
    kept = chat.cancel(turn("prod0001", yes_no_buttons(lang, void.pending)[1][1], lang=lang), void.pending)
    assert kept.outcome.key == "report.void_kept" and totals(k3) == (130, 4)
    withdraw = yes_no_buttons(lang, "withdraw:MO000134")[1][1]
    assert chat.pressed(turn("x", withdraw, lang=lang)) == "cancel"
    assert chat.undo_kind(turn("x", withdraw, lang=lang, order_no="MO000134"), "withdraw:MO000134") is None
    assert chat.pressed(turn("x", catalog.text("button.cancel", lang), lang=lang)) is None  # typed: the words decide


@pytest.mark.parametrize(("text", "lang", "key"), [
    ("P20250402 的数量要调整一下", "zh", "ask.change_quantity"),
    ("tolong ganti jumlahnya P20250402", "id", "ask.change_quantity"),
    ("please update the quantity of P20250402", "en", "ask.change_quantity"),
    ("P20250402 交期帮忙改下", "zh", "ask.change_due_date"),
    ("P20250402 perlu diubah", "id", "ask.what_change"),
])
def test_a_change_without_a_value_asks_for_it_and_a_bare_number_answers_it(chat, k3, text, lang, key):
    asked = chat.request_change(turn("pmc0001", text, "change_order", conv=PMC, lang=lang, order_no="P20250402"))
    assert asked.outcome.key == key and asked.pending.startswith("ask:P20250402"), asked
    if key == "ask.change_quantity":
        assert "2000" in asked.outcome.text(lang)  # what K/3 has now
    if key == "ask.change_due_date":
        answer = turn("pmc0001", "4月9日吧", "report_progress", conv=PMC, lang=lang)
        assert set(chat.change_answer(answer, asked.pending)) == {"due_date"}
        return
    bare = turn("pmc0001", "2100", "report_progress", conv=PMC, lang=lang, good_qty="2100")
    assert chat.change_answer(bare, asked.pending) == {"quantity": 2100}
    checked = chat.answer_change(bare, asked.pending)
    assert checked.outcome.key == "workflow.change_checked" and checked.pending.startswith("change:")
    [line] = [d for d in checked.outcome.details if d.key == "workflow.field_qty"]
    assert (line.values["old"], line.values["new"]) == (2000, 2100) and k3.get_order("P20250402").qty == 2000
    done = chat.confirm(turn("pmc0001", "ya", conv=PMC, lang=lang), checked.pending)
    assert done.outcome.key == "workflow.change_applied" and k3.get_order("P20250402").qty == 2100


@pytest.mark.parametrize("text", [
    "P20250401 完成 30",  # a request of its own (another order or the same, with its cue)
    "P20250403 改成 300",
    "合格 30",
    "BOM-2050 300",
    "P20250402 能不能做到 2100？",
    "算了，先别改",
    "确认 #draft-3",
])
def test_what_does_not_answer_the_change_question(chat, text):
    pending = "ask:P20250402|quantity"
    assert chat.change_answer(turn("pmc0001", text, "change_order", conv=PMC), pending) is None, text


def test_nothing_asked_nothing_answered_and_a_yes_asks_again(chat):
    assert chat.change_answer(turn("pmc0001", "2100", conv=PMC), None) is None
    again = chat.confirm(turn("pmc0001", "ya", conv=PMC, lang="id"), "ask:P20250402")
    assert again.outcome.key == "ask.what_change"
    assert chat.cancel(turn("pmc0001", "batal", conv=PMC, lang="id"), "ask:P20250402").pending is None


@pytest.mark.parametrize(("text", "lang", "entities", "good", "scrap"), [
    ("oops, the last report should have been 28 not 30", "en", {"good_qty": "28"}, 28, 0),
    ("rejectnya cuma 1, bukan 4", "id", {"scrap_qty": "1"}, 30, 1),
    ("是28个 不是30个", "zh", {"good_qty": "28"}, 28, 0),
])
def test_a_correction_of_the_last_report_that_names_no_order(chat, k3, text, lang, entities, good, scrap):
    proposed = report(chat, scrap="4" if scrap else None)
    chat.confirm(turn("prod0001", "确认"), proposed.pending)
    before = totals(k3)
    correcting = chat.report_output(turn("prod0001", text, "report_progress", lang=lang, msg="fix", **entities))
    assert correcting.outcome.key == "report.confirm_correction", correcting
    assert (correcting.outcome.values["good"], correcting.outcome.values["scrap"]) == (good, scrap)
    assert correcting.asks_yes_no and totals(k3) == before  # nothing before the Confirm
    chat.confirm(turn("prod0001", "ya", lang=lang, msg="fix-yes"), correcting.pending)
    assert totals(k3) == (120 + good, 4 + scrap)


def test_a_report_naming_where_but_no_order_is_no_correction(chat):
    t = turn("prod0001", "刚才冲压做了300个", "report_progress", good_qty="300", work_center="WC-01")
    assert chat.report_output(t).outcome.key != "report.confirm_correction"


def test_a_worker_correction_heard_as_a_change_is_a_correction(chat):
    """"eh rejectnya cuma 1, bukan 3" heard as a change: for someone who reports it corrects their last
    report (the change path hands it to the report path); a planner's "bukan 500, 600" does not."""
    worker = turn("prod0001", "eh rejectnya cuma 1, bukan 3", "change_order", lang="id", scrap_qty="1")
    assert chat.corrects_last_report(worker)
    planner = turn("pmc0001", "bukan 500, 600", "change_order", conv=PMC, lang="id", quantity="600")
    assert not chat.corrects_last_report(planner)


def test_delete_my_last_report_is_a_void(chat):
    t = turn("prod0002", "hapus laporan saya yang tadi", "delete_order", lang="id")
    assert chat.undo_kind(t, None) == "void"
