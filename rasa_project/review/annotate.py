"""Annotation: a message from the inbox becomes a training example or an alias, in one step.

Edits are made to the text of the files (one line inserted where it belongs), so their order and
comments stay as the trainers left them. Before anything is written the edited tree is checked with
the same rules as ``dingk3 data check``; an edit that would add a problem is refused with the reason.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from rasa_project.nlu import datacheck
from rasa_project.nlu.extractor import ENTITIES

ALIAS_TABLES = {"material": ("materials.yml", "materials", "chat_code"),
                "work_center": ("work_centers.yml", "work_centers", "number")}


class Refused(ValueError):
    """The edit was not made; ``problems`` says why (file:line messages)."""

    def __init__(self, reason: str, problems: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.problems = problems or []


@dataclass(frozen=True)
class Edit:
    path: Path  # relative to the project root
    line: int  # 1-based line of the inserted text
    text: str  # the inserted line, as written
    kind: str  # "example" | "alias"


def _one_line(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise Refused("empty text")
    if len(text) > 300:
        raise Refused("text longer than 300 characters")
    return text


def _blocks(path: Path) -> list[dict]:
    """Intent blocks of one NLU file: intent, lang, first and last example line (0-based), indent."""
    text = path.read_text(encoding="utf-8")
    node = yaml.compose(text)
    if node is None or not isinstance(node, yaml.MappingNode):
        return []
    top = {k.value: v for k, v in node.value}
    nlu = top.get("nlu")
    out = []
    lines = text.splitlines()
    for block in (nlu.value if nlu is not None else []):
        fields = {k.value: v for k, v in block.value}
        if "intent" not in fields or "examples" not in fields:
            continue
        meta = yaml.safe_load(yaml.serialize(fields["metadata"])) if "metadata" in fields else {}
        ex = fields["examples"]
        example_lines = [i for i in range(ex.start_mark.line + 1, min(ex.end_mark.line + 1, len(lines)))
                         if lines[i].startswith(" ") and lines[i].lstrip().startswith("- ")]
        if not example_lines:
            continue
        indent = len(lines[example_lines[0]]) - len(lines[example_lines[0]].lstrip())
        out.append({"intent": fields["intent"].value, "lang": (meta or {}).get("lang"),
                    "last": example_lines[-1], "indent": indent})
    return out


def _target(root: Path, intent: str, lang: str) -> tuple[Path, int | None, int]:
    """Where an example of ``intent`` in ``lang`` goes: (file, line index to insert after, indent).

    The block of that intent and language in ``data/nlu/<intent>.yml`` first, then in any file;
    without one, a new block at the end of the file that holds the intent (or ``reviewed.yml``).
    """
    nlu_dir = root / "data" / "nlu"
    files = sorted(nlu_dir.glob("*.yml"))
    files.sort(key=lambda p: p.stem != intent)
    holder = None
    for path in files:
        for block in _blocks(path):
            if block["intent"] != intent:
                continue
            holder = holder or path
            if block["lang"] == lang:
                return path, block["last"], block["indent"]
    return holder or nlu_dir / "reviewed.yml", None, 4


def _insert_line(path: Path, after: int | None, line: str, block_head: list[str] | None) -> int:
    text = path.read_text(encoding="utf-8") if path.exists() else 'version: "3.1"\nnlu:\n'
    lines = text.splitlines()
    if after is None:
        if not text.endswith("\n"):
            text += "\n"
        lines = text.splitlines() + (block_head or []) + [line]
        number = len(lines)
    else:
        lines.insert(after + 1, line)
        number = after + 2
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return number


def _example_problems(root: Path, text: str, intent: str, lang: str) -> list[str]:
    """What `dingk3 data check` would say of this one new example (only the checks it can fail)."""
    ex = datacheck.NluExample(text, intent, lang, "(new example)", 0)
    problems = [p for p in datacheck._language_problems(ex) if p.severity == "error"]
    problems += [p for p in datacheck.check_examples([ex], set(ENTITIES)) if "unknown entity" in p.message]
    key = datacheck._key(text)
    for path in sorted((root / "data" / "nlu").glob("*.yml")):
        for other in datacheck.read_nlu_examples(path, root)[0]:
            if datacheck._key(other.text) == key:
                where = f"{other.path}:{other.line}"
                problems.append(datacheck.Problem(
                    where, other.line, f"{text!r} is already an example of {other.intent!r} at {where}"
                    if other.intent != intent else f"{text!r} is already an example at {where}"))
    problems += datacheck.check_heldout_leaks([ex], datacheck.evaluation_sets(root), root / "data" / "mapping")
    return [p.message for p in problems]


def _mapping_problems(root: Path, relative: Path, apply) -> list[str]:
    """The alias problems `dingk3 data check` finds after the edit and not before (on a copy)."""
    with tempfile.TemporaryDirectory(prefix="dingk3-review-") as tmp:
        copy = Path(tmp) / "mapping"
        shutil.copytree(root / "data" / "mapping", copy)
        before = {p.message for p in datacheck.check_mapping(copy, Path(tmp))}
        apply(copy / relative.name)
        return sorted({p.message for p in datacheck.check_mapping(copy, Path(tmp))} - before)


def add_example(root: Path, text: str, intent: str, lang: str) -> Edit:
    """Add ``text`` as a training example of ``intent`` (block language ``lang``)."""
    text = _one_line(text)
    if intent not in datacheck.INTENTS:
        raise Refused(f"unknown intent {intent!r} (one of: {', '.join(datacheck.INTENTS)})")
    if lang not in datacheck.BLOCK_LANGS:
        raise Refused(f"unknown language {lang!r} (one of: {', '.join(datacheck.BLOCK_LANGS)})")
    path, after, indent = _target(root, intent, lang)
    relative = path.relative_to(root)
    line = " " * indent + "- " + text
    head = [f"- intent: {intent}", f"  metadata: {{lang: {lang}}}", "  examples: |"]
    problems = _example_problems(root, text, intent, lang)
    if problems:
        raise Refused("data check refuses it", problems)
    number = _insert_line(root / relative, after, line, head if after is None else None)
    return Edit(relative, number, text, "example")


def add_alias(root: Path, kind: str, code: str, word: str) -> Edit:
    """Add ``word`` to the aliases of a material (chat code) or a work center (number)."""
    word = _one_line(word)
    if kind not in ALIAS_TABLES:
        raise Refused(f"unknown kind {kind!r} (material or work_center)")
    filename, table, key = ALIAS_TABLES[kind]
    relative = Path("data") / "mapping" / filename
    lines = (root / relative).read_text(encoding="utf-8").splitlines()
    entries = (yaml.safe_load("\n".join(lines)) or {}).get(table) or []
    if not any(str(e.get(key)) == code for e in entries):
        raise Refused(f"no {kind.replace('_', ' ')} {code!r} in {relative}")
    start = next(i for i, raw in enumerate(lines) if re.match(rf"^- {key}:\s*['\"]?{re.escape(code)}['\"]?\s*$", raw))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("- ")), len(lines))
    aliases = next((i for i in range(start, end) if re.match(r"^  aliases:\s*$", lines[i])), None)
    if aliases is None:
        raise Refused(f"{code} has no aliases list in {relative}")
    last = aliases
    while last + 1 < end and lines[last + 1].startswith("  - "):
        last += 1
    quoted = yaml.safe_dump([word], allow_unicode=True, default_flow_style=False).strip()  # "- word", quoted if needed

    def apply(path: Path) -> int:
        current = path.read_text(encoding="utf-8").splitlines()
        current.insert(last + 1, "  " + quoted)
        path.write_text("\n".join(current) + "\n", encoding="utf-8")
        return last + 2

    problems = _mapping_problems(root, relative, apply)
    if problems:
        raise Refused("data check refuses it", problems)
    number = apply(root / relative)
    return Edit(relative, number, word, "alias")
