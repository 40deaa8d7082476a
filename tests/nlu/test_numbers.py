import pytest

from rasa_project.nlu.normalize.numbers import find_numbers, parse_quantity
from rasa_project.values import parse_chinese, parse_words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("300", 300), ("1,500", 1500), ("1.500", 1500), ("1500pcs", 1500), ("1500 PCS", 1500),
        ("2.500 buah", 2500), ("1.2k", 1200), ("3千", 3000), ("1.2万", 12000), ("1,5 ribu", 1500),
        ("三百", 300), ("一千二", 1200), ("一千二百", 1200), ("两千", 2000), ("一千五", 1500),
        ("一千零五", 1005), ("两万五", 25000), ("十五", 15), ("壹仟", 1000), ("三百五十个", 350),
        ("dua ratus", 200), ("seratus lima puluh", 150), ("seribu lima ratus", 1500), ("dua belas", 12),
        ("two hundred", 200), ("twelve hundred", 1200), ("three hundred and twenty", 320),
        ("one thousand five hundred", 1500), ("a hundred", 100), ("fifty units", 50),
        ("1.5", None), ("abc", None), ("", None),
    ],
)
def test_parse_quantity(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("一二", None), ("零", 0), ("十", 10), ("二十", 20), ("一百二十", 120)])
def test_parse_chinese_edge_cases(text, expected):
    assert parse_chinese(text) == expected


def test_parse_words_rejects_unknown_words():
    assert parse_words("two bananas") is None


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("麻烦开个工单，bom3100，一千二百个，下周三前要", [1200]),
        ("Tolong buat order produksi rumah motor 1.500 pcs selesai Jumat", [1500]),
        ("开一个工单 看一下", []),  # "一个工单", "一下" are not quantities
        ("book a meeting room for 3pm", []),
        ("by the 15th", []),
        ("第2批 12寸 5%", []),
        ("qty300 x350", [300, 350]),
        ("dua hari lagi 200 buah", [200]),
        ("make it three hundred and twenty", [320]),
        ("报废了三个", [3]),
    ],
)
def test_find_numbers(text, values):
    assert [s.value for s in find_numbers(text)] == values


def test_find_numbers_span_includes_unit():
    (span,) = find_numbers("做完了120个")
    assert (span.start, span.end, span.value) == (3, 7, 120)
