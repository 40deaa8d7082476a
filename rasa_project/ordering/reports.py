"""Shop-floor output reports: chat -> K/3 PRD_MORPT (pushed from the PRD_MO), once per message.

Rules (decided here, not in actions):
- An order takes reports while its K/3 status is 下达 (released) or 开工 (started), as K/3 itself
  gates the PRD_MO -> PRD_MORPT push; 计划/计划确认 is "not released yet", 完工/结案/结算 is "finished".
- Quantities are good and scrap pieces, never negative, not both zero; good + scrap may not exceed
  what is left of the order quantity (plus ``settings.report_tolerance_pct``).
- Every report carries an idempotency request key derived from the chat message id, stored here
  (table output_reports) and in K/3 (the report's remark): a redelivered message reports once.
- "改一下，刚才是110个": ``correct_last`` reverses the reporter's own last report in K/3 (UnAudit +
  Delete) and reports the new figures, only within ``settings.correction_window_s``.
- In chat nothing is written before the reporter confirms: ``propose`` / ``propose_correction`` /
  ``propose_void`` store a *proposed* row (or name the report to void) and answer with the summary
  (order, good, scrap, the cumulative and completion % it leads to); ``confirm_proposal`` /
  ``void`` write exactly that, ``cancel_proposal`` writes nothing. A newer proposal of the same
  reporter in the same conversation supersedes the older one, which can no longer be confirmed.
- When the order reaches its quantity the production group is told and PMC is offered to finish
  it in K/3 (``finish_order`` -> ExcuteOperation ToFinish).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Float, Integer, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from dingtalk_client.messages import Markdown
from k3_client.errors import K3Rejected, K3SessionLost, K3Unavailable
from k3_client.models import Order, OrderStatus
from rasa_project.clock import BusinessClock, utc_now
from rasa_project.db import Base, move_row
from rasa_project.mapping import MappingTables
from rasa_project.ordering.base import ServiceBase, k3_refusal
from rasa_project.ordering.rules import status_name
from rasa_project.ordering.tables import as_utc
from rasa_project.outcomes import Message, Outcome, ok, refused
from rasa_project.values import Quantity, QuantityKind, figure, format_order_no, read_quantity

log = logging.getLogger(__name__)

EPS = 1e-6
CLAIM_LEASE_S = 120  # a report "pending" longer than this was left by a crashed process
REPORTABLE = (OrderStatus.RELEASED, OrderStatus.STARTED)
CORRECTION_WORDS = re.compile(
    r"改一下|改成|刚才是|刚才的|刚才报|更正|报错了|koreksi|ralat|tadi|salah lapor|correction|correct it|actually|should be"
    r"|should (?:have|'ve) been|should've been"
    r"|correct (?:my|the) (?:last )?report|fix (?:my|the) (?:last )?report",
    re.IGNORECASE,
)


# Words that point back at an earlier report. A change request ("P20250401 数量改成 100") shares
# "改成" / "should be" with corrections, so only these decide that a change_order is a correction.
LAST_REPORT_WORDS = re.compile(
    r"刚才|刚刚|上次报|上一条|上一笔|上条|前一条|上一次报|报错了|写错了|写多了|写少了|报多了|报少了|多报了|少报了|更正"
    r"|koreksi|ralat|tadi|salah lapor|salah ketik|correction|last report|just reported|previous report|last one",
    re.IGNORECASE,
)
# Words that correct whatever else the message names; "tadi" / "actually" / "should be" alone do not
# when the message says where it was made ("lini SMT tadi sore 40 papan kontrol" is a new report).
EXPLICIT_CORRECTION_WORDS = re.compile(
    r"改一下|更正|报错了|写错了|koreksi|ralat|salah lapor|salah ketik|correction|correct it"
    r"|correct (?:my|the) (?:last )?report|fix (?:my|the) (?:last )?report",
    re.IGNORECASE,
)


def refers_to_last_report(text: str | None) -> bool:
    """Whether a message talks about the sender's previous output report ("改一下，刚才是110个")."""
    return bool(text) and LAST_REPORT_WORDS.search(text) is not None


def is_correction(text: str | None, *, names_where: bool = False) -> bool:
    """Whether a report message corrects the previous one ("改一下，刚才是110个", "koreksi, tadi 110").
    ``names_where``: the message names a material or work center; then only an explicit correction
    word makes it one ("lini SMT tadi sore 40 papan kontrol" reports this afternoon's output)."""
    if not text:
        return False
    if names_where:
        return EXPLICIT_CORRECTION_WORDS.search(text) is not None
    return CORRECTION_WORDS.search(text) is not None


