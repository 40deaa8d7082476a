"""Manager approval on the phone -> K/3 -> requester and groups told (service level, real pieces)."""

from __future__ import annotations

import threading

import pytest

from rasa_project.ordering.states import Change, Draft

PMC, PROD = "cidPMC0001", "cidPROD0001"


def _risky_change(workflow, desk, requester="pmc0001", conversation_id=PMC):
    """MO000124 150 -> 400 leaves BOM-4100 below its safety stock: needs a manager."""
    outcome = workflow.request_change("MO000124", requester, conversation_id, qty=400)
    assert outcome.value.state is Change.PENDING_APPROVAL
    desk.ask_managers(outcome.value)
    return outcome.value


def _applied_events(workflow, ref):
    return [e for e in workflow.history(ref) if e.to_state is Change.APPLIED]


def test_cards_go_to_each_other_manager_in_their_language_and_to_pmc_group(loop, dingtalk_sim, audit, k3):
    workflow, desk = loop
    # Dewi last wrote to the assistant in Indonesian: her card is in Indonesian
    audit.record("nlu", actor="manager0002", text="setuju", language="id")
    change = _risky_change(workflow, desk)

    [wang] = dingtalk_sim.messages(staff_id="manager0001")
    assert wang["msgtype"] == "actionCard"
    assert [b["content"] for b in wang["buttons"]] == ["批准 MO000124", "驳回 MO000124"]
    assert "张伟" in wang["text"] and "150 → 400" in wang["text"]
    assert "420" in wang["text"] and "300" in wang["text"]  # BOM-4100 stock 420 vs safety stock 300
    [dewi] = dingtalk_sim.messages(staff_id="manager0002")
    assert [b["content"] for b in dewi["buttons"]] == ["setujui MO000124", "tolak MO000124"]
    assert "stok pengaman" in dewi["text"]
    [group_card] = dingtalk_sim.messages(conversation_id=PMC)
    # issue 13 item 12: the group's copy says who decides, @-mentions them, offers no decision buttons
    assert change.ref in group_card["title"] and not group_card.get("buttons")
    assert "王丽" in group_card["text"] and "Dewi Lestari" in group_card["text"] and "@manager0001" in group_card["text"]
    assert not dingtalk_sim.messages(staff_id="pmc0001")  # the requester is not asked
    asked = [r for r in audit.history("MO000124") if r.kind == "approval"]
    assert '"approval_requested"' in asked[-1].payload and "manager0002" in asked[-1].payload
    assert k3.get_order("MO000124").qty == 150  # nothing written before a decision


def test_approve_writes_k3_once_and_tells_requester_and_production_group(loop, dingtalk_sim, k3):
    workflow, desk = loop
    change = _risky_change(workflow, desk)

    outcome = desk.decide("manager0001", "cidDM", "approve", order_no="MO000124")

    assert outcome.key == "workflow.change_applied"
    assert k3.get_order("MO000124").qty == 400
    requester = [t for t in dingtalk_sim.texts(conversation_id=PMC) if "批准了您的变更申请" in t]
    assert len(requester) == 1 and change.ref in requester[0] and "王丽" in requester[0]
    [plan] = dingtalk_sim.texts(conversation_id=PROD)
    assert "MO000124" in plan and "150 → 400" in plan

    again = desk.decide("manager0001", "cidDM", "approve", order_no="MO000124")  # the button pressed twice
    assert again.key == "workflow.already_decided"
    assert again.values["approver"] == "王丽"
    assert len(_applied_events(workflow, change.ref)) == 1
    assert len(dingtalk_sim.texts(conversation_id=PROD)) == 1


def test_reject_tells_requester_the_managers_reason(loop, dingtalk_sim, k3):
    workflow, desk = loop
    change = _risky_change(workflow, desk)

    outcome = desk.decide("manager0002", "cidDM", "reject", order_no="MO000124", note="组件库存不够")

    assert outcome.key == "workflow.change_rejected"
    told = [t for t in dingtalk_sim.texts(conversation_id=PMC) if change.ref in t and "驳回" in t]
    assert any("组件库存不够" in t and "Dewi Lestari" in t for t in told)
    assert k3.get_order("MO000124").qty == 150
    assert not dingtalk_sim.messages(conversation_id=PROD)


