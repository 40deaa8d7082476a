"""The hash chain verifies, and every kind of tampering is caught at the first broken record."""

from __future__ import annotations

import itertools
import json
from datetime import datetime

import pytest

from rasa_project.audit.chain import AuditKind, chain_hash, record_content


def record_scenario(trail) -> list:
    """One order's life plus unrelated traffic: 7 records of every kind."""
    return [
        trail.record("inbound", actor="pmc0001", conversation_id="cidPMC0001", text="把P20250401改成120"),
        trail.record(
            AuditKind.NLU,
            actor="pmc0001",
            conversation_id="cidPMC0001",
            intent="change_order",
            confidence=0.97,
            entities={"bill_no": "P20250401", "qty": 120},
        ),
        trail.record(
            "decision",
            actor="pmc0001",
            conversation_id="cidPMC0001",
            order_bill_no="P20250401",
            permission="order_change",
            allowed=True,
            roles=["pmc"],
        ),
        trail.record(
            "k3_call", actor="pmc0001", order_bill_no="P20250401", service="Save", ok=True, duration_ms=42.5
        ),
        trail.record("approval", actor="manager0001", order_bill_no="P20250401", decision="approve"),
        trail.record(
            "reply",
            actor="pmc0001",
            conversation_id="cidPMC0001",
            order_bill_no="P20250401",
            key="order.changed",
            lang="zh",
        ),
        trail.record("system", note="Budi Santoso logged in", when=datetime(2025, 4, 1, 9, 0)),
    ]


def test_mixed_scenario_verifies_and_reads_back(trail):
    records = record_scenario(trail)
    assert [r.id for r in records] == list(range(1, 8))
    assert records[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))
    result = trail.verify()
    assert result.ok and result.checked == 7 and result.first_broken_id is None
    history = trail.history("P20250401")
    assert [r.kind for r in history] == ["decision", "k3_call", "approval", "reply"]
    assert [r.id for r in trail.history("P20250401", limit=2)] == [5, 6]
    assert [r.id for r in trail.tail(3)] == [5, 6, 7]
    assert json.loads(trail.history("P20250401")[0].payload)["roles"] == ["pmc"]
    assert json.loads(records[0].payload) == {"text": "把P20250401改成120"}


def test_empty_trail_verifies(trail):
    result = trail.verify()
    assert result.ok and result.checked == 0


def test_unknown_kind_is_refused(trail):
    with pytest.raises(ValueError):
        trail.record("gossip", actor="pmc0001")
    assert trail.verify().checked == 0


def test_payload_update_is_caught_at_that_record(trail, raw_sql):
    record_scenario(trail)
    raw_sql(
        "UPDATE audit_log SET payload = :p WHERE id = 4", p='{"duration_ms":42.5,"ok":false,"service":"Save"}'
    )
    result = trail.verify()
    assert (result.ok, result.first_broken_id, result.reason, result.checked) == (
        False,
        4,
        "hash_mismatch",
        3,
    )


def test_metadata_update_is_caught(trail, raw_sql):
    record_scenario(trail)
    raw_sql("UPDATE audit_log SET actor = 'manager0001' WHERE id = 3")
    assert trail.verify().first_broken_id == 3


def test_deleting_a_middle_record_is_caught_at_the_next_one(trail, raw_sql):
    record_scenario(trail)
    raw_sql("DELETE FROM audit_log WHERE id = 3")
    result = trail.verify()
    assert (result.ok, result.first_broken_id, result.reason) == (False, 4, "missing_before")


def test_deleting_the_newest_record_is_caught(trail, raw_sql):
    record_scenario(trail)
    raw_sql("DELETE FROM audit_log WHERE id = 7")
    result = trail.verify()
    assert (result.ok, result.first_broken_id, result.reason) == (False, 7, "tail_missing")


def test_swapping_two_records_contents_is_caught(trail, raw_sql):
    record_scenario(trail)
    cols = "created_at, kind, actor, conversation_id, order_bill_no, payload"
    two = raw_sql(f"SELECT {cols} FROM audit_log WHERE id = 2")[0]
    five = raw_sql(f"SELECT {cols} FROM audit_log WHERE id = 5")[0]
    sets = ", ".join(f"{c.strip()} = :{c.strip()}" for c in cols.split(","))
    raw_sql(f"UPDATE audit_log SET {sets} WHERE id = 2", **five)
    raw_sql(f"UPDATE audit_log SET {sets} WHERE id = 5", **two)
    result = trail.verify()
    assert (result.first_broken_id, result.reason) == (2, "hash_mismatch")


def test_swapping_two_records_ids_is_caught(trail, raw_sql):
    record_scenario(trail)
    raw_sql("UPDATE audit_log SET id = 1000 WHERE id = 2")
    raw_sql("UPDATE audit_log SET id = 2 WHERE id = 5")
    raw_sql("UPDATE audit_log SET id = 5 WHERE id = 1000")
    result = trail.verify()
    assert (result.ok, result.first_broken_id) == (False, 2)


def _forge(prev_hash: str, record_id: int, payload: dict) -> dict:
    """A record computed with the published algorithm, as a well-informed forger would."""
    created_at = datetime(2025, 4, 1, 1, 0, 0, 123456)
    content = record_content(
        id=record_id,
        created_at=created_at,
        kind="approval",
        actor="manager0001",
        conversation_id=None,
        order_bill_no="P20250401",
        payload=payload,
    )
    return {
        "id": record_id,
        "created_at": created_at,
        "kind": "approval",
        "actor": "manager0001",
        "conv": None,
        "bill": "P20250401",
        "payload": json.dumps(payload, sort_keys=True, separators=(",", ":")),
        "prev": prev_hash,
        "hash": chain_hash(prev_hash, content),
    }


INSERT = (
    "INSERT INTO audit_log (id, created_at, kind, actor, conversation_id, order_bill_no, payload, "
    "prev_hash, hash) VALUES (:id, :created_at, :kind, :actor, :conv, :bill, :payload, :prev, :hash)"
)


def test_appending_a_forged_record_behind_the_trail_is_caught(trail, raw_sql):
    records = record_scenario(trail)
    raw_sql(INSERT, **_forge(records[-1].hash, 8, {"decision": "approve"}))
    result = trail.verify()
    assert (result.ok, result.first_broken_id, result.reason) == (False, 8, "beyond_head")


def test_inserting_a_forged_record_in_the_middle_is_caught(trail, raw_sql):
    records = record_scenario(trail)
    for record_id in range(7, 3, -1):  # make room at id 4
        raw_sql("UPDATE audit_log SET id = :new WHERE id = :old", new=record_id + 1, old=record_id)
    raw_sql(INSERT, **_forge(records[2].hash, 4, {"decision": "approve"}))
    result = trail.verify()
    # the forged link itself is well-formed; the chain breaks where the old record follows it
    assert (result.ok, result.first_broken_id, result.reason) == (False, 5, "prev_hash_mismatch")


def test_inserting_a_record_with_a_made_up_hash_is_caught_at_it(trail, raw_sql):
    records = record_scenario(trail)
    forged = _forge(records[-1].hash, 8, {"decision": "approve"}) | {"hash": "f" * 64}
    raw_sql(INSERT, **forged)
    result = trail.verify()
    assert (result.first_broken_id, result.reason) == (8, "hash_mismatch")


def test_trail_keeps_working_after_verification(trail):
    record_scenario(trail)
    assert trail.verify().ok
    trail.record("system", note="after verify")
    assert trail.verify().checked == 8
