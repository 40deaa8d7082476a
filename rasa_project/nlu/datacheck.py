"""`dingk3 data check`: the mistakes trainers make, reported as file:line problems.

* an example listed twice (under two intents, or twice in one), an intent outside the contract;
* an entity annotation ``[..](name)`` that is neither in the contract nor in domain.yml;
* an intent without examples in zh, id and en (blocks carry ``metadata: {lang: ..}``), or an
  example whose language contradicts its block (Chinese text in an id/en block and vice versa);
* an alias shared by two materials, two work centers, two production types, or a material and a
  work center (the extractor could not tell which one is meant);
* a training example that is a near copy of a held-out evaluation sentence (tests/nlu_eval).

Pure functions over paths; the CLI prints the problems and exits non-zero on errors.
"""

from __future__ import annotations

import bisect
import difflib
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from rasa_project.mapping import load_mapping
from rasa_project.nlu.extractor import ENTITIES
from rasa_project.nlu.language import detect

INTENTS = (
    "create_order", "change_order", "query_order", "report_progress", "query_stock", "approve", "reject",
    "cancel", "affirm", "deny", "help", "greet", "out_of_scope",
    "query_risk", "suggest_reschedule", "accept_option",  # delay risk (issue 15): data/nlu/risk.yml
    "list_approvals", "list_my_requests", "list_due", "delete_order",
)
LANGS = ("zh", "id", "en")
BLOCK_LANGS = (*LANGS, "mixed")
_CJK = re.compile(r"[\u3400-\u9fff]")
_ANNOTATION = re.compile(r"\[([^\]]+)\]\((\w+)(?:[:=][^)]*)?\)|\[([^\]]+)\]\{\"entity\":\s*\"(\w+)\"")
LEAK_SIMILARITY = 0.95


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class NluExample:
    text: str
    intent: str
    lang: str | None
    path: str
    line: int


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def read_nlu_examples(path: Path, root: Path) -> tuple[list[NluExample], list[Problem]]:
    """Examples of one Rasa NLU YAML file, each with its line number."""
    problems: list[Problem] = []
    rel = _rel(path, root)
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [Problem(rel, (mark.line + 1) if mark else 1, f"invalid YAML: {exc}")]
    examples: list[NluExample] = []
    if node is None or not isinstance(node, yaml.MappingNode):
        return [], []
    top = {k.value: v for k, v in node.value}
    nlu = top.get("nlu")
    if nlu is None:
        return [], []
    lines = text.splitlines()
    for block in nlu.value:
        fields = {k.value: v for k, v in block.value}
        if "intent" not in fields:
            continue  # synonym / lookup / regex blocks
        intent = fields["intent"].value
        meta = yaml.safe_load(yaml.serialize(fields["metadata"])) if "metadata" in fields else {}
        lang = (meta or {}).get("lang")
        block_line = block.start_mark.line + 1
        if lang is not None and lang not in BLOCK_LANGS:
            problems.append(Problem(rel, block_line, f"unknown block language {lang!r} (use one of {BLOCK_LANGS})"))
        if "examples" not in fields:
            continue
        ex_node = fields["examples"]
        first = ex_node.start_mark.line + (1 if ex_node.style == "|" else 0)
        for offset, raw in enumerate(ex_node.value.splitlines()):
            stripped = raw.strip()
            if not stripped.startswith("- "):
                continue
            line_no = first + offset + 1
            # the literal block may have been re-indented by YAML: find the real line if it moved
            if line_no - 1 < len(lines) and stripped not in lines[line_no - 1]:
                line_no = next((i + 1 for i in range(first, len(lines)) if lines[i].strip() == stripped), line_no)
            examples.append(NluExample(stripped[2:].strip(), intent, lang, rel, line_no))
    return examples, problems


def _plain_text(example: str) -> str:
    """Example text without entity annotations."""
    return _ANNOTATION.sub(lambda m: m.group(1) or m.group(3), example)


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", _plain_text(text).casefold()).strip(" .!?。！？")


def check_examples(examples: list[NluExample], known_entities: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, NluExample] = {}
    for ex in examples:
        if ex.intent not in INTENTS:
            problems.append(Problem(ex.path, ex.line, f"intent {ex.intent!r} is not in the NLU contract {INTENTS}"))
        for m in _ANNOTATION.finditer(ex.text):
            name = m.group(2) or m.group(4)
            if name not in known_entities:
                problems.append(Problem(ex.path, ex.line, f"unknown entity {name!r} in {ex.text!r}"))
        key = _key(ex.text)
        first = seen.get(key)
        if first is None:
            seen[key] = ex
        elif first.intent != ex.intent:
            problems.append(Problem(ex.path, ex.line, f"{ex.text!r} is under {ex.intent!r} here and under "
                                    f"{first.intent!r} at {first.path}:{first.line}"))
        else:
            problems.append(Problem(ex.path, ex.line, f"duplicate example {ex.text!r} (first at {first.path}:{first.line})"))
        problems.extend(_language_problems(ex))
    problems.extend(_coverage_problems(examples))
    return problems


