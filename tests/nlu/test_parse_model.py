"""One slow test: the real model (the one `make test` trains, cached by content hash) behind `dingk3 parse`."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOW = "2025-04-01T09:00:00+08:00"

CASES = [
    ("创建生产订单 BOM-2050 数量 300，4月10日完工，标准生产订单，冲压车间", "create_order", "zh",
     {"material": "BOM-2050", "quantity": 300, "due_date": "2025-04-10", "production_type": "SCDD01_SYS",
      "work_center": "WC-01"}),
    ("Buat pesanan produksi BOM-2050 jumlah 300, selesai tanggal 10 April, tipe standar, bengkel stamping",
     "create_order", "id", {"material": "BOM-2050", "quantity": 300, "due_date": "2025-04-10",
                            "production_type": "SCDD01_SYS", "work_center": "WC-01"}),
    ("Create production order BOM-2050 qty 300, finish April 10, standard type, stamping shop", "create_order", "en",
     {"material": "BOM-2050", "quantity": 300, "due_date": "2025-04-10", "production_type": "SCDD01_SYS",
      "work_center": "WC-01"}),
    ("麻烦开个工单，bom3100，一千二百个，下周三前要", "create_order", "zh",
     {"material": "BOM-3100", "quantity": 1200, "due_date": "2025-04-09"}),
    ("P20250401 做完了120个，报废4个", "report_progress", "zh", {"order_no": "P20250401", "good_qty": 120, "scrap_qty": 4}),
    ("pls change mo000124 qty to 400", "change_order", "en", {"order_no": "MO000124", "quantity": 400}),
    ("Bagaimana progres P20250401", "query_order", "id", {"order_no": "P20250401"}),
    ("stok BOM-2050?", "query_stock", "id", {"material": "BOM-2050"}),
    ("saya setujui P20250402", "approve", "id", {"order_no": "P20250402"}),
    ("确认", "affirm", "zh", {}),
    ("batal", "cancel", "id", {}),
    ("no", "deny", "en", {}),
]


@pytest.fixture(scope="module")
def nlu_model() -> Path:
    from rasa_project.nlu.training import ensure_model

    return ensure_model()  # the model `make test` trains (its NLU graph is the bot's); no second training


@pytest.mark.slow
def test_dingk3_parse_outputs_intent_normalised_entities_and_language(nlu_model, tmp_path):
    lines = [json.dumps({"text": text}, ensure_ascii=False) for text, *_ in CASES[:6]] + [t for t, *_ in CASES[6:]]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "rasa_project.cli", "parse", "--model", str(nlu_model), "--now", NOW,
         "--jsonl", str(source)],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line) for line in proc.stdout.splitlines()]  # stdout holds JSON only
    assert [r["text"] for r in records] == [c[0] for c in CASES]
    for record, (_, intent, language, entities) in zip(records, CASES):
        assert (record["intent"]["name"], record["language"], record["entities"]) == (intent, language, entities)
        assert 0.0 < record["intent"]["confidence"] <= 1.0


@pytest.mark.slow
def test_language_reaches_the_tracker_latest_message(nlu_model):
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_project.nlu.parsing import NluParser

    parser = NluParser(nlu_model)
    try:
        parse_data = parser.parse_raw("stok BOM-2050?", now=NOW)
    finally:
        parser.close()
    event = UserUttered(parse_data["text"], parse_data["intent"], parse_data["entities"], parse_data)
    tracker = DialogueStateTracker.from_events("u1", [event])
    latest = tracker.current_state()["latest_message"]
    assert latest["language"] == "id"
    assert [(e["entity"], e["value"]) for e in latest["entities"]] == [("material", "BOM-2050")]
