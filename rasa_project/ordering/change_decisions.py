"""Manager decisions on risky changes, as state moves of the change request: four-eyes, decided
once, live re-check before applying, reminders and expiry on the wall clock
(``settings.approval_remind_after_s`` / ``_expire_after_s``). Asking the managers and telling
everyone is the approval desk's (``approval_desk.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from rasa_project.ordering.change_requests import ChangeRequest
from rasa_project.ordering.changes import OrderChanges
from rasa_project.ordering.states import Change, Event
from rasa_project.outcomes import Outcome, ok, refused


class ChangeDecisions(OrderChanges):
    def approve(self, ref: str, manager: str, *, is_manager: bool, note: str = "") -> Outcome[ChangeRequest]:
        """Approve a pending change and apply it (after re-checking the order live); ``note`` is
        the manager's remark as written ("stok kontrol nanti ditambah"), kept with the decision.

        Outcome keys: workflow.change_applied, workflow.change_world_changed,
        workflow.already_decided, workflow.approval_not_manager, workflow.approval_own_request, ..."""
        change, answer = self._decidable(ref, manager, is_manager=is_manager)
        if answer is not None:
            return answer
        approved = self.store.move(change, [Event.APPROVE], manager, details={"note": note} if note else None,
                                   approver=manager, decided_at=self.now(), decision_note=note or None)
        if approved is None:  # lost the race: name the winner
            return self.approve(ref, manager, is_manager=is_manager, note=note)
        return self._apply_approved(approved, manager)

    def reject(self, ref: str, manager: str, note: str = "", *, is_manager: bool) -> Outcome[ChangeRequest]:
        change, answer = self._decidable(ref, manager, is_manager=is_manager)
        if answer is not None:
            return answer
        rejected = self.store.move(
            change,
            [Event.REJECT],
            manager,
            details={"note": note} if note else None,
            approver=manager,
            decided_at=self.now(),
            decision_note=note or None,
        )
        if rejected is None:
            return self.reject(ref, manager, note, is_manager=is_manager)
        return ok(
            "workflow.change_rejected",
            rejected,
            ref=rejected.ref,
            approver=manager,
            note=note or "",
            **self.messages.labels(rejected),
        )

    def expire_due(self, now: datetime | None = None) -> list[ChangeRequest]:
        """Expire requests nobody decided (or confirmed) within ``approval_expire_after_s``."""
        now = now or self.now()
        expired = []
        for change in self.list_changes(states=[Change.PENDING_APPROVAL, Change.CHECKED]):
            if self.is_expiry_due(change, now):
                moved = self.store.move(change, [Event.EXPIRE], "system")
                if moved is not None:  # expired here, not by a concurrent worker: notify once
                    expired.append(moved)
        return expired

    def due_reminders(self, now: datetime | None = None) -> list[ChangeRequest]:
        """Pending approvals whose manager should be reminded (every ``approval_remind_after_s``);
        call ``mark_reminded`` once the reminder went out."""
        now = now or self.now()
        every = timedelta(seconds=self.settings.approval_remind_after_s)
        due = []
        for change in self.pending_approvals():
            last = change.reminded_at or change.pending_since
            if last is not None and last + every <= now:
                due.append(change)
        return due

    def mark_reminded(self, ref: str, at: datetime | None = None) -> None:
        self.store.set_reminded(ref, at or self.now())

    def _decidable(
        self, ref: str, manager: str, *, is_manager: bool
    ) -> tuple[ChangeRequest | None, Outcome[ChangeRequest] | None]:
        """The request if ``manager`` may decide it now, else the answer explaining why not."""
        change = self.get_change(ref)
        if change is None:
            return None, refused("workflow.change_unknown", ref=ref)
        labels = self.messages.labels(change)
        change = self.expire_if_due(change)
        if not is_manager:
            return change, refused("workflow.approval_not_manager", change, ref=change.ref, **labels)
        if manager == change.requester:
            return change, refused("workflow.approval_own_request", change, ref=change.ref, **labels)
        if change.state is Change.PENDING_APPROVAL:
            return change, None
        if change.approver:
            decision = Change.REJECTED if change.state is Change.REJECTED else Change.APPROVED
            return change, refused(
                "workflow.already_decided",
                change,
                ref=change.ref,
                approver=change.approver,
                decided_at=self.local_time(change.decided_at),
                decision=self.messages.state_name(decision),
                state_name=self.messages.state_name(change.state),
                **labels,
            )
        return change, self.describe(change)