class OutputReportRow(Base):
    __tablename__ = "output_reports"

    id = Column(Integer, primary_key=True, autoincrement=True)
    request_key = Column(String(96), nullable=False, unique=True)
    bill_no = Column(String(32), nullable=False, index=True)
    reporter = Column(String(64), nullable=False, index=True)
    conversation_id = Column(String(128), nullable=True)
    message_id = Column(String(128), nullable=True)
    good = Column(Float, nullable=False)
    scrap = Column(Float, nullable=False)
    report_no = Column(String(32), nullable=True)
    # proposed -> pending | cancelled | superseded (chat, before the confirmation);
    # pending -> done | failed | unknown;  done -> correcting -> reversed (or back to done)
    state = Column(String(16), nullable=False, index=True)
    corrects_id = Column(Integer, nullable=True)
    error = Column(JSON, nullable=True)
    claimed_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)


class FinishOfferRow(Base):
    __tablename__ = "finish_offers"

    id = Column(Integer, primary_key=True, autoincrement=True)
    bill_no = Column(String(32), nullable=False, index=True)
    conversation_id = Column(String(128), nullable=True)
    state = Column(String(16), nullable=False)  # open | finished
    decided_by = Column(String(64), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    decided_at = Column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class ReportRecord:
    id: int
    request_key: str
    bill_no: str
    reporter: str
    conversation_id: str | None
    good: float
    scrap: float
    report_no: str | None
    state: str
    corrects_id: int | None
    created_at: datetime


def _view(row: OutputReportRow) -> ReportRecord:
    return ReportRecord(row.id, row.request_key, row.bill_no, row.reporter, row.conversation_id, row.good,
                        row.scrap, row.report_no, row.state, row.corrects_id, as_utc(row.created_at))


def _unreadable(*figures: Quantity) -> Outcome | None:
    """The refusal for the first figure that is no number (an absent one means "not given")."""
    for q in figures:
        if q.kind is QuantityKind.UNREADABLE:
            return refused("report.qty_unreadable", text=q.text)
    return None


class OutputReports(ServiceBase):
    """``OutputReports(k3, mapping, clock, sessionmaker, settings, now=utc_now, outbox=None, audit=None)``."""

    def __init__(
        self,
        k3,
        mapping: MappingTables,
        clock: BusinessClock,
        sessionmaker: sessionmaker,
        settings: Any,
        now: Callable[[], datetime] = utc_now,
        *,
        outbox=None,
        audit=None,
    ) -> None:
        super().__init__(k3, mapping, clock, sessionmaker, settings, now)
        self.outbox = outbox
        self.audit = audit
        # called with the order's bill number each time a report lands in K/3 (delay risk re-evaluates)
        self.on_reported: list[Callable[[str], None]] = []

    def _reported(self, bill_no: str) -> None:
        for listener in list(self.on_reported):
            try:
                listener(bill_no)
            except Exception:  # a listener must never cost the report its answer
                log.exception("report listener failed for %s", bill_no)

    # -- reporting ----------------------------------------------------------------------------
    def report(
        self,
        bill_no: str | None,
        good: Any,
        scrap: Any,
        reporter: str,
        conversation_id: str | None = None,
        *,
        message_id: str | None = None,
    ) -> Outcome[ReportRecord]:
        """Report good / scrap pieces of an order to K/3 (PRD_MO -> PRD_MORPT), once per message.

        Outcome keys: report.recorded (details: progress, and the finish offer once complete),
        report.already_recorded, report.in_progress, report.which_order, report.qty_unreadable,
        report.negative, report.nothing, report.order_unknown, report.order_not_released,
        report.order_finished, report.over_remaining, report.k3_rejected, report.k3_unknown."""
        bill_no = format_order_no(bill_no)
        if not bill_no:
            return refused("report.which_order")
        read = read_quantity(good), read_quantity(scrap)
        refusal = _unreadable(*read)
        if refusal is not None:
            return refusal
        g, s = (q.value or 0.0 for q in read)
        if g < 0 or s < 0:
            return refused("report.negative", good=figure(g), scrap=figure(s))
        if g + s <= 0:
            return refused("report.nothing")
        key = f"rpt:{message_id}" if message_id else f"rpt:{uuid.uuid4()}"
        existing = self._by_key(key)
        if existing is not None:
            return self._replay(existing)
        order = self.k3.get_order(bill_no)
        refusal = self._check(bill_no, order, g + s)
        if refusal is not None:
            return refusal
        row_id = self._insert(key, bill_no, reporter, conversation_id, message_id, g, s)
        if row_id is None:  # the same message arrived twice at once: the other delivery has it
            return self._replay(self._by_key(key))
        return self._push(row_id, reporter)

    def _check(self, bill_no: str, order: Order | None, this: float, *, giving_back: float = 0.0) -> Outcome | None:
        if order is None:
            return refused("report.order_unknown", bill_no=bill_no)
        if order.status not in REPORTABLE:
            key = "report.order_not_released" if order.status < OrderStatus.RELEASED else "report.order_finished"
            return refused(key, bill_no=bill_no, status_name=status_name(order.status))
        reported = order.reported_total - giving_back
        limit = order.qty * (1 + self.settings.report_tolerance_pct / 100.0)
        if reported + this > limit + EPS:
            return refused("report.over_remaining", bill_no=bill_no, qty=figure(order.qty),
                           reported=figure(reported), remaining=figure(max(0.0, limit - reported)),
                           this=figure(this))
        return None

    def _push(self, row_id: int, actor: str) -> Outcome[ReportRecord]:
        """The K/3 write of a claimed report row (idempotent in K/3 on the row's request key)."""
        row = self._get(row_id)
        try:
            pushed = self.k3.report_output(row.bill_no, good=row.good, scrap=row.scrap, request_key=row.request_key)
        except K3Rejected as exc:
            self._set(row_id, state="failed", error=k3_refusal(exc))
            if exc.reason == "over_report":  # another report got in first: explain with live figures
                order = self.k3.get_order(row.bill_no)
                refusal = self._check(row.bill_no, order, row.good + row.scrap)
                if refusal is not None:
                    return refusal
            return refused("report.k3_rejected", bill_no=row.bill_no, field=k3_refusal(exc)["field"] or "-")
        except (K3Unavailable, K3SessionLost):
            self._set(row_id, state="unknown")
            return refused("report.k3_unknown", bill_no=row.bill_no)
        done = self._set(row_id, state="done", report_no=pushed.bill_no, error=None)
        self._record(actor, done, event="report_output", report_no=pushed.bill_no, good=figure(done.good),
                     scrap=figure(done.scrap), request_key=done.request_key)
        self._reported(done.bill_no)
        return self._recorded("report.recorded", done)

    def _recorded(self, key: str, record: ReportRecord, **values) -> Outcome[ReportRecord]:
        order = self.k3.get_order(record.bill_no)
        label = self.material_label(order.material_number) if order else {"code": "", "name": ""}
        details = [self._progress(order)] if order else []
        if order and order.reported_total >= order.qty - EPS and order.status in REPORTABLE:
            self._offer_finish(order, label, record)
            details.append(Message("report.complete_offer", {"bill_no": order.bill_no, "qty": figure(order.qty)}))
        return ok(key, record, tuple(details), bill_no=record.bill_no, material_code=label["code"],
                  material_name=label["name"], good=figure(record.good), scrap=figure(record.scrap),
                  report_no=record.report_no or "", **values)

    def _progress(self, order: Order) -> Message:
        total = order.reported_total
        pct = figure(round(total / order.qty * 100, 1)) if order.qty else 0
        return Message("report.progress", {"total_good": figure(order.reported_good),
                                           "total_scrap": figure(order.reported_scrap), "total": figure(total),
                                           "qty": figure(order.qty), "unit": order.unit, "pct": pct})

    def _replay(self, row: ReportRecord) -> Outcome[ReportRecord]:
        """The same message again: answer from what happened, or finish what a crash interrupted."""
        if row.state == "done":
            return self._recorded("report.already_recorded", row)
        if row.state in ("correcting", "reversed"):
            return refused("report.in_progress", row, bill_no=row.bill_no)
        if row.state == "proposed":
            return self._summary(row)
        if row.state in ("cancelled", "superseded"):
            return refused("report.proposal_stale", row, bill_no=row.bill_no)
        fresh_claim = row.state == "pending" and not self._lease_expired(row.id)
        if fresh_claim:
            return refused("report.in_progress", row, bill_no=row.bill_no)
        if row.state == "failed":  # K/3 refused before: check again with live figures
            refusal = self._check(row.bill_no, self.k3.get_order(row.bill_no), row.good + row.scrap)
            if refusal is not None:
                return refusal
        if not self._claim(row.id, row.state):
            return refused("report.in_progress", row, bill_no=row.bill_no)
        return self._push(row.id, row.reporter)

    # -- proposing (chat: nothing is written before the confirmation) ------------------------------
    def propose(
        self,
        bill_no: str | None,
        good: Any,
        scrap: Any,
        reporter: str,
        conversation_id: str | None = None,
        *,
        message_id: str | None = None,
    ) -> Outcome[ReportRecord]:
        """Check a report as ``report`` does and keep it as a proposal: nothing reaches K/3.

        Outcome keys: report.confirm_summary (value: the proposed row; confirm with
        ``confirm_proposal``), report.already_recorded (the same message again, after it was
        confirmed), and the refusals of ``report``."""
        bill_no = format_order_no(bill_no)
        if not bill_no:
            return refused("report.which_order")
        read = read_quantity(good), read_quantity(scrap)
        refusal = _unreadable(*read)
        if refusal is not None:
            return refusal
        g, s = (q.value or 0.0 for q in read)
        if g < 0 or s < 0:
            return refused("report.negative", good=figure(g), scrap=figure(s))
        if g + s <= 0:
            return refused("report.nothing")
        key = f"rpt:{message_id}" if message_id else f"rpt:{uuid.uuid4()}"
        existing = self._by_key(key)
        if existing is not None:
            return self._summary(existing) if existing.state == "proposed" else self._replay(existing)
        order = self.k3.get_order(bill_no)
        refusal = self._check(bill_no, order, g + s)
        if refusal is not None:
            return refusal
        self._supersede(reporter, conversation_id)
        row_id = self._insert(key, bill_no, reporter, conversation_id, message_id, g, s, state="proposed")
        if row_id is None:
            return self._summary(self._by_key(key))
        return self._summary(self._get(row_id), order)

    def propose_correction(
        self,
        reporter: str,
        new_good: Any,
        new_scrap: Any = None,
        *,
        conversation_id: str | None = None,
        bill_no: str | None = None,
        within: float | None = None,
        message_id: str | None = None,
    ) -> Outcome[ReportRecord]:
        """"刚才报错了，应该是 280": check as ``correct_last`` does, keep the new figures as a
        proposal that replaces the last report when confirmed. Nothing reaches K/3.

        Outcome keys: report.confirm_correction, and the refusals of ``correct_last``."""
        key = f"rpt:{message_id}" if message_id else f"rpt:{uuid.uuid4()}"
        if (existing := self._by_key(key)) is not None:
            return self._summary(existing) if existing.state == "proposed" else self._replay(existing)
        last = self._correctable(reporter, conversation_id, bill_no, within)
        if not isinstance(last, ReportRecord):
            return last
        read = read_quantity(new_good), read_quantity(new_scrap)
        refusal = _unreadable(*read)
        if refusal is not None:
            return refusal
        g = last.good if read[0].value is None else read[0].value
        s = last.scrap if read[1].value is None else read[1].value
        if g < 0 or s < 0:
            return refused("report.negative", good=figure(g), scrap=figure(s))
        if g + s <= 0:
            return refused("report.nothing")
        order = self.k3.get_order(last.bill_no)
        refusal = self._check(last.bill_no, order, g + s, giving_back=last.good + last.scrap)
        if refusal is not None:
            return refusal
        self._supersede(reporter, conversation_id)
        row_id = self._insert(key, last.bill_no, reporter, conversation_id, message_id, g, s,
                              corrects_id=last.id, state="proposed")
        if row_id is None:
            return self._summary(self._by_key(key))
        return self._summary(self._get(row_id), order)

    def propose_void(
        self,
        reporter: str,
        *,
        conversation_id: str | None = None,
        bill_no: str | None = None,
        within: float | None = None,
    ) -> Outcome[ReportRecord]:
        """"作废刚才的报工": name the reporter's last report (within the correction window) and what
        the order comes back to. Nothing reaches K/3 until ``void``.

        Outcome keys: report.confirm_void (value: the report to void), report.nothing_to_correct,
        report.correction_not_yours, report.correction_too_late."""
        last = self._correctable(reporter, conversation_id, bill_no, within)
        if not isinstance(last, ReportRecord):
            return last
        order = self.k3.get_order(last.bill_no)
        values = self._labels(last, order)
        values.update(self._totals_after(order, -(last.good + last.scrap), -last.good, -last.scrap))
        self._supersede(reporter, conversation_id)
        return ok("report.confirm_void", last, report_no=last.report_no or "", **values)

    def confirm_proposal(self, row_id: int, by: str) -> Outcome[ReportRecord]:
        """Write a proposed report (or correction) exactly as its summary showed, once.

        Outcome keys: report.recorded / report.corrected, report.already_recorded (confirmed
        before), report.proposal_stale (a newer summary replaced it), report.proposal_cancelled,
        report.proposal_not_yours, and the refusals of ``report`` / ``correct_last``."""
        row = self._get_or_none(row_id)
        if row is None:
            return refused("report.proposal_stale")
        if row.reporter != by:
            return refused("report.proposal_not_yours", row, bill_no=row.bill_no)
        if row.state == "superseded":
            return refused("report.proposal_stale", row, bill_no=row.bill_no)
        if row.state == "cancelled":
            return refused("report.proposal_cancelled", row, bill_no=row.bill_no)
        if row.state != "proposed":
            if row.corrects_id is not None and row.state == "done":
                return self._recorded("report.already_recorded", row)
            return self._replay(row)
        if row.corrects_id is not None:
            return self._confirm_correction(row, by)
        refusal = self._check(row.bill_no, self.k3.get_order(row.bill_no), row.good + row.scrap)
        if refusal is not None:
            self._set(row.id, state="cancelled")
            return refusal
        if not self._claim(row.id, "proposed"):
            return self.confirm_proposal(row_id, by)  # another delivery moved it: answer from its state
        return self._push(row.id, by)

    def _confirm_correction(self, row: ReportRecord, by: str) -> Outcome[ReportRecord]:
        last = self._get_or_none(row.corrects_id)
        window = self.settings.correction_window_s
        if last is None or last.state != "done":
            self._set(row.id, state="cancelled")
            return refused("report.nothing_to_correct")
        if self.now() - last.created_at > timedelta(seconds=window):
            self._set(row.id, state="cancelled")
            return refused("report.correction_too_late", last, bill_no=last.bill_no,
                           at=self.local_time(last.created_at), minutes=figure(window / 60))
        order = self.k3.get_order(last.bill_no)
        refusal = self._check(last.bill_no, order, row.good + row.scrap, giving_back=last.good + last.scrap)
        if refusal is not None:
            self._set(row.id, state="cancelled")
            return refusal
        if not self._claim(row.id, "proposed"):
            return self.confirm_proposal(row.id, by)
        if not self._claim(last.id, "done", to="correcting"):
            self._set(row.id, state="cancelled")
            return refused("report.in_progress", last, bill_no=last.bill_no)
        try:
            self.k3.reverse_report(last.report_no)
        except Exception:
            self._set(last.id, state="done")
            self._set(row.id, state="proposed")  # nothing changed in K/3: the same "yes" may try again
            raise
        self._set(last.id, state="reversed")
        self._record(by, last, event="report_reversed", report_no=last.report_no,
                     good=figure(last.good), scrap=figure(last.scrap), reason="correction")
        outcome = self._push(row.id, by)
        if outcome.key in ("report.k3_rejected", "report.over_remaining"):
            self._restore(last, by)
        if outcome.key != "report.recorded":
            return outcome
        return self._recorded("report.corrected", outcome.value, old_report_no=last.report_no or "",
                              old_good=figure(last.good), old_scrap=figure(last.scrap))

    def cancel_proposal(self, row_id: int, by: str) -> Outcome[ReportRecord]:
        """"取消" to a proposed report: nothing is written. Outcome: report.proposal_cancelled."""
        row = self._get_or_none(row_id)
        if row is None:
            return refused("report.proposal_stale")
        if row.reporter != by:
            return refused("report.proposal_not_yours", row, bill_no=row.bill_no)
        if row.state == "proposed":
            self._claim(row.id, "proposed", to="cancelled")
        row = self._get(row.id)
        if row.state in ("cancelled", "superseded"):
            return ok("report.proposal_cancelled", row, bill_no=row.bill_no)
        return self._replay(row)

    def void(self, row_id: int, by: str, *, within: float | None = None) -> Outcome[ReportRecord]:
        """Void ``by``'s own report ``row_id`` in K/3 (UnAudit + Delete of the PRD_MORPT), audited.

        Outcome keys: report.voided (details: progress), report.already_voided,
        report.correction_not_yours, report.correction_too_late, report.in_progress."""
        window = self.settings.correction_window_s if within is None else within
        row = self._get_or_none(row_id)
        if row is None:
            return refused("report.nothing_to_correct")
        if row.reporter != by:
            return refused("report.correction_not_yours", bill_no=row.bill_no, reporter=row.reporter)
        if row.state == "reversed":
            return ok("report.already_voided", row, bill_no=row.bill_no, report_no=row.report_no or "")
        if row.state != "done":
            return refused("report.in_progress", row, bill_no=row.bill_no)
        if self.now() - row.created_at > timedelta(seconds=window):
            return refused("report.correction_too_late", row, bill_no=row.bill_no,
                           at=self.local_time(row.created_at), minutes=figure(window / 60))
        if not self._claim(row.id, "done", to="correcting"):
            return self.void(row_id, by, within=within)
        try:
            self.k3.reverse_report(row.report_no)
        except Exception:
            self._set(row.id, state="done")  # nothing was reversed (K/3 refused or did not answer)
            raise
        voided = self._set(row.id, state="reversed")
        self._record(by, voided, event="report_reversed", report_no=row.report_no, good=figure(row.good),
                     scrap=figure(row.scrap), reason="void")
        order = self.k3.get_order(row.bill_no)
        details = (self._progress(order),) if order else ()
        return ok("report.voided", voided, details, report_no=row.report_no or "", **self._labels(row, order))

    # -- what a summary shows ---------------------------------------------------------------------
    def _summary(self, row: ReportRecord, order: Order | None = None) -> Outcome[ReportRecord]:
        order = order or self.k3.get_order(row.bill_no)
        values = self._labels(row, order)
        giving_back = (0.0, 0.0)
        key = "report.confirm_summary"
        extra: dict = {}
        if row.corrects_id is not None:
            last = self._get_or_none(row.corrects_id)
            if last is not None:
                giving_back = (last.good, last.scrap)
                extra = {"old_good": figure(last.good), "old_scrap": figure(last.scrap),
                         "old_report_no": last.report_no or ""}
            key = "report.confirm_correction"
        values.update(self._totals_after(order, row.good + row.scrap - sum(giving_back),
                                         row.good - giving_back[0], row.scrap - giving_back[1]))
        return ok(key, row, **extra, **values)

    def _labels(self, row: ReportRecord, order: Order | None) -> dict:
        label = self.material_label(order.material_number) if order else {"code": "", "name": ""}
        return {"bill_no": row.bill_no, "material_code": label["code"], "material_name": label["name"],
                "good": figure(row.good), "scrap": figure(row.scrap)}

    @staticmethod
    def _totals_after(order: Order | None, this: float, good: float, scrap: float) -> dict:
        """The order's cumulative figures once this (signed) report is in K/3."""
        if order is None:
            return {"total_good": 0, "total_scrap": 0, "total": 0, "qty": 0, "unit": "", "pct": 0}
        total = order.reported_total + this
        pct = figure(round(total / order.qty * 100, 1)) if order.qty else 0
        return {"total_good": figure(order.reported_good + good), "total_scrap": figure(order.reported_scrap + scrap),
                "total": figure(total), "qty": figure(order.qty), "unit": order.unit, "pct": pct}

    def _correctable(self, reporter: str, conversation_id: str | None, bill_no: str | None,
                     within: float | None) -> ReportRecord | Outcome:
        """The reporter's last report if it may still be corrected or voided, else the refusal."""
        window = self.settings.correction_window_s if within is None else within
        bill_no = format_order_no(bill_no) or None
        last = self._last_done(reporter=reporter, bill_no=bill_no)
        if last is None:
            other = self._last_done(conversation_id=conversation_id, bill_no=bill_no, not_reporter=reporter)
            if other is not None and (conversation_id or bill_no):
                return refused("report.correction_not_yours", bill_no=other.bill_no, reporter=other.reporter)
            return refused("report.nothing_to_correct")
        if self.now() - last.created_at > timedelta(seconds=window):
            return refused("report.correction_too_late", last, bill_no=last.bill_no,
                           at=self.local_time(last.created_at), minutes=figure(window / 60))
        return last

    def _supersede(self, reporter: str, conversation_id: str | None) -> None:
        """A newer summary replaces the reporter's open proposals in this conversation."""
        with self.Session.begin() as s:
            s.execute(
                update(OutputReportRow)
                .where(OutputReportRow.reporter == reporter, OutputReportRow.state == "proposed",
                       OutputReportRow.conversation_id == conversation_id)
                .values(state="superseded", updated_at=self.now())
                .execution_options(synchronize_session=False)
            )

    # -- correcting ---------------------------------------------------------------------------
    def correct_last(
        self,
        reporter: str,
        new_good: Any,
        new_scrap: Any = None,
        *,
        conversation_id: str | None = None,
        bill_no: str | None = None,
        within: float | None = None,
        message_id: str | None = None,
    ) -> Outcome[ReportRecord]:
        """Replace ``reporter``'s last report (within ``within`` s, default the settings' window):
        reverse it in K/3, then report the new figures (scrap kept unless given).

        Outcome keys: report.corrected, report.nothing_to_correct, report.correction_not_yours,
        report.correction_too_late, report.already_recorded (same message again), and the
        report.* refusals of ``report``."""
        window = self.settings.correction_window_s if within is None else within
        key = f"rpt:{message_id}" if message_id else None
        if key and (existing := self._by_key(key)) is not None:
            return self._replay(existing)
        bill_no = format_order_no(bill_no) or None
        last = self._last_done(reporter=reporter, bill_no=bill_no)
        if last is None:
            other = self._last_done(conversation_id=conversation_id, bill_no=bill_no, not_reporter=reporter)
            if other is not None and (conversation_id or bill_no):
                return refused("report.correction_not_yours", bill_no=other.bill_no, reporter=other.reporter)
            return refused("report.nothing_to_correct")
        if self.now() - last.created_at > timedelta(seconds=window):
            return refused("report.correction_too_late", last, bill_no=last.bill_no,
                           at=self.local_time(last.created_at), minutes=figure(window / 60))
        read = read_quantity(new_good), read_quantity(new_scrap)
        refusal = _unreadable(*read)
        if refusal is not None:
            return refusal
        g = last.good if read[0].value is None else read[0].value
        s = last.scrap if read[1].value is None else read[1].value
        if g < 0 or s < 0:
            return refused("report.negative", good=figure(g), scrap=figure(s))
        if g + s <= 0:
            return refused("report.nothing")
        order = self.k3.get_order(last.bill_no)
        refusal = self._check(last.bill_no, order, g + s, giving_back=last.good + last.scrap)
        if refusal is not None:
            return refusal
        if not self._claim(last.id, "done", to="correcting"):
            return refused("report.in_progress", last, bill_no=last.bill_no)
        try:
            self.k3.reverse_report(last.report_no)
        except Exception:
            self._set(last.id, state="done")  # nothing was reversed (K/3 refused or did not answer)
            raise
        self._set(last.id, state="reversed")
        self._record(reporter, last, event="report_reversed", report_no=last.report_no,
                     good=figure(last.good), scrap=figure(last.scrap), reason="correction")
        new_id = self._insert(key or f"{last.request_key}:c{last.id}", last.bill_no, reporter, conversation_id,
                              message_id, g, s, corrects_id=last.id)
        if new_id is None:  # the same correction is being made by another delivery
            return refused("report.in_progress", last, bill_no=last.bill_no)
        outcome = self._push(new_id, reporter)
        if outcome.key in ("report.k3_rejected", "report.over_remaining"):  # K/3 took nothing: undo the reversal
            self._restore(last, reporter)
        if outcome.key != "report.recorded":
            return outcome
        return self._recorded("report.corrected", outcome.value, old_report_no=last.report_no or "",
                              old_good=figure(last.good), old_scrap=figure(last.scrap))

    def _restore(self, last: ReportRecord, actor: str) -> None:
        """The new figures did not go in: put the reversed report's figures back."""
        restore_id = self._insert(f"{last.request_key}:r{last.id}", last.bill_no, last.reporter,
                                  last.conversation_id, None, last.good, last.scrap, corrects_id=last.id)
        if restore_id is not None:
            self._push(restore_id, actor)

    # -- finishing ----------------------------------------------------------------------------
    def open_finish_offer(self, conversation_id: str | None) -> str | None:
        """The order a "确认" in ``conversation_id`` would finish (latest open offer there), if any."""
        with self.Session() as s:
            return s.execute(
                select(FinishOfferRow.bill_no)
                .where(FinishOfferRow.state == "open", FinishOfferRow.conversation_id == conversation_id)
                .order_by(FinishOfferRow.id.desc())
                .limit(1)
            ).scalar()

    def finish_order(self, bill_no: str, by: str, conversation_id: str | None = None) -> Outcome[Order]:
        """PMC finishes an order in K/3 (ExcuteOperation ToFinish). The caller checks ORDER_CHANGE.

        Outcome keys: report.finished, report.already_finished, report.cannot_finish, report.order_unknown."""
        bill_no = format_order_no(bill_no)
        order = self.k3.get_order(bill_no)
        if order is None:
            return refused("report.order_unknown", bill_no=bill_no)
        label = self.material_label(order.material_number)
        values = {"bill_no": bill_no, "material_code": label["code"], "material_name": label["name"]}
        if order.status >= OrderStatus.FINISHED:
            self._close_offers(bill_no, by)
            return ok("report.already_finished", order, status_name=status_name(order.status), **values)
        if order.status not in REPORTABLE:
            return refused("report.cannot_finish", order, status_name=status_name(order.status), **values)
        finished = self.k3.set_order_status(bill_no, "ToFinish")
        self._close_offers(bill_no, by)
        if self.audit is not None:
            self.audit.record("k3_call", actor=by, conversation_id=conversation_id, order_bill_no=bill_no,
                              event="order_finished", operation="ToFinish")
        if self.outbox is not None:
            group = self.settings.dingtalk_production_group
            notice = Message("report.group_finished", {**values, "by": by})
            self.outbox.send(f"finished:{bill_no}:{order.id}", _markdown(notice, self.settings.notify_group_lang),
                             kind="order_finished", group=group, ref=bill_no)
        return ok("report.finished", finished, **values)

    def _offer_finish(self, order: Order, label: dict, record: ReportRecord) -> None:
        group = self.settings.dingtalk_production_group
        with self.Session.begin() as s:
            has_open = s.execute(
                select(FinishOfferRow.id).where(FinishOfferRow.bill_no == order.bill_no, FinishOfferRow.state == "open")
            ).first()
            if has_open is None:
                s.add(FinishOfferRow(bill_no=order.bill_no, conversation_id=group, state="open",
                                     created_at=self.now()))
        if self.outbox is not None:
            notice = Message("report.group_complete", {
                "bill_no": order.bill_no, "material_code": label["code"], "material_name": label["name"],
                "total_good": figure(order.reported_good), "total_scrap": figure(order.reported_scrap),
                "qty": figure(order.qty)})
            self.outbox.send(f"complete:{order.bill_no}:{record.report_no}",
                             _markdown(notice, self.settings.notify_group_lang),
                             kind="order_complete", group=group, ref=order.bill_no)

    def _close_offers(self, bill_no: str, by: str) -> None:
        with self.Session.begin() as s:
            s.execute(
                update(FinishOfferRow)
                .where(FinishOfferRow.bill_no == bill_no, FinishOfferRow.state == "open")
                .values(state="finished", decided_by=by, decided_at=self.now())
                .execution_options(synchronize_session=False)
            )

    # -- reading ------------------------------------------------------------------------------
    def list_reports(self, *, bill_no: str | None = None, reporter: str | None = None) -> list[ReportRecord]:
        q = select(OutputReportRow).order_by(OutputReportRow.id)
        if bill_no:
            q = q.where(OutputReportRow.bill_no == bill_no)
        if reporter:
            q = q.where(OutputReportRow.reporter == reporter)
        with self.Session() as s:
            return [_view(r) for r in s.execute(q).scalars()]

    # -- persistence --------------------------------------------------------------------------
    def _get(self, row_id: int) -> ReportRecord:
        with self.Session() as s:
            return _view(s.get(OutputReportRow, row_id))

    def get_proposal(self, row_id: int) -> ReportRecord | None:
        """A report row by id (a proposal the chat is waiting on), or None."""
        return self._get_or_none(row_id)

    def _get_or_none(self, row_id: int | None) -> ReportRecord | None:
        if row_id is None:
            return None
        with self.Session() as s:
            row = s.get(OutputReportRow, row_id)
            return _view(row) if row else None

    def _by_key(self, key: str) -> ReportRecord | None:
        with self.Session() as s:
            row = s.execute(select(OutputReportRow).where(OutputReportRow.request_key == key)).scalar()
            return _view(row) if row else None

    def _last_done(self, *, reporter: str | None = None, not_reporter: str | None = None,
                   conversation_id: str | None = None, bill_no: str | None = None) -> ReportRecord | None:
        q = select(OutputReportRow).where(OutputReportRow.state == "done")
        if reporter:
            q = q.where(OutputReportRow.reporter == reporter)
        if not_reporter:
            q = q.where(OutputReportRow.reporter != not_reporter)
        if conversation_id:
            q = q.where(OutputReportRow.conversation_id == conversation_id)
        if bill_no:
            q = q.where(OutputReportRow.bill_no == bill_no)
        with self.Session() as s:
            row = s.execute(q.order_by(OutputReportRow.id.desc()).limit(1)).scalar()
            return _view(row) if row else None

    def _insert(self, key: str, bill_no: str, reporter: str, conversation_id: str | None, message_id: str | None,
                good: float, scrap: float, *, corrects_id: int | None = None,
                state: str = "pending") -> int | None:
        now = self.now()
        try:
            with self.Session.begin() as s:
                row = OutputReportRow(request_key=key, bill_no=bill_no, reporter=reporter,
                                      conversation_id=conversation_id, message_id=message_id, good=good,
                                      scrap=scrap, state=state, corrects_id=corrects_id, claimed_at=now,
                                      created_at=now, updated_at=now)
                s.add(row)
                s.flush()
                return row.id
        except IntegrityError:
            return None

    def _claim(self, row_id: int, state: str, *, to: str = "pending") -> bool:
        """Conditional UPDATE from ``state``: exactly one caller wins a row."""
        now = self.now()
        stale = [OutputReportRow.claimed_at <= now - timedelta(seconds=CLAIM_LEASE_S)] if state == "pending" else []
        with self.Session.begin() as s:
            return move_row(s, OutputReportRow, row_id, {"state": to, "claimed_at": now, "updated_at": now},
                            state=state, also=stale)

    def _lease_expired(self, row_id: int) -> bool:
        with self.Session() as s:
            claimed = as_utc(s.get(OutputReportRow, row_id).claimed_at)
        return claimed is None or self.now() - claimed >= timedelta(seconds=CLAIM_LEASE_S)

    def _set(self, row_id: int, **values) -> ReportRecord:
        with self.Session.begin() as s:
            s.execute(
                update(OutputReportRow).where(OutputReportRow.id == row_id)
                .values(updated_at=self.now(), **values).execution_options(synchronize_session=False)
            )
        return self._get(row_id)

    def _record(self, actor: str, record: ReportRecord, **details) -> None:
        if self.audit is not None:
            self.audit.record("k3_call", actor=actor, conversation_id=record.conversation_id,
                              order_bill_no=record.bill_no, **details)


def _markdown(message: Message, lang: str) -> Markdown:
    text = message.text(lang)
    return Markdown(title=text[:60], text=text)
