"""Before / after a retrain, with two stand-in models whose answers are given: figures as
`dingk3 nlu-test` computes them, changed answers with regressions first, inbox messages understood,
and `worse` whenever any set lost ground."""

from pathlib import Path

from rasa_project.nlu.evaluation import load_examples, score
from rasa_project.review.compare import compare, evaluate, render_markdown

SET = """anchor: "2025-04-01T09:00:00+08:00"
examples:
- {text: "P20250401 进度", intent: query_order, language: zh, tag: zh, entities: {order_no: P20250401}}
- {text: "stok baling2 berapa", intent: query_stock, language: id, tag: id, entities: {}}
- {text: "add 50 more to MO000134", intent: change_order, language: en, tag: en, entities: {order_no: MO000134}}
"""


class Model:
    """Answers as a trained model would, from a table (text -> intent)."""

    def __init__(self, name, answers, entities=None):
        self.model_path = Path(f"models/{name}.tar.gz")
        self.answers, self.entities = answers, entities or {}

    def parse(self, text, now=None):
        return {"text": text, "intent": {"name": self.answers.get(text, "nlu_fallback"), "confidence": 0.9},
                "entities": self.entities.get(text, {}), "language": "en"}

    def parse_many(self, texts, now=None):
        return [self.parse(t, now) for t in texts]


def test_figures_changes_and_inbox(tmp_path):
    path = tmp_path / "fresh9.yml"
    path.write_text(SET, encoding="utf-8")
    inbox = [("P20250402 那批货啥情况", "query_order")]
    old = Model("dingk3-aaaa", {"P20250401 进度": "query_order", "stok baling2 berapa": "query_stock",
                                "P20250402 那批货啥情况": "out_of_scope"},
                {"P20250401 进度": {"order_no": "P20250401"}})
    new = Model("dingk3-bbbb", {"P20250401 进度": "query_order", "stok baling2 berapa": "query_order",
                                "add 50 more to MO000134": "change_order", "P20250402 那批货啥情况": "query_order"},
                {"P20250401 进度": {"order_no": "P20250401"}, "add 50 more to MO000134": {"order_no": "MO000134"}})
    result = compare(evaluate(old, [path], inbox), evaluate(new, [path], inbox), inbox)

    examples, _ = load_examples(path)
    expected_after = score(examples, new.parse_many([e.text for e in examples]))
    figures = result["sets"]["fresh9"]
    assert figures["after"]["intent_accuracy"] == round(expected_after.intent_accuracy, 4)  # as nlu-test says
    assert figures["before"]["intent_accuracy"] == round(2 / 3, 4) and figures["after"]["intent_accuracy"] == round(2 / 3, 4)
    assert figures["after"]["per_language"]["id"]["intent_accuracy"] == 0.0
    assert [(c["kind"], c["text"]) for c in result["changed"]] == [
        ("regression", "stok baling2 berapa"), ("fixed", "add 50 more to MO000134")]
    assert result["inbox"] == [{"text": "P20250402 那批货啥情况", "intent": "query_order", "before": "out_of_scope",
                                "after": "query_order", "understood": True}]
    assert result["worse"] == []  # same accuracy; entity F1 went up
    md = render_markdown(result)
    assert md.index("[regression]") < md.index("[fixed]")

    worse = Model("dingk3-cccc", {"P20250401 进度": "query_order"})
    assert compare(evaluate(old, [path], inbox), evaluate(worse, [path], inbox), inbox)["worse"] == ["fresh9"]
