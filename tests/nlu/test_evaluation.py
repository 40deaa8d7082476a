from rasa_project.nlu.evaluation import Example, render_markdown, score


def _pred(intent, entities, language="zh", confidence=0.9):
    return {"intent": {"name": intent, "confidence": confidence}, "entities": entities, "language": language}


def test_scores_intents_entities_languages_and_confusions():
    examples = [
        Example("a", "create_order", {"material": "BOM-2050", "quantity": 300}, "zh", "zh"),
        Example("b", "out_of_scope", {}, "en", "en"),
        Example("c", "approve", {"order_no": "P20250401"}, "id", "id"),
    ]
    predictions = [
        _pred("create_order", {"material": "BOM-2050", "quantity": 30}),  # wrong quantity
        _pred("nlu_fallback", {}, "en"),  # fallback counts as out_of_scope
        _pred("reject", {"order_no": "P20250401"}, "en"),  # wrong intent and language
    ]
    report = score(examples, predictions)
    assert report.intent_accuracy == 2 / 3
    assert report.language_accuracy == 2 / 3
    assert report.per_entity["quantity"] == {"tp": 0, "fp": 1, "fn": 1, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert report.per_entity["material"]["f1"] == 1.0
    assert round(report.entity_f1, 4) == round(2 * (2 / 3) * (2 / 3) / (4 / 3), 4)
    assert report.confusions == [{"expected": "approve", "predicted": "reject", "count": 1}]
    assert [e["text"] for e in report.errors] == ["a", "c"]
    assert report.per_tag["id"]["intent_accuracy"] == 0.0
    assert "approve -> reject: 1" in render_markdown(report, "m.tar.gz", "h.yml")


def test_messages_seen_in_training_are_also_scored_apart():
    examples = [Example("a", "affirm", {}, "zh", "zh"), Example("b", "deny", {}, "zh", "zh")]
    report = score(examples, [_pred("affirm", {}), _pred("affirm", {})], seen=[False, True])
    assert report.intent_accuracy == 0.5
    assert report.novel == {"messages": 1, "seen_in_training": 1, "intent_accuracy": 1.0, "entity_f1": 1.0}
