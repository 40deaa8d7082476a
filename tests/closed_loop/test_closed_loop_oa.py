"""New orders through DingTalk OA approval, with real pieces (issue 14): K/3 simulator, DingTalk
simulator (its OA approval and its event log), real slapd, SQLite. The events reach the inbox as the
channel writes them (the channel's own intake is proven in tests/oa and tests/e2e); the manager
decides through the simulator's admin API, which acts as the approver tapping on the phone.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest

from dingtalk_client.workflow import WorkflowClient
from rasa_project.clock import utc_now
from rasa_project.db import make_engine
from rasa_project.oa.inbox import InboundEvent, Inbox
from rasa_project.ordering import rules
from rasa_project.ordering.oa_approvals import OaApprovals
from rasa_project.wiring import workflow_config

PMC, PROD = "cidPMC0001", "cidPROD0001"
VALUES = {"material": "BOM-2051", "qty": 100, "plan_finish": "2025-04-20", "work_center": "WC-01",
          "production_type": "SCDD01_SYS"}


class Events:
    """What the channel does with the simulator's events: store each verified one in the inbox."""

    def __init__(self, sim_url: str, inbox: Inbox) -> None:
        self.sim_url, self.inbox, self.seen = sim_url, inbox, 0

    def all(self) -> list[dict]:
        return httpx.get(f"{self.sim_url}/_sim/events").json()["events"]

    def deliver(self, *, again: bool = False) -> int:
        events = self.all()
        fresh = events if again else events[self.seen:]
        self.seen = len(events)
        for e in fresh:
            self.inbox.put(InboundEvent(e["event_type"], dict(e["data"]), "stream", event_id=e["event_id"]))
        return len(fresh)


@pytest.fixture
def oa(settings, Session, loop, openapi, wall):
    workflow, desk = loop
    engine = make_engine(settings.sqlalchemy_url)
    client = WorkflowClient(workflow_config(settings), openapi)
    approvals = OaApprovals(settings, workflow, desk, client, Inbox(engine, lease_s=30), now=wall)
    workflow.order_approvals = approvals
    desk.oa = approvals
    yield approvals
    client.close()
    engine.dispose()


@pytest.fixture
def events(oa, dingtalk_sim):
    return Events(dingtalk_sim.url, oa.inbox)


def _confirmed(workflow, requester="pmc0001", conversation_id=PMC, **values):
    draft = workflow.prepare_draft(requester, conversation_id, {**VALUES, **values})
    assert draft.ok, draft.key
    return workflow.confirm_draft(draft.value.id, requester)


def _pending(dingtalk_sim, staff_id):
    return dingtalk_sim.http.get("/_sim/approvals", params={"staff_id": staff_id}).json()


def _decide(dingtalk_sim, instance_id, staff_id, result, remark=""):
    r = dingtalk_sim.http.post(f"/_sim/approvals/{instance_id}/decide",
                               json={"staff_id": staff_id, "result": result, "remark": remark})
    assert r.status_code == 200, r.text


def _listed(pending) -> list[dict]:
    return pending.get("approvals") or pending.get("instances") or pending.get("items") or []


