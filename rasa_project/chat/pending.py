"""What a "yes" would confirm, as stored in the tracker's ``pending`` slot: ``draft:12``, ``change:CR-000012``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pending:
    DRAFT = "draft"
    CHANGE = "change"

    kind: str
    ref: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"


# Outcomes after which the same "yes" must still work: K/3 did not answer in time (the workflow
# looks the write up by its request key before retrying) or another confirmation is mid-write.
RETRY_SAME_CONFIRMATION = frozenset(
    {"workflow.order_write_unknown", "workflow.draft_in_progress", "workflow.change_apply_unknown"}
)


def parse_pending(value: object) -> Pending | None:
    if not isinstance(value, str) or ":" not in value:
        return None
    kind, _, ref = value.partition(":")
    if kind not in (Pending.DRAFT, Pending.CHANGE) or not ref:
        return None
    return Pending(kind, ref)
