"""The dialogue suite itself (issue 13, "How we know"): well-formed, large and varied enough, kept
apart from the training data, and its pure parts (language detection, K/3 comparison) correct."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import yaml

from devtools.dialogues.expect import check_k3
from devtools.dialogues.k3 import Numbering, OrderState, _placeholder_model, order_sequence
from devtools.dialogues.lang import detect
from devtools.dialogues.run import batches, locks_of, scope_of
from devtools.dialogues.spec import CLASSES, DIALOGUE_DIR, SETS, load_all, read_gate
from devtools.factory import get_factory
from rasa_project.settings import PROJECT_ROOT

STAFF = {p.dingtalk_staff_id for p in get_factory().people}


def dialogues():
    return load_all(known_staff=STAFF)


def fresh():
    """The untuned evaluation set (tests/dialogues/fresh/), kept apart from the main set."""
    return load_all(SETS["fresh"], known_staff=STAFF)


def fresh2():
    """The second untuned evaluation set (tests/dialogues/fresh2/), kept apart from both others."""
    return load_all(SETS["fresh2"], known_staff=STAFF)


def both():
    return dialogues() + fresh() + fresh2()


def test_at_least_150_dialogues_across_every_class_and_language():
    ds = dialogues()
    assert len(ds) >= 150, len(ds)
    assert {d.cls for d in ds} == set(CLASSES)
    langs = Counter(d.language for d in ds)
    assert all(langs[lang] >= 15 for lang in ("zh", "id", "en")) and langs["mixed"] >= 5, langs
    for cls in CLASSES:
        assert {"zh", "id", "en"} <= {d.language for d in ds if d.cls == cls} | {
            t.lang for d in ds if d.cls == cls for t in d.turns}, cls
    assert all(len(d.turns) >= 1 for d in ds)
    assert sum(len(d.turns) >= 2 for d in ds) >= 100  # multi-turn, most of them


def test_speakers_have_the_roles_the_dialogue_needs():
    people = {p.dingtalk_staff_id: set(p.groups) for p in get_factory().people}
    for d in both():
        for t in d.turns:
            if t.role == "boss":
                assert "managers" in people[t.by], d.id
            if t.role == "worker":
                assert "production" in people[t.by], d.id
            if t.role == "pmc":
                assert "pmc" in people[t.by], d.id


def _training_texts() -> set[str]:
    out = set()
    for path in (PROJECT_ROOT / "data" / "nlu").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            for line in (item.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    out.add(_norm(re.sub(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}", r"\1\2", line[2:])))
    return out


def _norm(text: str) -> str:
    return re.sub(r"[\s,.!?，。！？、:：;；\"'“”]+", " ", text.lower()).strip()


def test_no_dialogue_text_is_training_data():
    """Kept apart: no user text of a dialogue (beyond a bare yes/no/cancel) is an NLU example, or part of one."""
    training = _training_texts()
    assert len(training) > 300
    clashes = []
    for d in both():
        for text in d.texts():
            t = _norm(text)
            if len(t) < 8:
                continue  # 确认 / ya / cancel / 300 are everyone's words
            if t in training or (len(t) >= 12 and any(t in ex for ex in training)):
                clashes.append((d.id, text))
    assert not clashes, clashes


def test_fresh_set_covers_every_class_and_language():
    ds = fresh()
    assert len(ds) >= 50, len(ds)
    assert {d.cls for d in ds} == set(CLASSES)
    langs = Counter(d.language for d in ds)
    assert all(langs[lang] >= 15 for lang in ("zh", "id", "en")) and langs["mixed"] >= 3, langs
    for cls in CLASSES:
        assert {"zh", "id", "en"} <= {d.language for d in ds if d.cls == cls} | {
            t.lang for d in ds if d.cls == cls for t in d.turns}, cls
    assert sum(len(d.turns) >= 2 for d in ds) >= 40
    assert all(d.id.startswith("fr-") for d in ds)


def test_fresh_set_is_kept_apart_from_the_main_set():
    """Its own directory (the main set and the gate never load it), its own ids, and none of the main
    set's user texts: the main set was used to tune the bot, the fresh set was not."""
    assert SETS["main"] == DIALOGUE_DIR and SETS["fresh"] == DIALOGUE_DIR / "fresh"
    main_ds, fresh_ds = dialogues(), fresh()
    assert not {d.id for d in main_ds} & {d.id for d in fresh_ds}
    assert not {d.source for d in main_ds} - {p.name for p in DIALOGUE_DIR.glob("*.yml")}
    assert not set(read_gate()) & {d.id for d in fresh_ds}
    main_texts = {_norm(t) for d in main_ds for t in d.texts()}
    reused = [(d.id, t) for d in fresh_ds for t in d.texts() if len(_norm(t)) >= 8 and _norm(t) in main_texts]
    assert not reused, reused


def test_fresh2_set_covers_every_class_and_language():
    ds = fresh2()
    assert len(ds) >= 60, len(ds)
    assert {d.cls for d in ds} == set(CLASSES)
    langs = Counter(d.language for d in ds)
    assert all(langs[lang] >= 15 for lang in ("zh", "id", "en")) and langs["mixed"] >= 3, langs
    for cls in CLASSES:
        assert {"zh", "id", "en"} <= {d.language for d in ds if d.cls == cls} | {
            t.lang for d in ds if d.cls == cls for t in d.turns}, cls
    assert sum(len(d.turns) >= 2 for d in ds) >= 40
    assert all(d.id.startswith("f2-") for d in ds)


