"""New orders (and, with ``approval_channel=oa``, held changes) through DingTalk's OA approval (审批).

The loop (issue 14)::

    requester confirms -> K/3 Save + Submit (status B, 审核中)      create.py, then ``after_submit``
      -> the approval rule: exempt (small, no risk) -> Audit at once, and say so
      -> otherwise an OA instance: processCode, approvers from LDAP (managers, else the escalation
         chain), CC the PMC group, the form (bill number, material, quantity, dates, work center,
         production type, requester, risks with figures); the instance id is stored with the request
         (table ``oa_approvals``); the requester's group gets a short card linking to the instance
    DingTalk events (Stream EVENT frames or the encrypted HTTP subscription) land in the durable
    inbox (connectors/events.py); ``process_inbox`` (a step of the worker) takes them:
      agree    -> K/3 Audit (+ ToRelease when ``new_order_release_on_agree``) -> requester told with
                  the bill number -> the production group gets the new order
      refuse / terminate / expired -> K/3 CancelAssign (撤销, B -> A) and Delete: a refused order is
                  not left lying around as a draft nobody owns (K/3 allows Delete on A, never on B/C);
                  the requester is told with the approver's remark and can create it again
    ``poll`` reads back running instances not heard of for ``oa_poll_after_s`` (a missed event),
    ``expire`` terminates in DingTalk what nobody decided within ``approval_expire_after_s``.

Exactly once: an event only names an instance; what happened is read back from DingTalk
(``GET processInstances``), the K/3 steps are idempotent (Audit of an audited order, CancelAssign of
an order already back in A, Delete of one already gone are no-ops), the row moves pending -> final
with a conditional UPDATE, and every notice has an outbox dedupe key. Redelivery, the same change
over Stream and HTTP, two workers, a crash between any two steps: each result is applied once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dingtalk_client.messages import ActionCard, Markdown
from dingtalk_client.openapi import DingTalkError
from dingtalk_client.workflow import Approver, Instance, InstanceNotFound, StartRequest, form
from k3_client.errors import K3Error, K3NotFound, K3PermissionDenied, K3Rejected
from k3_client.models import Order
from rasa_project import catalog
from rasa_project.authz.errors import DirectoryUnavailable
from rasa_project.clock import utc_now
from rasa_project.db import move_row
from rasa_project.notify.outbox import person_language
from rasa_project.oa.inbox import INSTANCE_CHANGE, TASK_CHANGE, Inbox
from rasa_project.ordering import rules
from rasa_project.ordering.base import k3_refusal
from rasa_project.ordering.change_checks import new_order_risks
from rasa_project.ordering.factory_state import FactoryStateReader
from rasa_project.ordering.rules import CheckResult, Verdict
from rasa_project.ordering.tables import OaApprovalRow, as_utc
from rasa_project.outcomes import Message, Outcome, localized, ok, refused
from rasa_project.values import figure

log = logging.getLogger(__name__)

STARTING, PENDING = "starting", "pending"
SENT = "start sent"  # last_error while a start is on the wire: its answer may never come
AGREED, REFUSED, TERMINATED, EXPIRED, FAILED = "agreed", "refused", "terminated", "expired", "failed"
WITHDRAWN = "withdrawn"  # the requester withdrew the order in chat (instance terminated by us)
FINAL = (AGREED, REFUSED, TERMINATED, EXPIRED, FAILED, WITHDRAWN)
ORDER, CHANGE = "order", "change"
RETRYABLE = (K3Error, DingTalkError, DirectoryUnavailable)


@dataclass(frozen=True)
class Approval:
    id: int
    key: str
    subject: str
    ref: str
    bill_no: str
    requester: str
    conversation_id: str | None
    instance_id: str | None
    state: str
    approvers: tuple[str, ...]
    escalated: bool
    summary: dict
    decided_by: str | None
    remark: str | None
    created_at: datetime
    started_at: datetime | None
    polled_at: datetime | None
    reminded_at: datetime | None
    last_error: str | None = None


def _view(row: OaApprovalRow) -> Approval:
    return Approval(row.id, row.key, row.subject, row.ref, row.bill_no, row.requester, row.conversation_id,
                    row.instance_id, row.state, tuple(row.approvers or ()), bool(row.escalated), dict(row.summary),
                    row.decided_by, row.remark, as_utc(row.created_at), as_utc(row.started_at),
                    as_utc(row.polled_at), as_utc(row.reminded_at), row.last_error)


class OaApprovals:
    """``OaApprovals(settings, workflow, desk, client, inbox)``: ``workflow`` is the WorkflowService
    (K/3, mapping, clock, database), ``desk`` the ApprovalDesk (outbox, directory, names, audit),
    ``client`` a ``dingtalk_client.workflow.WorkflowClient``."""

    def __init__(self, settings, workflow, desk, client, inbox: Inbox, *,
                 now: Callable[[], datetime] = utc_now) -> None:
        self.settings, self.workflow, self.desk, self.client, self.inbox = settings, workflow, desk, client, inbox
        self.now = now
        self.Session = workflow.Session
        self.factory = FactoryStateReader(workflow.k3, workflow.mapping, workflow.clock)

    @property
    def k3(self):
        return self.workflow.k3

    # -- the rule and the chain -------------------------------------------------------------------
    def risks(self, order: Order) -> list[CheckResult]:
        state = self.factory.read(include=(order,), components_of=(order,))
        return [r for r in new_order_risks(order, state, self.workflow.mapping) if r.verdict is Verdict.NEEDS_APPROVAL]

    def chain(self, requester: str) -> tuple[tuple[str, ...], int]:
        """(approver staff ids, 0 = managers / > 0 = escalated / -1 = nobody); four-eyes holds."""
        dns = [self.settings.ldap_group_managers, *self.settings.approval_escalation_groups]
        groups = [[m.staff_id for m in self.desk.directory.members_of(dn)] for dn in dns]
        return rules.approval_chain(requester, groups)

    def _cc(self, requester: str, approvers: tuple[str, ...]) -> tuple[str, ...]:
        try:
            pmc = [m.staff_id for m in self.desk.directory.members_of(self.settings.ldap_group_pmc)]
        except DirectoryUnavailable:
            return ()
        return tuple(s for s in dict.fromkeys(pmc) if s != requester and s not in approvers)

    # -- a new order after K/3 Save + Submit ------------------------------------------------------
    def after_submit(self, draft, order: Order) -> Outcome:
        """The confirmed order is in K/3 status B: audit it now (exempt) or start its approval.
        Idempotent: a confirm answered again, or a recovery after a crash, lands here once more."""
        bill_no = order.bill_no if order is not None else draft.bill_no
        values = {"draft_id": draft.id, "bill_no": bill_no, **draft.summary}
        existing = self.get(f"{ORDER}:{bill_no}")
        if existing is not None and existing.state in FINAL:  # answered again after the decision
            return self._final_outcome(existing, order, values)
        if existing is None and order is not None and order.document_status == "B":
            try:
                risks = self.risks(order)
            except (K3Error, DirectoryUnavailable) as exc:  # figures unknown: a manager decides
                log.warning("risks of %s unknown (%s): approval needed", order.bill_no, exc)
                risks = [CheckResult("unknown", Verdict.NEEDS_APPROVAL, "oa.no_risk", {})]
            if not rules.new_order_needs_approval(self.settings.new_order_approval, qty=order.qty,
                                                  exempt_max_qty=self.settings.new_order_exempt_max_qty, risks=risks):
                audited = self.k3.audit_order(order.bill_no)
                self.desk.audit_record("order_approval_exempt", actor="bot", bill_no=order.bill_no,
                                       conversation_id=draft.conversation_id)
                return ok("workflow.order_created_exempt", audited, **values,
                          exempt_max_qty=figure(self.settings.new_order_exempt_max_qty))
            summary = self._order_summary(draft, order, risks)
            self._create_row(ORDER, order.bill_no, order.bill_no, draft.requester, draft.conversation_id, summary)
            existing = self.get(f"{ORDER}:{order.bill_no}")
        if existing is None:  # audited already (exempt earlier): say so again
            return ok("workflow.order_already_created", order, **values)
        approval = self.start(existing)
        names = ", ".join(self.desk.name_of(s) for s in approval.approvers)
        details = []
        if approval.escalated:
            details.append(Message("oa.escalated", {"approvers": names}))
        if approval.state == STARTING:
            nobody = (Message("oa.nobody_to_ask", {}),) if approval.last_error == "nobody to ask" else ()
            return Outcome(True, "workflow.order_submitted_retrying", values, nobody, order)
        return Outcome(True, "workflow.order_submitted", {**values, "approvers": names}, tuple(details), order)

    def _final_outcome(self, approval: Approval, order: Order | None, values: dict) -> Outcome:
        if approval.state == AGREED:
            return ok("workflow.order_already_created", order, **values)
        no_remark = dict(catalog.MESSAGES["oa.no_remark"])
        told = {**self._labels(approval), "approver": self.desk.name_of(approval.decided_by),
                "who": self.desk.name_of(approval.decided_by) or no_remark, "remark": approval.remark or no_remark,
                "hours": self._expire_hours(), "field": (approval.summary.get("failed") or {}).get("field", "?")}
        return Outcome(True, f"oa.requester_{approval.state}", {**values, **told}, (), order)

    def _order_summary(self, draft, order: Order, risks: list[CheckResult]) -> dict:
        v = draft.summary
        return {"material_code": v["material_code"], "material_number": v["material_number"],
                "material_name": v["material_name"], "qty": v["qty"], "unit": v["unit"],
                "plan_start": v["plan_start"], "plan_finish": v["plan_finish"], "work_center": v["work_center"],
                "work_center_name": v["work_center_name"], "bill_type_name": v["bill_type_name"],
                "risks": [{"key": r.key, "values": dict(r.values)} for r in risks]}

    def _create_row(self, subject: str, ref: str, bill_no: str, requester: str, conversation_id: str | None,
                    summary: dict) -> None:
        now = self.now()
        try:
            with self.Session.begin() as s:
                s.add(OaApprovalRow(key=f"{subject}:{ref}", subject=subject, ref=ref, bill_no=bill_no,
                                    requester=requester, conversation_id=conversation_id, state=STARTING,
                                    approvers=[], escalated=0, summary=summary, created_at=now, version=1))
        except IntegrityError:
            pass  # someone else wrote it first: one approval per subject

    # -- held changes (approval_channel=oa) --------------------------------------------------------
    def ask_for_change(self, change, described_lines: list[str]) -> Approval:
        """A held change goes to the managers' OA to-do list (the same path as new orders)."""
        label = self.workflow.material_label(change.material_number) if change.material_number else {"code": "",
                                                                                                      "name": ""}
        summary = {"material_code": label["code"], "material_name": label["name"],
                   "material_number": change.material_number or "", "unit": change.unit or "",
                   "qty": figure(change.new_qty if change.new_qty is not None else (change.old_qty or 0)),
                   "lines": described_lines}
        self._create_row(CHANGE, change.ref, change.bill_no, change.requester, change.conversation_id, summary)
        return self.start(self.get(f"{CHANGE}:{change.ref}"))

    # -- starting the instance ---------------------------------------------------------------------
    def get(self, key: str) -> Approval | None:
        with self.Session() as s:
            row = s.execute(select(OaApprovalRow).where(OaApprovalRow.key == key)).scalar_one_or_none()
            return _view(row) if row else None

    def by_instance(self, instance_id: str) -> Approval | None:
        with self.Session() as s:
            row = s.execute(select(OaApprovalRow).where(OaApprovalRow.instance_id == instance_id)).scalar_one_or_none()
            return _view(row) if row else None

    def _form(self, approval: Approval) -> tuple:
        v, lang = approval.summary, "zh"  # the approval template is the factory's (Chinese) form
        requester = self.desk.name_of(approval.requester)
        if approval.subject == ORDER:
            risks = [Message(r["key"], r["values"]).text(lang) for r in v.get("risks") or ()]
            return form([
                ("单据编号", approval.bill_no),
                ("物料", f"{v['material_code']} · {v['material_number']} · {localized(v['material_name'], lang)}"),
                ("数量", v["qty"]), ("单位", v["unit"]), ("计划开工", v["plan_start"]), ("计划完工", v["plan_finish"]),
                ("工作中心", f"{v['work_center']} {localized(v['work_center_name'], lang)}"),
                ("生产类型", localized(v["bill_type_name"], lang)), ("申请人", requester),
                ("风险说明", "\n".join(risks) or catalog.text("oa.no_risk", lang)),
            ])
        lines = v.get("lines") or []
        return form([
            ("单据编号", approval.bill_no),
            ("物料", f"{v['material_code']} · {v['material_number']} · {localized(v['material_name'], lang)}"),
            ("数量", v.get("qty") or "0"), ("单位", v.get("unit") or ""), ("申请人", requester),
            ("变更内容", "\n".join([approval.ref, *lines[:1]])),
            ("风险说明", "\n".join(lines[1:]) or catalog.text("oa.no_risk", lang)),
        ])

    def start(self, approval: Approval) -> Approval:
        """Start the OA instance of a row still ``starting`` (once; the worker retries failures)."""
        if approval.state != STARTING:
            return approval
        try:
            approvers, level = self.chain(approval.requester)
        except DirectoryUnavailable:
            self._note_error(approval, "directory unavailable")
            return self.get(approval.key)
        if not approvers:
            self._note_error(approval, "nobody to ask")
            return self.get(approval.key)
        adopted = None
        if approval.last_error is not None:  # an earlier start may have reached DingTalk: look first
            try:
                adopted = self._find_started(approval)
            except DingTalkError as exc:
                log.warning("looking for a started OA instance of %s failed: %s", approval.key, exc)
                self._note_error(approval, f"{type(exc).__name__}: {exc}")
                return self.get(approval.key)
        if adopted is not None:
            instance_id = adopted.instance_id
            log.info("OA instance %s of %s adopted (its start answer was lost)", instance_id, approval.key)
        else:
            form_values = self._form(approval)
            request = StartRequest(originator=approval.requester,
                                   approvers=(Approver("NONE" if len(approvers) == 1 else "OR", approvers),),
                                   form=form_values, cc=self._cc(approval.requester, approvers))
            # DingTalk's start has no idempotency key: mark the row before sending, so that a retry
            # after a lost answer (timeout, reset, a crash right after) looks for the instance first
            self._note_error(approval, SENT)
            try:
                instance_id = self.client.start(request)
            except DingTalkError as exc:
                log.warning("OA instance for %s not started (or its answer lost): %s", approval.key, exc)
                self._note_error(approval, f"{type(exc).__name__}: {exc}")
                return self.get(approval.key)
        now = self.now()
        with self.Session.begin() as s:
            moved = move_row(s, OaApprovalRow, approval.id,
                             {"state": PENDING, "instance_id": instance_id, "approvers": list(approvers),
                              "escalated": 1 if level > 0 else 0, "started_at": now, "polled_at": now,
                              "last_error": None, "version": OaApprovalRow.version + 1}, state=STARTING)
        started = self.get(approval.key)
        if not moved and adopted is None:  # another worker started one at the same time: ours is withdrawn
            try:
                self.client.terminate(instance_id, is_system=True, remark="duplicate")
            except DingTalkError:
                log.warning("duplicate OA instance %s could not be terminated", instance_id)
            return started
        if not moved:  # another worker adopted it first
            return started
        self.desk.audit_record("oa_instance_adopted" if adopted else "oa_instance_started", actor="bot",
                               bill_no=approval.bill_no, conversation_id=approval.conversation_id,
                               instance_id=instance_id, approvers=list(approvers), escalated=level > 0,
                               ref=approval.ref)
        self._card(started)
        if adopted is not None and not adopted.is_running:  # decided while we did not know its id
            self.settle(started, adopted)
            return self.get(approval.key)
        return started

    def _matches(self, approval: Approval, instance: Instance) -> bool:
        if instance.originator != approval.requester or instance.value("单据编号") != approval.bill_no:
            return False
        if approval.subject == CHANGE:
            return (instance.value("变更内容") or "").split("\n", 1)[0] == approval.ref
        return True

    def _find_started(self, approval: Approval) -> Instance | None:
        """The instance an earlier start of this request created, if DingTalk has one: the process's
        instances by this originator since the request was made (ListProcessInstanceIds), each read
        back and matched on the bill number (and, for a change, its reference) in the form values.
        The earliest match is adopted; any later one (a duplicate) is terminated."""
        since = int((approval.created_at - timedelta(minutes=5)).timestamp() * 1000)
        found: list[Instance] = []
        token: int | None = 0
        while token is not None:
            ids, token = self.client.list_instance_ids(start_ms=since, originators=(approval.requester,),
                                                       next_token=token)
            for instance_id in ids:
                if self.by_instance(instance_id) is not None:
                    continue  # another request's instance
                instance = self.client.get(instance_id)
                if self._matches(approval, instance):
                    found.append(instance)
        if not found:
            return None
        found.sort(key=lambda i: (i.created_at is None, i.created_at))
        for duplicate in found[1:]:
            if duplicate.is_running:
                try:
                    self.client.terminate(duplicate.instance_id, is_system=True, remark="duplicate")
                except DingTalkError:
                    log.warning("duplicate OA instance %s could not be terminated", duplicate.instance_id)
        return found[0]

    def _note_error(self, approval: Approval, error: str) -> None:
        with self.Session.begin() as s:
            move_row(s, OaApprovalRow, approval.id, {"last_error": error[:500]}, state=STARTING)

    def instance_url(self, instance_id: str) -> str:
        return self.settings.oa_instance_url.format(instance_id=instance_id, corp_id=self.settings.dingtalk_corp_id)

    def _labels(self, approval: Approval) -> dict[str, Any]:
        v = approval.summary
        return {"bill_no": approval.bill_no, "ref": approval.ref, "material_code": v.get("material_code", ""),
                "material_name": v.get("material_name", ""), "qty": v.get("qty", ""), "unit": v.get("unit", ""),
                "plan_start": v.get("plan_start", ""), "plan_finish": v.get("plan_finish", ""),
                "work_center": v.get("work_center", ""), "work_center_name": v.get("work_center_name", ""),
                "requester": self.desk.name_of(approval.requester)}

    def _card(self, approval: Approval) -> None:
        """A short card in the requester's group (or 1:1) linking to the instance; no decision buttons:
        the approvers decide in their OA to-do list."""
        target = self._requester_target(approval)
        lang = target["lang"]
        values = {**self._labels(approval), "approvers": ", ".join(self.desk.name_of(s) for s in approval.approvers)}
        key = "oa.card_text" if approval.subject == ORDER else "oa.change_card_text"
        card = ActionCard(title=catalog.text("oa.card_title", lang, bill_no=approval.bill_no),
                          text=Message(key, values).text(lang),
                          single_title=catalog.text("oa.card_button", lang),
                          single_url=self.instance_url(approval.instance_id))
        self._send(f"oa-card:{approval.key}", card, "oa_card", target, approval)

    def _requester_target(self, approval: Approval) -> dict:
        groups = {self.settings.dingtalk_pmc_group, self.settings.dingtalk_production_group}
        lang = person_language(self.Session, approval.requester, self.desk.name_of(approval.requester))
        if approval.conversation_id in groups:
            return {"group": approval.conversation_id, "lang": lang}
        return {"staff_id": approval.requester, "lang": lang}

    def _send(self, key: str, message, kind: str, target: dict, approval: Approval) -> None:
        where = {k: v for k, v in target.items() if k in ("group", "staff_id")}
        self.desk.outbox.send(key, message, kind=kind, ref=approval.ref, **where)

    # -- results -----------------------------------------------------------------------------------
    def process_inbox(self, worker: str = "worker", *, limit: int = 50) -> list[str]:
        """Apply due OA events from the inbox; returns the keys of approvals they settled."""
        settled = []
        for _ in range(limit):
            claim = self.inbox.claim_next(worker, types=(INSTANCE_CHANGE, TASK_CHANGE))
            if claim is None:
                break
            try:
                result = self.handle(claim.event.event_type, claim.event.data)
            except RETRYABLE as exc:  # K/3, DingTalk or the directory down: the event waits, tried again
                log.warning("OA event %s not applied yet: %s", claim.event.key, exc)
                self.inbox.release(claim, error=f"{type(exc).__name__}: {exc}"[:500], retry_after_s=15)
                continue
            self.inbox.mark_done(claim)
            if result:
                settled.append(result)
        return settled

    def handle(self, event_type: str, data: dict) -> str | None:
        """One OA event. Task events are facts on the way (the remark is read back with the
        instance); an instance's finish or terminate settles it. Events for instances that are not
        ours (another app's approvals in the same corp) are done with at once."""
        instance_id = str(data.get("processInstanceId") or "")
        approval = self.by_instance(instance_id) if instance_id else None
        if approval is None:
            return None
        if event_type == INSTANCE_CHANGE and data.get("type") in ("finish", "terminate"):
            return self.settle(approval)
        if event_type == TASK_CHANGE and data.get("type") in ("start", "finish") and approval.state == PENDING:
            # a transfer (转交) or an added signer (加签) changes who decides; read it back (a task
            # resumed after its signers agreed may not fire a start of its own)
            self.follow_tasks(approval)
        return None

    def follow_tasks(self, approval: Approval, instance: Instance | None = None) -> Approval:
        """Keep the row's approvers = who can decide now (read back from DingTalk), so reminders
        and notices go to the person the task was handed to, not the one first asked."""
        instance = instance or self.client.get(approval.instance_id)
        now_deciding = instance.running_approvers()
        if not instance.is_running or not now_deciding or set(now_deciding) == set(approval.approvers):
            return approval
        with self.Session.begin() as s:
            moved = move_row(s, OaApprovalRow, approval.id, {"approvers": list(now_deciding)}, state=PENDING)
        if moved:
            handed = [r for r in instance.records if r.type == "REDIRECT_TASK"]
            self.desk.audit_record("oa_task_handed_on", actor=handed[-1].user_id if handed else "system",
                                   bill_no=approval.bill_no, conversation_id=None, instance_id=approval.instance_id,
                                   ref=approval.ref, approvers=list(now_deciding),
                                   how="redirect" if handed else "append")
        return self.get(approval.key)

    def settle(self, approval: Approval, instance: Instance | None = None) -> str | None:
        """Read the instance back and apply its result once; None while it still runs."""
        if approval.state in FINAL:
            self._tell(approval)  # a crash after the move may have left notices unsent (deduped)
            return None
        if approval.state != PENDING:
            return None
        if instance is None:
            try:
                instance = self.client.get(approval.instance_id)
            except InstanceNotFound:
                instance = None
        if instance is None or instance.is_running:
            return None
        if instance.is_agreed:
            decided = [r for r in instance.decisions() if r.result.upper() == "AGREE"]
            by, remark = (decided[-1].user_id, decided[-1].remark) if decided else (None, "")
            if by == approval.requester:  # handed back to the requester in DingTalk: four-eyes does not hold
                return self._apply(approval, REFUSED, by, catalog.text("oa.four_eyes_remark", "zh"))
            return self._apply(approval, AGREED, by, remark)
        if instance.is_refused:
            decided = [r for r in instance.decisions() if r.result.upper() == "REFUSE"]
            by, remark = (decided[-1].user_id, decided[-1].remark) if decided else (None, "")
            return self._apply(approval, REFUSED, by, remark)
        stop = [r for r in instance.records if r.type == "TERMINATE_PROCESS_INSTANCE"]
        by, remark = (stop[-1].user_id, stop[-1].remark) if stop else (None, "")
        return self._apply(approval, TERMINATED, by, remark)

    def _apply(self, approval: Approval, outcome: str, by: str | None, remark: str) -> str | None:
        failed = None
        if approval.subject == ORDER:
            try:
                if outcome == AGREED:
                    self.k3.audit_order(approval.bill_no)
                    if self.settings.new_order_release_on_agree:
                        self.k3.set_order_status(approval.bill_no, "ToRelease")
                else:
                    self.k3.withdraw_order(approval.bill_no, delete=True)
            except K3NotFound:
                failed = {"field": "FBillNo"}
            except (K3Rejected, K3PermissionDenied) as exc:
                failed = k3_refusal(exc)
        else:
            self._decide_change(approval, outcome, by, remark)
        with self.Session.begin() as s:
            moved = move_row(s, OaApprovalRow, approval.id,
                             {"state": FAILED if failed else outcome, "decided_by": by, "remark": remark or None,
                              "decided_at": self.now(), "last_error": str(failed) if failed else None,
                              "version": OaApprovalRow.version + 1}, state=PENDING)
        final = self.get(approval.key)
        if moved:
            self.desk.audit_record(f"oa_{final.state}", actor=by or "system", bill_no=approval.bill_no,
                                   conversation_id=None, instance_id=approval.instance_id, ref=approval.ref,
                                   note=remark or None)
        self._tell(final, failed=failed)
        return approval.key if moved else None

    def _decide_change(self, approval: Approval, outcome: str, by: str | None, remark: str) -> None:
        """A held change decided in OA: the workflow's own decided-once move, then the desk tells."""
        change = self.workflow.get_change(approval.ref)
        if change is None:
            return
        if outcome == AGREED:
            result = self.workflow.approve(approval.ref, by or "", is_manager=True)
        elif outcome == EXPIRED:
            return  # the workflow's own expiry announces it
        else:
            note = remark or dict(catalog.MESSAGES["approval.no_reason"])
            result = self.workflow.reject(approval.ref, by or "", note if isinstance(note, str) else "", is_manager=True)
        self.desk.announce(result)

    def _tell(self, approval: Approval, *, failed: dict | None = None) -> None:
        """The requester (and, for an agreed order, the production group) hear the result once."""
        if approval.subject != ORDER or approval.state not in FINAL or approval.state == WITHDRAWN:
            return  # a withdrawal in chat was answered in chat
        target = self._requester_target(approval)
        lang = target["lang"]
        values = {**self._labels(approval), "approver": self.desk.name_of(approval.decided_by),
                  "who": self.desk.name_of(approval.decided_by) or catalog.text("oa.no_remark", lang),
                  "remark": approval.remark or catalog.text("oa.no_remark", lang)}
        if approval.state == FAILED:
            head = Message("oa.requester_failed", {**values, "field": (failed or {}).get("field") or "?"})
        elif approval.state == AGREED:
            key = "oa.requester_agreed_released" if self.settings.new_order_release_on_agree else "oa.requester_agreed"
            head = Message(key, {**values, "remark": approval.remark or ""})
        elif approval.state == EXPIRED:
            head = Message("oa.requester_expired", {**values, "hours": self._expire_hours()})
        else:
            head = Message(f"oa.requester_{approval.state}", values)
        text = head.text(lang)
        message = Markdown(title=text[:60], text=f"@{approval.requester} {text}",
                           at_staff_ids=(approval.requester,))
        self._send(f"oa-{approval.state}:{approval.key}:requester", message, f"oa_requester_{approval.state}",
                   target, approval)
        if approval.state == AGREED:
            glang = self.settings.notify_group_lang
            notice = Message("oa.production_new_order", values).text(glang)
            group = self.settings.dingtalk_production_group
            self.desk.outbox.send(f"oa-agreed:{approval.key}:group:{group}", Markdown(title=notice[:60], text=notice),
                                  kind="oa_new_order", group=group, ref=approval.ref)

    def _expire_hours(self) -> Any:
        return figure(self.settings.approval_expire_after_s / 3600)

    # -- the requester withdraws a waiting order in chat ("撤回 MO000134") -------------------------
    def waiting_for(self, bill_no: str) -> Approval | None:
        approval = self.get(f"{ORDER}:{bill_no}")
        return approval if approval is not None and approval.state in (STARTING, PENDING) else None

    def withdraw_notice(self, approval: Approval) -> Message:
        """The line the withdraw summary adds: the running approval goes too."""
        names = ", ".join(self.desk.name_of(s) for s in approval.approvers) or "-"
        return Message("oa.withdraw_will_terminate", {"approvers": names})

    def withdraw(self, approval: Approval, by: str, order: Order | None) -> Outcome:
        """Confirmed by the requester: terminate the instance in DingTalk as its originator (with a
        remark), then K/3 CancelAssign + Delete, the row moves to ``withdrawn`` once (the terminate
        event that follows finds it final and tells nobody again), audited. An instance decided in
        the meantime stands: the order is not withdrawn and the answer says who decided."""
        values = {**self._labels(approval), "bill_no": approval.bill_no}
        if approval.state == PENDING and approval.instance_id:
            remark = catalog.text("oa.withdraw_remark", "zh", requester=self.desk.name_of(by))
            try:
                self.client.terminate(approval.instance_id, operator=by, remark=remark)
            except InstanceNotFound:
                pass
            except DingTalkError as exc:
                instance = self._read_quietly(approval)
                if instance is None:
                    log.warning("withdrawing %s: terminate failed (%s)", approval.key, exc)
                    return refused("oa.withdraw_dingtalk_down", order, **values)
                if not instance.is_running and not instance.is_terminated:  # decided just now: that stands
                    self.settle(approval, instance)
                    final = self.get(approval.key)
                    return refused("oa.withdraw_already_decided", order, **values,
                                   who=self.desk.name_of(final.decided_by) or "-",
                                   result=dict(catalog.MESSAGES[f"oa.result_{final.state}"])
                                   if f"oa.result_{final.state}" in catalog.MESSAGES else final.state)
                if instance.is_running:
                    return refused("oa.withdraw_dingtalk_down", order, **values)
        elif approval.state == STARTING:
            found = None
            try:
                found = self._find_started(approval) if approval.last_error is not None else None
            except DingTalkError:
                return refused("oa.withdraw_dingtalk_down", order, **values)
            if found is not None and found.is_running:
                try:
                    self.client.terminate(found.instance_id, operator=by,
                                          remark=catalog.text("oa.withdraw_remark", "zh",
                                                              requester=self.desk.name_of(by)))
                except DingTalkError:
                    return refused("oa.withdraw_dingtalk_down", order, **values)
        try:
            self.k3.withdraw_order(approval.bill_no, delete=True)
        except K3Rejected as exc:
            return refused("workflow.withdraw_k3_refused", order, **values, **k3_refusal(exc))
        with self.Session.begin() as s:
            moved = move_row(s, OaApprovalRow, approval.id,
                             {"state": WITHDRAWN, "decided_by": by, "decided_at": self.now(),
                              "remark": None, "last_error": None, "version": OaApprovalRow.version + 1},
                             state=approval.state)
        if moved:
            self.desk.audit_record("oa_withdrawn", actor=by, bill_no=approval.bill_no,
                                   conversation_id=approval.conversation_id, instance_id=approval.instance_id,
                                   ref=approval.ref)
        return ok("oa.withdrawn_in_chat", order, **values)

    def _read_quietly(self, approval: Approval) -> Instance | None:
        try:
            return self.client.get(approval.instance_id)
        except DingTalkError:
            return None

    # -- the schedule ------------------------------------------------------------------------------
    def _rows(self, *states: str) -> list[Approval]:
        with self.Session() as s:
            rows = s.execute(select(OaApprovalRow).where(OaApprovalRow.state.in_(states))
                             .order_by(OaApprovalRow.id)).scalars()
            return [_view(r) for r in rows]

    def retry_starts(self) -> list[str]:
        return [a.key for a in self._rows(STARTING) if self.start(a).state == PENDING]

    def poll(self, now: datetime | None = None) -> list[str]:
        """Read back running instances not heard of for ``oa_poll_after_s``: nothing waits forever
        on an event DingTalk did not deliver (or that came while we were down and was lost)."""
        now = now or self.now()
        due = now - timedelta(seconds=self.settings.oa_poll_after_s)
        settled = []
        for approval in self._rows(PENDING):
            if (approval.polled_at or approval.started_at or approval.created_at) > due:
                continue
            with self.Session.begin() as s:
                move_row(s, OaApprovalRow, approval.id, {"polled_at": now}, state=PENDING)
            try:
                result = self.settle(approval)
            except RETRYABLE as exc:
                log.warning("polling %s failed: %s", approval.key, exc)
                continue
            if result:
                settled.append(result)
        return settled

    def expire(self, now: datetime | None = None) -> list[str]:
        """Terminate in DingTalk (as the app) what nobody decided in time, then withdraw it in K/3."""
        now = now or self.now()
        limit = now - timedelta(seconds=self.settings.approval_expire_after_s)
        expired = []
        for approval in self._rows(PENDING):
            if (approval.started_at or approval.created_at) > limit:
                continue
            remark = catalog.text("oa.expired_remark", "zh", hours=self._expire_hours())
            try:
                self.client.terminate(approval.instance_id, is_system=True, remark=remark)
            except InstanceNotFound:
                pass
            except DingTalkError as exc:
                log.warning("expiring %s: terminate failed (%s); tried again next pass", approval.key, exc)
                continue
            instance = self.client.get(approval.instance_id)
            if instance.is_running:
                continue
            if instance.is_terminated:
                if self._apply(approval, EXPIRED, None, remark):
                    expired.append(approval.key)
            elif self.settle(approval, instance):  # decided just before the terminate: that stands
                expired.append(approval.key)
        return expired

    def remind(self, now: datetime | None = None) -> list[str]:
        """One reminder 1:1 to each approver of an instance waiting ``approval_remind_after_s``."""
        now = now or self.now()
        limit = now - timedelta(seconds=self.settings.approval_remind_after_s)
        reminded = []
        for approval in self._rows(PENDING):
            since = approval.started_at or approval.created_at
            if approval.reminded_at is not None or since > limit:
                continue
            hours = figure(round((now - since).total_seconds() / 3600, 1))
            for staff_id in approval.approvers:
                lang = person_language(self.Session, staff_id, self.desk.name_of(staff_id))
                subject = catalog.text(f"oa.subject_{approval.subject}", lang)
                text = catalog.text("oa.reminder", lang, requester=self.desk.name_of(approval.requester),
                                    subject=subject, ref=approval.ref, hours=hours)
                card = ActionCard(title=text[:60], text=text, single_title=catalog.text("oa.card_button", lang),
                                  single_url=self.instance_url(approval.instance_id))
                self.desk.outbox.send(f"oa-remind:{approval.key}:{staff_id}", card, kind="oa_reminder",
                                      staff_id=staff_id, ref=approval.ref)
            with self.Session.begin() as s:
                move_row(s, OaApprovalRow, approval.id, {"reminded_at": now}, state=PENDING)
            reminded.append(approval.key)
        return reminded

    def tick(self, now: datetime | None = None, *, worker: str = "worker") -> dict[str, list[str]]:
        """One pass of the worker: start what failed to start, apply events, poll, remind, expire."""
        now = now or self.now()
        return {"started": self.retry_starts(), "settled": self.process_inbox(worker), "polled": self.poll(now),
                "reminded": self.remind(now), "expired": self.expire(now)}
