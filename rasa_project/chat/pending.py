"""What a "yes" would confirm, as stored in the tracker's ``pending`` slot: ``draft:12``,
``change:CR-000012``, ``report:7`` (a proposed output report or correction), ``void:5`` (voiding
report row 5), ``withdraw:MO000134`` (deleting an order nobody has started).

Only the last summary can be confirmed: the slot holds one thing, and a Confirm / Cancel button
sends its summary's tag with its title ("确认 #report-7", ``tag``); a tag that is not the pending
thing's is a button of an older summary and is refused (``rasa_project.nlu.replies.confirm_tag``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pending:
    DRAFT = "draft"
    CHANGE = "change"
    REPORT = "report"
    VOID = "void"
    WITHDRAW = "withdraw"
    KINDS = ("draft", "change", "report", "void", "withdraw")

    kind: str
    ref: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"

    @property
    def tag(self) -> str:
        """What this summary's buttons carry ("report-7"): letters, digits and dashes only."""
        return f"{self.kind}-{self.ref}".replace(":", "-").lower()


# Outcomes after which the same "yes" must still work: K/3 did not answer in time (the workflow
# looks the write up by its request key before retrying) or another confirmation is mid-write.
RETRY_SAME_CONFIRMATION = frozenset(
    {"workflow.order_write_unknown", "workflow.draft_in_progress", "workflow.change_apply_unknown"}
)


def parse_pending(value: object) -> Pending | None:
    if not isinstance(value, str) or ":" not in value:
        return None
    kind, _, ref = value.partition(":")
    if kind not in Pending.KINDS or not ref:
        return None
    return Pending(kind, ref)
