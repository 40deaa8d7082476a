"""States of a change request and of an order draft: a table and one pure function.

requested -> checked -> applying -> applied                       (low risk, requester confirmed)
requested -> checked -> pending_approval -> approved -> applying -> applied   (risky, manager approved)
                                         -> rejected | expired | cancelled
requested -> refused (a rule is broken); checked/approved -> refused when a live re-check at
confirm/approve time finds the order changed; applying -> failed when K/3 rejects the write.

``applying`` is the intent written *before* the K/3 call: a crash leaves the request there and
``resume()`` compares the order in K/3 with the target values instead of writing blindly.
"""

from __future__ import annotations

from enum import Enum


class Change(str, Enum):
    REQUESTED = "requested"
    CHECKED = "checked"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    APPLYING = "applying"
    APPLIED = "applied"
    REJECTED = "rejected"
    EXPIRED = "expired"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES

    @property
    def is_open(self) -> bool:
        return not self.is_final


FINAL_STATES = frozenset(
    {Change.APPLIED, Change.REJECTED, Change.EXPIRED, Change.REFUSED, Change.CANCELLED, Change.FAILED}
)


class Event(str, Enum):
    CHECKS_PASSED = "checks_passed"
    RULE_BROKEN = "rule_broken"
    NEEDS_APPROVAL = "needs_approval"
    CONFIRM = "confirm"  # the requester confirms a low-risk change
    APPROVE = "approve"
    REJECT = "reject"
    EXPIRE = "expire"
    CANCEL = "cancel"
    APPLY = "apply"  # an approved change starts its K/3 write
    APPLIED = "applied"
    APPLY_FAILED = "apply_failed"
    RETRY = "retry"  # recovery takes over an interrupted write


TRANSITIONS: dict[tuple[Change, Event], Change] = {
    (Change.REQUESTED, Event.CHECKS_PASSED): Change.CHECKED,
    (Change.REQUESTED, Event.RULE_BROKEN): Change.REFUSED,
    (Change.CHECKED, Event.NEEDS_APPROVAL): Change.PENDING_APPROVAL,
    (Change.CHECKED, Event.CONFIRM): Change.APPLYING,
    (Change.CHECKED, Event.RULE_BROKEN): Change.REFUSED,
    (Change.CHECKED, Event.CANCEL): Change.CANCELLED,
    (Change.CHECKED, Event.EXPIRE): Change.EXPIRED,
    (Change.PENDING_APPROVAL, Event.APPROVE): Change.APPROVED,
    (Change.PENDING_APPROVAL, Event.REJECT): Change.REJECTED,
    (Change.PENDING_APPROVAL, Event.EXPIRE): Change.EXPIRED,
    (Change.PENDING_APPROVAL, Event.CANCEL): Change.CANCELLED,
    (Change.APPROVED, Event.APPLY): Change.APPLYING,
    (Change.APPROVED, Event.RULE_BROKEN): Change.REFUSED,
    (Change.APPLYING, Event.RETRY): Change.APPLYING,
    (Change.APPLYING, Event.APPLIED): Change.APPLIED,
    (Change.APPLYING, Event.APPLY_FAILED): Change.FAILED,
    (Change.APPLYING, Event.RULE_BROKEN): Change.REFUSED,
}


class IllegalTransition(Exception):
    def __init__(self, state: Enum, event: Enum) -> None:
        super().__init__(f"{event.value} is not allowed in state {state.value}")
        self.state, self.event = state, event


def next_state(state: Change, event: Event) -> Change:
    if (state, event) not in TRANSITIONS:
        raise IllegalTransition(state, event)
    return TRANSITIONS[(state, event)]


class Draft(str, Enum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"  # the requester said yes; the K/3 write is under way or done
    WRITTEN = "written"
    CANCELLED = "cancelled"


class DraftEvent(str, Enum):
    CONFIRM = "confirm"
    WRITTEN = "written"
    WRITE_REJECTED = "write_rejected"  # K/3 refused the Save: back to draft, nothing written
    CANCEL = "cancel"


DRAFT_TRANSITIONS: dict[tuple[Draft, DraftEvent], Draft] = {
    (Draft.DRAFT, DraftEvent.CONFIRM): Draft.CONFIRMED,
    (Draft.DRAFT, DraftEvent.CANCEL): Draft.CANCELLED,
    (Draft.CONFIRMED, DraftEvent.WRITTEN): Draft.WRITTEN,
    (Draft.CONFIRMED, DraftEvent.WRITE_REJECTED): Draft.DRAFT,
}


def next_draft_state(state: Draft, event: DraftEvent) -> Draft:
    if (state, event) not in DRAFT_TRANSITIONS:
        raise IllegalTransition(state, event)
    return DRAFT_TRANSITIONS[(state, event)]