def test_confirmed_order_waits_in_b_then_agree_audits_once_and_tells_everyone(loop, oa, events, dingtalk_sim, k3):
    workflow, _ = loop
    created = _confirmed(workflow)
    assert created.key == "workflow.order_submitted", created.key
    bill = created.values["bill_no"]
    assert k3.get_order(bill).document_status == "B"  # saved and submitted, not audited
    approval = oa.get(f"order:{bill}")
    assert approval.state == "pending" and approval.instance_id
    assert set(approval.approvers) == {"manager0001", "manager0002"}  # the managers, not the requester
    assert "王丽" in created.values["approvers"]

    [listed] = [a for a in _listed(_pending(dingtalk_sim, "manager0001")) if a["instance_id"] == approval.instance_id]
    form = {f["name"]: f["value"] for f in listed["form"]}
    assert form["单据编号"] == bill and form["数量"] == "100" and form["计划完工"] == "2025-04-20"
    assert "BOM-2051" in form["物料"] and "1.01.2051" in form["物料"] and form["工作中心"].startswith("WC-01")
    assert form["申请人"] == "张伟" and form["生产类型"] and form["风险说明"]
    card = [m for m in dingtalk_sim.messages(conversation_id=PMC) if m.get("msgtype") == "actionCard"]
    assert len(card) == 1 and bill in card[0]["title"]
    # one link to the instance, no decision buttons (nothing that sends "approve" as chat text)
    assert [(b["content"], approval.instance_id in b["url"]) for b in card[0]["buttons"]] == [(None, True)]

    _decide(dingtalk_sim, approval.instance_id, "manager0001", "agree", "同意，尽快排产")
    events.deliver()
    assert oa.process_inbox() == [f"order:{bill}"]
    assert k3.get_order(bill).document_status == "C"
    told = [t for t in dingtalk_sim.texts(conversation_id=PMC) if "已同意" in t and bill in t]
    assert len(told) == 1 and "王丽" in told[0]
    [notice] = [t for t in dingtalk_sim.texts(conversation_id=PROD) if bill in t]
    assert "BOM-2051" in notice and "100" in notice and "2025-04-20" in notice and "王丽" in notice

    # the same events again (a redelivery, or over HTTP as well), a late poll: nothing twice
    events.deliver(again=True)
    assert oa.process_inbox() == []
    assert oa.poll(oa.now() + timedelta(days=1)) == []
    assert len([t for t in dingtalk_sim.texts(conversation_id=PMC) if "已同意" in t and bill in t]) == 1
    assert len([t for t in dingtalk_sim.texts(conversation_id=PROD) if bill in t]) == 1
    again = workflow.confirm_draft(created.values["draft_id"], "pmc0001")  # the confirm pressed again
    assert again.values["bill_no"] == bill and k3.get_order(bill).document_status == "C"


def test_refuse_withdraws_and_deletes_the_order_and_tells_the_remark(loop, oa, events, dingtalk_sim, k3):
    workflow, _ = loop
    bill = _confirmed(workflow).values["bill_no"]
    approval = oa.get(f"order:{bill}")
    _decide(dingtalk_sim, approval.instance_id, "manager0002", "refuse", "控制板库存不够")
    events.deliver()
    oa.process_inbox()
    assert k3.get_order(bill) is None  # CancelAssign (B -> A), then Delete
    assert oa.get(f"order:{bill}").state == "refused"
    [told] = [t for t in dingtalk_sim.texts(conversation_id=PMC) if "拒绝" in t and bill in t]
    assert "控制板库存不够" in told and "Dewi Lestari" in told
    assert not [t for t in dingtalk_sim.texts(conversation_id=PROD) if bill in t]


def test_requester_terminates_in_dingtalk(loop, oa, events, dingtalk_sim, k3):
    workflow, _ = loop
    bill = _confirmed(workflow, qty=120).values["bill_no"]
    approval = oa.get(f"order:{bill}")
    oa.client.terminate(approval.instance_id, operator="pmc0001", remark="数量写错了")
    events.deliver()
    oa.process_inbox()
    assert k3.get_order(bill) is None and oa.get(f"order:{bill}").state == "terminated"
    [told] = [t for t in dingtalk_sim.texts(conversation_id=PMC) if "撤销" in t and bill in t]
    assert "数量写错了" in told


