"""Entity spans marked by a trainer: read as the extractor reads them, written as Rasa annotations,
bad spans refused with the reason; the review desk writes one annotated line and audits it."""

import json
import shutil
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from rasa_project.mapping import load_mapping
from rasa_project.nlu.datacheck import read_nlu_examples
from rasa_project.review.annotate import Refused
from rasa_project.review.service import ReviewDesk
from rasa_project.review.spans import annotated, parse_spans, read_spans
from rasa_project.settings import PROJECT_ROOT

TODAY = date(2025, 4, 1)  # a Tuesday: 下周五 is 2025-04-11


@pytest.fixture(scope="module")
def tables():
    return load_mapping(PROJECT_ROOT / "data" / "mapping")


def test_the_extractor_s_value_is_shown_and_written_when_it_differs_from_the_text(tables):
    text = "帮我建一个 order, 电机壳 500 pcs 下周五交"
    spans = [[text.index("电机壳"), text.index("电机壳") + 3, "material"],
             [text.index("500"), text.index("500") + 3, "quantity"],
             [text.index("下周五"), text.index("下周五") + 3, "due_date"]]
    readings = read_spans(text, parse_spans(json.dumps(spans)), tables, TODAY, "create_order")
    assert [(r.entity, r.value, r.agrees) for r in readings] == [
        ("material", "BOM-2050", True), ("quantity", 500, True), ("due_date", "2025-04-11", True)]
    assert annotated(text, readings) == ('帮我建一个 order, [电机壳]{"entity": "material", "value": "BOM-2050"} '
                                         '[500](quantity) pcs [下周五]{"entity": "due_date", "value": "2025-04-11"}交')


def test_a_span_the_extractor_does_not_read_is_said_so_and_written_without_a_value(tables):
    text = "风扇盖子还有多少"
    (reading,) = read_spans(text, [(0, 4, "material")], tables, TODAY, "query_stock")
    assert reading.value is None and not reading.agrees and reading.extractor_reads is None
    assert annotated(text, [reading]) == "[风扇盖子](material)还有多少"


@pytest.mark.parametrize("spans, why", [
    ([(0, 3, "colour")], "unknown entity"),
    ([(5, 40, "quantity")], "outside"),
    ([(0, 9, "order_no"), (5, 10, "quantity")], "overlap"),
    ([(9, 12, "quantity")], "space"),
])
def test_bad_spans_are_refused_with_the_reason(tables, spans, why):
    with pytest.raises(Refused) as refused:
        read_spans("P20250401 报废 5 个", spans, tables, TODAY, "report_progress")
    assert why in refused.value.reason


def test_unreadable_span_lists_are_refused():
    for raw in ("{", '"x"', "[[1, 2]]", json.dumps([[0, 1, "quantity"]] * 9)):
        with pytest.raises(Refused):
            parse_spans(raw)
    assert parse_spans("[]") == []


class Trail:
    def __init__(self, texts):
        t0 = datetime(2025, 4, 1, 1, 0)
        self.rows = [SimpleNamespace(id=i + 1, kind="nlu", actor="prod0001", conversation_id="cid", created_at=t0 + timedelta(minutes=i),
                                     payload=json.dumps({"message_id": f"m{i}", "text": t, "intent": "report_progress",
                                                         "confidence": 0.4, "language": "zh"}, ensure_ascii=False))
                     for i, t in enumerate(texts)]
        self.recorded = []

    def of_kinds(self, kinds, since=None):
        return [r for r in self.rows if r.kind in kinds]

    def record(self, kind, **payload):
        self.recorded.append((kind, payload))


def test_the_desk_writes_one_annotated_example_and_audits_the_spans(tmp_path, tables):
    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data", ignore=shutil.ignore_patterns("jieba"))
    shutil.copytree(PROJECT_ROOT / "tests" / "nlu_eval", tmp_path / "tests" / "nlu_eval")
    text = "P20250402 今天弄出来 40 件好的"
    trail = Trail([text])
    desk = ReviewDesk(trail=trail, root=tmp_path, min_confidence=0.6, window_days=3650,
                      now=lambda: datetime(2025, 4, 2))
    (item,) = desk.inbox()
    before = (tmp_path / "data/nlu/report_progress.yml").read_text(encoding="utf-8").splitlines()
    at = text.index(" 40 ") + 1
    edit, readings = desk.mark_entities(item.id, "report_progress", [(0, 9, "order_no"), (at, at + 2, "good_qty")],
                                        by="trainer0001", tables=tables, today=TODAY)
    assert [r.value for r in readings] == ["P20250402", 40]
    after = (tmp_path / edit.path).read_text(encoding="utf-8").splitlines()
    assert after[edit.line - 1] == "    - [P20250402](order_no) 今天弄出来 [40](good_qty) 件好的"
    assert after[:edit.line - 1] + after[edit.line:] == before
    example = next(e for e in read_nlu_examples(tmp_path / edit.path, tmp_path)[0] if "今天弄出来" in e.text)
    assert (example.intent, example.lang) == ("report_progress", "zh")
    kind, payload = trail.recorded[-1]
    assert kind == "training" and payload["actor"] == "trainer0001" and payload["item"] == item.id
    assert [(e["entity"], e["value"]) for e in payload["entities"]] == [("order_no", "P20250402"), ("good_qty", 40)]
    with pytest.raises(Refused):  # the same example again: data check refuses a duplicate
        desk.mark_entities(item.id, "report_progress", [(0, 9, "order_no")], by="trainer0001", tables=tables, today=TODAY)
