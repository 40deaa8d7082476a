"""A change request as stored: the read model, its history, and the one way its state moves.

``ChangeStore.move(change, events, actor)`` applies state-machine events (``states.py``) with the
conditional UPDATE of ``db.move_row`` on (state, version) and appends one ``change_events`` row
per event in the same transaction, so two deciders cannot both win and the history is complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from k3_client.models import Order
from rasa_project.db import move_row
from rasa_project.ordering.rules import CheckResult, Verdict
from rasa_project.ordering.states import Change, Event, next_state
from rasa_project.ordering.tables import ChangeEventRow, ChangeRequestRow, as_utc
from rasa_project.values import figure, iso

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


def fields_of(order: Order) -> dict[str, Any]:
    """The changeable fields of a K/3 order, in the comparable form of ``ChangeRequest.target``."""
    return {"qty": figure(order.qty), "plan_finish": iso(order.plan_finish), "work_center": order.work_center}


def public_ref(change_id: int) -> str:
    return f"CR-{change_id:06d}"


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


class ChangeStore:
    def __init__(self, sessionmaker_: sessionmaker, now: Callable[[], datetime]) -> None:
        self.Session = sessionmaker_
        self.now = now

    # -- reading --------------------------------------------------------------------------------
    def get(self, ref: str) -> ChangeRequest | None:
        with self.Session() as s:
            row = s.execute(select(ChangeRequestRow).where(ChangeRequestRow.ref == ref.strip().upper())).scalar()
            return _view(row) if row else None

    def get_by_id(self, change_id: int) -> ChangeRequest:
        with self.Session() as s:
            return _view(s.get(ChangeRequestRow, change_id))

    def list(
        self, *, states: Iterable[Change] = (), bill_no: str | None = None, requester: str | None = None
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

    def history(self, change: ChangeRequest) -> list[ChangeEvent]:
        with self.Session() as s:
            rows = s.execute(
                select(ChangeEventRow).where(ChangeEventRow.change_id == change.id).order_by(ChangeEventRow.id)
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

    # -- writing --------------------------------------------------------------------------------
    def insert(
        self,
        bill_no: str,
        requester: str,
        conversation_id: str | None,
        *,
        new_qty: float | None,
        new_plan_finish: date | None,
        new_work_center: str | None,
    ) -> ChangeRequest:
        """A new request in state ``requested``, with its first history event."""
        now = self.now()
        with self.Session.begin() as s:
            row = ChangeRequestRow(
                bill_no=bill_no,
                requester=requester,
                conversation_id=conversation_id,
                new_qty=new_qty,
                new_plan_finish=new_plan_finish,
                new_work_center=new_work_center,
                state=Change.REQUESTED.value,
                reasons=[],
                created_at=now,
                updated_at=now,
                version=1,
            )
            s.add(row)
            s.flush()
            row.ref = public_ref(row.id)
            s.add(ChangeEventRow(change_id=row.id, to_state=Change.REQUESTED.value, event="request",
                                 actor=requester, at=now))  # fmt: skip
            change_id = row.id
        return self.get_by_id(change_id)

    def move(
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
        values = {"state": states[-1].value, "version": ChangeRequestRow.version + 1, "updated_at": now, **fields}
        with self.Session.begin() as s:
            version = change.version if check_version else None
            if not move_row(s, ChangeRequestRow, change.id, values, state=change.state.value, version=version):
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
        return self.get_by_id(change.id)

    def set_reminded(self, ref: str, at: datetime) -> None:
        """Not a state change: no version bump, so a reminder never makes a decision lose its race."""
        with self.Session.begin() as s:
            row_id = s.execute(select(ChangeRequestRow.id).where(ChangeRequestRow.ref == ref)).scalar()
            if row_id is not None:
                move_row(s, ChangeRequestRow, row_id, {"reminded_at": at}, state=Change.PENDING_APPROVAL.value)