def test_missed_events_are_caught_up_by_polling(loop, oa, events, dingtalk_sim, k3, wall):
    workflow, _ = loop
    bill = _confirmed(workflow, qty=130).values["bill_no"]
    approval = oa.get(f"order:{bill}")
    _decide(dingtalk_sim, approval.instance_id, "manager0001", "agree")
    # the events never reach us (bot down, delivery lost): the poll reads the instance back
    assert oa.poll(wall()) == []  # not due yet
    assert oa.poll(wall() + timedelta(seconds=oa.settings.oa_poll_after_s + 1)) == [f"order:{bill}"]
    assert k3.get_order(bill).document_status == "C"
    events.deliver()  # the events arrive late after all
    assert oa.process_inbox() == []
    assert len([t for t in dingtalk_sim.texts(conversation_id=PROD) if bill in t]) == 1


def test_two_workers_racing_apply_the_result_once(loop, make_loop, oa, events, dingtalk_sim, k3, settings, openapi,
                                                 wall):
    workflow, _ = loop
    bill = _confirmed(workflow, qty=140).values["bill_no"]
    approval = oa.get(f"order:{bill}")
    _decide(dingtalk_sim, approval.instance_id, "manager0001", "agree")
    events.deliver()
    workflow2, desk2 = make_loop()
    engine = make_engine(settings.sqlalchemy_url)
    client2 = WorkflowClient(workflow_config(settings), openapi)
    other = OaApprovals(settings, workflow2, desk2, client2, Inbox(engine, lease_s=30), now=wall)
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda a=a, n=n: results.append(a.process_inbox(n)))
               for a, n in ((oa, "w1"), (other, "w2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    other.poll(wall() + timedelta(days=1))
    assert sum(len(r) for r in results) == 1
    assert k3.get_order(bill).document_status == "C"
    assert len([t for t in dingtalk_sim.texts(conversation_id=PROD) if bill in t]) == 1
    client2.close()
    engine.dispose()


def test_an_expired_approval_is_terminated_in_dingtalk_and_withdrawn_in_k3(loop, oa, dingtalk_sim, k3, wall):
    workflow, _ = loop
    bill = _confirmed(workflow, qty=150).values["bill_no"]
    approval = oa.get(f"order:{bill}")
    later = wall() + timedelta(seconds=oa.settings.approval_remind_after_s + 1)
    assert oa.remind(later) == [f"order:{bill}"]
    assert any(bill in t for t in dingtalk_sim.texts(staff_id="manager0001"))
    assert oa.expire(wall() + timedelta(seconds=oa.settings.approval_expire_after_s + 1)) == [f"order:{bill}"]
    assert oa.client.get(approval.instance_id).is_terminated
    assert k3.get_order(bill) is None and oa.get(f"order:{bill}").state == "expired"
    assert [t for t in dingtalk_sim.texts(conversation_id=PMC) if "无人处理" in t and bill in t]


def test_a_small_risk_free_order_is_exempt_and_says_so(loop, oa, dingtalk_sim, k3, settings):
    workflow, _ = loop
    settings.new_order_exempt_max_qty = 200
    created = _confirmed(workflow, qty=50)
    assert created.key == "workflow.order_created_exempt", created.key
    assert k3.get_order(created.values["bill_no"]).document_status == "C"
    assert oa.get(f"order:{created.values['bill_no']}") is None
    assert not _listed(_pending(dingtalk_sim, "manager0001"))


def test_the_chain_escalates_when_the_requester_is_the_only_manager():
    assert rules.approval_chain("m1", [["m1", "m2"], ["d1"]]) == (("m2",), 0)
    assert rules.approval_chain("m1", [["m1"], ["d1", "m1"]]) == (("d1",), 1)  # four-eyes: never m1
    assert rules.approval_chain("m1", [["m1"], []]) == ((), -1)


def test_the_approval_rule():
    risky = [rules.CheckResult("capacity", rules.Verdict.NEEDS_APPROVAL, "workflow.risk_capacity", {})]
    assert rules.new_order_needs_approval("all", qty=10, exempt_max_qty=0, risks=[])
    assert not rules.new_order_needs_approval("all", qty=10, exempt_max_qty=50, risks=[])
    assert rules.new_order_needs_approval("all", qty=10, exempt_max_qty=50, risks=risky)
    assert not rules.new_order_needs_approval("none", qty=10_000, exempt_max_qty=0, risks=risky)
    with pytest.raises(ValueError):
        rules.new_order_needs_approval("some", qty=1, exempt_max_qty=0, risks=[])


def test_a_held_change_goes_to_the_same_oa_list_when_approval_channel_is_oa(loop, oa, events, dingtalk_sim, k3,
                                                                            settings):
    """approval_channel=oa: the risky change is an OA instance like a new order; agree applies it."""
    workflow, desk = loop
    settings.approval_channel = "oa"
    outcome = workflow.request_change("MO000124", "pmc0001", PMC, qty=400)
    change = outcome.value
    asked = desk.ask_managers(change)
    assert set(asked) == {"manager0001", "manager0002"}
    approval = oa.get(f"change:{change.ref}")
    [listed] = [a for a in _listed(_pending(dingtalk_sim, "manager0002")) if a["instance_id"] == approval.instance_id]
    form = {f["name"]: f["value"] for f in listed["form"]}
    assert form["单据编号"] == "MO000124" and change.ref in form["变更内容"] and "300" in form["风险说明"]
    assert not [m for m in dingtalk_sim.messages(staff_id="manager0001") if m.get("buttons") and any(
        b.get("content") for b in m["buttons"])]  # no robot card with chat-text buttons: one to-do list
    assert k3.get_order("MO000124").qty == 150
    _decide(dingtalk_sim, approval.instance_id, "manager0002", "agree", "先做")
    events.deliver()
    oa.process_inbox()
    assert k3.get_order("MO000124").qty == 400
    assert oa.get(f"change:{change.ref}").state == "agreed"
    assert workflow.get_change(change.ref).approver == "manager0002"
    assert [t for t in dingtalk_sim.texts(conversation_id=PROD) if "MO000124" in t and "150 → 400" in t]


# --- transfer (转交), add-signer (加签), a lost start answer, withdrawal in chat ---------------------
def _redirect(dingtalk_sim, instance_id, staff_id, to, remark=""):
    r = dingtalk_sim.http.post(f"/_sim/approvals/{instance_id}/redirect",
                               json={"staff_id": staff_id, "to": to, "remark": remark})
    assert r.status_code == 200, r.text


def test_a_transferred_task_is_decided_by_the_new_approver_who_is_named_and_reminded(loop, oa, events,
                                                                                   dingtalk_sim, k3, wall):
    workflow, _ = loop
    bill = _confirmed(workflow, qty=120).values["bill_no"]
    approval = oa.get(f"order:{bill}")
    _redirect(dingtalk_sim, approval.instance_id, "manager0001", "director0001", "周总来定")
    events.deliver()
    assert oa.process_inbox() == []  # a transfer decides nothing
    moved = oa.get(f"order:{bill}")
    assert "director0001" in moved.approvers and "manager0001" not in moved.approvers
    assert k3.get_order(bill).document_status == "B"
    # the reminder goes to who holds the task now
    later = wall() + timedelta(seconds=oa.settings.approval_remind_after_s + 1)
    assert oa.remind(later) == [f"order:{bill}"]
    assert any(bill in t for t in dingtalk_sim.texts(staff_id="director0001"))
    assert not any(bill in t for t in dingtalk_sim.texts(staff_id="manager0001"))
    # the one it was handed from cannot decide; the new approver does, and is the one named
    r = dingtalk_sim.http.post(f"/_sim/approvals/{approval.instance_id}/decide",
                               json={"staff_id": "manager0001", "result": "agree"})
    assert r.status_code == 409
    _decide(dingtalk_sim, approval.instance_id, "director0001", "agree", "可以")
    events.deliver()
    assert oa.process_inbox() == [f"order:{bill}"]
    assert k3.get_order(bill).document_status == "C"
    assert oa.get(f"order:{bill}").decided_by == "director0001"
    [told] = [t for t in dingtalk_sim.texts(conversation_id=PMC) if "已同意" in t and bill in t]
    assert "周敏" in told and "王丽" not in told
    [notice] = [t for t in dingtalk_sim.texts(conversation_id=PROD) if bill in t]
    assert "周敏" in notice


def test_a_task_handed_back_to_the_requester_cannot_approve_their_own_order(loop, oa, events, dingtalk_sim, k3):
    workflow, _ = loop
    bill = _confirmed(workflow, qty=130).values["bill_no"]
    approval = oa.get(f"order:{bill}")
    _redirect(dingtalk_sim, approval.instance_id, "manager0001", "pmc0001")
    _decide(dingtalk_sim, approval.instance_id, "pmc0001", "agree", "我自己批")
    events.deliver()
    oa.process_inbox()
    final = oa.get(f"order:{bill}")
    assert final.state == "refused" and "四眼" in final.remark
    assert k3.get_order(bill) is None  # never audited; withdrawn and deleted


def test_an_added_signer_decides_before_the_approver(loop, oa, events, dingtalk_sim, k3):
    workflow, _ = loop
    bill = _confirmed(workflow, qty=140).values["bill_no"]
    approval = oa.get(f"order:{bill}")
    r = dingtalk_sim.http.post(f"/_sim/approvals/{approval.instance_id}/append",
                               json={"staff_id": "manager0001", "signers": ["director0001"], "type": "before"})
    assert r.status_code == 200, r.text
    events.deliver()
    assert oa.process_inbox() == []
    now = oa.get(f"order:{bill}").approvers  # the signer and the other manager (OR); the one who asked waits
    assert "director0001" in now and "manager0001" not in now
    _decide(dingtalk_sim, approval.instance_id, "director0001", "agree", "没问题")
    events.deliver()
    assert oa.process_inbox() == [] and k3.get_order(bill).document_status == "B"  # the approver still decides
    assert "manager0001" in oa.get(f"order:{bill}").approvers
    _decide(dingtalk_sim, approval.instance_id, "manager0001", "agree", "同意")
    events.deliver()
    assert oa.process_inbox() == [f"order:{bill}"] and k3.get_order(bill).document_status == "C"


def test_a_start_whose_answer_was_lost_is_adopted_not_started_twice(loop, oa, events, dingtalk_sim, k3):
    workflow, _ = loop
    oa.now = utc_now  # the window of the search is real time, as DingTalk's is (the test wall is anchored)
    assert dingtalk_sim.http.post("/_sim/oa/faults", json={"lose_answer": {"start": 1}}).status_code == 200
    created = _confirmed(workflow, qty=160)
    assert created.key == "workflow.order_submitted_retrying", created.key
    bill = created.values["bill_no"]
    assert oa.get(f"order:{bill}").state == "starting"
    [lost] = [a for a in _listed(_pending(dingtalk_sim, "manager0001")) if {
        f["name"]: f["value"] for f in a["form"]}["单据编号"] == bill]  # DingTalk has it all the same
    assert oa.retry_starts() == [f"order:{bill}"]
    adopted = oa.get(f"order:{bill}")
    assert adopted.state == "pending" and adopted.instance_id == lost["instance_id"]
    mine = [a for a in _listed(_pending(dingtalk_sim, "manager0001"))
            if {f["name"]: f["value"] for f in a["form"]}["单据编号"] == bill]
    assert len(mine) == 1  # no duplicate in the manager's list
    assert oa.retry_starts() == []  # and nothing more to start
    _decide(dingtalk_sim, adopted.instance_id, "manager0001", "agree")
    events.deliver()
    assert oa.process_inbox() == [f"order:{bill}"] and k3.get_order(bill).document_status == "C"


def test_a_lost_start_decided_before_adoption_is_applied_at_adoption(loop, oa, events, dingtalk_sim, k3):
    workflow, _ = loop
    oa.now = utc_now
    dingtalk_sim.http.post("/_sim/oa/faults", json={"lose_answer": {"start": 1}})
    bill = _confirmed(workflow, qty=170).values["bill_no"]
    [lost] = [a for a in _listed(_pending(dingtalk_sim, "manager0001"))
              if {f["name"]: f["value"] for f in a["form"]}["单据编号"] == bill]
    _decide(dingtalk_sim, lost["instance_id"], "manager0001", "refuse", "不做")
    events.deliver()
    assert oa.process_inbox() == []  # an instance we do not know yet: nothing to apply
    oa.retry_starts()
    final = oa.get(f"order:{bill}")
    assert final.state == "refused" and final.instance_id == lost["instance_id"]
    assert k3.get_order(bill) is None


def test_the_requester_withdraws_a_waiting_order_in_chat(loop, oa, events, dingtalk_sim, k3):
    workflow, _ = loop
    bill = _confirmed(workflow, qty=180).values["bill_no"]
    approval = oa.get(f"order:{bill}")
    # someone else's order is refused, nothing changes
    other = workflow.propose_withdraw(bill, "pmc0002")
    assert other.key == "workflow.withdraw_not_yours"
    assert workflow.withdraw_order(bill, "pmc0002").key == "workflow.withdraw_not_yours"
    assert oa.client.get(approval.instance_id).is_running and k3.get_order(bill).document_status == "B"

    summary = workflow.propose_withdraw(bill, "pmc0001")
    assert summary.key == "workflow.withdraw_summary"
    assert [d.key for d in summary.details] == ["oa.withdraw_will_terminate"]
    assert oa.client.get(approval.instance_id).is_running  # a summary writes nothing
    done = workflow.withdraw_order(bill, "pmc0001")
    assert done.key == "oa.withdrawn_in_chat", done.key
    instance = oa.client.get(approval.instance_id)
    assert instance.is_terminated
    [stop] = [r for r in instance.records if r.type == "TERMINATE_PROCESS_INSTANCE"]
    assert stop.user_id == "pmc0001" and "撤回" in stop.remark
    assert k3.get_order(bill) is None and oa.get(f"order:{bill}").state == "withdrawn"
    assert not _listed(_pending(dingtalk_sim, "manager0001")) or all(
        a["instance_id"] != approval.instance_id for a in _listed(_pending(dingtalk_sim, "manager0001")))
    # the terminate event that follows, again: nobody is told a second time, nothing moves
    before = len(dingtalk_sim.texts(conversation_id=PMC))
    events.deliver()
    events.deliver(again=True)
    assert oa.process_inbox() == []
    assert len(dingtalk_sim.texts(conversation_id=PMC)) == before
    assert workflow.withdraw_order(bill, "pmc0001").key == "workflow.already_withdrawn"


def test_withdrawing_after_the_manager_agreed_keeps_the_order(loop, oa, events, dingtalk_sim, k3):
    workflow, _ = loop
    bill = _confirmed(workflow, qty=190).values["bill_no"]
    approval = oa.get(f"order:{bill}")
    assert workflow.propose_withdraw(bill, "pmc0001").key == "workflow.withdraw_summary"
    _decide(dingtalk_sim, approval.instance_id, "manager0001", "agree", "同意")  # before the confirm
    answer = workflow.withdraw_order(bill, "pmc0001")
    assert answer.key == "oa.withdraw_already_decided", answer.key
    assert k3.get_order(bill).document_status == "C" and oa.get(f"order:{bill}").state == "agreed"


def test_a_group_notice_that_mentions_someone_really_ats_through_the_groups_fresh_session_webhook(
        settings, Session, openapi, dingtalk_sim, wall):
    """DingTalk's OpenAPI group send has no @ field; a message's sessionWebhook takes ``at.atUserIds``.
    The channel remembers the group's newest one (its own decode + origin check), the outbox uses it
    for a notice that @-mentions someone while it is fresh, and OpenAPI otherwise."""
    import asyncio

    from connectors.dingtalk import decode_robot_message
    from connectors.group_webhooks import GroupWebhookMemory
    from dingtalk_client.messages import Markdown
    from dingtalk_client.origins import ReplyOrigins
    from rasa_project.notify.outbox import NotificationOutbox
    from rasa_project.notify.session_webhooks import SessionWebhooks

    store = SessionWebhooks(Session)
    allowed = ReplyOrigins(settings.dingtalk_reply_origins).allows
    outbox = NotificationOutbox(Session, openapi, now=wall, webhooks=store, allow_webhook=allowed)
    notice = Markdown(title="审批结果", text="@pmc0001 MO000777 已同意", at_staff_ids=("pmc0001",))
    outbox.send("at-1", notice, kind="test", group=PMC)  # no webhook known yet: OpenAPI, names in the text only
    [first] = [m for m in dingtalk_sim.messages(conversation_id=PMC) if "MO000777" in (m.get("text") or "")]
    assert first["via"] != "webhook" and first["to_staff_ids"] == []

    said = dingtalk_sim.http.post("/_sim/chat", json={"conversation_id": PMC, "staff_id": "pmc0002", "text": "早",
                                                      "at_bot": False}).json()
    raw = next(m["raw"] for m in dingtalk_sim.http.get("/_sim/timeline", params={"conversation_id": PMC}).json()[
        "messages"] if m["via"] == "user" and m["raw"].get("msgId") == said["msgId"])
    inbound = decode_robot_message(raw, robot_name=settings.dingtalk_robot_name)
    memory = GroupWebhookMemory(settings, ReplyOrigins(settings.dingtalk_reply_origins).allows, store=store)
    asyncio.run(memory.note(inbound.metadata))
    assert memory.note(inbound.metadata) is None  # written at most once per group in a while

    outbox.send("at-2", notice, kind="test", group=PMC)
    second = [m for m in dingtalk_sim.messages(conversation_id=PMC) if "MO000777" in (m.get("text") or "")][-1]
    assert second["via"] == "webhook" and second["to_staff_ids"] == ["pmc0001"]  # a real @
    assert second["raw"]["at"]["atUserIds"] == ["pmc0001"]

    # the origin is checked again when sending: a stored URL the allowed origins no longer admit is not used
    strict = NotificationOutbox(Session, openapi, now=wall, webhooks=store,
                                allow_webhook=ReplyOrigins(["https://oapi.dingtalk.com"]).allows)
    strict.send("at-2b", Markdown(title="x", text="@pmc0001 MO000780", at_staff_ids=("pmc0001",)), kind="test",
                group=PMC)
    [strict_sent] = [m for m in dingtalk_sim.messages(conversation_id=PMC) if "MO000780" in (m.get("text") or "")]
    assert strict_sent["via"] != "webhook"

    plain = Markdown(title="新订单", text="MO000778 新订单")  # nobody to @: the OpenAPI send as before
    outbox.send("at-3", plain, kind="test", group=PMC)
    [third] = [m for m in dingtalk_sim.messages(conversation_id=PMC) if "MO000778" in (m.get("text") or "")]
    assert third["via"] != "webhook"

    dingtalk_sim.http.post("/_sim/clock", json={"advance_s": 2 * 3600})  # expired: DingTalk refuses it, OpenAPI then
    outbox.send("at-4", Markdown(title="x", text="@pmc0001 MO000779", at_staff_ids=("pmc0001",)), kind="test",
                group=PMC)
    [fourth] = [m for m in dingtalk_sim.messages(conversation_id=PMC) if "MO000779" in (m.get("text") or "")]
    assert fourth["via"] != "webhook"
