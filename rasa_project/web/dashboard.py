"""What the dashboard's pages may do, over the composition root's collaborators (like chat use cases).

- ``board``: the cached read model (one bulk K/3 read per rebuild, see board.py);
- ``news_after(position)``: the audit trail's records after ``position`` that change what a page
  shows (K/3 writes, approvals, replies), so live pages refresh within a second or two;
- ``order_detail``: the row, its audit history and its reports (one K/3 query);
- ``decide``: approve / reject through ``ApprovalDesk.decide``, the SAME code path as chat and cards
  (managers only, addressees only, four-eyes, decided once, audited);
- ``suggestions`` / ``accept_option`` / ``confirm`` / ``cancel``: rescheduling options of at-risk
  orders, accepted through the chat's change flow (request -> checks -> the person confirms ->
  applied, or sent to the managers).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from rasa_project.audit.models import AuditRecord
from rasa_project.ordering.approval_desk import APPROVE, REJECT
from rasa_project.ordering.states import Change
from rasa_project.outcomes import Outcome, refused
from rasa_project.planning import OptionKind, Plan, reschedule
from rasa_project.web.board import REPORT_WINDOW_DAYS, Board, BoardView, build_view, update_view

if TYPE_CHECKING:
    from rasa_project.wiring import Wiring

log = logging.getLogger(__name__)

# K/3 operations that change something (everything else is a read and no news for a page)
K3_WRITES = frozenset({"Save", "BatchSave", "Submit", "Audit", "UnAudit", "Delete", "Push", "ExcuteOperation",
                       "Draft", "CancelAssign"})
NEWS_KINDS = frozenset({"approval", "reply"})
WEB_ACTOR = "web"
NAME_TTL_S = 600.0  # how long a name read from the directory is reused
DECIDED = (Change.APPROVED, Change.APPLYING, Change.APPLIED, Change.REJECTED, Change.FAILED)


@dataclass(frozen=True)
class Suggestion:
    bill_no: str
    plan: Plan

    def acceptable(self, number: int) -> bool:
        option = self.plan.option(number)
        return option is not None and change_of(option) is not None


def assess_snapshot(snapshot) -> list:
    """``planning.assess`` (module level: it runs in the risk worker process)."""
    from rasa_project.planning import assess

    return assess(snapshot)


def exit_with_parent(parent_pid: int) -> None:
    """In the risk worker process: end when the web server is gone (killed before it could stop us),
    instead of lingering as an orphan."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def change_of(option) -> dict | None:
    """The chat change request an option amounts to, or None when the change flow cannot carry it
    (overtime, resequencing, splitting: a planner does those in K/3)."""
    if option.kind is OptionKind.DUE_DATE:
        return {"plan_finish": option.due}
    if option.kind is OptionKind.ALTERNATE and not option.new_orders:
        moved = {center for bill, center, _day, _qty in option.schedule if bill == option.bill_no}
        if len(moved) == 1:
            return {"work_center": next(iter(moved))}
    return None


