"""Interactive approval cards (the default, ``approval_card=interactive``): after one approver's
decision every copy of the card - the other approvers' (in their own language), each reminder's,
and one DingTalk had not taken yet - shows who decided and when and offers no buttons. Read
back from the DingTalk simulator's card records (/_sim/cards)."""

from __future__ import annotations

import pytest

from rasa_project.ordering.states import Change

PMC = "cidPMC0001"


@pytest.fixture
def settings(settings):
    return settings.copy(update={"approval_card": "interactive"})


def cards(dingtalk_sim, ref: str) -> list[dict]:
    return [c for c in dingtalk_sim.http.get("/_sim/cards").json()["cards"] if c["params"].get("change_id") == ref]


def risky_change(workflow, desk):
    """MO000124 150 -> 400 leaves BOM-4100 below its safety stock: it waits for a manager."""
    change = workflow.request_change("MO000124", "pmc0001", PMC, qty=400).value
    assert change.state is Change.PENDING_APPROVAL
    desk.ask_managers(change)
    return change


def test_every_copy_of_the_card_is_closed_after_one_approvers_decision(loop, worker, wall, dingtalk_sim, audit, k3):
    workflow, desk = loop
    audit.record("nlu", actor="manager0002", text="setuju", language="id")  # Dewi reads Indonesian
    change = risky_change(workflow, desk)
    first = cards(dingtalk_sim, change.ref)
    assert sorted(s for c in first for s in c["to_staff_ids"]) == ["manager0001", "manager0002"]
    assert all(c["buttons"] for c in first)  # each approver may decide

    wall.advance(minutes=61)
    assert worker.tick().reminded == [change.ref]  # a reminder is one more copy per approver
    assert len(cards(dingtalk_sim, change.ref)) == 4

    outcome = desk.decide("manager0001", "cidDM", "reject", order_no="MO000124", note="控制板不够")
    assert outcome.key == "workflow.change_rejected"

    after = cards(dingtalk_sim, change.ref)
    assert len(after) == 4 and not [c["out_track_id"] for c in after if c["buttons"]]
    assert {c["status"] for c in after} == {"rejected"}
    assert {c["params"]["decided_by"] for c in after} == {"manager0001"}
    dewi = [c for c in after if c["to_staff_ids"] == ["manager0002"]]
    wang = [c for c in after if c["to_staff_ids"] == ["manager0001"]]
    assert all(c["params"]["decision"].startswith("Sudah ditolak oleh 王丽") for c in dewi), dewi
    assert all(c["params"]["decision"].startswith("王丽 已驳回") for c in wang), wang
    assert all(c["params"]["decided_at"].startswith("2025-04-01") for c in after)  # the business clock
    assert k3.get_order("MO000124").qty == 150


def test_a_copy_dingtalk_had_not_taken_yet_goes_out_closed(loop, worker, wall, dingtalk_sim, k3):
    workflow, desk = loop
    dingtalk_sim.faults([{"path_prefix": "/v1.0/card/", "status": 503, "count": 1}])  # 王丽's card fails once
    change = risky_change(workflow, desk)
    assert [c["to_staff_ids"] for c in cards(dingtalk_sim, change.ref)] == [["manager0002"]]

    assert desk.decide("manager0002", "cidDM", "approve", order_no="MO000124").key == "workflow.change_applied"
    wall.advance(seconds=10)
    worker.tick()  # the outbox retries 王丽's copy: it arrives showing Dewi's decision, with no buttons
    after = cards(dingtalk_sim, change.ref)
    assert sorted(s for c in after for s in c["to_staff_ids"]) == ["manager0001", "manager0002"]
    assert not [c for c in after if c["buttons"]] and {c["status"] for c in after} == {"approved"}
    [wang] = [c for c in after if c["to_staff_ids"] == ["manager0001"]]
    assert wang["params"]["decided_by"] == "manager0002" and "Dewi Lestari" in wang["params"]["decision"]
    assert k3.get_order("MO000124").qty == 400
