"""Annotation edits the files as a trainer would: one line where it belongs, nothing else moved;
what `dingk3 data check` would refuse is refused with the reason and writes nothing."""

import shutil

import pytest
import yaml

from rasa_project.nlu.datacheck import check_examples, read_nlu_examples
from rasa_project.nlu.extractor import ENTITIES
from rasa_project.review.annotate import Refused, add_alias, add_example
from rasa_project.settings import PROJECT_ROOT


@pytest.fixture
def root(tmp_path):
    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data", ignore=shutil.ignore_patterns("jieba"))
    shutil.copy2(PROJECT_ROOT / "domain.yml", tmp_path / "domain.yml")
    shutil.copytree(PROJECT_ROOT / "tests" / "nlu_eval", tmp_path / "tests" / "nlu_eval")
    return tmp_path


def snapshot(root):
    return {p.relative_to(root): p.read_text(encoding="utf-8") for p in (root / "data").rglob("*.yml")}


def test_an_example_goes_into_its_intent_and_language_block_and_nothing_else_changes(root):
    before = snapshot(root)
    edit = add_example(root, "P20250401 这单咋样了", "query_order", "zh")
    after = snapshot(root)
    changed = [p for p in after if after[p] != before[p]]
    assert changed == [edit.path]
    old, new = before[edit.path].splitlines(), after[edit.path].splitlines()
    assert len(new) == len(old) + 1 and new[edit.line - 1] == "    - P20250401 这单咋样了"
    assert new[: edit.line - 1] + new[edit.line:] == old  # every other line, comment and order kept
    examples, _ = read_nlu_examples(root / edit.path, root)
    ex = next(e for e in examples if e.text == "P20250401 这单咋样了")
    assert (ex.intent, ex.lang) == ("query_order", "zh")
    everything = [e for path in sorted((root / "data/nlu").glob("*.yml")) for e in read_nlu_examples(path, root)[0]]
    assert [p for p in check_examples(everything, set(ENTITIES) | {"production_type"}) if p.severity == "error"] == []
    yaml.safe_load(after[edit.path])


def test_refused_edits_write_nothing_and_say_why(root):
    before = snapshot(root)
    taken = next(e for e in read_nlu_examples(root / "data/nlu/queries.yml", root)[0] if e.intent == "query_order")
    with pytest.raises(Refused) as dup:
        add_example(root, taken.text, "change_order", taken.lang or "zh")  # the same text under two intents
    assert dup.value.problems and any("change_order" in p or "twice" in p or "query_order" in p for p in dup.value.problems)
    with pytest.raises(Refused):
        add_example(root, "P20250401 这单咋样了", "no_such_intent", "zh")
    with pytest.raises(Refused):
        add_example(root, "   ", "query_order", "zh")
    with pytest.raises(Refused) as clash:
        add_alias(root, "material", "BOM-2051", "电机外壳")  # already BOM-2050's alias
    assert clash.value.problems
    with pytest.raises(Refused):
        add_alias(root, "material", "BOM-9999", "风扇")
    assert snapshot(root) == before


def test_an_evaluation_sentence_cannot_become_training_data(root):
    heldout = yaml.safe_load((root / "tests/nlu_eval/fresh2.yml").read_text(encoding="utf-8"))
    first = heldout["examples"][0] if isinstance(heldout, dict) and "examples" in heldout else None
    if first is None:  # the set's shape: a list of {text, intent, ...}
        first = heldout[0] if isinstance(heldout, list) else next(iter(heldout.values()))[0]
    text, intent = first["text"], first["intent"]
    lang = "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"
    with pytest.raises(Refused) as leak:
        add_example(root, text, intent, lang)
    assert any("near copy" in p or "held-out" in p or "evaluation" in p for p in leak.value.problems), leak.value.problems


def test_an_alias_is_added_to_its_material_and_read_by_the_mapping(root):
    edit = add_alias(root, "material", "BOM-2050", "rumah dinamo")
    assert edit.path.as_posix() == "data/mapping/materials.yml"
    from rasa_project.mapping import load_mapping

    mapping = load_mapping(root / "data" / "mapping")
    material = next(m for m in mapping.materials if m.chat_code == "BOM-2050")
    assert "rumah dinamo" in material.aliases
    edit = add_alias(root, "work_center", "WC-02", "lini injeksi")
    assert "lini injeksi" in (root / edit.path).read_text(encoding="utf-8")