class Dashboard:
    def __init__(self, wiring: Wiring) -> None:
        self.w = wiring
        self.settings = wiring.settings
        self.board = Board(self._read, ttl_s=float(self.settings.web_cache_ttl_s), assess_view=self._assess,
                           read_changed=self._read_changed)
        self._pool = None
        self._plans: dict[tuple[int, str], Plan] = {}
        self._plans_lock = threading.Lock()
        self._names: dict[str, tuple[str, float]] = {}
        self._names_lock = threading.Lock()

    # -- the read model ------------------------------------------------------------------------
    def _read(self, version: int, risks: dict | None) -> BoardView:
        started = time.perf_counter()
        version = max(version, self.audit_position())
        today = self.w.clock.today()
        k3 = self.w.k3
        orders = k3.list_orders()
        reports = k3.list_dated_reports(since=today - timedelta(days=REPORT_WINDOW_DAYS))
        changes = self.w.workflow.list_changes()
        view = build_view(orders, reports, changes, self.w.mapping, today, version=version, risks=risks,
                          assess_now=False)
        log.info("dashboard read: %d orders, %d reports, built in %.0f ms", len(orders), len(reports),
                 (time.perf_counter() - started) * 1000)
        return view

    def _read_changed(self, previous: BoardView, version: int, risks: dict | None) -> BoardView | None:
        """``previous`` with the orders and reports the audit trail names since it was read again
        (two K/3 queries by bill number, however many orders K/3 holds); None when a full read is needed."""
        started = time.perf_counter()
        position = max(version, self.audit_position())
        today = self.w.clock.today()
        if today != previous.today:
            return None  # a new day: "today", the report window and the load chart all move
        if len(previous.orders) != len(previous.rows):
            return None  # not a view of a K/3 read we can merge into
        bills = self.changed_bills(previous.version, position, {o.id: o.bill_no for o in previous.orders})
        if bills is None:
            return None
        fresh_orders, gone, fresh_reports = [], set(), []
        if bills:
            k3 = self.w.k3
            since = today - timedelta(days=REPORT_WINDOW_DAYS)
            fresh_reports = k3.list_dated_reports(since=since, bill_nos=sorted(bills))
            asked = set(bills) | {p.order_bill_no for p in fresh_reports} \
                | {p.order_bill_no for p in previous.reports if p.bill_no in bills}
            fresh_orders = k3.get_orders(sorted(asked))
            # an order asked for and not found was deleted in K/3; a report not found is no longer audited
            gone = (asked - {o.bill_no for o in fresh_orders}) & set(previous.by_bill)
        changes = self.w.workflow.list_changes()
        view = update_view(previous, fresh_orders, gone, bills, fresh_reports, changes, self.w.mapping,
                           version=position, risks=risks)
        log.info("dashboard incremental read: %d bills named, %d orders, built in %.0f ms", len(bills),
                 len(view.orders), (time.perf_counter() - started) * 1000)
        return view

    def changed_bills(self, after: int, upto: int, ids: dict[int, str] | None = None,
                      limit: int = 5000) -> set[str] | None:
        """The bill numbers (orders and reports) our K/3 writes, approvals and replies named in the audit
        records ``after`` < id <= ``upto`` (a write naming a bill by internal id is mapped through
        ``ids``, id -> number); None when a write names no bill we can tell (or there are too many).
        A Push naming nothing is no news by itself: it makes a draft, and the Save / Submit / Audit
        that follow name it."""
        ids = ids or {}
        with self.w.sessionmaker() as session:
            rows = session.execute(
                select(AuditRecord.kind, AuditRecord.order_bill_no, AuditRecord.payload)
                .where(AuditRecord.id > after, AuditRecord.id <= upto).order_by(AuditRecord.id).limit(limit + 1)
            ).all()
        if len(rows) > limit:
            return None
        bills: set[str] = set()
        for kind, bill_no, payload in rows:
            if kind in NEWS_KINDS:
                if bill_no:
                    bills.add(bill_no)
            elif kind == "k3_call":
                try:
                    data = json.loads(payload)
                except ValueError:
                    data = {}
                operation = data.get("operation")
                if operation not in K3_WRITES:
                    continue
                named = [str(n) for n in (data.get("bill_nos") or []) if n] + ([bill_no] if bill_no else [])
                for bill_id in data.get("bill_ids") or []:
                    if bill_id not in ids:
                        return None  # a bill we do not know by id: only a full read can tell
                    named.append(ids[bill_id])
                if not named and operation == "Push":
                    continue
                if not named:
                    return None
                bills.update(named)
        return bills if len(bills) <= 2000 else None

    def view(self) -> BoardView:
        return self.board.view()

    def close(self) -> None:
        """Stop the risk worker process now (an assessment in flight is thrown away, not waited for)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            for process in list(getattr(pool, "_processes", {}).values()):  # no public "terminate"
                process.terminate()
            pool.shutdown(wait=False, cancel_futures=True)

    def _assess(self, view: BoardView) -> dict:
        """Delay risk of every open order, in a worker process: the risk model is pure Python and would
        otherwise hold the interpreter while pages wait (one process, reused; in-thread if it cannot start)."""
        if view.snapshot is None or not view.snapshot.orders:
            return {}
        try:
            if self._pool is None:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=exit_with_parent, initargs=(os.getpid(),))
            risks = self._pool.submit(assess_snapshot, view.snapshot).result()
        except (OSError, RuntimeError) as exc:  # no processes here (a broken pool): assess in this thread
            log.warning("risk worker process unavailable (%s); assessing in-process", type(exc).__name__)
            self._pool = None
            risks = assess_snapshot(view.snapshot)
        return {r.bill_no: r for r in risks}

    # -- live ----------------------------------------------------------------------------------
    def audit_position(self) -> int:
        with self.w.sessionmaker() as session:
            last = session.execute(select(AuditRecord.id).order_by(AuditRecord.id.desc()).limit(1)).scalar()
        return int(last or 0)

    def news_after(self, position: int, limit: int = 2000) -> tuple[int, list[dict]]:
        """(new position, the news among the records after ``position``)."""
        with self.w.sessionmaker() as session:
            rows = session.execute(
                select(AuditRecord.id, AuditRecord.kind, AuditRecord.order_bill_no, AuditRecord.payload)
                .where(AuditRecord.id > position).order_by(AuditRecord.id).limit(limit)
            ).all()
        news = []
        for record_id, kind, bill_no, payload in rows:
            position = record_id
            if kind in NEWS_KINDS:
                news.append({"id": record_id, "kind": kind, "bill_no": bill_no})
            elif kind == "k3_call":
                try:
                    operation = json.loads(payload).get("operation")
                except ValueError:
                    operation = None
                if operation in K3_WRITES:
                    news.append({"id": record_id, "kind": kind, "bill_no": bill_no})
        return position, news

    # -- one order -------------------------------------------------------------------------------
    def history(self, bill_no: str, related: tuple[str, ...] = ()) -> list[dict]:
        """The order's audit records, with those of its reports (K/3 files a report's calls under the
        report's own number), oldest first."""
        numbers = [bill_no, *[n for n in related if n and n != bill_no]][:500]
        with self.w.sessionmaker() as session:
            records = list(session.execute(
                select(AuditRecord).where(AuditRecord.order_bill_no.in_(numbers))
                .order_by(AuditRecord.id.desc()).limit(300)).scalars())
        out = []
        for record in reversed(records):
            try:
                payload = json.loads(record.payload)
            except ValueError:
                payload = {}
            out.append({"id": record.id, "at": record.created_at, "kind": record.kind, "actor": record.actor,
                        "payload": payload})
        return out

    def reports_of(self, bill_no: str, view: BoardView | None = None):
        """The order's reports: from the last read when they add up to its reported quantities (no
        K/3 call), else one query of K/3 for this order's reports."""
        row = view.by_bill.get(bill_no) if view else None
        known = view.reports_by_order.get(bill_no, ()) if view else ()
        if row is not None and abs(sum(p.good for p in known) - row.good) < 1e-6 \
                and abs(sum(p.scrap for p in known) - row.scrap) < 1e-6:
            return sorted(known, key=lambda p: (p.date or row.plan_start, p.bill_no))
        return self.w.k3.list_dated_reports(order_bill_nos=[bill_no])

    # -- approvals page ------------------------------------------------------------------------------
    def names(self, staff_ids) -> dict[str, str]:
        """Staff id -> the person's name in the directory (cached ``NAME_TTL_S``; the staff id itself
        when the directory does not know them or is down, which is not cached)."""
        out: dict[str, str] = {}
        now = time.monotonic()
        for staff_id in {s for s in staff_ids if s}:
            with self._names_lock:
                hit = self._names.get(staff_id)
            if hit is not None and hit[1] > now:
                out[staff_id] = hit[0]
                continue
            try:
                person = self.w.directory.find(staff_id)
            except Exception:  # the directory is down: show the id, ask again next time
                log.warning("directory lookup for the approvals page failed", exc_info=True)
                out[staff_id] = staff_id
                continue
            name = (person.name if person is not None else None) or staff_id
            with self._names_lock:
                if len(self._names) > 5000:
                    self._names.clear()
                self._names[staff_id] = (name, now + NAME_TTL_S)
            out[staff_id] = name
        return out

    def approvals_page(self, recent: int = 10) -> dict:
        """What the approvals page shows: the pending requests, the last ``recent`` decisions, and the
        names of everyone on it (requesters and approvers)."""
        pending = self.w.workflow.pending_approvals()
        decided = [c for c in self.w.workflow.list_changes(states=DECIDED) if c.approver]
        decided = sorted(decided, key=lambda c: (c.decided_at is not None, c.decided_at, c.id), reverse=True)[:recent]
        names = self.names([c.requester for c in (*pending, *decided)] + [c.approver for c in decided])
        return {"pending": pending, "decided": decided, "names": names}

    def changes_of(self, bill_no: str):
        return self.w.workflow.list_changes(bill_no=bill_no)

    # -- deciding (the chat's code path) -----------------------------------------------------------
    def decide(self, staff_id: str, ref: str, decision: str, note: str = "") -> Outcome:
        if decision not in (APPROVE, REJECT):
            return refused("web.bad_request")
        self.w.start_worker()
        outcome = self.w.desk.decide(staff_id, None, decision, ref=ref, note=note)
        self.board.poke(self.audit_position())
        return outcome

    # -- rescheduling ----------------------------------------------------------------------------
    def suggestion(self, bill_no: str) -> Suggestion:
        view = self.view()
        key = (view.version, bill_no)
        with self._plans_lock:
            plan = self._plans.get(key)
        if plan is None:
            plan = reschedule(view.snapshot, bill_no) if view.snapshot else Plan(bill_no, "not_open")
            with self._plans_lock:
                if len(self._plans) > 200:
                    self._plans.clear()
                self._plans[key] = plan
        return Suggestion(bill_no, plan)

    def accept_option(self, staff_id: str, bill_no: str, number: int) -> Outcome:
        suggestion = self.suggestion(bill_no)
        option = suggestion.plan.option(number)
        change = change_of(option) if option else None
        if change is None:
            return refused("web.option_not_acceptable", bill_no=bill_no)
        outcome = self.w.workflow.request_change(bill_no, staff_id, None, **change)
        if outcome.key == "workflow.change_needs_approval" and outcome.value is not None:
            self.w.start_worker()
            self.w.desk.ask_managers(outcome.value)
        self.board.poke(self.audit_position())
        return outcome

    def confirm(self, staff_id: str, ref: str) -> Outcome:
        outcome = self.w.workflow.confirm_change(ref, staff_id)
        self.board.poke(self.audit_position())
        return outcome

    def cancel(self, staff_id: str, ref: str) -> Outcome:
        return self.w.workflow.cancel_change(ref, staff_id)
