"""Issue 13 B, deterministic half: a bare choice is the answer to "which type?", "stop / not now"
is cancel, a long message's last-clause status question is the request, and order numbers spoken
in Chinese digits or typed apart are read (a voice message's recognized text)."""

from datetime import date

import pytest

from rasa_project.mapping import get_mapping
from rasa_project.nlu.clauses import request_intent
from rasa_project.nlu.extractor import entity_dict, extract_entities
from rasa_project.nlu.language import detect_or
from rasa_project.nlu.replies import stop_intent
from rasa_project.ordering.create import check_production_type, check_work_center
from rasa_project.outcomes import localized
from rasa_project.values import normalize_order_no

TODAY = date(2025, 4, 1)


def entities(text, intent="affirm"):
    return entity_dict(extract_entities(text, get_mapping(), TODAY, intent))


@pytest.mark.parametrize(
    ("text", "bill_type"),
    [
        ("标准的", "SCDD01_SYS"), ("标准", "SCDD01_SYS"), ("就用标准吧", "SCDD01_SYS"), ("standar", "SCDD01_SYS"),
        ("yang standar aja", "SCDD01_SYS"), ("standard", "SCDD01_SYS"), ("the standard one", "SCDD01_SYS"),
        ("biasa", "SCDD01_SYS"), ("直接入库", "SCDD03_SYS"), ("langsung", "SCDD03_SYS"),
        ("direct stock-in", "SCDD03_SYS"), ("标准生产订单（常用）", "SCDD01_SYS"),
    ],
)
def test_a_bare_production_type_word_is_the_choice(text, bill_type):
    assert entities(text).get("production_type") == bill_type


@pytest.mark.parametrize(
    "text",
    ["create production order BOM-3100 qty 900 finish April 15 standard injection moulding",
     "buat order produksi BOM-2050 jumlah 250 selesai 16 April standar bengkel stamping",
     "create production order BOM-3100 qty 900 finish April 15 standard"],
)
def test_a_generic_type_word_between_the_values_of_a_request_is_the_choice(text):
    assert entities(text, "create_order").get("production_type") == "SCDD01_SYS"


@pytest.mark.parametrize("text", ["langsung buat order BOM-2050", "standard procedure please", "标准件库存多少",
                                  "BOM-2050 standard procedure 300 pcs"])
def test_a_generic_word_inside_a_request_is_no_choice(text):
    assert "production_type" not in entities(text, "create_order")


@pytest.mark.parametrize(
    ("text", "number"),
    [("stamping line", "WC-01"), ("lini stamping", "WC-01"), ("冲压", "WC-01"), ("Stamping line 2", "WC-05"),
     ("Lini perakitan 1", "WC-04"), ("Final assembly line 1", "WC-04"), ("Cetak injeksi", "WC-02"), ("SMT line", "WC-03")],
)
def test_work_centers_by_names_and_natural_forms(text, number):
    assert entities(text).get("work_center") == number


def test_unknown_choices_are_named_in_the_users_language_never_as_k3_codes():
    tables = get_mapping()
    for lang in ("zh", "id", "en"):
        for outcome in (check_production_type("返工", tables), check_work_center("焊接", tables)):
            choices = localized(outcome.values, lang)["choices"]
            assert "SCDD" not in choices and "WC-0" not in choices, choices
        assert "标准生产订单" in localized(check_production_type("返工", tables).values, "zh")["choices"]
        assert "standar" in localized(check_production_type("x", tables).values, "id")["choices"]


@pytest.mark.parametrize(
    "text",
    ["先别改，等我问下车间", "等我问下车间", "算了", "不用了", "stop", "not now", "never mind", "Never mind.",
     "nanti dulu", "Nanti dulu ya pak", "gak jadi", "MO000124 先别改了", "hold on, let me check"],
)
def test_stop_and_not_now_are_cancel(text):
    assert stop_intent(text) == "cancel"


@pytest.mark.parametrize(
    "text",
    ["never mind, make it 600", "先别改成500", "先别改，P20250401 进度怎么样？", "这个不批，控制板库存不够", "先不批",
     "算了一下还差多少", "standar", "P20250401 进度怎么样?"],
)
def test_a_stop_with_a_new_value_or_a_question_is_not_cancel(text):
    assert stop_intent(text) is None


@pytest.mark.parametrize(
    "text",
    ["昨天说要开个工单，先不急，P20250401 进度怎么样？",
     "Kemarin mau bikin order produksi baru, tapi P20250401 sudah sampai mana?",
     "I wanted a new production order for the fan, but how far is P20250402?"],
)
def test_a_long_message_is_read_by_its_last_request(text):
    assert request_intent(text, "create_order") == "query_order"


@pytest.mark.parametrize(
    ("text", "intent"),
    [("开个工单 BOM-2050 300个", "create_order"), ("P20250401 改成500，P20250402 进度怎么样", "change_order"),
     ("P20250401 进度怎么样？改成500", "change_order"), ("P20250401 进度怎么样, 谢谢", "query_order")],
)
def test_a_short_request_or_a_change_keeps_the_models_intent(text, intent):
    assert request_intent(text, intent) is None


@pytest.mark.parametrize(
    ("text", "previous", "lang"),
    [("300", "id", "id"), ("👍", "id", "id"), ("👍", "zh", "zh"), ("ok", "zh", "zh"), ("done 300", "id", "id"),
     ("cek progress order P20250401", "id", "id"), ("P20250401 progressnya?", None, "id"), ("yes", "id", "id"),
     ("standar", "en", "id"), ("mau bikin order produksi nih", "en", "id"), ("new production order", "id", "en"),
     ("done 300", None, "en"), ("SMT line", "id", "id")],
)
def test_reply_language(text, previous, lang):
    assert detect_or(text, previous) == lang


@pytest.mark.parametrize(
    ("text", "normal"),
    [("P二零二五零四零一", "P20250401"), ("P 2025 0401", "P20250401"), ("MO 000 124", "MO000124"),
     ("mo零零零一二四", "MO000124"), ("P二〇二五〇四〇二", "P20250402"), ("p20250401", "P20250401")],
)
def test_order_numbers_spoken_or_typed_apart(text, normal):
    assert normalize_order_no(text) == normal


def test_a_quantity_after_an_order_number_is_not_part_of_it():
    found = entities("P 2025 0401 完成 120", "report_progress")
    assert (found["order_no"], found["good_qty"]) == ("P20250401", 120)
    assert entities("P二零二五零四零一进度怎么样", "query_order")["order_no"] == "P20250401"
    assert "order_no" not in entities("MO 000 1245", "query_order")
