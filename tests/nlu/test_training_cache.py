import shutil
from pathlib import Path

from rasa_project.nlu.training import inputs_hash, model_path, train

ROOT = Path(__file__).resolve().parents[2]


def _mini_project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "rasa_project").mkdir(parents=True)
    shutil.copy(ROOT / "config.yml", root / "config.yml")
    shutil.copytree(ROOT / "data" / "nlu", root / "data" / "nlu")
    shutil.copytree(ROOT / "data" / "mapping", root / "data" / "mapping")
    shutil.copytree(ROOT / "rasa_project" / "nlu", root / "rasa_project" / "nlu",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_hash_changes_with_mapping_nlu_data_config_and_code(tmp_path):
    root = _mini_project(tmp_path)
    seen = {inputs_hash(root, nlu_only=True)}
    edits = [
        root / "data" / "mapping" / "materials.yml",
        root / "data" / "nlu" / "dialog.yml",
        root / "data" / "nlu" / "jieba" / "jargon.txt",
        root / "config.yml",
        root / "rasa_project" / "nlu" / "extractor.py",
    ]
    for path in edits:
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        digest = inputs_hash(root, nlu_only=True)
        assert digest not in seen, path
        seen.add(digest)


def test_domain_counts_for_full_models_only(tmp_path):
    root = _mini_project(tmp_path)
    nlu, full = inputs_hash(root, True), inputs_hash(root, False)
    (root / "domain.yml").write_text('version: "3.1"\n', encoding="utf-8")
    assert inputs_hash(root, True) == nlu
    assert inputs_hash(root, False) != full
    assert model_path(root, root / "models", True).name.startswith("dingk3-nlu-")
    assert model_path(root, root / "models", False).name.startswith("dingk3-")


def test_existing_model_for_the_same_inputs_is_reused_without_training(tmp_path):
    root = _mini_project(tmp_path)
    out = root / "models"
    cached = model_path(root, out, nlu_only=True)
    out.mkdir()
    cached.write_bytes(b"model")
    result = train(root, out, root / "var" / "logs" / "train.log", nlu_only=True)
    assert (result.path, result.trained) == (cached, False)
    assert not (root / "var" / "logs" / "train.log").exists()  # rasa never ran
