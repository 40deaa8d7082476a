"""Issue 13, the classes the second untuned dialogue set found (tests/dialogues/fresh2, docs/DIALOGUES.md
"Fresh set 2"), at the level of the pure readers. New sentences, not the dialogues' texts."""

from datetime import date
from pathlib import Path

import pytest

from rasa_project.mapping import load_mapping
from rasa_project.nlu.extractor import entity_dict, extract_entities
from rasa_project.nlu.undo import undo_request
from rasa_project.ordering.decision_words import read_decision
from rasa_project.ordering.reports import is_correction, refers_to_last_report

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
        # a correction naming its field away from its one number: that field, never good pieces
        ("sorry, the rejects on the last one should have been 4", {"scrap_qty": 4}),
        ("刚才那笔不良品写多了，实际只有2个", {"scrap_qty": 2}),
        ("maaf, yang rusak harusnya cuma 5", {"scrap_qty": 5}),
        # ... and nothing changes where the field is named next to its number, or no field is named
        ("the good count should be 30", {"good_qty": 30}),
        ("actually it was 45", {"good_qty": 45}),
        ("合格 60，报废不是 5 是 2", {"good_qty": 60, "scrap_qty": 2}),
    ],
)
def test_a_correction_names_its_field_away_from_the_number(tables, text, expected):
    assert read(tables, text) == expected


def test_废了_is_a_scrap_cue(tables):
    assert read(tables, "P20250401 打了200个，废了6个") == {"order_no": "P20250401", "good_qty": 200, "scrap_qty": 6}


@pytest.mark.parametrize("text", ["上一笔写错了，应该是70", "前一条报多了", "salah ketik tadi, 70 pcs",
                                  "the rejects on that last one should have been 1"])
def test_more_ways_to_point_back_at_the_last_report(text):
    assert refers_to_last_report(text)


def test_a_report_saying_where_it_was_made_is_no_correction_by_a_weak_word():
    """"tadi sore" is "this afternoon": with a material or work center named, only an explicit
    correction word ("koreksi", "ralat", "更正" ...) corrects the last report."""
    assert is_correction("stamping tadi pagi 80 rumah motor")  # the old reading, without the context
    assert not is_correction("stamping tadi pagi 80 rumah motor", names_where=True)
    assert is_correction("koreksi: stamping tadi 80 rumah motor", names_where=True)
    assert is_correction("it should have been 25")


@pytest.mark.parametrize(("text", "kind"), [("pesanan yang barusan dibatalin ya", "withdraw"),
                                            ("laporan tadi hapusin aja", "void")])
def test_colloquial_indonesian_undo_words(text, kind):
    assert undo_request(text) == kind


@pytest.mark.parametrize(
    ("text", "decision", "note"),
    [
        ("go ahead with P20250402", "approve", ""),
        ("P20250402 good to go", "approve", ""),
        ("P20250402 nope, injection is full this week", "reject", "injection is full this week"),
        ("no, the line is down", "reject", "the line is down"),
    ],
)
def test_more_free_language_decisions(text, decision, note):
    read = read_decision(text)
    assert (read.decision, read.note) == (decision, note)


@pytest.mark.parametrize("text", ["no stock left for P20250402?", "is there no stock of BOM-4100",
                                  "P20250402 has no scrap today"])
def test_a_no_inside_a_sentence_is_no_decision(text):
    assert read_decision(text).decision is None


def _turn(text, intent, **entities):
    from rasa_project.chat.turn import Turn

    return Turn("cidX:manager0001", "manager0001", "cidX", True, "en", text, "m1", intent, 0.9, entities)


@pytest.mark.parametrize(("text", "intent", "entities", "decides"), [
    ("go ahead with CR-000012", "report_progress", {}, True),      # heard as a report: a decision
    ("MO000124 暂时不批 等下周再说", "cancel", {"order_no": "MO000124"}, True),
    ("P20250402 no, injection is full", "deny", {"order_no": "P20250402"}, True),
    ("no, cancel MO000134", "deny", {"order_no": "MO000134"}, False),  # an undo, not a decision
    ("go ahead", "affirm", {}, False),                                 # names no request: a yes
    ("P20250401 done 40, approved", "report_progress", {"order_no": "P20250401", "good_qty": 40}, False),
])
def test_a_decision_naming_a_request_whatever_the_model_heard(text, intent, entities, decides):
    from rasa_project.chat.use_cases import ChatUseCases

    assert ChatUseCases.decides_a_request(_turn(text, intent, **entities)) is decides