def _language_problems(ex: NluExample) -> list[Problem]:
    text = _plain_text(ex.text)
    has_cjk = bool(_CJK.search(text))
    if ex.lang == "zh" and not has_cjk:
        return [Problem(ex.path, ex.line, f"{ex.text!r} has no Chinese but sits in a zh block")]
    if ex.lang in ("id", "en") and has_cjk:
        return [Problem(ex.path, ex.line, f"{ex.text!r} has Chinese but sits in a {ex.lang} block")]
    if ex.lang in ("id", "en"):
        other = "en" if ex.lang == "id" else "id"
        if detect(text, default=ex.lang) == other:
            return [Problem(ex.path, ex.line, f"{ex.text!r} reads as {other} but sits in a {ex.lang} block",
                            "warning")]
    return []


def _coverage_problems(examples: list[NluExample]) -> list[Problem]:
    problems = []
    by_intent: dict[str, set] = {}
    where: dict[str, NluExample] = {}
    for ex in examples:
        by_intent.setdefault(ex.intent, set()).add(ex.lang)
        where.setdefault(ex.intent, ex)
    for intent in INTENTS:
        if intent not in by_intent:
            problems.append(Problem("data/nlu", 0, f"intent {intent!r} has no examples"))
            continue
        missing = [lang for lang in LANGS if lang not in by_intent[intent]]
        if missing:
            ex = where[intent]
            problems.append(Problem(ex.path, ex.line, f"intent {intent!r} has no examples in {', '.join(missing)} "
                                    "(tag blocks with metadata: {lang: zh|id|en|mixed})"))
    return problems


def check_mapping(mapping_dir: Path, root: Path) -> list[Problem]:
    """Aliases that would resolve to two different things."""
    from rasa_project.nlu.normalize.codes import fold

    tables = load_mapping(mapping_dir)
    problems: list[Problem] = []
    owners: dict[tuple[str, str], set] = {}
    groups = (
        ("materials.yml", "material", [(m.chat_code, [m.chat_code, *m.name.values(), *m.aliases]) for m in tables.materials]),
        ("work_centers.yml", "work_center", [(w.number, [w.number, *w.name.values(), *w.aliases]) for w in tables.work_centers]),
        ("production_types.yml", "production_type",
         [(t.bill_type, [t.bill_type, *t.name.values(), *t.aliases]) for t in tables.production_types]),
    )
    for file_name, kind, entries in groups:
        for owner, names in entries:
            for name in names:
                if name:
                    owners.setdefault((kind, fold(name)), set()).add((owner, name, file_name))
    # within one table
    for (kind, key), found in sorted(owners.items()):
        distinct = {o for o, _, _ in found}
        if len(distinct) > 1:
            file_name = next(iter(found))[2]
            name = min(n for _, n, _ in found)
            problems.append(Problem(_rel(mapping_dir / file_name, root), _line_of(mapping_dir / file_name, name),
                                    f"alias {name!r} belongs to {sorted(distinct)} ({kind})"))
    # across materials and work centers: the extractor could read either
    for (kind, key), found in sorted(owners.items()):
        if kind != "material":
            continue
        other = owners.get(("work_center", key))
        if other:
            name = min(n for _, n, _ in found)
            problems.append(Problem(_rel(mapping_dir / "materials.yml", root), _line_of(mapping_dir / "materials.yml", name),
                                    f"alias {name!r} names material {sorted(o for o, _, _ in found)} and work center "
                                    f"{sorted(o for o, _, _ in other)}"))
    return problems


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.search(rf"(?:^|[\s\-:\[,'\"]){re.escape(needle)}(?:$|[\s,\]'\"])", line):
            return i
    return 1


def check_domain(domain_path: Path, examples: list[NluExample], root: Path) -> list[Problem]:
    if not domain_path.exists():
        return []
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    rel = _rel(domain_path, root)
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []}
    entities = {e if isinstance(e, str) else next(iter(e)) for e in domain.get("entities") or []}
    problems = []
    for name in ENTITIES:
        if name not in entities:
            problems.append(Problem(rel, _line_of(domain_path, "entities:"), f"entity {name!r} is extracted but not in the domain"))
    used = {ex.intent for ex in examples}
    for intent in sorted(used - intents):
        problems.append(Problem(rel, _line_of(domain_path, "intents:"), f"intent {intent!r} has examples but is not in the domain"))
    for intent in sorted(intents - used):
        problems.append(Problem(rel, _line_of(domain_path, intent), f"intent {intent!r} is in the domain but has no examples"))
    return problems


def evaluation_sets(root: Path) -> list[Path]:
    """The held-out evaluation files: tests/nlu_eval/*.yml, heldout.yml first."""
    folder = root / "tests" / "nlu_eval"
    return sorted(folder.glob("*.yml"), key=lambda p: (p.name != "heldout.yml", p.name))


