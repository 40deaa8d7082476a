"""What a "yes" would confirm, as stored in the tracker's ``pending`` slot: ``draft:12``,
``change:CR-000012``, ``report:7`` (a proposed output report or correction), ``void:5`` (voiding
report row 5), ``withdraw:MO000134`` (deleting an order nobody has started), ``pick:P20250402,P20250403|200|0``
(a report that named no order, waiting for one of the offered orders: pressed or typed),
``ask:P20250402`` / ``ask:P20250402|quantity`` (the bot asked what to change on that order, or for
the new value of the field the person named: a bare "2200" / "4月20日" answers it).

Only the last summary can be confirmed: the slot holds one thing, and a Confirm / Cancel button
sends its summary's tag with its title ("确认 #report-7", ``tag``); a tag that is not the pending
thing's is a button of an older summary and is refused (``rasa_project.nlu.replies.confirm_tag``)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Pending:
    DRAFT = "draft"
    CHANGE = "change"
    REPORT = "report"
    VOID = "void"
    WITHDRAW = "withdraw"
    PICK = "pick"
    ASK = "ask"
    KINDS = ("draft", "change", "report", "void", "withdraw", "pick", "ask")

    kind: str
    ref: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"

    @property
    def tag(self) -> str:
        """What this summary's buttons carry ("report-7"): letters, digits and dashes only."""
        return re.sub(r"[^a-z0-9-]+", "-", f"{self.kind}-{self.ref}".lower())


@dataclass(frozen=True)
class OfferedReport:
    """A report that named no order ("注塑这边叶轮出了200个"): the orders offered for it and its figures."""

    bill_nos: tuple[str, ...]
    good: str
    scrap: str

    @property
    def ref(self) -> str:
        return f"{','.join(self.bill_nos)}|{self.good}|{self.scrap}"

    @classmethod
    def from_ref(cls, ref: str) -> OfferedReport | None:
        parts = ref.split("|")
        if len(parts) != 3 or not parts[0]:
            return None
        return cls(tuple(parts[0].split(",")), parts[1], parts[2])


# Outcomes after which the same "yes" must still work: K/3 did not answer in time (the workflow
# looks the write up by its request key before retrying) or another confirmation is mid-write.
RETRY_SAME_CONFIRMATION = frozenset(
    {"workflow.order_write_unknown", "workflow.draft_in_progress", "workflow.change_apply_unknown"}
)


@dataclass(frozen=True)
class AskedChange:
    """The bot asked what to change on ``bill_no`` ("要把 P20250403 改成什么？"), or for the new value of
    ``field`` (quantity / due_date / work_center) when the person named it ("ubah jumlah P20250402")."""

    bill_no: str
    field: str = ""

    @property
    def ref(self) -> str:
        return f"{self.bill_no}|{self.field}" if self.field else self.bill_no

    @classmethod
    def from_ref(cls, ref: str) -> AskedChange | None:
        bill_no, _, field = ref.partition("|")
        return cls(bill_no, field) if bill_no else None


def parse_pending(value: object) -> Pending | None:
    if not isinstance(value, str) or ":" not in value:
        return None
    kind, _, ref = value.partition(":")
    if kind not in Pending.KINDS or not ref:
        return None
    return Pending(kind, ref)
