"""The deterministic extractor on raw strings, and the Rasa component around it (no model)."""

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from rasa_project.mapping import load_mapping
from rasa_project.nlu.extractor import entity_dict, extract_entities

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "data" / "mapping"
TODAY = date(2025, 4, 1)


@pytest.fixture(scope="module")
def tables():
    return load_mapping(MAPPING)


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("麻烦开个工单，bom3100，一千二百个，下周三前要", "create_order",
         {"material": "BOM-3100", "quantity": 1200, "due_date": "2025-04-09"}),
        ("Tolong buat order produksi rumah motor 1.500 pcs selesai Jumat", "create_order",
         {"material": "BOM-2050", "quantity": 1500, "due_date": "2025-04-04"}),
        ("创建生产订单 BOM-2050 数量 300，4月10日完工，标准生产订单，冲压车间", "create_order",
         {"material": "BOM-2050", "quantity": 300, "due_date": "2025-04-10", "production_type": "SCDD01_SYS",
          "work_center": "WC-01"}),
        ("Buat pesanan produksi BOM-2050 jumlah 300, selesai tanggal 10 April, tipe standar, bengkel stamping",
         "create_order", {"material": "BOM-2050", "quantity": 300, "due_date": "2025-04-10",
                          "production_type": "SCDD01_SYS", "work_center": "WC-01"}),
        ("Create production order BOM-2050 qty 300, finish April 10, standard type, stamping shop", "create_order",
         {"material": "BOM-2050", "quantity": 300, "due_date": "2025-04-10", "production_type": "SCDD01_SYS",
          "work_center": "WC-01"}),
        ("P20250401 做完了120个，报废4个", "report_progress", {"order_no": "P20250401", "good_qty": 120, "scrap_qty": 4}),
        ("P20250401 做完了120个，报废4个", None, {"order_no": "P20250401", "good_qty": 120, "scrap_qty": 4}),
        ("report for P20250401: 60 good, 1 scrapped", None, {"order_no": "P20250401", "good_qty": 60, "scrap_qty": 1}),
        ("合格 80 报废 2", None, {"good_qty": 80, "scrap_qty": 2}),
        ("60 good 1 scrapped", None, {"good_qty": 60, "scrap_qty": 1}),
        ("lapor P20250402: bagus 250, rusak 5", None, {"order_no": "P20250402", "good_qty": 250, "scrap_qty": 5}),
        ("MO000124 hari ini jadi 35 unit", "report_progress", {"order_no": "MO000124", "good_qty": 35}),
        ("ubah order P20250403 jadi 450 pcs", "change_order", {"order_no": "P20250403", "quantity": 450}),
        ("pls change mo000124 qty to 400", "change_order", {"order_no": "MO000124", "quantity": 400}),
        ("P20250401 改成 500 pcs", "change_order", {"order_no": "P20250401", "quantity": 500}),
        ("P20250403 数量从500调成550", "change_order", {"order_no": "P20250403", "quantity": 550}),
        ("BOM-4100 还有多少库存", "query_stock", {"material": "BOM-4100"}),
        ("stok BOM-9999?", "query_stock", {"material": "BOM-9999"}),  # unknown code still extracted
        ("1.01.2050 现有量", "query_stock", {"material": "BOM-2050"}),
        ("创建订单BOM-2099，100个", "create_order", {"material": "BOM-2099", "quantity": 100}),
        ("P20250403 的数量改一下，改成 600", "change_order", {"order_no": "P20250403", "quantity": 600}),
        ("开一个工单 落地扇 12寸", "create_order", {"material": "BOM-5200"}),
        ("P20250402 今天又做了300个，不良6个", "report_progress", {"order_no": "P20250402", "good_qty": 300, "scrap_qty": 6}),
        ("MO000124 交期改到下周五", "change_order", {"order_no": "MO000124", "due_date": "2025-04-11"}),
    ],
)
def test_extracts_normalised_entities(tables, text, intent, expected):
    assert entity_dict(extract_entities(text, tables, TODAY, intent)) == expected


def test_entity_offsets_point_at_the_source_text(tables):
    text = "P20250401 做完了120个，报废4个"
    found = {e.entity: text[e.start:e.end] for e in extract_entities(text, tables, TODAY, "report_progress")}
    assert found == {"order_no": "P20250401", "good_qty": "120个", "scrap_qty": "4个"}


