"""Changing a production order: the state moves of a change request, from request to K/3 write.

request -> checks (``change_checks``, over one live read of the factory, ``factory_state``) ->
checked (the requester confirms) or pending approval (``change_decisions``: a manager decides) ->
applying -> applied. Every move is a conditional UPDATE on (state, version)
(``ChangeStore.move``), so two deciders cannot both win, and the K/3 write is announced (state
``applying``) before it is made: after a crash ``resume()`` reads the order back from K/3 and only
writes again if the target values are not there yet. What to say comes from ``change_messages``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from k3_client.errors import K3PermissionDenied, K3Rejected, K3SessionLost, K3Unavailable
from rasa_project.ordering import change_checks, rules
from rasa_project.ordering.base import ServiceBase, k3_refusal
from rasa_project.ordering.change_messages import ChangeMessages
from rasa_project.ordering.change_requests import BLOCKING, ChangeEvent, ChangeRequest, ChangeStore, fields_of
from rasa_project.ordering.create import check_quantity, check_work_center
from rasa_project.ordering.factory_state import FactoryStateReader
from rasa_project.ordering.rules import CheckResult, Verdict
from rasa_project.ordering.states import Change, Event
from rasa_project.outcomes import Outcome, ok, refused
from rasa_project.values import format_order_no, read_date


class OrderChanges(ServiceBase):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.store = ChangeStore(self.Session, lambda: self.now())
        self.factory = FactoryStateReader(self.k3, self.mapping, self.clock)
        self.messages = ChangeMessages(self.mapping)

    # -- reading ----------------------------------------------------------------------------------
    def get_change(self, ref: str) -> ChangeRequest | None:
        return self.store.get(ref)

    def list_changes(
        self,
        *,
        states: Iterable[Change] = (),
        bill_no: str | None = None,
        requester: str | None = None,
    ) -> list[ChangeRequest]:
        return self.store.list(states=states, bill_no=bill_no, requester=requester)

    def pending_approvals(self) -> list[ChangeRequest]:
        return self.list_changes(states=[Change.PENDING_APPROVAL])

    def history(self, ref: str) -> list[ChangeEvent]:
        change = self.get_change(ref)
        return self.store.history(change) if change is not None else []

    def describe(self, change: ChangeRequest) -> Outcome[ChangeRequest]:
        """What to say about a request in its current state."""
        return self.messages.describe(change)

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
        bill_no = format_order_no(bill_no)
        new_qty = new_finish = new_wc = None
        if qty not in (None, ""):
            q = check_quantity(qty, max_qty=self.settings.max_order_qty)
            if not q.ok:
                return q
            new_qty = q.value
        if plan_finish not in (None, ""):
            new_finish = read_date(plan_finish)
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
                self.store.move(other, [Event.CANCEL], requester, details={"superseded": True})
            elif other.state is not Change.CHECKED:
                return refused("workflow.change_already_open", other, bill_no=bill_no, ref=other.ref)

        change = self.store.insert(
            bill_no, requester, conversation_id, new_qty=new_qty, new_plan_finish=new_finish, new_work_center=new_wc
        )
        return self._run_checks(change)

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
            broken = change_checks.recheck(change, order)
            if broken is not None:
                return self._world_changed(change, by, broken)
            applying = self.store.move(change, [Event.CONFIRM], by)
            if applying is None:
                return self.confirm_change(ref, by)  # lost a race: answer from the new state
            return self._apply(applying, by)
        if change.state is Change.PENDING_APPROVAL:
            return refused(
                "workflow.change_awaiting_approval", change, ref=change.ref, **self.messages.labels(change)
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
        cancelled = self.store.move(change, [Event.CANCEL], by)
        if cancelled is None:
            return self.cancel_change(ref, by)
        return ok("workflow.change_cancelled", cancelled, ref=cancelled.ref, **self.messages.labels(cancelled))

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
        return self.store.move(change, [Event.EXPIRE], "system") or self.store.get_by_id(change.id)

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
        moved = self.store.move(change, events, "system", details={"verdict": verdict.value}, **fields)
        if moved is None:  # another worker finished the checks first
            return self.describe(self.store.get_by_id(change.id))
        return self.describe(moved)

    def _evaluate(self, change: ChangeRequest, order) -> list[CheckResult]:
        """The hard rules, then (if none broke) the risks over one live read of the factory."""
        results = change_checks.hard_rules(change, order, today=self.today())
        if change_checks.is_broken(results):
            return results
        needs_stock = change_checks.adds_to_needs(change, order)
        state = self.factory.read(include=[order], components_of=[order] if needs_stock else [])
        return results + change_checks.risks(change, order, state, self.mapping)

    # -- applying ---------------------------------------------------------------------------------
    def _apply_approved(self, change: ChangeRequest, actor: str | None) -> Outcome[ChangeRequest]:
        order = self.k3.get_order(change.bill_no)
        broken = change_checks.recheck(change, order)
        if broken is not None:
            return self._world_changed(change, actor, broken)
        applying = self.store.move(change, [Event.APPLY], actor)
        if applying is None:
            return self.describe(self.store.get_by_id(change.id))
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
            failed = self.store.move(change, [Event.APPLY_FAILED], actor, check_version=False, details=k3_refusal(exc))
            return refused(
                "workflow.change_k3_rejected",
                failed or change,
                ref=change.ref,
                field=k3_refusal(exc)["field"],
                **self.messages.labels(change),
            )
        except (K3Unavailable, K3SessionLost):
            return refused(
                "workflow.change_apply_unknown", change, ref=change.ref, **self.messages.labels(change)
            )
        return self._mark_applied(change, actor, fields_of(updated))

    def _mark_applied(
        self, change: ChangeRequest, actor: str | None, live: dict, **details
    ) -> Outcome[ChangeRequest]:
        applied = self.store.move(
            change,
            [Event.APPLIED],
            actor,
            check_version=False,
            applied_at=self.now(),
            details={"k3": live, **details},
        )
        return self.describe(applied or self.store.get_by_id(change.id))

    def _lease_expired(self, change: ChangeRequest) -> bool:
        timeout = float(getattr(self.settings, "k3_timeout_s", 10.0))
        retries = int(getattr(self.settings, "k3_retries", 2))
        return self.now() - change.updated_at >= timedelta(seconds=timeout * (retries + 1) * 4 + 30)

    def _resume_applying(self, change: ChangeRequest, actor: str | None) -> Outcome[ChangeRequest]:
        """An ``applying`` request whose writer went quiet: read K/3 back before writing again."""
        if not self._lease_expired(change):
            return refused(
                "workflow.change_in_progress", change, ref=change.ref, **self.messages.labels(change)
            )
        claimed = self.store.move(change, [Event.RETRY], actor or "system")
        if claimed is None:  # another worker took it over
            return self.describe(self.store.get_by_id(change.id))
        order = self.k3.get_order(change.bill_no)
        if order is not None and rules.has_reached(claimed.target, fields_of(order)):
            return self._mark_applied(claimed, actor, fields_of(order), recovered=True)
        broken = change_checks.recheck(claimed, order)
        if broken is not None:
            return self._world_changed(claimed, actor, broken)
        return self._apply(claimed, actor)

    def _world_changed(
        self, change: ChangeRequest, actor: str | None, broken: list[CheckResult]
    ) -> Outcome[ChangeRequest]:
        reasons = [r.as_dict() for r in change.reasons] + [r.as_dict() for r in broken]
        moved = self.store.move(
            change,
            [Event.RULE_BROKEN],
            actor,
            reasons=reasons,
            details={"recheck": [b.key for b in broken]},
        )
        if moved is None:  # someone else moved the request on meanwhile: answer from where it is
            return self.describe(self.store.get_by_id(change.id))
        return self.messages.world_changed(moved, broken)
