"""Creating a production order: validate each slot, persist a draft, write once on confirmation.

Validators are pure (plain values in, ``Outcome`` out); ``OrderCreation`` adds the live K/3
verification and the persisted draft. The draft's ``request_key`` goes to K/3 with the order, so
a retry after a timeout finds the order K/3 already committed instead of writing a second one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from k3_client.errors import K3PermissionDenied, K3Rejected, K3SessionLost, K3Unavailable
from k3_client.models import Bom, Material, Order, OrderDraft, OrderStatus
from rasa_project import catalog
from rasa_project.db import move_row
from rasa_project.mapping import MappingTables, MaterialMapping, ProductionTypeMapping, WorkCenterMapping
from rasa_project.ordering import rules
from rasa_project.ordering.base import ServiceBase, k3_refusal
from rasa_project.ordering.states import Draft, DraftEvent, next_draft_state
from rasa_project.ordering.tables import OrderDraftRow, as_utc
from rasa_project.outcomes import Outcome, ok, refused
from rasa_project.values import figure, format_order_no, iso, read_date, read_quantity

# -- pure validation -------------------------------------------------------------------------------


def check_quantity(value: Any, *, max_qty: float) -> Outcome[float]:
    """A production quantity as written: readable, then the rule (whole pieces, > 0, <= max)."""
    qty = read_quantity(value).value
    if qty is None:
        return refused("workflow.qty_unreadable", text=str(value if value is not None else ""))
    result = rules.check_quantity(qty, max_qty=max_qty)
    return Outcome(result.is_ok, result.key, result.values, (), qty if result.is_ok else None)


def check_finish_date(value: Any, *, today: date, plan_start: date) -> Outcome[date]:
    finish = read_date(value)
    if finish is None:
        return refused("workflow.date_unreadable", text=str(value if value is not None else ""))
    result = rules.check_finish_date(finish, today=today, plan_start=plan_start)
    return Outcome(result.is_ok, result.key, result.values, (), finish if result.is_ok else None)


def choice_names(choices) -> dict[str, str]:
    """What a person can answer, in each language: names, never K/3 codes (SCDD01_SYS, WC-01)."""
    return {lang: "、".join(c.display_name(lang) for c in choices) if lang == "zh"
            else ", ".join(c.display_name(lang) for c in choices) for lang in ("zh", "id", "en")}


def check_work_center(text: Any, mapping: MappingTables) -> Outcome[WorkCenterMapping]:
    wc = mapping.work_center(str(text)) if text else None
    if wc is None:
        return refused(
            "workflow.work_center_unknown",
            text=str(text or ""),
            choices=choice_names(mapping.work_centers),
        )
    return ok("workflow.work_center_ok", wc, work_center=wc.number, work_center_name=dict(wc.name))


def check_production_type(text: Any, mapping: MappingTables) -> Outcome[ProductionTypeMapping]:
    pt = mapping.production_type(str(text)) if text else None
    if pt is None:
        return refused(
            "workflow.production_type_unknown",
            text=str(text or ""),
            choices=choice_names(mapping.production_types),
        )
    return ok("workflow.production_type_ok", pt, bill_type=pt.bill_type, bill_type_name=dict(pt.name))


# -- typed results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedMaterial:
    """A chat material resolved through the mapping and verified live in K/3."""

    mapping: MaterialMapping
    material: Material
    bom: Bom


@dataclass(frozen=True)
class Suggestions:
    """Defaults the dialog offers as buttons (never applied silently)."""

    work_center: WorkCenterMapping | None
    production_type: ProductionTypeMapping


@dataclass(frozen=True)
class DraftView:
    id: int
    request_key: str
    requester: str
    conversation_id: str | None
    state: Draft
    bill_no: str | None
    summary: Mapping[str, Any]  # the values of workflow.draft_summary
    created_at: datetime
    updated_at: datetime


def _draft_view(row: OrderDraftRow) -> DraftView:
    return DraftView(
        id=row.id,
        request_key=row.request_key,
        requester=row.requester,
        conversation_id=row.conversation_id,
        state=Draft(row.state),
        bill_no=row.bill_no,
        summary=dict(row.values),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


# -- the service ----------------------------------------------------------------------------------


class OrderCreation(ServiceBase):
    # the OA approval of new orders (``ordering/oa_approvals.py``), set by the composition root; None:
    # a confirmed order is audited at once (the workflow used on its own, in tests and tools)
    order_approvals = None

    def _waits_for_approval(self) -> bool:
        return self.order_approvals is not None and getattr(self.settings, "new_order_approval", "none") != "none"

    def _k3_create(self, draft: DraftView) -> Order:
        """Save + Submit (+ Audit unless the order waits for its OA approval), idempotent on the key."""
        if self._waits_for_approval():
            return self.k3.create_order(self._order_draft(draft), audit=False)
        return self.k3.create_order(self._order_draft(draft))

    # validators bound to this factory's settings, mapping and business clock
    def check_material(self, text: Any) -> Outcome[ResolvedMaterial]:
        """Mapping (chat code / alias / K/3 number), then live K/3: material exists, is audited and
        not forbidden, and has an audited non-forbidden BOM (the mapping's BOM preferred)."""
        m = self.mapping.material(str(text)) if text else None
        if m is None:
            return refused("workflow.material_unknown", text=str(text or ""))
        values = {"material_code": m.chat_code, "material_number": m.k3_number, "material_name": dict(m.name)}
        material = self.k3.find_material(m.k3_number)
        if material is None:
            return refused("workflow.material_not_in_k3", **values)
        if material.is_forbidden:
            return refused("workflow.material_forbidden", **values)
        if not material.is_audited:
            return refused("workflow.material_not_audited", **values)
        bom = self.k3.find_bom(m.bom_number) if m.bom_number else None
        if not (bom and bom.is_audited and not bom.is_forbidden and bom.material_number == m.k3_number):
            bom = self.k3.find_audited_bom(m.k3_number)
        if bom is None or not bom.is_audited or bom.is_forbidden or bom.material_number != m.k3_number:
            return refused("workflow.material_no_bom", **values)
        values.update(bom_number=bom.number, unit=material.unit or m.unit)
        return ok("workflow.material_ok", ResolvedMaterial(m, material, bom), **values)

    def check_quantity(self, value: Any) -> Outcome[float]:
        return check_quantity(value, max_qty=self.settings.max_order_qty)

    def check_finish_date(self, value: Any, plan_start: date | None = None) -> Outcome[date]:
        today = self.today()
        return check_finish_date(value, today=today, plan_start=plan_start or today)

    def check_work_center(self, text: Any) -> Outcome[WorkCenterMapping]:
        return check_work_center(text, self.mapping)

    def check_production_type(self, text: Any) -> Outcome[ProductionTypeMapping]:
        return check_production_type(text, self.mapping)

    def suggestions(self, material: ResolvedMaterial | MaterialMapping) -> Suggestions:
        m = material.mapping if isinstance(material, ResolvedMaterial) else material
        wc = self.mapping.work_center(m.default_work_center) if m.default_work_center else None
        return Suggestions(work_center=wc, production_type=self.mapping.default_production_type())

    # drafts
    def prepare_draft(
        self, requester: str, conversation_id: str | None, values: Mapping[str, Any]
    ) -> Outcome:
        """Validate every slot again (live) and persist a draft; ``value`` is the ``DraftView``.

        ``values``: material, qty, plan_finish, work_center, production_type (all required: defaults
        are offered by ``suggestions``, never filled in here) and optionally plan_start."""
        for slot in ("material", "qty", "plan_finish", "work_center", "production_type"):
            if values.get(slot) in (None, ""):
                return refused(
                    "workflow.slot_missing",
                    slot=slot,
                    slot_name=dict(catalog.MESSAGES[f"workflow.slot_{slot}"]),
                )
        material = self.check_material(values["material"])
        if not material.ok:
            return material
        qty = self.check_quantity(values["qty"])
        if not qty.ok:
            return qty
        today = self.today()
        start = today
        if values.get("plan_start") not in (None, ""):
            start_check = check_finish_date(values["plan_start"], today=today, plan_start=today)
            if not start_check.ok:
                return start_check
            start = start_check.value
        finish = check_finish_date(values["plan_finish"], today=today, plan_start=start)
        if not finish.ok:
            return finish
        wc = self.check_work_center(values["work_center"])
        if not wc.ok:
            return wc
        pt = self.check_production_type(values["production_type"])
        if not pt.ok:
            return pt
        r = material.value
        summary = {
            "material_code": r.mapping.chat_code,
            "material_number": r.material.number,
            "material_name": dict(r.mapping.name),
            "k3_name": r.material.name,
            "bom_number": r.bom.number,
            "qty": figure(qty.value),
            "unit": r.material.unit or r.mapping.unit,
            "plan_start": iso(start),
            "plan_finish": iso(finish.value),
            "bill_type": pt.value.bill_type,
            "bill_type_name": dict(pt.value.name),
            "work_center": wc.value.number,
            "work_center_name": dict(wc.value.name),
        }
        now = self.now()
        with self.Session.begin() as s:
            row = OrderDraftRow(
                request_key=str(uuid.uuid4()),
                requester=requester,
                conversation_id=conversation_id,
                values=summary,
                state=Draft.DRAFT.value,
                created_at=now,
                updated_at=now,
                version=1,
            )
            s.add(row)
            s.flush()
            view = _draft_view(row)
        return ok("workflow.draft_summary", view, draft_id=view.id, **summary)

    def get_draft(self, draft_id: int) -> DraftView | None:
        with self.Session() as s:
            row = s.get(OrderDraftRow, draft_id)
            return _draft_view(row) if row else None

    def confirm_draft(self, draft_id: int, by: str) -> Outcome:
        """Write the draft to K/3 exactly once; ``value`` is the K/3 ``Order``.

        Only the requester may confirm. A second confirm answers with the same bill number; a
        confirm after a K/3 timeout looks the order up by the draft's request key first."""
        draft = self.get_draft(draft_id)
        if draft is None:
            return refused("workflow.draft_unknown", draft_id=draft_id)
        if draft.requester != by:
            return refused("workflow.draft_not_yours", draft_id=draft_id)
        if draft.state is Draft.CANCELLED:
            return refused("workflow.draft_cancelled", draft_id=draft_id)
        if draft.state is Draft.WRITTEN:
            return self._order_created(draft, self.k3.get_order(draft.bill_no), again=True)
        if draft.state is Draft.CONFIRMED:
            return self._recover_draft(draft)
        stale = self._stale_dates(draft)
        if stale is not None:
            return stale
        if not self._draft_transition(draft, DraftEvent.CONFIRM, confirmed_at=self.now()):
            return self.confirm_draft(draft_id, by)  # someone else moved it: answer from the new state
        return self._write_draft(self.get_draft(draft_id))

    def cancel_draft(self, draft_id: int, by: str) -> Outcome:
        draft = self.get_draft(draft_id)
        if draft is None:
            return refused("workflow.draft_unknown", draft_id=draft_id)
        if draft.requester != by:
            return refused("workflow.draft_not_yours", draft_id=draft_id)
        if draft.state is Draft.CANCELLED:
            return ok("workflow.draft_cancelled", draft, draft_id=draft_id)
        if draft.state is Draft.WRITTEN:
            return refused("workflow.draft_already_written", draft, draft_id=draft_id, bill_no=draft.bill_no)
        if draft.state is Draft.CONFIRMED:
            return refused("workflow.draft_in_progress", draft, draft_id=draft_id)
        if not self._draft_transition(draft, DraftEvent.CANCEL):
            return self.cancel_draft(draft_id, by)
        return ok("workflow.draft_cancelled", self.get_draft(draft_id), draft_id=draft_id)

    # -- internals --------------------------------------------------------------------------------
    def _stale_dates(self, draft: DraftView) -> Outcome | None:
        """A draft left overnight may plan a start that is now in the past."""
        today = self.today()
        start = date.fromisoformat(draft.summary["plan_start"])
        if start < today:
            return refused(
                "workflow.draft_stale", draft, draft_id=draft.id, plan_start=iso(start), today=iso(today)
            )
        return None

    def _order_draft(self, draft: DraftView) -> OrderDraft:
        v = draft.summary
        return OrderDraft(
            material_number=v["material_number"],
            bom_number=v["bom_number"],
            qty=float(v["qty"]),
            unit=v["unit"],
            work_center=v["work_center"],
            plan_start=date.fromisoformat(v["plan_start"]),
            plan_finish=date.fromisoformat(v["plan_finish"]),
            bill_type=v["bill_type"],
            request_key=draft.request_key,
            org_number=getattr(self.settings, "k3_org_number", "100"),
        )

    def _write_lease(self) -> timedelta:
        """How long a K/3 write may legitimately still be running before a retry takes over: the
        client's own attempts ((retries + 1) x timeout), then a request K/3 may still be processing
        after the client gave up on it (2 x timeout), plus a margin."""
        timeout = float(getattr(self.settings, "k3_timeout_s", 10.0))
        retries = int(getattr(self.settings, "k3_retries", 2))
        return timedelta(seconds=timeout * (retries + 3) + 5)

    def _write_draft(self, draft: DraftView) -> Outcome:
        try:
            order = self._k3_create(draft)
        except (K3Rejected, K3PermissionDenied) as exc:
            self._draft_transition(draft, DraftEvent.WRITE_REJECTED, error=k3_refusal(exc))
            return refused(
                "workflow.order_rejected", draft, draft_id=draft.id, field=k3_refusal(exc)["field"]
            )
        except (K3Unavailable, K3SessionLost):
            return refused("workflow.order_write_unknown", draft, draft_id=draft.id)
        self._draft_transition(draft, DraftEvent.WRITTEN, bill_no=order.bill_no, error=None)
        return self._order_created(self.get_draft(draft.id), order, again=False)

    def resume_drafts(self) -> list[tuple[DraftView, Outcome]]:
        """Finish the writes a crash left half-way (the worker, every pass): a draft the requester
        confirmed, still ``confirmed`` past the write lease, is taken by one caller (its
        ``confirmed_at`` moved on by a conditional UPDATE, which also re-arms the lease for the
        chat's own retry) and completed exactly as a second "yes" would: K/3 looked up by the
        request key, the order saved only if K/3 has none, then submitted and its approval started.
        Returns each taken draft with what became of it, for the requester."""
        cutoff = self.now() - self._write_lease()
        with self.Session() as s:
            rows = s.query(OrderDraftRow).filter(OrderDraftRow.state == Draft.CONFIRMED.value,
                                                 OrderDraftRow.confirmed_at < cutoff).all()
            due = [(row.id, row.version) for row in rows]
        resumed = []
        for draft_id, version in due:
            with self.Session.begin() as s:
                taken = move_row(s, OrderDraftRow, draft_id, {"confirmed_at": self.now(), "updated_at": self.now(),
                                                              "version": OrderDraftRow.version + 1},
                                 state=Draft.CONFIRMED.value, version=version)
            if taken:
                outcome = self._recover_draft(self.get_draft(draft_id), lease_held=True)
                resumed.append((self.get_draft(draft_id), outcome))
        return resumed

    def _recover_draft(self, draft: DraftView, *, lease_held: bool = False) -> Outcome:
        """A confirmed draft without a bill number: the write is running, or it was interrupted.
        ``lease_held``: the caller took the draft over (``resume_drafts``), so no write is running."""
        try:
            order = self.k3.find_order_by_request_key(draft.request_key)
        except (K3Unavailable, K3SessionLost):
            return refused("workflow.order_write_unknown", draft, draft_id=draft.id)
        if order is not None:
            # K/3 has the order, but an interrupted write may have stopped before Submit/Audit:
            # create_order is idempotent on the request key and completes the approval steps.
            try:
                order = self._k3_create(draft)
            except (K3Unavailable, K3SessionLost):
                return refused("workflow.order_write_unknown", draft, draft_id=draft.id)
            self._draft_transition(draft, DraftEvent.WRITTEN, bill_no=order.bill_no, error=None)
            return self._order_created(self.get_draft(draft.id), order, again=True)
        with self.Session() as s:
            confirmed_at = as_utc(s.get(OrderDraftRow, draft.id).confirmed_at)
        if not lease_held and confirmed_at and self.now() - confirmed_at < self._write_lease():
            return refused("workflow.draft_in_progress", draft, draft_id=draft.id)
        # the earlier write died before K/3 committed anything: write again (same request key)
        return self._write_draft(draft)

    def _order_created(self, draft: DraftView, order: Order | None, *, again: bool) -> Outcome:
        bill_no = order.bill_no if order is not None else draft.bill_no
        if self._waits_for_approval() and bill_no and (
                (order is not None and order.document_status == "B")
                or self.order_approvals.get(f"order:{bill_no}") is not None):
            # submitted, not audited: the approval rule decides, and the OA instance is started once
            return self.order_approvals.after_submit(draft, order)
        key = "workflow.order_already_created" if again else "workflow.order_created"
        return ok(key, order, draft_id=draft.id, bill_no=draft.bill_no, **draft.summary)

    def _draft_transition(self, draft: DraftView, event: DraftEvent, **fields) -> bool:
        """Move a draft on if nobody else did first (conditional UPDATE on its state)."""
        new_state = next_draft_state(draft.state, event)
        values = {"state": new_state.value, "version": OrderDraftRow.version + 1, "updated_at": self.now(), **fields}
        with self.Session.begin() as s:
            return move_row(s, OrderDraftRow, draft.id, values, state=draft.state.value)


class OrderWithdrawal(ServiceBase):
    """Withdrawing an order created in chat that nobody has started (K/3: UnAudit + Delete; an
    order still waiting for its OA approval: the instance is terminated in DingTalk first, then
    CancelAssign + Delete, see ``OaApprovals.withdraw``).

    K/3 lets a PRD_MO go only while its entry is 计划 / 计划确认 and no report hangs on it (the
    simulator's ``entry_removal_refusal``); from 下达 on, the order stays and a planner undoes
    the release or closes it in K/3. Only the person who asked for the order may withdraw it, and
    only after the summary ``propose_withdraw`` shows was confirmed."""

    def _withdrawable(self, bill_no: str, by: str) -> tuple[Order | None, Outcome | None]:
        order = self.k3.get_order(bill_no)
        if order is None:
            written = self._written_draft(bill_no)
            if written is not None and written.requester == by:
                return None, ok("workflow.already_withdrawn", None, bill_no=bill_no)
            return None, refused("workflow.order_unknown", bill_no=bill_no)
        if OrderStatus(order.status) >= OrderStatus.RELEASED or order.reported_total > 0:
            return order, refused("workflow.withdraw_released", order, bill_no=bill_no,
                                  status_name=rules.status_name(order.status))
        draft = self._written_draft(bill_no)
        if draft is None:
            return order, refused("workflow.withdraw_not_from_chat", order, bill_no=bill_no)
        if draft.requester != by:
            return order, refused("workflow.withdraw_not_yours", order, bill_no=bill_no)
        return order, None

    def _written_draft(self, bill_no: str) -> DraftView | None:
        with self.Session() as s:
            row = (
                s.query(OrderDraftRow)
                .filter(OrderDraftRow.bill_no == bill_no, OrderDraftRow.state == Draft.WRITTEN.value)
                .order_by(OrderDraftRow.id.desc())
                .first()
            )
            return _draft_view(row) if row else None

    def last_created(self, by: str, conversation_id: str | None) -> str | None:
        """The order ``by`` created last in this conversation ("刚才那个工单建错了，帮我取消掉" names no
        number: the order just created is meant), or None."""
        with self.Session() as s:
            q = s.query(OrderDraftRow.bill_no).filter(OrderDraftRow.requester == by,
                                                      OrderDraftRow.state == Draft.WRITTEN.value,
                                                      OrderDraftRow.bill_no.isnot(None))
            if conversation_id:
                q = q.filter(OrderDraftRow.conversation_id == conversation_id)
            row = q.order_by(OrderDraftRow.id.desc()).first()
            return row[0] if row else None

    def propose_withdraw(self, bill_no: str, by: str) -> Outcome:
        """What withdrawing ``bill_no`` would delete, or why it cannot be. Nothing is written.

        Outcome keys: workflow.withdraw_summary (confirm with ``withdraw_order``),
        workflow.withdraw_released, workflow.withdraw_not_yours, workflow.withdraw_not_from_chat,
        workflow.order_unknown."""
        bill_no = format_order_no(bill_no)
        order, refusal = self._withdrawable(bill_no, by)
        if refusal is not None:
            return refusal
        label = self.material_label(order.material_number)
        waiting = self._waiting_approval(bill_no)
        details = (self.order_approvals.withdraw_notice(waiting),) if waiting is not None else ()
        return ok("workflow.withdraw_summary", order, details, bill_no=bill_no, material_code=label["code"],
                  material_name=label["name"], qty=figure(order.qty), unit=order.unit,
                  status_name=rules.status_name(order.status))

    def _waiting_approval(self, bill_no: str):
        """The OA approval this order still waits for (issue 14), or None."""
        if self.order_approvals is None:
            return None
        return self.order_approvals.waiting_for(bill_no)

    def withdraw_order(self, bill_no: str, by: str) -> Outcome:
        """Delete the order in K/3 (UnAudit + Delete), re-checked live. Outcome: workflow.withdrawn."""
        order, refusal = self._withdrawable(bill_no, by)
        if refusal is not None:
            return refusal
        waiting = self._waiting_approval(bill_no)
        if waiting is not None:  # its OA approval is running: terminated in DingTalk first, then K/3
            return self.order_approvals.withdraw(waiting, by, order)
        try:
            self.k3.delete_order(bill_no)
        except K3Rejected as exc:
            return refused("workflow.withdraw_k3_refused", order, bill_no=bill_no, **k3_refusal(exc))
        label = self.material_label(order.material_number)
        return ok("workflow.withdrawn", order, bill_no=bill_no, material_code=label["code"],
                  material_name=label["name"], qty=figure(order.qty), unit=order.unit)

    def keep_order(self, bill_no: str, by: str) -> Outcome:
        """A "no" to withdrawing: nothing is written. Outcome: workflow.withdraw_kept."""
        return ok("workflow.withdraw_kept", bill_no=bill_no)
