"""Only a manager an approval was addressed to decides it (issue 20 §3): being a manager is not enough."""

from __future__ import annotations

from rasa_project.audit.models import AuditRecord
from rasa_project.authz.errors import DirectoryUnavailable
from rasa_project.authz.service import Authorizer
from rasa_project.notify.outbox import NotificationOutbox
from rasa_project.ordering.approval_desk import ApprovalDesk
from rasa_project.ordering.states import Change

PMC = "cidPMC0001"


class DownDirectory:
    """The directory during an outage: nobody's group can be read."""

    def members_of(self, group_dn):
        raise DirectoryUnavailable("ldap://127.0.0.1:9", "down")

    def find(self, staff_id):
        raise DirectoryUnavailable("ldap://127.0.0.1:9", "down")


def test_a_manager_the_request_was_not_sent_to_cannot_decide_it_until_asked(
        loop, settings, Session, audit, wall, openapi, worker, dingtalk_sim, k3):
    workflow, desk = loop
    change = workflow.request_change("MO000124", "pmc0001", PMC, qty=400).value
    assert change.state is Change.PENDING_APPROVAL
    # the directory is down while the managers are asked: only the PMC group card goes out
    down = ApprovalDesk(settings, workflow, NotificationOutbox(Session, openapi, now=wall),
                        directory=DownDirectory(), authorizer=Authorizer(settings), audit=audit, now=wall)
    assert down.ask_managers(change) == []
    assert desk.addressees(change.ref) == set()

    refused = desk.decide("manager0001", PMC, "approve", order_no="MO000124")
    assert refused.key == "approval.not_addressed" and refused.values["ref"] == change.ref
    assert workflow.get_change(change.ref).state is Change.PENDING_APPROVAL
    assert k3.get_order("MO000124").qty == 150
    with Session() as s:
        payloads = [r.payload for r in s.query(AuditRecord).filter(AuditRecord.kind == "approval")]
    assert any('"approval_not_addressed"' in p for p in payloads)

    # the worker's reminder (the directory is back) asks the managers 1:1: now they may decide
    wall.advance(minutes=61)
    assert worker.tick().reminded == [change.ref]
    assert desk.addressees(change.ref) == {"manager0001", "manager0002"}
    assert desk.decide("manager0001", PMC, "approve", order_no="MO000124").key == "workflow.change_applied"
    assert k3.get_order("MO000124").qty == 400


def test_the_requester_and_non_managers_keep_their_own_answers(loop, dingtalk_sim, k3):
    workflow, desk = loop
    change = workflow.request_change("MO000124", "manager0001", PMC, qty=400).value
    desk.ask_managers(change)
    assert desk.addressees(change.ref) == {"manager0002"}  # four-eyes: the requester is not asked
    assert desk.decide("manager0001", PMC, "approve", order_no="MO000124").key == "workflow.approval_own_request"
    assert desk.decide("pmc0002", PMC, "approve", order_no="MO000124").key == "workflow.approval_not_manager"
    assert k3.get_order("MO000124").qty == 150