def test_fresh2_set_is_kept_apart_from_the_main_and_fresh_sets():
    """Its own directory, ids and texts: the main and the fresh set were both tuned on, fresh2 was not
    when its untuned report was taken."""
    assert SETS["fresh2"] == DIALOGUE_DIR / "fresh2"
    others, new = dialogues() + fresh(), fresh2()
    assert not {d.id for d in others} & {d.id for d in new}
    assert not set(read_gate()) & {d.id for d in new}
    other_texts = {_norm(t) for d in others for t in d.texts()}
    reused = [(d.id, t) for d in new for t in d.texts() if len(_norm(t)) >= 8 and _norm(t) in other_texts]
    assert not reused, reused


def test_runner_selects_a_set_and_keeps_the_gate_to_the_main_set():
    import signal

    from devtools.dialogues.run import main

    handler = signal.getsignal(signal.SIGTERM)
    try:
        assert main(["--set", "fresh", "--gate"]) == 2  # refused before anything starts
        assert main(["--set", "fresh2", "--gate"]) == 2
    finally:
        signal.signal(signal.SIGTERM, handler)


def test_gate_names_existing_dialogues():
    ids = {d.id for d in dialogues()}
    gate = read_gate()
    assert len(gate) == len(set(gate))
    assert set(gate) <= ids, set(gate) - ids


def test_batches_never_share_a_speaker_or_a_work_center():
    for ds in (dialogues(), fresh(), fresh2()):
        plan = batches(ds, 3)
        assert sorted(d.id for b in plan for d in b) == sorted(d.id for d in ds)
        for batch in plan:
            held: set[str] = set()
            for d in batch:
                assert not (locks_of(d) & held), (d.id, [x.id for x in batch])
                held |= locks_of(d)
    by_id = {d.id: d for d in dialogues()}
    assert scope_of(by_id["rel-zh-add-50-more"]) == {"WC-01"}
    assert scope_of(by_id["mgr-zh-reject-with-reason-not-stock-query"]) >= {"WC-03", "WC-04"}  # assembly + parts


def test_language_detection():
    assert detect("生产订单 P20250401 已汇报 124（合格 120，报废 4）") == "zh"
    assert detect("Pesanan produksi P20250401 sudah dilaporkan 124; jumlah tidak bisa diubah.") == "id"
    assert detect("Production order P20250401 has already reported 124; the quantity cannot go down.") == "en"
    assert detect("P20250401 ✅") is None


def _order(**kw) -> OrderState:
    base = {"bill_no": "P1", "qty": 300.0, "document": "C", "status": "4", "finish": "2025-04-03",
            "work_center": "WC-01", "material": "BOM-2050", "good": 120.0, "scrap": 4.0, "reports": 3}
    base.update(kw)
    return OrderState(**base)


def test_k3_expectations():
    base = {"P20250401": _order(bill_no="P20250401")}
    assert check_k3({"P20250401": "unchanged"}, base, dict(base), None) == []
    changed = {"P20250401": _order(bill_no="P20250401", good=150.0, scrap=5.0, reports=4)}
    assert check_k3({"P20250401": "unchanged"}, base, changed, None)
    assert check_k3({"P20250401": {"good": 150, "scrap": 5, "reports": 4}}, base, changed, None) == []
    # a field the dialogue does not name must not move (a change is not also a report)
    assert check_k3({"P20250401": {"qty": 300}}, base, changed, None)
    new = dict(base, MO000125=_order(bill_no="MO000125", qty=120.0, material="BOM-2051", good=0.0, scrap=0.0,
                                     reports=0, status="1"))
    assert check_k3({"new_orders": []}, base, new, {"WC-01"})
    assert check_k3({"new_orders": []}, base, new, {"WC-02"}) == []  # another dialogue's work center
    assert check_k3({"new_orders": [{"material": "BOM-2051", "qty": 120}]}, base, new, {"WC-01"}) == []
    assert check_k3({"new_orders": [{"material": "BOM-2051", "qty": 100}]}, base, new, {"WC-01"})


class _NumberingSdk:
    """K/3's PRD_MO numbering as the simulator keeps it: a counter that its reset sets back."""

    def __init__(self, at: int) -> None:
        self.at, self.live = at, set()

    def Save(self, form_id, data):  # the official SDK's names
        self.at += 1
        number = f"MO{self.at:06d}"
        self.live.add(number)
        return json.dumps({"Result": {"ResponseStatus": {"IsSuccess": True}, "Number": number}})

    def Delete(self, form_id, data):
        self.live -= set(data["Numbers"])
        return json.dumps({"Result": {"ResponseStatus": {"IsSuccess": True}}})


def test_bill_numbers_carry_on_across_a_k3_reset():
    """A reset between batches must not give MO000125 again (the bot keys its OA approvals by bill number)."""
    sdk = _NumberingSdk(at=124)
    numbering = Numbering.__new__(Numbering)
    numbering.sdk, numbering.model = sdk, _placeholder_model()
    assert numbering.next_number() == 125  # a fresh K/3: the placeholder took MO000125
    sdk.at = 131  # the batch created (and maybe deleted) orders up to MO000131
    upto = numbering.next_number()
    assert upto == 132
    sdk.at = 124  # the reset
    numbering.skip_past(upto)
    assert sdk.at == 132 and not sdk.live  # the next real order is MO000133; no placeholder is left
    assert order_sequence("MO000133") == 133
    model = _placeholder_model()
    assert model["FTreeEntity"][0]["FBomId"]["FNumber"] and model["FPrdOrgId"]["FNumber"] == "100"


def test_docs_describe_the_format():
    doc = (Path(PROJECT_ROOT) / "docs" / "DIALOGUES.md").read_text(encoding="utf-8")
    for word in ("must_say", "must_not_say", "k3", "press", "audio", "gate.txt", "make dialogue-test"):
        assert word in doc, word
