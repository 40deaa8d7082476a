"""A correction that names both the old and the new value: the reader keeps the new one.

"not X" / "bukan X" / "不是X" mark X as old; "X 不对" / "X salah" / "X is wrong" mark X as old;
"应该是 / 应为 / harusnya / seharusnya / yang benar / should be" introduce the new one (a number
right before them is the old one). The new value keeps the old one's cue ("报废不是12个，是2个")."""

from datetime import date
from pathlib import Path

import pytest

from rasa_project.mapping import load_mapping
from rasa_project.nlu.extractor import entity_dict, extract_entities

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2025, 4, 1)


@pytest.fixture(scope="module")
def tables():
    return load_mapping(ROOT / "data" / "mapping")


def read(tables, text, intent="report_progress"):
    return entity_dict(extract_entities(text, tables, TODAY, intent))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # zh
        ("上次报的80个不对，应该是70个", {"good_qty": 70}),
        ("报的数量错了：是45个，不是54个", {"good_qty": 45}),
        ("90个有误，应为85个", {"good_qty": 85}),
        ("不是30个，是25个", {"good_qty": 25}),
        ("报废不是9个，是3个", {"scrap_qty": 3}),
        ("合格 140，报废不是 7 是 5", {"good_qty": 140, "scrap_qty": 5}),
        # id
        ("bukan 75, harusnya 65", {"good_qty": 65}),
        ("75 pcs salah, yang benar 68 pcs", {"good_qty": 68}),
        ("laporan tadi seharusnya 210 pcs bukan 240", {"good_qty": 210}),
        ("cacat bukan 11 tapi 4", {"scrap_qty": 4}),
        # en
        ("rejects were 3, not 13", {"scrap_qty": 3}),
        ("it's 44, not 48", {"good_qty": 44}),
        ("48 is wrong, should be 44", {"good_qty": 44}),
        ("scrap 15 was wrong, it should be 5", {"scrap_qty": 5}),
    ],
)
def test_the_new_value_of_a_correction_is_read_never_the_old(tables, text, expected):
    assert read(tables, text) == expected


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("P20250401 数量不是600，应该是500", "change_order", {"order_no": "P20250401", "quantity": 500}),
        ("P20250401 jumlahnya bukan 600, harusnya 550", "change_order", {"order_no": "P20250401", "quantity": 550}),
        ("P20250401 qty should be 520 not 600", "change_order", {"order_no": "P20250401", "quantity": 520}),
    ],
)
def test_a_change_request_that_names_the_old_quantity_takes_the_new(tables, text, intent, expected):
    assert read(tables, text, intent) == expected


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        # one number: nothing to compare it with, so it is the value (no old one to drop)
        ("不对，是 600", "change_order", {"quantity": 600}),
        ("bukan, 120 pcs", "report_progress", {"good_qty": 120}),
        ("P20250401 not 100 today", "change_order", {"order_no": "P20250401", "quantity": 100, "due_date": "2025-04-01"}),
        # nothing marks an old value: both numbers stay what their cues say
        ("P20250401 做完了120个，报废4个", "report_progress", {"order_no": "P20250401", "good_qty": 120, "scrap_qty": 4}),
        ("good should be 50, scrap 2", "report_progress", {"good_qty": 50, "scrap_qty": 2}),
        ("P20250401 从500改成600", "change_order", {"order_no": "P20250401", "quantity": 600}),
    ],
)
def test_numbers_without_an_old_marker_are_kept(tables, text, intent, expected):
    assert read(tables, text, intent) == expected
