"""One reader and one writer per value (rasa_project/values.py), and how each caller maps a
reading to its own message: the NLU, the create form, a change request and an output report."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from rasa_project.nlu.normalize.numbers import find_numbers, parse_quantity
from rasa_project.ordering.create import check_quantity
from rasa_project.values import (
    QuantityKind,
    figure,
    format_order_no,
    iso,
    normalize_order_no,
    read_date,
    read_quantity,
)

W, F, N, U, A = (QuantityKind.WHOLE, QuantityKind.FRACTIONAL, QuantityKind.NEGATIVE, QuantityKind.UNREADABLE,
                 QuantityKind.ABSENT)  # fmt: skip

QUANTITIES = [
    # text or value, kind, value
    ("300", W, 300), (300, W, 300), (300.0, W, 300), (Decimal(12), W, 12), ("0", W, 0), ("零", W, 0),
    ("1,500", W, 1500), ("1.500", W, 1500), ("12.345.678", W, 12345678), ("1 000", W, 1000),
    ("1500pcs", W, 1500), ("1500 PCS", W, 1500), ("2.500 buah", W, 2500), ("300件", W, 300), ("５００", W, 500),
    ("1.2k", W, 1200), ("1,5 ribu", W, 1500), ("3千", W, 3000), ("1.2万", W, 12000), ("2.5万", W, 25000),
    ("三百", W, 300), ("一千二", W, 1200), ("两千五", W, 2500), ("一千零五", W, 1005), ("壹仟", W, 1000),
    ("一点五万", W, 15000), ("dua ratus", W, 200), ("seratus lima puluh", W, 150), ("twelve hundred", W, 1200),
    ("three hundred and twenty", W, 320), ("a hundred", W, 100), ("fifty units", W, 50),
    ("2.5", F, 2.5), ("1,5", F, 1.5), ("2.75", F, 2.75), (2.5, F, 2.5), ("二点五", F, 2.5),
    ("-3", N, -3), ("−7", N, -7), ("负三", N, -3), (-5, N, -5), ("-2.5", N, -2.5),
    ("lots", U, None), ("abc", U, None), ("two bananas", U, None), (True, U, None), (float("nan"), U, None),
    (None, A, None), ("", A, None), ("  ", A, None),
]  # fmt: skip


@pytest.mark.parametrize(("written", "kind", "value"), QUANTITIES)
def test_one_reading_of_a_quantity(written, kind, value):
    q = read_quantity(written)
    assert (q.kind, q.value) == (kind, value)
    assert q.pieces == (int(value) if kind is W else None)


@pytest.mark.parametrize(("written", "kind", "value"), QUANTITIES)
def test_the_nlu_hands_the_dialog_whole_piece_counts_only(written, kind, value):
    if isinstance(written, str):
        assert parse_quantity(written) == (int(value) if kind is W else None)


@pytest.mark.parametrize(
    ("text", "values"),
    [("做了 2.5 个", []), ("做了 1.5k", [1500]), ("P20250401 good 120 scrap 4", [120, 4])],
)
def test_a_fraction_in_a_message_is_no_quantity_entity(text, values):
    assert [s.value for s in find_numbers(text)] == values


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("300", "workflow.check_quantity_ok"),
        ("2.5", "workflow.qty_not_whole"),
        ("二点五", "workflow.qty_not_whole"),
        ("-3", "workflow.qty_not_positive"),
        ("0", "workflow.qty_not_positive"),
        ("lots", "workflow.qty_unreadable"),
        (None, "workflow.qty_unreadable"),
        ("200001", "workflow.qty_too_large"),
    ],
)
def test_a_production_quantity_says_what_is_wrong_with_it(written, key):
    outcome = check_quantity(written, max_qty=100_000)
    assert outcome.key == key
    assert outcome.ok is (key == "workflow.check_quantity_ok")


@pytest.mark.parametrize(
    ("number", "shown"),
    [(400.0, 400), (400, 400), (12.5, 12.5), (12.345, 12.35), (2 / 3, 0.67), (0.001, 0), (Decimal("3.10"), 3.1),
     (-5.0, -5), (None, None)],
)  # fmt: skip
def test_one_figure_for_every_sentence(number, shown):
    assert figure(number) == shown
    assert type(figure(number)) is type(shown)  # JSON-friendly: 400, not 400.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-04-10", date(2025, 4, 10)),
        ("2025-04-10T00:00:00", date(2025, 4, 10)),
        (" 2025-04-10 ", date(2025, 4, 10)),
        (date(2025, 4, 10), date(2025, 4, 10)),
        (datetime(2025, 4, 10, 8, 30), date(2025, 4, 10)),
        ("next week", None),
        ("10/4", None),  # what people say is the NLU's to resolve against the business day
        (42, None),
        (None, None),
    ],
)
def test_one_reading_of_a_date(value, expected):
    assert read_date(value) == expected


def test_one_writing_of_a_date_and_a_moment():
    assert iso(date(2025, 4, 10)) == "2025-04-10"
    assert iso(datetime(2025, 4, 1, 10, 5, 59)) == "2025-04-01 10:05"
    assert iso(None) is None


@pytest.mark.parametrize(
    ("text", "normal", "shown"),
    [
        ("P20250401", "P20250401", "P20250401"),
        ("p20250401", "P20250401", "P20250401"),
        (" mo 000124 ", "MO000124", "MO000124"),
        ("MO-000124", "MO000124", "MO000124"),
        ("Ｐ２０２５０４０１", "P20250401", "P20250401"),
        ("P500", None, "P500"),
        ("x123", None, "X123"),
        ("", None, ""),
    ],
)
def test_one_reading_and_writing_of_an_order_number(text, normal, shown):
    assert normalize_order_no(text) == normal
    assert format_order_no(text) == shown


def test_format_order_no_of_nothing_is_empty():
    assert format_order_no(None) == ""