@pytest.fixture
def mapping_with_new_alias(tmp_path):
    """A trainer's edit: a new alias in materials.yml, no Python touched."""
    target = tmp_path / "mapping"
    shutil.copytree(MAPPING, target)
    doc = yaml.safe_load((target / "materials.yml").read_text(encoding="utf-8"))
    for m in doc["materials"]:
        if m["chat_code"] == "BOM-3100":
            m["aliases"].append("kipas baling")
            m["aliases"].append("扇叶")
    (target / "materials.yml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return target


def test_new_alias_in_mapping_yaml_is_extracted(mapping_with_new_alias):
    tables = load_mapping(mapping_with_new_alias)
    assert entity_dict(extract_entities("stok kipas baling berapa", tables, TODAY)) == {"material": "BOM-3100"}
    assert entity_dict(extract_entities("扇叶还有多少", tables, TODAY)) == {"material": "BOM-3100"}
    assert entity_dict(extract_entities("stok kipas baling berapa", load_mapping(MAPPING), TODAY)) == {}


def test_component_outputs_entities_and_language(mapping_with_new_alias):
    from rasa.shared.nlu.training_data.message import Message

    from rasa_project.nlu.components import NOW_METADATA_KEY, DingK3EntityExtractor

    extractor = DingK3EntityExtractor({"mapping_dir": str(mapping_with_new_alias)})
    message = Message(data={"text": "buat order kipas baling 300 pcs besok",
                            "metadata": {NOW_METADATA_KEY: "2025-04-01T09:00:00+08:00"}})
    message.set("intent", {"name": "create_order", "confidence": 0.99})
    extractor.process([message])
    out = message.as_dict(only_output_properties=True)
    assert out["language"] == "id"
    assert {e["entity"]: e["value"] for e in out["entities"]} == {
        "material": "BOM-3100", "quantity": 300, "due_date": "2025-04-02"}
    assert all(e["extractor"] == "DingK3EntityExtractor" for e in out["entities"])


def test_component_now_override_is_read_in_business_timezone():
    from rasa.shared.nlu.training_data.message import Message

    from rasa_project.nlu.components import NOW_METADATA_KEY, DingK3EntityExtractor

    # 2025-04-01T20:00 UTC is already 2025-04-02 in Asia/Shanghai: "明天" is the 3rd.
    message = Message(data={"text": "明天", "metadata": {NOW_METADATA_KEY: "2025-04-01T20:00:00+00:00"}})
    DingK3EntityExtractor({"mapping_dir": str(MAPPING)}).process([message])
    assert [e["value"] for e in message.get("entities")] == ["2025-04-03"]


def test_tokenizer_turns_entity_spans_into_placeholder_tokens():
    from rasa.shared.nlu.training_data.message import Message

    from rasa_project.nlu.components import DingK3Tokenizer

    tokenizer = DingK3Tokenizer({**DingK3Tokenizer.get_default_config(), "mapping_dir": str(MAPPING)}, None, None)
    tokens = tokenizer.tokenize(Message(data={"text": "P20250401 改成 500 pcs"}), "text")
    assert [t.lemma for t in tokens] == ["__order_no__", "改成", "__number__"]
    assert [(t.start, t.end) for t in tokens] == [(0, 9), (10, 12), (13, 20)]


def test_tokenizer_cache_fingerprint_follows_the_mapping_tables(mapping_with_new_alias):
    from rasa_project.nlu.components import DingK3Tokenizer

    before = DingK3Tokenizer.fingerprint_addon({"mapping_dir": str(MAPPING), "dictionary_path": None})
    after = DingK3Tokenizer.fingerprint_addon({"mapping_dir": str(mapping_with_new_alias), "dictionary_path": None})
    assert before != after


@pytest.mark.parametrize(("text", "expected"), [
    ("今天天气怎么样", {}),
    ("besok libur gak", {}),
    ("下周五", {"due_date": "2025-04-11"}),  # a bare answer keeps its value whatever the intent
    ("1200 pcs", {"quantity": 1200}),
    ("rumah motor", {"material": "BOM-2050"}),
])
def test_off_topic_messages_carry_no_entities_unless_they_are_bare_values(text, expected):
    from rasa_project.mapping import get_mapping
    from rasa_project.nlu.extractor import entity_dict, extract_entities

    found = extract_entities(text, get_mapping(), date(2025, 4, 1), "out_of_scope")
    assert entity_dict(found) == expected