def _masker(mapping_dir: Path):
    """text -> comparison key with every entity span replaced by its kind (#material#...)."""
    from rasa_project.nlu.extractor import find_entity_spans
    from rasa_project.nlu.lexicon import alias_index_for

    tables = load_mapping(mapping_dir)
    index = alias_index_for(tables)

    def masked(text: str) -> str:
        spans = find_entity_spans(text, tables, date(2025, 1, 1), index)
        for s in sorted(spans, key=lambda s: -s.start):
            text = f"{text[:s.start]}#{s.kind}#{text[s.end:]}"
        return _key(text)

    return masked


class _NearCopies:
    """``difflib`` similarity >= LEAK_SIMILARITY against many texts, with the same answer as comparing
    with every one: only texts whose length allows the ratio are compared (ratio <= 2*min/(la+lb)),
    and ``quick_ratio`` (an upper bound) is asked before the full ``ratio``."""

    def __init__(self, others: list[str]) -> None:
        self._exact = set(others)
        self._by_length = sorted(others, key=len)
        self._lengths = [len(o) for o in self._by_length]

    def __contains__(self, mine: str) -> bool:
        if mine in self._exact:
            return True
        la = len(mine)
        # 2*min(la, lb) >= LEAK_SIMILARITY * (la + lb)  <=>  lo <= lb <= hi
        lo = la * LEAK_SIMILARITY / (2 - LEAK_SIMILARITY)
        hi = la * (2 - LEAK_SIMILARITY) / LEAK_SIMILARITY
        start = bisect.bisect_left(self._lengths, math.floor(lo))
        for other in self._by_length[start:bisect.bisect_right(self._lengths, math.ceil(hi))]:
            matcher = difflib.SequenceMatcher(None, mine, other)
            if matcher.real_quick_ratio() >= LEAK_SIMILARITY and matcher.quick_ratio() >= LEAK_SIMILARITY \
                    and matcher.ratio() >= LEAK_SIMILARITY:
                return True
        return False


def _is_near_copy(mine: str, others: list[str] | _NearCopies) -> bool:
    index = others if isinstance(others, _NearCopies) else _NearCopies(others)
    return mine in index


def check_heldout_leaks(examples: list[NluExample], heldout: Path | list[Path], mapping_dir: Path) -> list[Problem]:
    """Training examples that are (near) copies of held-out sentences, entity values masked.

    ``heldout`` is one evaluation file or several (every set in tests/nlu_eval counts)."""
    sets = [p for p in ([heldout] if isinstance(heldout, Path) else heldout) if p.exists()]
    if not sets:
        return []
    masked = _masker(mapping_dir)
    held = _NearCopies([masked(e["text"]) for path in sets
                        for e in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("examples", [])])
    return [
        Problem(ex.path, ex.line, f"{ex.text!r} copies a held-out sentence (tests/nlu_eval is for evaluation only)")
        for ex in examples if _is_near_copy(masked(_plain_text(ex.text)), held)
    ]


def training_copies(root: Path, texts: list[str], data_dir: Path | None = None) -> list[bool]:
    """For each evaluation text: is it a near copy of a training example? (the same test as the
    leak check, the other way round: `nlu-test` reports the never-seen subset separately)."""
    data_dir = data_dir or root / "data"
    examples: list[NluExample] = []
    for path in sorted((data_dir / "nlu").glob("*.yml")):
        examples += read_nlu_examples(path, root)[0]
    masked = _masker(data_dir / "mapping")
    trained = _NearCopies(sorted({masked(_plain_text(ex.text)) for ex in examples}))
    return [_is_near_copy(masked(text), trained) for text in texts]


def check_data(root: Path, data_dir: Path | None = None, domain_path: Path | None = None,
               heldout: Path | list[Path] | None = None) -> list[Problem]:
    """All problems of the training data under ``data_dir`` (default ``root/data``); near copies
    are checked against ``heldout`` (default: every evaluation set in tests/nlu_eval)."""
    data_dir = data_dir or root / "data"
    domain_path = domain_path or root / "domain.yml"
    heldout = heldout or evaluation_sets(root)
    examples: list[NluExample] = []
    problems: list[Problem] = []
    nlu_dir = data_dir / "nlu"
    for path in sorted(nlu_dir.glob("*.yml")) + sorted(nlu_dir.glob("*.yaml")):
        found, file_problems = read_nlu_examples(path, root)
        examples += found
        problems += file_problems
    known = set(ENTITIES)
    if domain_path.exists():
        domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
        known |= {e if isinstance(e, str) else next(iter(e)) for e in domain.get("entities") or []}
    problems += check_examples(examples, known)
    if (data_dir / "mapping").exists():
        problems += check_mapping(data_dir / "mapping", root)
        problems += check_heldout_leaks(examples, heldout, data_dir / "mapping")
    problems += check_domain(domain_path, examples, root)
    return problems
