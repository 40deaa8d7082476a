import shutil
from pathlib import Path

import yaml

from rasa_project.nlu.datacheck import check_data

ROOT = Path(__file__).resolve().parents[2]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _project(tmp_path: Path) -> Path:
    """A copy of the real data/ (mapping + nlu) in a temp project root."""
    shutil.copytree(ROOT / "data" / "mapping", tmp_path / "data" / "mapping")
    shutil.copytree(ROOT / "data" / "nlu", tmp_path / "data" / "nlu")
    return tmp_path


def test_the_repository_data_is_clean():
    problems = check_data(ROOT)
    assert [str(p) for p in problems if p.severity == "error"] == []


def test_alias_shared_by_two_materials_is_reported_with_file_and_line(tmp_path):
    root = _project(tmp_path)
    path = root / "data" / "mapping" / "materials.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["materials"][2]["aliases"].append("Rumah Motor")  # BOM-3100 now claims BOM-2050's alias
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    problems = [p for p in check_data(root) if "belongs to" in p.message]
    assert len(problems) == 1
    assert problems[0].path == "data/mapping/materials.yml"
    assert "BOM-2050" in problems[0].message and "BOM-3100" in problems[0].message
    line = path.read_text(encoding="utf-8").splitlines()[problems[0].line - 1]
    assert "umah" in line.lower() and "motor" in line.lower()


def test_material_alias_that_names_a_work_center_is_reported(tmp_path):
    root = _project(tmp_path)
    path = root / "data" / "mapping" / "materials.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["materials"][0]["aliases"].append("stamping")
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert any("work center" in p.message and "stamping" in p.message for p in check_data(root))


def test_duplicate_across_intents_unknown_entity_and_missing_language(tmp_path):
    root = tmp_path
    shutil.copytree(ROOT / "data" / "mapping", root / "data" / "mapping")
    _write(root / "data" / "nlu" / "bad.yml", """version: "3.1"
nlu:
- intent: affirm
  metadata: {lang: en}
  examples: |
    - yes
    - sure [BOM-2050](item_code)
- intent: deny
  metadata: {lang: en}
  examples: |
    - no
    - Yes
- intent: deny
  metadata: {lang: zh}
  examples: |
    - nope
""")
    problems = {(p.path, p.line): p.message for p in check_data(root) if p.severity == "error"}
    assert "under 'affirm'" in problems[("data/nlu/bad.yml", 12)]  # "Yes" also under affirm
    assert "unknown entity 'item_code'" in problems[("data/nlu/bad.yml", 7)]
    assert "no Chinese" in problems[("data/nlu/bad.yml", 16)]
    messages = [p.message for p in check_data(root)]
    assert any("'affirm' has no examples in zh, id" in m for m in messages)
    assert any("intent 'create_order' has no examples" in m for m in messages)


def test_domain_mismatch_is_reported(tmp_path):
    root = _project(tmp_path)
    _write(root / "domain.yml", 'version: "3.1"\nintents:\n  - greet\n  - order_pizza\nentities:\n  - material\n')
    messages = [p.message for p in check_data(root)]
    assert any("'order_pizza' is in the domain but has no examples" in m for m in messages)
    assert any("'create_order' has examples but is not in the domain" in m for m in messages)
    assert any("entity 'due_date' is extracted but not in the domain" in m for m in messages)


def test_copying_a_heldout_sentence_into_training_is_refused(tmp_path):
    root = _project(tmp_path)
    heldout = yaml.safe_load((ROOT / "tests" / "nlu_eval" / "heldout.yml").read_text(encoding="utf-8"))
    copied = next(e["text"] for e in heldout["examples"] if e["intent"] == "query_stock" and e["language"] == "en")
    _write(root / "data" / "nlu" / "leak.yml",
           f'version: "3.1"\nnlu:\n- intent: query_stock\n  metadata: {{lang: en}}\n  examples: |\n    - {copied}\n')
    (root / "tests" / "nlu_eval").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "nlu_eval" / "heldout.yml", root / "tests" / "nlu_eval" / "heldout.yml")
    assert any(p.path == "data/nlu/leak.yml" and "held-out" in p.message for p in check_data(root))


def test_every_evaluation_set_counts_for_the_copy_check(tmp_path):
    root = _project(tmp_path)
    fresh2 = yaml.safe_load((ROOT / "tests" / "nlu_eval" / "fresh2.yml").read_text(encoding="utf-8"))
    copied = next(e["text"] for e in fresh2["examples"] if e["intent"] == "change_order" and e["language"] == "en")
    _write(root / "data" / "nlu" / "leak.yml",
           f'version: "3.1"\nnlu:\n- intent: change_order\n  metadata: {{lang: en}}\n  examples: |\n    - {copied}\n')
    (root / "tests" / "nlu_eval").mkdir(parents=True)
    for name in ("heldout.yml", "fresh2.yml"):
        shutil.copy(ROOT / "tests" / "nlu_eval" / name, root / "tests" / "nlu_eval" / name)
    assert any(p.path == "data/nlu/leak.yml" and "held-out" in p.message for p in check_data(root))


def test_the_near_copy_index_answers_exactly_as_comparing_with_every_sentence():
    import difflib
    import random

    from rasa_project.nlu.datacheck import LEAK_SIMILARITY, _NearCopies

    rng = random.Random(7)
    alphabet = "ab工单数量改成#material#"
    held = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(300)]
    mine = [h[: rng.randint(0, len(h))] + rng.choice(["", "吗", "x", h[-1:]]) for h in held]
    mine += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(300)] + ["", held[0]]
    index = _NearCopies(held)
    brute = [any(difflib.SequenceMatcher(None, m, o).ratio() >= LEAK_SIMILARITY for o in held) for m in mine]
    assert [m in index for m in mine] == brute
    assert sum(brute) > 20  # the sample holds near copies, not only strangers
