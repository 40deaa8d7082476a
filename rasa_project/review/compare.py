"""Before / after a retrain: every evaluation set, per language, and what changed its answer.

``evaluate`` scores one model on every set with the same code as ``dingk3 nlu-test`` (so the figures
match it); ``compare`` puts two such evaluations side by side: intent accuracy and entity F1 per set
and per language, the evaluation sentences whose answer changed (regressions first), and whether the
annotated inbox messages are now understood. ``worse`` is true when any set lost intent accuracy or
entity F1: such a model is not switched to without an explicit confirmation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rasa_project.nlu.evaluation import FALLBACK_INTENTS, Example, load_examples, score


@dataclass
class Evaluation:
    model: str
    sets: dict  # set name -> {"report": Report, "examples": [Example], "predictions": [dict]}
    inbox: dict  # text -> predicted intent


def _intent(prediction: dict) -> str:
    name = prediction["intent"]["name"]
    return FALLBACK_INTENTS.get(name, name)


def evaluate(parser, sets: list[Path], inbox_texts: list[tuple[str, str]]) -> Evaluation:
    out = {}
    for path in sets:
        examples, anchor = load_examples(path)
        predictions = list(parser.parse_many((e.text for e in examples), now=anchor))
        out[path.stem] = {"report": score(examples, predictions), "examples": examples, "predictions": predictions}
    inbox = {text: _intent(parser.parse(text)) for text, _ in inbox_texts}
    return Evaluation(Path(parser.model_path).name, out, inbox)


def _figures(report) -> dict:
    return {
        "intent_accuracy": round(report.intent_accuracy, 4),
        "entity_f1": round(report.entity_f1, 4),
        "per_language": {tag: {"messages": v["messages"], "intent_accuracy": v["intent_accuracy"],
                               "entity_f1": v["entities"]["f1"]} for tag, v in report.per_tag.items()},
    }


def _entities(prediction: dict) -> dict:
    return {k: v for k, v in sorted((prediction.get("entities") or {}).items())}


def compare(before: Evaluation, after: Evaluation, inbox_texts: list[tuple[str, str]]) -> dict:
    sets, changed, worse = {}, [], []
    for name, now in after.sets.items():
        then = before.sets.get(name)
        sets[name] = {"before": _figures(then["report"]) if then else None, "after": _figures(now["report"])}
        if then is None:
            continue
        b, a = sets[name]["before"], sets[name]["after"]
        if a["intent_accuracy"] < b["intent_accuracy"] or a["entity_f1"] < b["entity_f1"]:
            worse.append(name)
        for ex, old, new in zip(now["examples"], then["predictions"], now["predictions"]):
            old_intent, new_intent = _intent(old), _intent(new)
            old_ents, new_ents = _entities(old), _entities(new)
            if (old_intent, old_ents) == (new_intent, new_ents):
                continue
            expected_ents = {k: v for k, v in sorted(ex.entities.items())}
            was_right = old_intent == ex.intent and _same(old_ents, expected_ents)
            is_right = new_intent == ex.intent and _same(new_ents, expected_ents)
            kind = "regression" if was_right and not is_right else "fixed" if is_right and not was_right else "changed"
            changed.append({"set": name, "text": ex.text, "expected": ex.intent, "before": old_intent,
                            "after": new_intent, "before_entities": old_ents, "after_entities": new_ents,
                            "kind": kind})
    order = {"regression": 0, "changed": 1, "fixed": 2}
    changed.sort(key=lambda c: (order[c["kind"]], c["set"], c["text"]))
    inbox = [{"text": text, "intent": intent, "before": before.inbox.get(text), "after": after.inbox.get(text),
              "understood": after.inbox.get(text) == intent} for text, intent in inbox_texts]
    return {"before_model": before.model, "after_model": after.model, "sets": sets, "changed": changed,
            "inbox": inbox, "worse": worse}


def _same(got: dict, expected: dict) -> bool:
    return {k: str(v) for k, v in got.items()} == {k: str(v) for k, v in expected.items()}


def render_markdown(result: dict) -> str:
    lines = [f"# Retrain: {result['before_model']} → {result['after_model']}", ""]
    if result["worse"]:
        lines += [f"**Worse on: {', '.join(result['worse'])}** — not switched to without `--accept-worse`.", ""]
    lines += ["| set | language | intent before | intent after | entity F1 before | entity F1 after |",
              "|---|---|---|---|---|---|"]
    for name, figures in result["sets"].items():
        b, a = figures["before"] or {}, figures["after"]
        lines.append(f"| {name} | all | {b.get('intent_accuracy', '—')} | {a['intent_accuracy']} | "
                     f"{b.get('entity_f1', '—')} | {a['entity_f1']} |")
        for tag, fa in a["per_language"].items():
            fb = (b.get("per_language") or {}).get(tag, {})
            lines.append(f"| {name} | {tag} | {fb.get('intent_accuracy', '—')} | {fa['intent_accuracy']} | "
                         f"{fb.get('entity_f1', '—')} | {fa['entity_f1']} |")
    lines += ["", "## Inbox messages annotated", ""]
    for item in result["inbox"]:
        mark = "understood" if item["understood"] else "not yet"
        lines.append(f"- {item['text']} — {item['intent']}: before {item['before']}, after {item['after']} ({mark})")
    lines += ["", "## Evaluation sentences whose answer changed (regressions first)", ""]
    for c in result["changed"] or []:
        lines.append(f"- [{c['kind']}] {c['set']}: {c['text']} — expected {c['expected']}, "
                     f"{c['before']} → {c['after']}")
    if not result["changed"]:
        lines.append("- none")
    return "\n".join(lines) + "\n"


def write(result: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    js, md = out_dir / "compare.json", out_dir / "compare.md"
    js.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    md.write_text(render_markdown(result), encoding="utf-8")
    return js, md


__all__ = ["Evaluation", "Example", "compare", "evaluate", "render_markdown", "write"]
