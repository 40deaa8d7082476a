"""Changing a production order: persisted request, live risk checks, confirm-and-apply.

Every step is a conditional UPDATE on (state, version), so two deciders cannot both win, and
the K/3 write is announced (state ``applying``) before it is made: after a crash ``resume()``
reads the order back from K/3 and only writes again if the target values are not there yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from k3_client.errors import K3PermissionDenied, K3Rejected, K3SessionLost, K3Unavailable
from k3_client.models import Bom, Order, OrderStatus
from rasa_project.ordering import rules
from rasa_project.ordering.base import ServiceBase, k3_refusal
from rasa_project.ordering.create import check_quantity as check_quantity_slot
from rasa_project.ordering.create import check_work_center, parse_date
from rasa_project.ordering.outcomes import Message, Outcome, figure, iso, ok, refused
from rasa_project.ordering.rules import CheckResult, Verdict
from rasa_project.ordering.states import Change, Event, next_state
from rasa_project.ordering.tables import ChangeEventRow, ChangeRequestRow, as_utc

OPEN_STATUSES = tuple(s for s in OrderStatus if s.is_open)
FIELDS = ("qty", "plan_finish", "work_center")
# a request in one of these states blocks another change of the same order
BLOCKING = (Change.REQUESTED, Change.PENDING_APPROVAL, Change.APPROVED, Change.APPLYING)


@dataclass(frozen=True)
class ChangeRequest:
    """A change request as stored (read model; the state machine lives in states.py)."""

    id: int
    ref: str
    bill_no: str
    requester: str
    conversation_id: str | None
    material_number: str | None
    unit: str | None
    state: Change
    old_qty: float | None
    new_qty: float | None
    old_plan_finish: date | None
    new_plan_finish: date | None
    old_work_center: str | None
    new_work_center: str | None
    reasons: tuple[CheckResult, ...]
    approver: str | None
    decided_at: datetime | None
    decision_note: str | None
    pending_since: datetime | None
    reminded_at: datetime | None
    applied_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int

    @property
    def target(self) -> dict[str, Any]:
        """The requested values, in comparable form (None = field not changed)."""
        return {
            "qty": figure(self.new_qty),
            "plan_finish": iso(self.new_plan_finish),
            "work_center": self.new_work_center,
        }

    @property
    def recorded(self) -> dict[str, Any]:
        """What K/3 had when the checks ran (only the fields being changed)."""
        old = {
            "qty": figure(self.old_qty),
            "plan_finish": iso(self.old_plan_finish),
            "work_center": self.old_work_center,
        }
        return {k: old[k] for k, v in self.target.items() if v is not None}

    @property
    def risks(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.reasons if r.verdict is Verdict.NEEDS_APPROVAL)

    @property
    def refusals(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.reasons if r.verdict is Verdict.REFUSE)


@dataclass(frozen=True)
class ChangeEvent:
    from_state: Change | None
    to_state: Change
    event: str
    actor: str | None
    details: dict | None
    at: datetime


def _view(row: ChangeRequestRow) -> ChangeRequest:
    return ChangeRequest(
        id=row.id,
        ref=row.ref,
        bill_no=row.bill_no,
        requester=row.requester,
        conversation_id=row.conversation_id,
        material_number=row.material_number,
        unit=row.unit,
        state=Change(row.state),
        old_qty=row.old_qty,
        new_qty=row.new_qty,
        old_plan_finish=row.old_plan_finish,
        new_plan_finish=row.new_plan_finish,
        old_work_center=row.old_work_center,
        new_work_center=row.new_work_center,
        reasons=tuple(CheckResult.from_dict(r) for r in row.reasons or ()),
        approver=row.approver,
        decided_at=as_utc(row.decided_at),
        decision_note=row.decision_note,
        pending_since=as_utc(row.pending_since),
        reminded_at=as_utc(row.reminded_at),
        applied_at=as_utc(row.applied_at),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        version=row.version,
    )


def fields_of(order: Order) -> dict[str, Any]:
    return {"qty": figure(order.qty), "plan_finish": iso(order.plan_finish), "work_center": order.work_center}


def public_ref(change_id: int) -> str:
    return f"CR-{change_id:06d}"


class OrderChanges(ServiceBase):
    # -- reading ----------------------------------------------------------------------------------
    def get_change(self, ref: str) -> ChangeRequest | None:
        with self.Session() as s:
            row = s.execute(
                select(ChangeRequestRow).where(ChangeRequestRow.ref == ref.strip().upper())
            ).scalar()
            return _view(row) if row else None

    def list_changes(
        self,
        *,
        states: Iterable[Change] = (),
        bill_no: str | None = None,
        requester: str | None = None,
    ) -> list[ChangeRequest]:
        q = select(ChangeRequestRow).order_by(ChangeRequestRow.id)
        states = [s.value for s in states]
        if states:
            q = q.where(ChangeRequestRow.state.in_(states))
        if bill_no:
            q = q.where(ChangeRequestRow.bill_no == bill_no)
        if requester:
            q = q.where(ChangeRequestRow.requester == requester)
        with self.Session() as s:
            return [_view(r) for r in s.execute(q).scalars()]

    def pending_approvals(self) -> list[ChangeRequest]:
        return self.list_changes(states=[Change.PENDING_APPROVAL])

    def history(self, ref: str) -> list[ChangeEvent]:
        change = self.get_change(ref)
        if change is None:
            return []
        with self.Session() as s:
            rows = s.execute(
                select(ChangeEventRow)
                .where(ChangeEventRow.change_id == change.id)
                .order_by(ChangeEventRow.id)
            ).scalars()
            return [
                ChangeEvent(
                    Change(r.from_state) if r.from_state else None,
                    Change(r.to_state),
                    r.event,
                    r.actor,
                    r.details,
                    as_utc(r.at),
                )
                for r in rows
            ]

    # -- requesting -------------------------------------------------------------------------------
    def request_change(
        self,
        bill_no: str,
        requester: str,
        conversation_id: str | None = None,
        *,
        qty: Any = None,
        plan_finish: Any = None,
        work_center: Any = None,
    ) -> Outcome[ChangeRequest]:
        """Record a change request and run the checks (status, reported minimum, stock, capacity).

        Outcome keys: a refusal's own key (workflow.order_unknown, workflow.order_closed,
        workflow.qty_below_reported, ...), workflow.change_checked (awaits ``confirm_change``) or
        workflow.change_needs_approval (details: one line per risk; a manager must decide)."""
        bill_no = (bill_no or "").strip().upper()
        new_qty = new_finish = new_wc = None
        if qty not in (None, ""):
            q = check_quantity_slot(qty, max_qty=self.settings.max_order_qty)
            if not q.ok:
                return q
            new_qty = q.value
        if plan_finish not in (None, ""):
            new_finish = parse_date(plan_finish)
            if new_finish is None:
                return refused("workflow.date_unreadable", text=str(plan_finish))
        if work_center not in (None, ""):
            wc = check_work_center(work_center, self.mapping)
            if not wc.ok:
                return wc
            new_wc = wc.value.number
        if new_qty is None and new_finish is None and new_wc is None:
            return refused("workflow.change_nothing", bill_no=bill_no)

        for other in self.list_changes(states=BLOCKING + (Change.CHECKED,), bill_no=bill_no):
            if other.state is Change.CHECKED and other.requester == requester:
                self._transition(other, [Event.CANCEL], requester, details={"superseded": True})
            elif other.state is not Change.CHECKED:
                return refused("workflow.change_already_open", other, bill_no=bill_no, ref=other.ref)

        now = self.now()
        with self.Session.begin() as s:
            row = ChangeRequestRow(
                bill_no=bill_no,
                requester=requester,
                conversation_id=conversation_id,
                new_qty=new_qty,
                new_plan_finish=new_finish,
                new_work_center=new_wc,
                state=Change.REQUESTED.value,
                reasons=[],
                created_at=now,
                updated_at=now,
                version=1,
            )
            s.add(row)
            s.flush()
            row.ref = public_ref(row.id)
            s.add(
                ChangeEventRow(
                    change_id=row.id,
                    to_state=Change.REQUESTED.value,
                    event="request",
                    actor=requester,
                    at=now,
                )
            )
            change_id = row.id
        return self._run_checks(self._get(change_id))

    def confirm_change(self, ref: str, by: str) -> Outcome[ChangeRequest]:
        """The requester confirms a checked change: re-verify the order live, then apply it once.

        Outcome: workflow.change_applied (details: each field old -> new), or why not."""
        change = self.get_change(ref)
        if change is None:
            return refused("workflow.change_unknown", ref=ref)
        if change.requester != by:
            return refused("workflow.change_not_yours", change, ref=change.ref)
        change = self.expire_if_due(change)
        if change.state is Change.CHECKED:
            order = self.k3.get_order(change.bill_no)
            broken = self._recheck(change, order)
            if broken is not None:
                return self._world_changed(change, by, broken)
            applying = self._transition(change, [Event.CONFIRM], by)
            if applying is None:
                return self.confirm_change(ref, by)  # lost a race: answer from the new state
            return self._apply(applying, by)
        if change.state is Change.PENDING_APPROVAL:
            return refused(
                "workflow.change_awaiting_approval", change, ref=change.ref, **self._labels(change)
            )
        return self.resume(change.ref, by=by)

    def cancel_change(self, ref: str, by: str) -> Outcome[ChangeRequest]:
        """The requester withdraws a change that has not been applied or decided."""
        change = self.get_change(ref)
        if change is None:
            return refused("workflow.change_unknown", ref=ref)
        if change.requester != by:
            return refused("workflow.change_not_yours", change, ref=change.ref)
        change = self.expire_if_due(change)
        if change.state not in (Change.CHECKED, Change.PENDING_APPROVAL):
            return self.describe(change)
        cancelled = self._transition(change, [Event.CANCEL], by)
        if cancelled is None:
            return self.cancel_change(ref, by)
        return ok("workflow.change_cancelled", cancelled, ref=cancelled.ref, **self._labels(cancelled))

    # -- recovery ---------------------------------------------------------------------------------
    def resume(self, ref: str, *, by: str | None = None) -> Outcome[ChangeRequest]:
        """Carry an interrupted request on from its stored state (after a crash or K/3 timeout)."""
        change = self.get_change(ref)
        if change is None:
            return refused("workflow.change_unknown", ref=ref)
        if change.state is Change.REQUESTED:
            return self._run_checks(change)
        if change.state is Change.APPROVED:
            return self._apply_approved(change, by or change.approver)
        if change.state is Change.APPLYING:
            return self._resume_applying(change, by)
        return self.describe(change)

    def resume_all(self) -> list[Outcome[ChangeRequest]]:
        """Resume every request a crash left half-way (run at start-up or periodically)."""
        outcomes = []
        for change in self.list_changes(states=[Change.REQUESTED, Change.APPROVED, Change.APPLYING]):
            if change.state is Change.APPLYING and not self._lease_expired(change):
                continue
            outcomes.append(self.resume(change.ref))
        return outcomes

    def is_expiry_due(self, change: ChangeRequest, now: datetime | None = None) -> bool:
        """Unconfirmed (checked) or undecided (pending) for ``approval_expire_after_s``."""
        if change.state not in (Change.CHECKED, Change.PENDING_APPROVAL):
            return False
        since = change.pending_since if change.state is Change.PENDING_APPROVAL else change.updated_at
        limit = timedelta(seconds=self.settings.approval_expire_after_s)
        return since is not None and (now or self.now()) - since >= limit

    def expire_if_due(self, change: ChangeRequest) -> ChangeRequest:
        """Expiry holds whenever the request is touched, not only when ``expire_due`` last ran."""
        if not self.is_expiry_due(change):
            return change
        return self._transition(change, [Event.EXPIRE], "system") or self._get(change.id)

    def describe(self, change: ChangeRequest) -> Outcome[ChangeRequest]:
        """What to say about a request in its current state."""
        labels = self._labels(change)
        if change.state is Change.APPLIED:
            return ok("workflow.change_applied", change, self._field_lines(change), ref=change.ref, **labels)
        if change.state is Change.CHECKED:
            return ok("workflow.change_checked", change, self._field_lines(change), ref=change.ref, **labels)
        if change.state is Change.PENDING_APPROVAL:
            details = self._field_lines(change) + self._risk_lines(change)
            return ok("workflow.change_needs_approval", change, details, ref=change.ref, **labels)
        if change.state is Change.REFUSED and change.refusals:
            last = change.refusals[-1]
            moved = self._moved_lines(last)
            return refused(last.key, change, moved, **self._values(change, last))
        if change.state is Change.APPLYING:
            return refused("workflow.change_in_progress", change, ref=change.ref, **labels)
        if change.state is Change.EXPIRED:
            return refused("workflow.change_expired", change, ref=change.ref, **labels)
        return refused(
            "workflow.change_is_final",
            change,
            ref=change.ref,
            state_name=self._state_name(change.state),
            approver=change.approver or "",
            **labels,
        )

    # -- checks -----------------------------------------------------------------------------------
    def _run_checks(self, change: ChangeRequest) -> Outcome[ChangeRequest]:
        order = self.k3.get_order(change.bill_no)
        results = self._evaluate(change, order)
        verdict = rules.decide(results)
        fields: dict[str, Any] = {"reasons": [r.as_dict() for r in results]}
        if order is not None:
            fields.update(
                material_number=order.material_number,
                unit=order.unit,
                old_qty=order.qty,
                old_plan_finish=order.plan_finish,
                old_work_center=order.work_center,
            )
        if verdict is Verdict.REFUSE:
            events = [Event.RULE_BROKEN]
        elif verdict is Verdict.NEEDS_APPROVAL:
            events = [Event.CHECKS_PASSED, Event.NEEDS_APPROVAL]
            fields["pending_since"] = self.now()
        else:
            events = [Event.CHECKS_PASSED]
        moved = self._transition(change, events, "system", details={"verdict": verdict.value}, **fields)
        if moved is None:  # another worker finished the checks first
            return self.describe(self._get(change.id))
        return self.describe(moved)

    def _evaluate(self, change: ChangeRequest, order: Order | None) -> list[CheckResult]:
        """The checks in order; a broken rule stops the list (later figures would mean nothing)."""
        status = rules.check_order_status(change.bill_no, order.status if order else None)
        if status.verdict is Verdict.REFUSE:
            return [status]
        results = [status]
        live = fields_of(order)
        for result in (
            rules.check_something_changes(live, change.target),
            rules.check_reported_minimum(
                change.bill_no, change.new_qty, good=order.reported_good, scrap=order.reported_scrap
            ),
        ):
            results.append(result)
            if result.verdict is Verdict.REFUSE:
                return results
        if change.new_plan_finish is not None:
            finish = rules.check_finish_date(
                change.new_plan_finish, today=self.today(), plan_start=order.plan_start
            )
            results.append(finish)
            if finish.verdict is Verdict.REFUSE:
                return results
        results.extend(self._stock_checks(order, change.new_qty))
        results.append(self._capacity_check(order, change))
        return results

    def _recheck(self, change: ChangeRequest, order: Order | None) -> list[CheckResult] | None:
        """Live re-verification before a write: the hard rules only (risks were accepted)."""
        status = rules.check_order_status(change.bill_no, order.status if order else None)
        if status.verdict is Verdict.REFUSE:
            return [status]
        checks = [
            rules.check_unchanged_since(change.bill_no, change.recorded, fields_of(order)),
            rules.check_reported_minimum(
                change.bill_no, change.new_qty, good=order.reported_good, scrap=order.reported_scrap
            ),
        ]
        broken = [c for c in checks if c.verdict is Verdict.REFUSE]
        return broken or None

    def _bom_of(self, order: Order, cache: dict) -> Bom | None:
        key = order.bom_number or f"material:{order.material_number}"
        if key not in cache:
            bom = self.k3.find_bom(order.bom_number) if order.bom_number else None
            cache[key] = bom or self.k3.find_audited_bom(order.material_number)
        return cache[key]

    def _stock_checks(self, order: Order, new_qty: float | None) -> list[CheckResult]:
        """Components of the order's BOM: live stock minus other open orders' remaining needs."""
        if new_qty is None or new_qty <= order.qty:
            return [
                CheckResult(
                    "component_stock",
                    Verdict.SKIPPED,
                    "workflow.check_skipped",
                    {"reason": "qty_not_increased"},
                )
            ]
        boms: dict = {}
        bom = self._bom_of(order, boms)
        lines = [(line.material_number, line.qty_per) for line in (bom.lines if bom else ())]
        if not lines:
            return [
                CheckResult(
                    "component_stock", Verdict.SKIPPED, "workflow.check_skipped", {"reason": "no_components"}
                )
            ]
        reported = order.reported_total
        need_before = rules.component_needs(lines, rules.remaining_qty(order.qty, reported))
        need_after = rules.component_needs(lines, rules.remaining_qty(new_qty, reported))
        components = sorted(need_after)
        other_needs = {c: 0.0 for c in components}
        for other in self.k3.list_orders(statuses=OPEN_STATUSES):
            if other.bill_no == order.bill_no:
                continue
            other_bom = self._bom_of(other, boms)
            remaining = rules.remaining_qty(other.qty, other.reported_total)
            for line in other_bom.lines if other_bom else ():
                if line.material_number in other_needs:
                    other_needs[line.material_number] += remaining * line.qty_per
        stock = self.k3.stock_of(components)
        results = []
        for number in components:
            material = self.k3.find_material(number)
            level = stock.get(number)
            position = rules.ComponentPosition(
                material_number=number,
                stock=level.qty if level else 0.0,
                safety_stock=material.safety_stock if material else 0.0,
                other_needs=other_needs[number],
                need_before=need_before.get(number, 0.0),
                need_after=need_after[number],
            )
            label = self.material_label(number, material)
            results.append(
                rules.check_component(position).with_values(
                    component_code=label["code"], component_name=label["name"]
                )
            )
        return results

    def _capacity_check(self, order: Order, change: ChangeRequest) -> CheckResult:
        """Planned load per working day on the target work center, from business today on."""
        target_wc = change.new_work_center or order.work_center
        wc = self.mapping.work_center(target_wc)
        if wc is None:
            return CheckResult(
                "capacity",
                Verdict.SKIPPED,
                "workflow.check_skipped",
                {"reason": "no_capacity", "work_center": target_wc},
            )
        today, weekdays = self.today(), self.mapping.calendar

        def load(qty: float, reported: float, start: date, finish: date) -> dict:
            return rules.spread_load(
                rules.remaining_qty(qty, reported),
                plan_start=start,
                plan_finish=finish,
                today=today,
                weekdays=weekdays,
            )

        others = [
            load(o.qty, o.reported_total, o.plan_start, o.plan_finish)
            for o in self.k3.list_orders(work_center=wc.number, statuses=OPEN_STATUSES)
            if o.bill_no != order.bill_no
        ]
        this_before = (
            load(order.qty, order.reported_total, order.plan_start, order.plan_finish)
            if order.work_center == wc.number
            else {}
        )
        this_after = load(
            change.new_qty if change.new_qty is not None else order.qty,
            order.reported_total,
            order.plan_start,
            change.new_plan_finish or order.plan_finish,
        )
        before = rules.add_loads(*others, this_before)
        after = rules.add_loads(*others, this_after)
        result = rules.check_capacity(wc.number, wc.daily_capacity, before=before, after=after)
        return result.with_values(work_center_name=dict(wc.name))

    # -- applying ---------------------------------------------------------------------------------
    def _apply_approved(self, change: ChangeRequest, actor: str | None) -> Outcome[ChangeRequest]:
        order = self.k3.get_order(change.bill_no)
        broken = self._recheck(change, order)
        if broken is not None:
            return self._world_changed(change, actor, broken)
        applying = self._transition(change, [Event.APPLY], actor)
        if applying is None:
            return self.describe(self._get(change.id))
        return self._apply(applying, actor)

    def _apply(self, change: ChangeRequest, actor: str | None) -> Outcome[ChangeRequest]:
        """The one K/3 write of a request (state ``applying`` already recorded)."""
        try:
            updated = self.k3.change_order(
                change.bill_no,
                qty=change.new_qty,
                plan_finish=change.new_plan_finish,
                work_center=change.new_work_center,
            )
        except (K3Rejected, K3PermissionDenied) as exc:
            failed = self._transition(
                change,
                [Event.APPLY_FAILED],
                actor,
                check_version=False,
                details=k3_refusal(exc),
            )
            return refused(
                "workflow.change_k3_rejected",
                failed or change,
                ref=change.ref,
                field=k3_refusal(exc)["field"],
                **self._labels(change),
            )
        except (K3Unavailable, K3SessionLost):
            return refused("workflow.change_apply_unknown", change, ref=change.ref, **self._labels(change))
        return self._mark_applied(change, actor, fields_of(updated))

    def _mark_applied(
        self, change: ChangeRequest, actor: str | None, live: dict, **details
    ) -> Outcome[ChangeRequest]:
        applied = self._transition(
            change,
            [Event.APPLIED],
            actor,
            check_version=False,
            applied_at=self.now(),
            details={"k3": live, **details},
        )
        return self.describe(applied or self._get(change.id))

    def _lease_expired(self, change: ChangeRequest) -> bool:
        timeout = float(getattr(self.settings, "k3_timeout_s", 10.0))
        retries = int(getattr(self.settings, "k3_retries", 2))
        return self.now() - change.updated_at >= timedelta(seconds=timeout * (retries + 1) * 4 + 30)

    def _resume_applying(self, change: ChangeRequest, actor: str | None) -> Outcome[ChangeRequest]:
        """An ``applying`` request whose writer went quiet: read K/3 back before writing again."""
        if not self._lease_expired(change):
            return refused("workflow.change_in_progress", change, ref=change.ref, **self._labels(change))
        claimed = self._transition(change, [Event.RETRY], actor or "system")
        if claimed is None:  # another worker took it over
            return self.describe(self._get(change.id))
        order = self.k3.get_order(change.bill_no)
        if order is not None and rules.has_reached(claimed.target, fields_of(order)):
            return self._mark_applied(claimed, actor, fields_of(order), recovered=True)
        broken = self._recheck(claimed, order)
        if broken is not None:
            return self._world_changed(claimed, actor, broken)
        return self._apply(claimed, actor)

    def _world_changed(
        self, change: ChangeRequest, actor: str | None, broken: list[CheckResult]
    ) -> Outcome[ChangeRequest]:
        reasons = [r.as_dict() for r in change.reasons] + [r.as_dict() for r in broken]
        moved = self._transition(
            change,
            [Event.RULE_BROKEN],
            actor,
            reasons=reasons,
            details={"recheck": [b.key for b in broken]},
        )
        if moved is None:  # someone else moved the request on meanwhile: answer from where it is
            return self.describe(self._get(change.id))
        change = moved
        return refused(
            "workflow.change_world_changed",
            change,
            self._broken_lines(change, broken),
            ref=change.ref,
            **self._labels(change),
        )

    # -- persistence ------------------------------------------------------------------------------
    def _get(self, change_id: int) -> ChangeRequest:
        with self.Session() as s:
            return _view(s.get(ChangeRequestRow, change_id))

    def _transition(
        self,
        change: ChangeRequest,
        events: Sequence[Event],
        actor: str | None,
        *,
        details: dict | None = None,
        check_version: bool = True,
        **fields,
    ) -> ChangeRequest | None:
        """Apply ``events`` if the row is still where ``change`` saw it; None if someone else won.

        The conditional UPDATE (state, and version unless told otherwise) is the lock: on SQLite
        the writer lock serialises it, on PostgreSQL the second UPDATE re-reads the row and finds
        the state gone, so exactly one caller sees rowcount 1."""
        states = [change.state]
        for event in events:
            states.append(next_state(states[-1], event))
        now = self.now()
        with self.Session.begin() as s:
            where = [ChangeRequestRow.id == change.id, ChangeRequestRow.state == change.state.value]
            if check_version:
                where.append(ChangeRequestRow.version == change.version)
            result = s.execute(
                update(ChangeRequestRow)
                .where(*where)
                .values(
                    state=states[-1].value, version=ChangeRequestRow.version + 1, updated_at=now, **fields
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                return None
            for event, before, after in zip(events, states, states[1:]):
                s.add(
                    ChangeEventRow(
                        change_id=change.id,
                        from_state=before.value,
                        to_state=after.value,
                        event=event.value,
                        actor=actor,
                        details=details,
                        at=now,
                    )
                )
        return self._get(change.id)

    # -- wording helpers (values only; sentences live in the catalog) ---------------------------
    def _labels(self, change: ChangeRequest) -> dict[str, Any]:
        label = (
            self.material_label(change.material_number)
            if change.material_number
            else {"code": "", "name": ""}
        )
        return {"bill_no": change.bill_no, "material_code": label["code"], "material_name": label["name"]}

    def _state_name(self, state: Change) -> dict:
        from rasa_project import catalog

        return dict(catalog.MESSAGES[f"workflow.state_{state.value}"])

    def _field_lines(self, change: ChangeRequest) -> tuple[Message, ...]:
        lines = []
        if change.new_qty is not None:
            lines.append(
                Message(
                    "workflow.field_qty",
                    {"old": figure(change.old_qty), "new": figure(change.new_qty), "unit": change.unit or ""},
                )
            )
        if change.new_plan_finish is not None:
            lines.append(
                Message(
                    "workflow.field_plan_finish",
                    {"old": iso(change.old_plan_finish), "new": iso(change.new_plan_finish)},
                )
            )
        if change.new_work_center is not None:
            lines.append(
                Message(
                    "workflow.field_work_center",
                    {
                        "old": change.old_work_center or "",
                        "new": change.new_work_center,
                        "old_name": self.work_center_name(change.old_work_center),
                        "new_name": self.work_center_name(change.new_work_center),
                    },
                )
            )
        return tuple(lines)

    def _risk_lines(self, change: ChangeRequest) -> tuple[Message, ...]:
        return tuple(Message(r.key, self._values(change, r)) for r in change.risks)

    def _values(self, change: ChangeRequest, result: CheckResult) -> dict[str, Any]:
        values = {**self._labels(change), **dict(result.values), "ref": change.ref}
        if "moved" in values:
            values.pop("moved")
        return values

    def _broken_lines(self, change: ChangeRequest, results: Iterable[CheckResult]) -> tuple[Message, ...]:
        """One line per broken rule; an order that moved under us is spelled out field by field."""
        lines: list[Message] = []
        for r in results:
            lines.extend(self._moved_lines(r) or (Message(r.key, self._values(change, r)),))
        return tuple(lines)

    def _moved_lines(self, result: CheckResult) -> tuple[Message, ...]:
        lines = []
        for name, (old, live) in (result.values.get("moved") or {}).items():
            if name == "work_center":
                values = {
                    "old": old or "",
                    "new": live or "",
                    "old_name": self.work_center_name(old),
                    "new_name": self.work_center_name(live),
                }
                lines.append(Message("workflow.field_work_center", values))
            elif name == "qty":
                lines.append(Message("workflow.field_qty", {"old": old, "new": live, "unit": ""}))
            else:
                lines.append(Message("workflow.field_plan_finish", {"old": old, "new": live}))
        return tuple(lines)
