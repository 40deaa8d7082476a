"""What to say about a change request: catalog keys and values, never sentences.

``ChangeMessages(mapping).describe(change)`` is the answer for a request in its current state
(applied, checked, waiting for a manager, refused with the broken rule, ...), with one detail
line per changed field (old -> new) and per risk found. The same lines go on the managers'
approval cards and into the notices to the groups.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa_project import catalog
from rasa_project.mapping import MappingTables
from rasa_project.ordering.base import material_label, work_center_name
from rasa_project.ordering.change_requests import ChangeRequest
from rasa_project.ordering.rules import CheckResult
from rasa_project.ordering.states import Change
from rasa_project.outcomes import Message, Outcome, ok, refused
from rasa_project.values import figure, iso


class ChangeMessages:
    def __init__(self, mapping: MappingTables) -> None:
        self.mapping = mapping

    def describe(self, change: ChangeRequest) -> Outcome[ChangeRequest]:
        """What to say about a request in its current state."""
        labels = self.labels(change)
        if change.state is Change.APPLIED:
            return ok("workflow.change_applied", change, self.field_lines(change), ref=change.ref, **labels)
        if change.state is Change.CHECKED:
            return ok("workflow.change_checked", change, self.field_lines(change), ref=change.ref, **labels)
        if change.state is Change.PENDING_APPROVAL:
            details = self.field_lines(change) + self.risk_lines(change)
            return ok("workflow.change_needs_approval", change, details, ref=change.ref, **labels)
        if change.state is Change.REFUSED and change.refusals:
            last = change.refusals[-1]
            return refused(last.key, change, self.moved_lines(last), **self.values(change, last))
        if change.state is Change.APPLYING:
            return refused("workflow.change_in_progress", change, ref=change.ref, **labels)
        if change.state is Change.EXPIRED:
            return refused("workflow.change_expired", change, ref=change.ref, **labels)
        return refused(
            "workflow.change_is_final",
            change,
            ref=change.ref,
            state_name=self.state_name(change.state),
            approver=change.approver or "",
            **labels,
        )

    def world_changed(self, change: ChangeRequest, broken: Iterable[CheckResult]) -> Outcome[ChangeRequest]:
        """The order moved under the request (or a hard rule broke) right before the write."""
        return refused(
            "workflow.change_world_changed",
            change,
            self.broken_lines(change, broken),
            ref=change.ref,
            **self.labels(change),
        )

    # -- values ---------------------------------------------------------------------------------
    def labels(self, change: ChangeRequest) -> dict[str, Any]:
        label = (
            material_label(self.mapping, change.material_number)
            if change.material_number
            else {"code": "", "name": ""}
        )
        return {"bill_no": change.bill_no, "material_code": label["code"], "material_name": label["name"]}

    @staticmethod
    def state_name(state: Change) -> dict:
        return dict(catalog.MESSAGES[f"workflow.state_{state.value}"])

    def values(self, change: ChangeRequest, result: CheckResult) -> dict[str, Any]:
        values = {**self.labels(change), **dict(result.values), "ref": change.ref}
        values.pop("moved", None)
        return values

    # -- detail lines ---------------------------------------------------------------------------
    def field_lines(self, change: ChangeRequest) -> tuple[Message, ...]:
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
            lines.append(self._work_center_line(change.old_work_center, change.new_work_center))
        return tuple(lines)

    def risk_lines(self, change: ChangeRequest) -> tuple[Message, ...]:
        return tuple(Message(r.key, self.values(change, r)) for r in change.risks)

    def broken_lines(self, change: ChangeRequest, results: Iterable[CheckResult]) -> tuple[Message, ...]:
        """One line per broken rule; an order that moved under us is spelled out field by field."""
        lines: list[Message] = []
        for r in results:
            lines.extend(self.moved_lines(r) or (Message(r.key, self.values(change, r)),))
        return tuple(lines)

    def moved_lines(self, result: CheckResult) -> tuple[Message, ...]:
        lines = []
        for name, (old, live) in (result.values.get("moved") or {}).items():
            if name == "work_center":
                lines.append(self._work_center_line(old, live))
            elif name == "qty":
                lines.append(Message("workflow.field_qty", {"old": old, "new": live, "unit": ""}))
            else:
                lines.append(Message("workflow.field_plan_finish", {"old": old, "new": live}))
        return tuple(lines)

    def _work_center_line(self, old: str | None, new: str | None) -> Message:
        return Message(
            "workflow.field_work_center",
            {
                "old": old or "",
                "new": new or "",
                "old_name": work_center_name(self.mapping, old),
                "new_name": work_center_name(self.mapping, new),
            },
        )
