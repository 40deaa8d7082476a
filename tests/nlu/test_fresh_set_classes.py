"""Issue 13, the classes the untuned fresh dialogue set found, at the word level (pure functions).
New sentences, not the dialogues' texts.

* a summary's button text ("batal #report-7") is that button, by its exact text in any language,
  and never a request to void or withdraw something;
* "撤掉" is an undo word; "-nya" and "only" between a cue and its number keep the cue ("NG nya cuma 2");
* a correction naming the old value ("28 not 30") is told by its shape; a change request names its
  field ("ubah jumlah", "数量", "due date") when it gives no value.
"""

from datetime import date
from pathlib import Path

import pytest

from rasa_project import catalog
from rasa_project.chat.pending import AskedChange, Pending, parse_pending
from rasa_project.mapping import load_mapping
from rasa_project.nlu.change_fields import named_field
from rasa_project.nlu.extractor import entity_dict, extract_entities, names_old_value
from rasa_project.nlu.replies import button_press
from rasa_project.nlu.undo import undo_request

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2025, 4, 1)
TAGS = ("draft-12", "change-cr-000012", "report-7", "void-5", "withdraw-mo000134")


@pytest.fixture(scope="module")
def tables():
    return load_mapping(ROOT / "data" / "mapping")


@pytest.mark.parametrize("lang", ["zh", "id", "en"])
@pytest.mark.parametrize("tag", TAGS)
def test_every_summary_button_is_read_by_its_exact_text(lang, tag):
    yes, no = catalog.text("button.confirm", lang), catalog.text("button.cancel", lang)
    assert button_press(f"{yes} #{tag}") == "confirm"
    assert button_press(f"{no} #{tag}") == "cancel"
    for order_no in (None, "MO000134"):  # the tag is no word of the message: no void, no withdrawal
        assert undo_request(f"{no} #{tag}", order_no) is None, (no, tag, order_no)


def test_typed_words_are_not_button_presses():
    for text in ("取消", "batal", "Cancel", "ya", "作废刚才的报工 #report-7x?", "void my last report"):
        assert button_press(text) is None, text


def test_pending_tags_and_the_asked_change():
    assert Pending(Pending.ASK, AskedChange("P20250402", "quantity").ref).tag == "ask-p20250402-quantity"
    asked = parse_pending("ask:P20250402|quantity")
    assert asked.kind == Pending.ASK and AskedChange.from_ref(asked.ref) == AskedChange("P20250402", "quantity")
    assert AskedChange.from_ref("P20250402") == AskedChange("P20250402", "")
    assert Pending(Pending.REPORT, "7").tag == "report-7" and Pending(Pending.WITHDRAW, "MO000134").tag == "withdraw-mo000134"


@pytest.mark.parametrize("text", ["那条报工报错了，撤掉吧", "刚才报的撤了", "laporan barusan tolong dibatalkan"])
def test_undo_words(text):
    assert undo_request(text) == "void"


@pytest.mark.parametrize(("text", "expected"), [
    ("P20250401 hasil 60 pcs, NG nya 2", {"order_no": "P20250401", "good_qty": 60, "scrap_qty": 2}),
    ("rejectnya 4", {"scrap_qty": 4}),
    ("P20250401 bagusnya hanya 55", {"order_no": "P20250401", "good_qty": 55}),
    ("NGnya cuma 3, bukan 6", {"scrap_qty": 3}),
    ("scrap only 2", {"scrap_qty": 2}),
])
def test_a_cue_with_nya_or_only_keeps_its_number(tables, text, expected):
    assert entity_dict(extract_entities(text, tables, TODAY, "report_progress")) == expected


@pytest.mark.parametrize(("text", "old"), [
    ("sorry, it should have been 28 not 30", True),
    ("rejectnya 1, bukan 4", True),
    ("是28个，不是30个", True),
    ("P20250401 完成 30", False),
    ("30", False),
])
def test_a_correction_is_told_by_its_old_value(tables, text, old):
    assert names_old_value(text, tables, TODAY) is old


@pytest.mark.parametrize(("text", "field"), [
    ("tolong ganti jumlahnya P20250402", "quantity"),
    ("P20250402 的数量要调整", "quantity"),
    ("please change the qty of P20250402", "quantity"),
    ("P20250402 交期要改", "due_date"),
    ("ubah tanggal P20250402", "due_date"),
    ("move P20250402 to another work center", "work_center"),
    ("P20250402 要改一下", None),
    ("P20250402 数量和交期都要改", None),
])
def test_the_field_a_change_request_names(text, field):
    assert named_field(text) == field
