import pytest

from rasa_project.nlu.replies import closed_reply_intent


@pytest.mark.parametrize(("text", "intent"), [
    ("yes, correct", "affirm"), ("好的确认", "affirm"), ("嗯嗯", "affirm"), ("ok的", "affirm"),
    ("ya betul pak", "affirm"), ("確認", "affirm"), ("ＯＫ！", "affirm"),
    ("不对", "deny"), ("不是的", "deny"), ("错了", "deny"), ("tidak, salah", "deny"), ("nope, wrong", "deny"),
])
def test_messages_made_only_of_confirm_or_refusal_words_are_decided_by_word_list(text, intent):
    assert closed_reply_intent(text) == intent


@pytest.mark.parametrize("text", [
    "不行",  # 不 + 行: both kinds -> the model decides (often a rejection)
    "不好", "是不是", "gak jadi", "tidak jadi", "udah", "not right", "yes approve P20250401", "ok 300",
    "取消", "batal", "cancel", "对，提交吧", "", "   ",
])
def test_anything_else_is_left_to_the_model(text):
    assert closed_reply_intent(text) is None
