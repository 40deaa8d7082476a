"""Issue 13, classes found by the main set's run of this stop and by the second untuned set
(tests/dialogues/fresh2, docs/DIALOGUES.md "Fresh set 2"), through the real channel, K/3 read back
with the official SDK. The sentences are new ones (neither the dialogues' texts nor training data).

Runs after test_5c on the state it leaves; each test leaves the orders it touches as it found them
or says what it changed.
"""

import pytest

from rasa_project import catalog
from tests.e2e.stack import joined, official_sdk, order_row, wait_until
from tests.e2e.test_5b_confirm_undo import PROD, Reported, buttons_of, settle
from tests.e2e.test_7c_decisions_lists import PMC, held, say

pytestmark = pytest.mark.stack


# -- 7: the reason is the manager's words, never a fragment of the decision word -------------------
def test_zh_rejection_with_an_adverb_before_the_decision_keeps_only_the_reason(chat, stack):
    """"先不批 下个月…": the 先 belongs to the decision, and "下个月…" is the reason as written."""
    _, settings = stack
    sdk = official_sdk(settings)
    qty = float(order_row(sdk, "MO000124")["FQty"])
    ref = held(chat, "pmc0002", f"MO000124 数量改成 {int(qty) + 60}")
    start = chat.mark()
    decided = say(chat, "manager0001", "MO000124 先不批 下个月板子到了再提", rf"{ref}.*已被.*驳回")
    assert "下个月板子到了再提" in decided, decided
    told = chat.wait_for(start, lambda r: ref in r.text and "原因" in r.text, conversation_id=PMC)[0].text
    reason = told.split("原因")[-1]
    assert "下个月板子到了再提" in reason and "先" not in reason, told
    assert float(order_row(sdk, "MO000124")["FQty"]) == qty  # rejected: K/3 unchanged


# -- 2: a correction names its field away from its number; "tadi" with a place is a new report --------
def test_a_correction_naming_scrap_away_from_its_number_corrects_the_scrap(chat, stack):
    """"the rejects on that last one should have been 1": scrap 3 -> 1, the good pieces stay."""
    _, settings = stack
    p = Reported(official_sdk(settings))
    before = p.plus(0)
    chat.ask("prod0001", "P20250403 made 30 good, 3 rejects", PROD, contains=p.shown(30, 3))
    chat.ask("prod0001", "yes", PROD, contains="SCHB")
    assert p.now() == p.plus(30, 3)
    summary = joined(chat.ask("prod0001", "hmm, the rejects on that last one should have been 1", PROD,
                              contains=p.shown(30, 1)))
    assert "30 → 30" in summary and "3 → 1" in summary, summary  # good kept, scrap corrected
    assert p.now() == p.plus(30, 3)  # nothing before the confirmation
    chat.ask("prod0001", "yes", PROD, contains="SCHB")
    assert p.now() == p.plus(30, 1)
    chat.ask("prod0001", "void my last report", PROD, contains="P20250403")
    chat.ask("prod0001", "yes", PROD, contains="P20250403")
    assert p.now() == before


def test_a_report_saying_where_it_was_made_is_a_new_report_not_a_correction(chat, stack):
    """"lini SMT tadi pagi 25 papan kontrol" ("this morning"): the running orders are offered, the
    reporter's last report is left alone."""
    _, settings = stack
    p = Reported(official_sdk(settings))
    before = p.plus(0)
    chat.ask("prod0002", "P20250403 hasil 16 pcs", PROD, contains=p.shown(16))
    chat.ask("prod0002", "ya", PROD, contains="SCHB")
    assert p.now() == p.plus(16)
    offer = chat.ask("prod0002", "lini SMT tadi pagi 25 papan kontrol", PROD, contains="P20250403")
    text = joined(offer)
    assert "koreksi" not in text.lower() and "16 →" not in text, text  # no correction of the last report
    assert any("P20250403" in b["title"] for b in buttons_of(offer)), buttons_of(offer)
    assert p.now() == p.plus(16)
    chat.ask("prod0002", "batal", PROD, expect=1)
    settle(chat, PROD)
    chat.ask("prod0002", "batalkan laporan tadi", PROD, contains="P20250403")
    chat.ask("prod0002", "ya", PROD, contains="P20250403")
    assert p.now() == before


# -- 7: a decision heard as a no / a cancel / a status question is the manager's decision -------------
def test_en_bare_no_and_go_ahead_are_decisions(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    qty = float(order_row(sdk, "MO000124")["FQty"])
    ref = held(chat, "pmc0001", f"MO000124 qty up to {int(qty) + 40}")
    start = chat.mark()
    decided = say(chat, "manager0001", f"{ref} no, the boards are not here yet", rf"{ref}.*was rejected by")
    assert "the boards are not here yet" in decided, decided
    chat.wait_for(start, lambda r: ref in r.text and "Reason: the boards are not here yet" in r.text,
                  conversation_id=PMC)
    assert float(order_row(sdk, "MO000124")["FQty"]) == qty
    ref = held(chat, "pmc0001", f"MO000124 qty up to {int(qty) + 40}")
    say(chat, "manager0001", f"go ahead with {ref}", rf"{ref}")
    wait_until(lambda: float(order_row(sdk, "MO000124")["FQty"]) == qty + 40, "the approved change in K/3", 30)
    # back to where it was (a decrease needs nobody's approval)
    chat.ask("pmc0001", f"MO000124 数量改成 {int(qty)}", PMC, contains=f"{int(qty)}")
    chat.ask("pmc0001", "确认", PMC, expect=1)
    wait_until(lambda: float(order_row(sdk, "MO000124")["FQty"]) == qty, "MO000124 restored", 30)


# -- 6: a question while the form asks is answered, and the form asks again -----------------------
def test_a_stock_question_while_the_form_asks_for_the_material_is_answered(chat, stack):
    first = joined(chat.ask("pmc0002", "I'd like to open a production order", PMC, expect=1))
    assert "BOM-2050" in first, first  # the form asks for the material
    answered = joined(chat.ask("pmc0002", "how many floor fans are in stock right now?", PMC, contains="80"))
    assert "How many Floor fan" not in answered, answered  # not taken as the form's answer
    settle(chat, PMC)
    chat.ask("pmc0002", "never mind", PMC, expect=1)
    settle(chat, PMC)


# -- 1/9: a report naming the order but no pieces asks for them; a bare number answers ----------------
def test_a_report_naming_the_order_but_no_pieces_asks_for_them(chat, stack):
    _, settings = stack
    p = Reported(official_sdk(settings))
    before = p.plus(0)
    asked = joined(chat.ask("prod0002", "saya mau laporkan hasil P20250403", PROD, contains="P20250403"))
    assert catalog.text("report.ask_figures", "id", bill_no="P20250403") in asked, asked
    yes = joined(chat.ask("prod0002", "ya", PROD, contains="P20250403"))  # a yes gives no pieces: asked again
    assert p.now() == before, yes
    summary = joined(chat.ask("prod0002", "18", PROD, contains=p.shown(18)))
    assert "18" in summary and p.now() == before, summary  # the summary, waiting for the confirmation
    chat.ask("prod0002", "ya", PROD, contains="SCHB")
    assert p.now() == p.plus(18)
    chat.ask("prod0002", "batalkan laporan tadi", PROD, contains="P20250403")
    chat.ask("prod0002", "ya", PROD, contains="P20250403")
    assert p.now() == before
