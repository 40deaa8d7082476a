"""The chat use cases the actions call: what a "yes" / "no" does to what is pending, who may say it,
and the live K/3 queries, over the real simulators, slapd and a ``Wiring`` built from settings."""

from __future__ import annotations

import pytest

from rasa_project.chat import access
from rasa_project.chat.turn import Turn
from rasa_project.chat.use_cases import KEEP
from rasa_project.wiring import Wiring

PMC = "cidPMC0001"


@pytest.fixture
def chat(settings, wall, dingtalk_sim):
    wiring = Wiring(settings, now=wall)
    yield wiring.chat
    wiring.close()


def turn(staff_id: str, text: str = "", intent: str = "", lang: str = "zh", **entities) -> Turn:
    t = Turn(f"{PMC}:{staff_id}", staff_id, PMC, True, lang, text, f"m-{staff_id}-{text}", intent, 0.99, entities)
    access.current_turn.set(t)
    return t


SLOTS = {"material": "BOM-2050", "quantity": 300.0, "due_date": "2025-04-10", "production_type": "SCDD01_SYS",
         "work_center": "WC-01"}  # fmt: skip


def test_a_yes_with_nothing_pending_changes_nothing(chat):
    answer = chat.confirm(turn("pmc0001", "确认"), None)
    assert (answer.outcome.key, answer.pending) == ("dialog.nothing_pending", KEEP)
    assert chat.cancel(turn("pmc0001", "取消"), "nonsense").outcome.key == "dialog.nothing_pending"


def test_a_draft_waits_for_yes_and_a_no_drops_it(chat, k3):
    pmc = turn("pmc0001")
    draft = chat.prepare_draft(pmc, SLOTS)
    assert (draft.outcome.key, draft.asks_yes_no) == ("workflow.draft_summary", True)
    assert draft.pending == f"draft:{draft.outcome.value.id}"

    cancelled = chat.cancel(pmc, draft.pending)
    assert (cancelled.outcome.key, cancelled.pending) == ("workflow.draft_cancelled", None)
    yes = turn("pmc0001", "确认")  # a yes in words: a message without any ("" or "👍") never confirms
    assert chat.confirm(yes, draft.pending).outcome.key == "workflow.draft_cancelled"  # nothing written after a no
    assert k3.find_order_by_request_key(draft.outcome.value.request_key) is None


def test_only_the_requester_with_the_right_role_confirms(chat, k3):
    draft = chat.prepare_draft(turn("pmc0001"), SLOTS)

    refused = chat.confirm(turn("prod0001", "确认"), draft.pending)  # shop floor: may not create orders
    assert (refused.outcome.key, refused.reply_key, refused.pending) == ("authz.refused", "authz.refused", None)
    other = chat.confirm(turn("pmc0002", "确认"), draft.pending)  # PMC, but not the one who asked
    assert other.outcome.key == "workflow.draft_not_yours"

    written = chat.confirm(turn("pmc0001", "确认"), draft.pending)
    # issue 14: written as submitted (B), waiting for its OA approval
    assert (written.outcome.key, written.pending) == ("workflow.order_submitted", None)
    assert k3.get_order(written.outcome.values["bill_no"]).qty == 300


def test_a_low_risk_change_waits_for_yes_then_is_written(chat, k3):
    pmc = turn("pmc0001", "P20250401 数量改成 200", "change_order", order_no="P20250401", quantity="200")
    checked = chat.request_change(pmc)
    assert (checked.outcome.key, checked.asks_yes_no) == ("workflow.change_checked", True)
    assert checked.pending == f"change:{checked.outcome.value.ref}" and k3.get_order("P20250401").qty == 300

    applied = chat.confirm(turn("pmc0001", "确认"), checked.pending)
    assert (applied.outcome.key, applied.pending) == ("workflow.change_applied", None)
    assert k3.get_order("P20250401").qty == 200


def test_a_change_needs_an_order_and_something_to_change(chat):
    assert chat.request_change(turn("pmc0001", "改一下", "change_order")).outcome.key == "ask.which_order"
    vague = chat.request_change(turn("pmc0001", "改一下 P20250401", "change_order", order_no="P20250401"))
    assert (vague.outcome.key, vague.outcome.values["bill_no"]) == ("ask.what_change", "P20250401")


def test_queries_answer_live_from_k3_in_the_persons_language(chat):
    order = chat.query_order(turn("pmc0001", lang="en", order_no="P20250401"))
    assert order.outcome.text("en") == (
        "Production order P20250401: Motor housing type A (1.01.2050)\nStatus: started | Quantity: 300 Pcs\n"
        "Reported: good 120, scrap 4, 40% complete\nPlan: 2025-03-28 → 2025-04-03 | Work center: Stamping shop (WC-01)"
    )
    assert chat.query_order(turn("pmc0001", order_no="P19990101")).outcome.key == "order.not_found"
    assert chat.query_order(turn("pmc0001")).outcome.key == "ask.which_order"

    stock = chat.query_stock(turn("pmc0001", lang="id", material="BOM-5200"))
    assert stock.outcome.text("id") == (
        "Stok BOM-5200 Kipas berdiri FS-16 (1.04.5200): 80 Pcs, stok pengaman 100 Pcs (di bawah stok pengaman!)"
    )
    assert chat.query_stock(turn("pmc0001", material="BOM-9999")).outcome.key == "stock.unknown_material"


def test_a_form_answer_is_read_as_the_question_asked(chat):
    pmc = turn("pmc0001")
    assert chat.check_slot(pmc, "quantity", "一千二百个").value == 1200.0
    fraction = chat.check_slot(pmc, "quantity", "2.5")
    assert (fraction.value, fraction.outcome.key) == (None, "workflow.qty_not_whole")
    assert chat.check_slot(pmc, "material", "bom2050").value == "BOM-2050"
    assert chat.check_slot(pmc, "due_date", "4月10日").value == "2025-04-10"
    question = chat.ask(turn("pmc0001", lang="en"), "work_center", {"material": "BOM-2050"})
    assert question.buttons[0][0].startswith("Stamping shop")  # the material's usual work center first
