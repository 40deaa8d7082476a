"""Every K/3 call the product makes lands in the audit trail: the composition root's one K/3 client
is the only one, and its observer records each WebAPI call with who asked.

The K/3 simulator is served behind a counter of the WebAPI calls it receives; the chat use cases
(what the actions call) run create + confirm, change + approve and an output report through a
``Wiring`` built from settings, as the action server builds its own.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import select

from devtools.factory import load_factory
from devtools.simulators.k3cloud import create_app
from rasa_project.audit.models import AuditRecord
from rasa_project.authz.roles import APPROVAL_DECIDE, ORDER_CHANGE, ORDER_CREATE, REPORT_OUTPUT
from rasa_project.chat import access
from rasa_project.chat.turn import Turn
from rasa_project.wiring import Wiring
from tests.authz.conftest import free_port
from tests.dingtalk.conftest import ThreadedServer
from tests.k3.conftest import FIXTURE, make_settings

PMC, PROD = "cidPMC0001", "cidPROD0001"


class CountingK3:
    """The simulator app, counting each WebAPI call it receives (login calls are not K/3 work)."""

    def __init__(self, app) -> None:
        self.app = app
        self.operations: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.endswith(".common.kdsvc") and ".AuthService." not in path:
            self.operations.append(path.rsplit(".", 3)[-3])  # ...DynamicFormService.Save.common.kdsvc
        await self.app(scope, receive, send)


@pytest.fixture
def counted_k3(tmp_path):
    k3_dir = tmp_path / "k3"
    k3_dir.mkdir()
    app = CountingK3(create_app(make_settings(k3_dir), db_path=k3_dir / "sim.db", factory=load_factory(FIXTURE)))
    server = ThreadedServer(app, free_port()).start()
    yield app, f"{server.url}/k3cloud/"
    server.stop()


@pytest.fixture
def wiring(settings, counted_k3, wall, dingtalk_sim):
    _, url = counted_k3
    built = Wiring(settings.copy(update={"k3_base_url": url}), now=wall)
    yield built
    built.close()


def turn(staff_id: str, conversation_id: str, text: str, intent: str, **entities) -> Turn:
    return Turn(
        sender_id=f"{conversation_id}:{staff_id}",
        staff_id=staff_id,
        conversation_id=conversation_id,
        is_group=True,
        lang="zh",
        text=text,
        message_id=f"msg-{staff_id}-{len(text)}-{intent}",
        intent=intent,
        confidence=0.99,
        entities=entities,
    )


def as_person(chat, t: Turn, permission: str) -> None:
    """What the action base does before a use case: the turn is current, the gate passed."""
    access.current_turn.set(t)
    assert chat.gate(t, permission) is None


def k3_call_records(wiring) -> list[dict]:
    with wiring.sessionmaker() as s:
        rows = s.execute(select(AuditRecord).where(AuditRecord.kind == "k3_call").order_by(AuditRecord.id)).scalars()
        records = [{"actor": r.actor, **json.loads(r.payload)} for r in rows]
    # the client observer's records (one per WebAPI call); reports also write a summary k3_call
    # record per report, which names no form
    return [r for r in records if "form_id" in r]


def test_every_k3_call_of_create_change_approve_and_report_is_audited(wiring, counted_k3):
    k3_app, _ = counted_k3
    chat = wiring.chat
    seen_by: dict[str, int] = {}

    def calls_so_far(actor: str) -> None:
        seen_by[actor] = len(k3_app.operations) - sum(seen_by.values())

    # create + confirm (PMC)
    pmc = turn("pmc0001", PMC, "创建生产订单 BOM-2050 数量 300", "create_order")
    as_person(chat, pmc, ORDER_CREATE)
    slots = {"material": "BOM-2050", "quantity": 300.0, "due_date": "2025-04-10",
             "production_type": "SCDD01_SYS", "work_center": "WC-01"}  # fmt: skip
    draft = chat.prepare_draft(pmc, slots)
    assert draft.outcome.key == "workflow.draft_summary" and draft.pending.startswith("draft:")
    # issue 14: the confirmed order is saved and submitted and waits for its OA approval
    assert chat.confirm(pmc, draft.pending).outcome.key == "workflow.order_submitted"

    # change (risky: a manager must approve) + approve (another person: the manager)
    change = turn("pmc0001", PMC, "MO000124 数量改成 400", "change_order", order_no="MO000124", quantity="400")
    as_person(chat, change, ORDER_CHANGE)
    assert chat.request_change(change).outcome.key == "workflow.change_needs_approval"
    calls_so_far("pmc0001")
    manager = turn("manager0001", PMC, "批准 MO000124", "approve", order_no="MO000124")
    as_person(chat, manager, APPROVAL_DECIDE)
    assert chat.decide(manager).outcome.key == "workflow.change_applied"
    calls_so_far("manager0001")

    # an output report (shop floor)
    report = turn("prod0001", PROD, "P20250401 完成 10", "report_progress", order_no="P20250401", good_qty="10")
    as_person(chat, report, REPORT_OUTPUT)
    proposed = chat.report_output(report)  # a summary first (issue 13): the confirmation writes it
    assert proposed.outcome.key == "report.confirm_summary" and proposed.pending.startswith("report:")
    assert chat.confirm(report, proposed.pending).outcome.key == "report.recorded"
    calls_so_far("prod0001")

    received = Counter(k3_app.operations)
    audited = k3_call_records(wiring)
    assert received["Save"] >= 3 and received["ExecuteBillQuery"] > 10  # the flows really reached K/3
    assert Counter(r["operation"] for r in audited) == received
    assert Counter(r["actor"] for r in audited) == Counter(seen_by)  # each call names who asked
    assert all(r["ok"] for r in audited)


def test_the_composition_root_builds_one_k3_client_for_everyone(wiring):
    assert wiring.workflow.k3 is wiring.k3
    assert wiring.output_reports.k3 is wiring.k3
    assert wiring.desk.workflow is wiring.workflow
    assert wiring.k3.observer is not None
    assert wiring.chat is wiring.chat and wiring.audit is wiring.desk.audit
