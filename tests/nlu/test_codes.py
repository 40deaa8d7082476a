from pathlib import Path

import pytest

from rasa_project.mapping import load_mapping
from rasa_project.nlu.normalize.codes import (
    build_alias_index,
    find_k3_numbers,
    find_material_codes,
    find_order_numbers,
    find_work_center_codes,
)
from rasa_project.values import normalize_order_no

MAPPING = Path(__file__).resolve().parents[2] / "data" / "mapping"


@pytest.mark.parametrize(
    ("text", "value"),
    [("P20250401", "P20250401"), ("p20250401", "P20250401"), ("MO000124", "MO000124"), ("mo000124", "MO000124"),
     ("MO 000124", "MO000124"), ("pcs", None), ("P500", None)],
)
def test_order_numbers(text, value):
    assert normalize_order_no(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("BOM-2050", "BOM-2050"), ("bom2050", "BOM-2050"), ("BOM 2050", "BOM-2050"), ("Bom-2050", "BOM-2050"),
     ("bom_3100", "BOM-3100"), ("BOM-9999", "BOM-9999"), ("ＢＯＭ－２０５０", "BOM-2050")],
)
def test_material_codes_any_spelling(text, value):
    assert [s.value for s in find_material_codes(text)] == [value]


def test_codes_inside_sentences():
    text = "P20250401 改成 500 pcs, material bom2050 / 1.01.2050 at wc1"
    assert [s.value for s in find_order_numbers(text)] == ["P20250401"]
    assert [s.value for s in find_material_codes(text)] == ["BOM-2050"]
    assert [s.value for s in find_k3_numbers(text)] == ["1.01.2050"]
    assert [s.value for s in find_work_center_codes(text)] == ["WC-01"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("rumah motor 1.500 pcs", [("material", "BOM-2050")]),
        ("Rumah Motor B", [("material", "BOM-2051")]),  # longest alias wins
        ("电机外壳A型", [("material", "BOM-2050")]),
        ("how many impellers", [("material", "BOM-3100")]),  # English plural
        ("FS16", [("material", "BOM-5200")]),
        ("冲压车间", [("work_center", "WC-01")]),
        ("bengkel stamping", [("work_center", "WC-01")]),
        ("lini perakitan 1", [("work_center", "WC-04")]),
        ("line 10", []),  # "line 1" must not match inside "line 10"
        ("SMTP server", []),
        ("standard type", [("production_type", "SCDD01_SYS")]),
        ("tipe standar", [("production_type", "SCDD01_SYS")]),
        ("标准生产订单", [("production_type", "SCDD01_SYS")]),
        ("tipe langsung masuk gudang", [("production_type", "SCDD03_SYS")]),
        ("langsung buat order", []),  # "langsung" = "directly": a type only next to a type word
    ],
)
def test_aliases_from_mapping_tables(text, found):
    index = build_alias_index(load_mapping(MAPPING))
    assert [(s.kind, s.value) for s in index.find(text)] == found
