"""Held-out evaluation: intent accuracy, entity F1 (per entity, per language tag), language
accuracy and the confusion list. ``score`` is pure; ``write_reports`` writes JSON + Markdown.

Entity scoring compares normalised values: a predicted (entity, value) pair is a true positive
only if the expected message has that exact pair. ``nlu_fallback`` counts as ``out_of_scope``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

FALLBACK_INTENTS = {"nlu_fallback": "out_of_scope"}


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: dict
    language: str
    tag: str


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class Report:
    total: int
    intent_accuracy: float
    entity_f1: float
    language_accuracy: float
    per_entity: dict
    per_tag: dict
    per_intent: dict
    confusions: list = field(default_factory=list)  # [{"expected", "predicted", "count"}]
    errors: list = field(default_factory=list)  # one entry per wrong message
    # the same scores on the messages that are NOT near copies of a training example
    novel: dict | None = None

    def as_dict(self) -> dict:
        return {
            "total": self.total, "intent_accuracy": round(self.intent_accuracy, 4),
            "entity_f1": round(self.entity_f1, 4), "language_accuracy": round(self.language_accuracy, 4),
            "per_entity": self.per_entity, "per_tag": self.per_tag, "per_intent": self.per_intent,
            "confusions": self.confusions, "novel": self.novel, "errors": self.errors,
        }


def load_examples(path: Path) -> tuple[list[Example], str | None]:
    """Examples and the anchor (ISO datetime) of a held-out YAML or JSONL file."""
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        anchor = None
    else:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        rows, anchor = doc["examples"], doc.get("anchor")
    examples = [
        Example(r["text"], r["intent"], {k: _plain(v) for k, v in (r.get("entities") or {}).items()},
                r["language"], r.get("tag", r["language"]))
        for r in rows
    ]
    return examples, anchor


def _plain(value):
    return value if isinstance(value, (int, str)) else str(value)


def _pairs(entities: dict) -> set:
    return {(k, _plain(v)) for k, v in entities.items()}


def score(examples: list[Example], predictions: list[dict], seen: list[bool] | None = None) -> Report:
    """``predictions[i]`` is the `dingk3 parse` record for ``examples[i]``; ``seen[i]`` (optional)
    says the message is a near copy of a training example: those are also left out in ``novel``."""
    assert len(examples) == len(predictions)
    novel = None
    if seen is not None:
        kept = [(e, p) for e, p, s in zip(examples, predictions, seen) if not s]
        sub = score([e for e, _ in kept], [p for _, p in kept])
        novel = {"messages": sub.total, "seen_in_training": len(examples) - sub.total,
                 "intent_accuracy": round(sub.intent_accuracy, 4), "entity_f1": round(sub.entity_f1, 4)}
    per_entity: dict[str, Counts] = defaultdict(Counts)
    per_tag_entities: dict[str, Counts] = defaultdict(Counts)
    per_tag_intent: dict[str, Counter] = defaultdict(Counter)
    per_intent: dict[str, Counter] = defaultdict(Counter)
    confusion: Counter = Counter()
    intent_ok = language_ok = 0
    errors = []
    for ex, pred in zip(examples, predictions):
        got_intent = FALLBACK_INTENTS.get(pred["intent"]["name"], pred["intent"]["name"])
        ok = got_intent == ex.intent
        intent_ok += ok
        per_intent[ex.intent]["total"] += 1
        per_intent[ex.intent]["correct"] += ok
        per_tag_intent[ex.tag]["total"] += 1
        per_tag_intent[ex.tag]["correct"] += ok
        if not ok:
            confusion[(ex.intent, got_intent)] += 1
        language_ok += pred.get("language") == ex.language
        expected, got = _pairs(ex.entities), _pairs(pred.get("entities") or {})
        for name, value in got:
            bucket = "tp" if (name, value) in expected else "fp"
            for counts in (per_entity[name], per_tag_entities[ex.tag]):
                setattr(counts, bucket, getattr(counts, bucket) + 1)
        for name, value in expected - got:
            per_entity[name].fn += 1
            per_tag_entities[ex.tag].fn += 1
        if not ok or expected != got or pred.get("language") != ex.language:
            errors.append({
                "text": ex.text, "expected_intent": ex.intent, "predicted_intent": pred["intent"]["name"],
                "confidence": pred["intent"].get("confidence"), "expected_entities": ex.entities,
                "predicted_entities": pred.get("entities"), "expected_language": ex.language,
                "predicted_language": pred.get("language"),
            })
    total_counts = Counts(
        sum(c.tp for c in per_entity.values()), sum(c.fp for c in per_entity.values()),
        sum(c.fn for c in per_entity.values()),
    )
    n = len(examples) or 1
    per_tag = {
        tag: {"messages": per_tag_intent[tag]["total"],
              "intent_accuracy": round(per_tag_intent[tag]["correct"] / per_tag_intent[tag]["total"], 4),
              "entities": per_tag_entities[tag].as_dict()}
        for tag in sorted(per_tag_intent)
    }
    return Report(
        total=len(examples),
        intent_accuracy=intent_ok / n,
        entity_f1=total_counts.f1,
        language_accuracy=language_ok / n,
        per_entity={name: per_entity[name].as_dict() for name in sorted(per_entity)},
        per_tag=per_tag,
        per_intent={k: {"total": v["total"], "accuracy": round(v["correct"] / v["total"], 4)}
                    for k, v in sorted(per_intent.items())},
        confusions=[{"expected": e, "predicted": p, "count": c} for (e, p), c in confusion.most_common()],
        errors=errors,
        novel=novel,
    )


def render_markdown(report: Report, model: str, heldout: str) -> str:
    lines = [
        "# NLU held-out evaluation", "",
        f"- model: `{model}`", f"- held-out set: `{heldout}` ({report.total} messages)",
        f"- intent accuracy: **{report.intent_accuracy:.4f}**",
        f"- entity F1 (micro): **{report.entity_f1:.4f}**",
        f"- language accuracy: **{report.language_accuracy:.4f}**",
        *_novel_lines(report, "- "), "",
        "## Entities", "", "| entity | P | R | F1 | tp | fp | fn |", "|---|---|---|---|---|---|---|",
    ]
    for name, c in report.per_entity.items():
        lines.append(f"| {name} | {c['precision']} | {c['recall']} | {c['f1']} | {c['tp']} | {c['fp']} | {c['fn']} |")
    lines += ["", "## By language tag", "", "| tag | messages | intent acc | entity F1 |", "|---|---|---|---|"]
    for tag, t in report.per_tag.items():
        lines.append(f"| {tag} | {t['messages']} | {t['intent_accuracy']} | {t['entities']['f1']} |")
    lines += ["", "## Intent confusions", ""]
    lines += [f"- {c['expected']} -> {c['predicted']}: {c['count']}" for c in report.confusions] or ["- none"]
    lines += ["", "## Wrong messages", ""]
    for e in report.errors:
        lines.append(f"- `{e['text']}`: intent {e['expected_intent']} -> {e['predicted_intent']} "
                     f"({e['confidence']}); entities {e['expected_entities']} -> {e['predicted_entities']}; "
                     f"language {e['expected_language']} -> {e['predicted_language']}")
    return "\n".join(lines) + "\n"


def _novel_lines(report: Report, prefix: str = "") -> list[str]:
    n = report.novel
    if n is None:
        return []
    return [(f"{prefix}never seen in training ({n['messages']} messages, {n['seen_in_training']} near copies "
            f"of training examples left out): intent {n['intent_accuracy']:.4f}, entity F1 {n['entity_f1']:.4f}")]


def write_reports(report: Report, out_dir: Path, model: str, heldout: str,
                  name: str = "heldout") -> tuple[Path, Path]:
    """``<name>-report.json`` and ``<name>-report.md`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / f"{name}-report.json", out_dir / f"{name}-report.md"
    payload = {"model": model, "heldout": heldout, **report.as_dict()}
    json_path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    md_path.write_text(render_markdown(report, model, heldout), encoding="utf-8")
    return json_path, md_path


def summary_lines(report: Report) -> list[str]:
    lines = [
        f"held-out messages: {report.total}",
        f"intent accuracy:   {report.intent_accuracy:.4f}",
        f"entity F1 (micro): {report.entity_f1:.4f}",
        f"language accuracy: {report.language_accuracy:.4f}",
        *_novel_lines(report),
        "entity F1 per entity: " + ", ".join(f"{k}={v['f1']:.3f}" for k, v in report.per_entity.items()),
        "per language tag: " + ", ".join(
            f"{k}: intent={v['intent_accuracy']:.3f} entity_f1={v['entities']['f1']:.3f}" for k, v in report.per_tag.items()
        ),
    ]
    if report.confusions:
        lines.append("confusions: " + "; ".join(f"{c['expected']}->{c['predicted']} x{c['count']}" for c in report.confusions))
    return lines
