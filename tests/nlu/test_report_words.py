"""Output reports against change requests (rasa_project.nlu.report_words): a message the model
reads as a change but that only says what was made is a report. Regression examples written for
this rule (not dialogue texts)."""

import pytest

from rasa_project.nlu.replies import symbols_only
from rasa_project.nlu.report_words import report_not_change


@pytest.mark.parametrize("text", [
    "P20250402 done 15", "MO000123 good 70", "MO000124 beres 40", "P20250401 kelar 12 pcs", "P20250403 selesai 10",
    "P20250401 finished 60 today", "MO000124 完成 18", "P20250402 做完 33 个", "P20250401 合格 20 报废 1",
    "stamping made 120 housings today, 3 scrap", "MO000123 dapat 25",
])
def test_a_change_that_only_says_what_was_made_is_a_report(text):
    assert report_not_change(text, "change_order") == "report_progress"


@pytest.mark.parametrize("text", [
    "P20250402 改成 500", "MO000123 数量调成 90", "eh jadi 120 aja", "刚才报错了，应该是 40", "MO000124 再加50个",
    "add 50 more to P20250401", "P20250401 done 30?", "can P20250401 be done 30 today", "P20250401 selesai tgl 10",
    "P20250401 完成日期改到4月10日", "MO000124 done by 4/20", "tambah 20 pcs P20250403", "MO000123 kurangi 10",
    "P20250402 make it 70", "set P20250401 to 250", "P20250403 done", "P20250403 完成",
])
def test_changes_questions_and_messages_without_a_number_keep_the_models_intent(text):
    assert report_not_change(text, "change_order") is None


def test_only_a_change_reading_is_reconsidered():
    assert report_not_change("P20250402 done 15", "query_order") is None
    assert report_not_change("P20250402 done 15", "report_progress") is None


@pytest.mark.parametrize(("text", "only"), [
    ("👍", True), ("👌👌", True), ("✅", True), ("🙏🙏 ", True), ("确认 #report-7", False), ("好的👍", False),
    ("yes", False), ("300", False), ("ok👍", False),
])
def test_symbols_only_messages(text, only):
    assert symbols_only(text) is only