def test_manager_cannot_approve_own_request_and_is_not_asked(loop, dingtalk_sim, k3):
    workflow, desk = loop
    _risky_change(workflow, desk, requester="manager0001")

    assert not dingtalk_sim.messages(staff_id="manager0001")
    assert len(dingtalk_sim.messages(staff_id="manager0002")) == 1
    assert desk.decide("manager0001", PMC, "approve", order_no="MO000124").key == "workflow.approval_own_request"
    assert desk.decide("pmc0002", PMC, "approve", order_no="MO000124").key == "workflow.approval_not_manager"
    assert k3.get_order("MO000124").qty == 150
    assert desk.decide("manager0002", "cidDM", "approve").key == "workflow.change_applied"  # the one pending
    assert k3.get_order("MO000124").qty == 400


def test_two_managers_pressing_at_once_make_one_decision(loop, make_loop, dingtalk_sim, k3):
    workflow, desk = loop
    change = _risky_change(workflow, desk)
    desks = {"manager0001": make_loop()[1], "manager0002": make_loop()[1]}  # two action-server workers
    start = threading.Barrier(len(desks))
    outcomes: dict[str, str] = {}

    def press(staff_id):
        start.wait(5)
        outcomes[staff_id] = desks[staff_id].decide(staff_id, "cidDM", "approve", order_no="MO000124").key

    threads = [threading.Thread(target=press, args=(s,)) for s in desks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert sorted(outcomes.values()) == ["workflow.already_decided", "workflow.change_applied"]
    assert k3.get_order("MO000124").qty == 400
    assert len(_applied_events(workflow, change.ref)) == 1
    assert len([t for t in dingtalk_sim.texts(conversation_id=PMC) if "批准了您的变更申请" in t]) == 1
    assert len(dingtalk_sim.texts(conversation_id=PROD)) == 1


def test_restart_while_pending_then_approve_applies_once(loop, make_loop, settings, wall, dingtalk_sim, k3):
    from rasa_project.worker import Worker

    workflow, desk = loop
    change = _risky_change(workflow, desk)
    del workflow, desk  # the action server restarts

    workflow2, desk2 = make_loop()
    Worker(settings, workflow2, desk2, now=wall).tick()  # start-up pass: nothing to resume
    assert workflow2.get_change(change.ref).state is Change.PENDING_APPROVAL
    assert desk2.decide("manager0002", "cidDM", "approve").key == "workflow.change_applied"

    workflow3, desk3 = make_loop()
    result = Worker(settings, workflow3, desk3, now=wall).tick()
    assert result.resumed == []
    assert len(_applied_events(workflow3, change.ref)) == 1
    assert k3.get_order("MO000124").qty == 400
    assert len(dingtalk_sim.texts(conversation_id=PROD)) == 1


def test_reminder_escalation_and_expiry_follow_the_injected_clock(loop, worker, wall, dingtalk_sim, k3):
    workflow, desk = loop
    change = _risky_change(workflow, desk)
    cards_to_wang = len(dingtalk_sim.messages(staff_id="manager0001"))

    wall.advance(minutes=59)
    assert worker.tick().reminded == []
    wall.advance(minutes=2)
    assert worker.tick().reminded == [change.ref]
    assert worker.tick().reminded == []  # the same pass again reminds nobody twice
    reminders = dingtalk_sim.texts(staff_id="manager0001")[cards_to_wang:]
    assert len(reminders) == 1 and "提醒" in reminders[0]
    assert not [t for t in dingtalk_sim.texts(conversation_id=PMC) if "请各位经理" in t]

    wall.advance(minutes=61)
    assert worker.tick().reminded == [change.ref]  # second reminder: escalated to every manager in PMC
    [escalation] = [t for t in dingtalk_sim.texts(conversation_id=PMC) if "请各位经理" in t]
    assert "@manager0001" in escalation and "@manager0002" in escalation

    wall.advance(hours=22)
    result = worker.tick()
    assert result.expired == [change.ref]
    assert workflow.get_change(change.ref).state is Change.EXPIRED
    assert len([t for t in dingtalk_sim.texts(conversation_id=PMC) if "已过期" in t]) == 1
    assert worker.tick().expired == []
    late = desk.decide("manager0001", "cidDM", "approve", order_no="MO000124")
    assert late.key == "workflow.change_expired"
    assert k3.get_order("MO000124").qty == 150


def test_cards_are_kept_and_sent_when_dingtalk_is_back(loop, worker, wall, dingtalk_sim):
    workflow, desk = loop
    dingtalk_sim.faults([{"path_prefix": "/v1.0/robot/", "status": 503, "count": 3}])
    change = _risky_change(workflow, desk)
    assert not dingtalk_sim.messages()
    assert {n.state for n in desk.outbox.list(ref=change.ref)} == {"pending"}

    wall.advance(seconds=10)
    worker.tick()
    assert len(dingtalk_sim.messages(staff_id="manager0001")) == 1
    assert len(dingtalk_sim.messages(staff_id="manager0002")) == 1
    assert len(dingtalk_sim.messages(conversation_id=PMC)) == 1
    assert {n.state for n in desk.outbox.list(ref=change.ref)} == {"sent"}
    worker.tick()
    assert len(dingtalk_sim.messages()) == 3  # never twice


def test_approval_interrupted_by_k3_outage_is_finished_by_the_worker(loop, worker, wall, k3_sim, dingtalk_sim, k3):
    workflow, desk = loop
    change = _risky_change(workflow, desk)
    k3_sim.fault(kind="http_5xx", op="save", form_id="PRD_MO", count=3)  # every try of the client

    outcome = desk.decide("manager0001", "cidDM", "approve", order_no="MO000124")
    assert outcome.key == "workflow.change_apply_unknown"
    assert not dingtalk_sim.messages(conversation_id=PROD)

    wall.advance(minutes=5)  # past the write lease of the interrupted request
    result = worker.tick()
    assert result.resumed == [change.ref]
    assert workflow.get_change(change.ref).state is Change.APPLIED
    assert k3.get_order("MO000124").qty == 400
    assert len([t for t in dingtalk_sim.texts(conversation_id=PMC) if "批准了您的变更申请" in t]) == 1
    assert len(dingtalk_sim.texts(conversation_id=PROD)) == 1
    assert worker.tick().resumed == []


NEW_ORDER = {"material": "电机外壳", "qty": "300件", "plan_finish": "2025-04-10", "work_center": "冲压",
             "production_type": "标准"}


@pytest.mark.parametrize(
    ("fault", "k3_has_it"),
    [({"kind": "http_5xx", "op": "save", "form_id": "PRD_MO", "count": 3}, False),  # nothing reached K/3
     ({"kind": "http_5xx", "op": "submit", "form_id": "PRD_MO", "count": 3}, True)],  # saved, not submitted
)
def test_a_confirmed_new_order_whose_write_was_interrupted_is_finished_by_the_worker(
        loop, worker, wall, k3_sim, dingtalk_sim, k3, fault, k3_has_it):
    """The requester said yes and the write stopped half-way (K/3 unreachable here; a killed action
    server the same): nobody types "yes" again, yet the order is written once, as confirmed, and
    the requester is told once."""
    workflow, _desk = loop
    draft = workflow.prepare_draft("pmc0001", PMC, NEW_ORDER).value
    k3_sim.fault(**fault)  # every try of the client
    assert workflow.confirm_draft(draft.id, "pmc0001").key == "workflow.order_write_unknown"
    assert (k3.find_order_by_request_key(draft.request_key) is not None) is k3_has_it
    assert worker.tick().drafts_resumed == []  # within the write lease: the write may still be running
    wall.advance(minutes=5)
    assert worker.tick().drafts_resumed == [draft.id]
    written = workflow.get_draft(draft.id)
    assert written.state is Draft.WRITTEN
    order = k3.find_order_by_request_key(draft.request_key)
    assert (order.bill_no, order.qty, order.document_status) == (written.bill_no, 300, "C")
    told = [t for t in dingtalk_sim.texts(conversation_id=PMC) if "被中断" in t]
    assert len(told) == 1 and written.bill_no in told[0] and "@pmc0001" in told[0]
    wall.advance(minutes=5)
    assert worker.tick().drafts_resumed == []
    assert [o.bill_no for o in k3.list_orders(material_numbers=["1.01.2050"])
            if o.bill_no == written.bill_no] == [written.bill_no]  # one order, not two
    assert workflow.confirm_draft(draft.id, "pmc0001").key == "workflow.order_already_created"
