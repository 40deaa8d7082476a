"""The dashboard's read model: the factory as the manager's pages show it, read from K/3 in bulk.

``Board.view()`` returns a :class:`BoardView` built from ONE read of K/3: every order in one paged
``list_orders`` query, the reports of the last weeks in one paged ``list_dated_reports`` query, the
change requests from our own tables. Delay risk comes from ``planning.assess`` over that read (never
one K/3 call per row). The view is cached; it is rebuilt when the audit trail shows news (a report,
an order, a decision: ``Board.poke(version)``) or after ``web_cache_ttl_s``, in the background, so a
page request is answered from memory (stale by at most one rebuild).

A rebuild after news is incremental when it can be (``read_changed``): the audit trail names the
bills our own K/3 writes touched since the last view, so only those orders and reports are read
again (a query by bill number, answered from K/3's index) and merged into the last read; anything
the trail cannot name (a write without a bill number, a new day) and every ``web_cache_ttl_s`` (edits
made directly in K/3) is a full read.

Everything here is plain data: sorting, filtering and pagination are pure functions over rows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property

from k3_client.models import DatedReport, Order, OrderStatus
from rasa_project.mapping import MappingTables
from rasa_project.ordering.change_requests import ChangeRequest
from rasa_project.ordering.states import Change
from rasa_project.planning import Level, OrderPlan, Report, Risk, Snapshot, WorkCenter, assess

log = logging.getLogger(__name__)

REPORT_WINDOW_DAYS = 42  # run rates and "today" come from reports of the last six weeks
LOAD_DAYS = 14  # working days of the load chart
SORT_KEYS = ("bill_no", "material", "qty", "completion", "plan_start", "plan_finish", "projected_finish",
             "risk", "status", "work_center", "approval")
RISK_FILTERS = ("late", "at_risk", "on_track", "warned")
STATUS_FILTERS = ("open", "done", *(str(int(s)) for s in OrderStatus))


@dataclass(frozen=True)
class OrderRow:
    bill_no: str
    material_number: str
    material_code: str  # the chat code (BOM-2050), or the K/3 number when unmapped
    material_name: dict  # lang -> name
    qty: float
    unit: str
    good: float
    scrap: float
    work_center: str
    plan_start: date
    plan_finish: date
    status: int
    document_status: str
    projected_finish: date | None = None
    level: str | None = None  # on_track | at_risk | late; None: not open
    risk: Risk | None = None
    approval: str | None = None  # state of the latest change request (pending_approval, applied ...)
    approval_ref: str | None = None

    @property
    def completion(self) -> float:
        return min(100.0, 100.0 * self.good / self.qty) if self.qty > 0 else 0.0

    @property
    def is_open(self) -> bool:
        return self.status <= int(OrderStatus.STARTED)

    @property
    def severity(self) -> int:
        return {"late": 2, "at_risk": 1, "on_track": 0}.get(self.level or "", -1)

    def reason(self, lang: str) -> str:
        return self.risk.explain(lang) if self.risk is not None else ""


@dataclass(frozen=True)
class LoadDay:
    day: date
    load: float
    capacity: float

    @property
    def over(self) -> bool:
        return self.load > self.capacity + 1e-9


@dataclass(frozen=True)
class BoardView:
    version: int  # the audit-trail position it was built after
    built_at: float  # monotonic seconds
    build_ms: float
    today: date
    rows: tuple[OrderRow, ...]
    by_bill: dict
    reports_today: tuple[float, float]  # good, scrap reported today
    reports: tuple[DatedReport, ...]
    load: dict  # work center -> tuple[LoadDay, ...]
    pending: tuple[ChangeRequest, ...]
    snapshot: Snapshot | None = None
    k3_calls: int = 0
    reports_by_order: dict = field(default_factory=dict)  # order bill -> its reports in the window
    assessed: bool = False  # delay risk known (False until the first assessment is done)
    orders: tuple[Order, ...] = ()  # the K/3 orders it was built from (merged into by an incremental read)
    full_at: float = 0.0  # monotonic seconds of the last full read it carries

    def visible(self, work_centers: frozenset[str] | None) -> tuple[OrderRow, ...]:
        if work_centers is None:
            return self.rows
        return tuple(r for r in self.rows if r.work_center in work_centers)

    @cached_property
    def last_report(self) -> dict:
        """Order bill -> the date of its last report in the window (computed once per view)."""
        last: dict[str, date] = {}
        for bill, reports in self.reports_by_order.items():
            days = [p.date for p in reports if p.date]
            if days:
                last[bill] = max(days)
        return last

    def overview(self, work_centers: frozenset[str] | None) -> dict:
        rows = self.visible(work_centers)
        open_rows = [r for r in rows if r.is_open]
        done = [r for r in rows if not r.is_open]
        # on time: finished orders whose last report came on or before their plan finish, and open
        # orders the risk model sees finishing on time
        last_report = self.last_report
        judged = [r for r in done if r.bill_no in last_report]
        on_time = sum(1 for r in judged if last_report[r.bill_no] <= r.plan_finish)
        open_judged = [r for r in open_rows if r.level]
        on_track = sum(1 for r in open_judged if r.level == "on_track")
        good, scrap = self.reports_today
        if work_centers is not None:
            today_reps = [p for r in rows for p in self.reports_by_order.get(r.bill_no, ()) if p.date == self.today]
            good, scrap = sum(p.good for p in today_reps), sum(p.scrap for p in today_reps)
        centers = [wc for wc in self.load if work_centers is None or wc in work_centers]
        over = [wc for wc in centers if any(d.over for d in self.load[wc])]
        total_judged = len(judged) + len(open_judged)
        return {
            "open": len(open_rows),
            "on_time_pct": round(100.0 * (on_time + on_track) / total_judged, 1) if total_judged else None,
            "good_today": good,
            "scrap_today": scrap,
            "late": sum(1 for r in open_rows if r.level == "late"),
            "at_risk": sum(1 for r in open_rows if r.level == "at_risk"),
            "pending": len([c for c in self.pending if work_centers is None or self._wc_of(c) in work_centers]),
            "over_capacity": over,
        }

    def _wc_of(self, change: ChangeRequest) -> str | None:
        row = self.by_bill.get(change.bill_no)
        return row.work_center if row else None


# -- pure list operations ---------------------------------------------------------------------------

def _sort_value(row: OrderRow, key: str):
    if key == "material":
        return row.material_code
    if key == "completion":
        return row.completion
    if key == "risk":
        return row.severity
    if key == "projected_finish":
        return row.projected_finish or date.max
    return getattr(row, key if key != "approval" else "approval") or ""


def select(
    rows: Iterable[OrderRow],
    *,
    q: str = "",
    work_center: str = "",
    status: str = "",
    risk: str = "",
    sort: str = "bill_no",
    desc: bool = False,
) -> list[OrderRow]:
    """Filter (work center, status, risk), search (bill number, material code or name) and sort."""
    out = list(rows)
    if work_center:
        out = [r for r in out if r.work_center == work_center]
    if status == "open":
        out = [r for r in out if r.is_open]
    elif status == "done":
        out = [r for r in out if not r.is_open]
    elif status.isdigit():
        out = [r for r in out if r.status == int(status)]
    if risk == "warned":
        out = [r for r in out if r.level in ("late", "at_risk")]
    elif risk in ("late", "at_risk", "on_track"):
        out = [r for r in out if r.level == risk]
    needle = q.strip().casefold()
    if needle:
        out = [
            r for r in out
            if needle in r.bill_no.casefold() or needle in r.material_code.casefold()
            or needle in r.material_number.casefold() or any(needle in str(n).casefold() for n in r.material_name.values())
        ]
    key = sort if sort in SORT_KEYS else "bill_no"
    out.sort(key=lambda r: (_sort_value(r, key), r.bill_no), reverse=desc)
    return out


def page_of(rows: list, page: int, size: int) -> tuple[list, int, int]:
    """Rows of 1-based ``page`` (clamped), the page and the page count."""
    pages = max(1, -(-len(rows) // size))
    page = min(max(1, page), pages)
    return rows[(page - 1) * size: page * size], page, pages


# -- building a view --------------------------------------------------------------------------------

def build_view(
    orders: list[Order],
    reports: list[DatedReport],
    changes: list[ChangeRequest],
    mapping: MappingTables,
    today: date,
    *,
    version: int = 0,
    risks: dict | None = None,
    assess_now: bool = True,
) -> BoardView:
    """The view of one K/3 read (pure: no I/O). ``risks`` (bill -> Risk) are carried over from an earlier
    assessment; ``assess_now`` runs ``planning.assess`` over this read instead."""
    started = time.perf_counter()
    materials = {m.k3_number: m for m in mapping.materials}
    latest: dict[str, ChangeRequest] = {}
    for change in changes:  # ordered by id: the last one wins
        latest[change.bill_no] = change
    rows: list[OrderRow] = []
    for o in orders:
        m = materials.get(o.material_number)
        change = latest.get(o.bill_no)
        rows.append(OrderRow(
            bill_no=o.bill_no, material_number=o.material_number,
            material_code=m.chat_code if m else o.material_number, material_name=dict(m.name) if m else {},
            qty=o.qty, unit=o.unit, good=o.reported_good, scrap=o.reported_scrap, work_center=o.work_center,
            plan_start=o.plan_start, plan_finish=o.plan_finish, status=int(o.status), document_status=o.document_status,
            approval=change.state.value if change else None, approval_ref=change.ref if change else None,
        ))
    snapshot = planning_snapshot(rows, reports, mapping, today)
    if assess_now:
        risks = {r.bill_no: r for r in assess(snapshot)} if snapshot.orders else {}
    view = BoardView(
        version=version, built_at=time.monotonic(), build_ms=0.0, today=today, rows=(),
        by_bill={}, reports_today=(0.0, 0.0), reports=tuple(reports),
        load=work_center_load(rows, mapping, today),
        pending=tuple(c for c in changes if c.state is Change.PENDING_APPROVAL), snapshot=snapshot,
    )
    view = replace(with_risks(view, rows, risks or {}), assessed=risks is not None)
    good = sum(p.good for p in reports if p.date == today)
    scrap = sum(p.scrap for p in reports if p.date == today)
    by_order: dict[str, list] = {}
    for p in reports:
        by_order.setdefault(p.order_bill_no, []).append(p)
    return replace(view, reports_today=(good, scrap), reports_by_order={k: tuple(v) for k, v in by_order.items()},
                   build_ms=(time.perf_counter() - started) * 1000, orders=tuple(orders), full_at=view.built_at)


def _order_row(o: Order, materials: dict, change: ChangeRequest | None) -> OrderRow:
    m = materials.get(o.material_number)
    return OrderRow(
        bill_no=o.bill_no, material_number=o.material_number,
        material_code=m.chat_code if m else o.material_number, material_name=dict(m.name) if m else {},
        qty=o.qty, unit=o.unit, good=o.reported_good, scrap=o.reported_scrap, work_center=o.work_center,
        plan_start=o.plan_start, plan_finish=o.plan_finish, status=int(o.status), document_status=o.document_status,
        approval=change.state.value if change else None, approval_ref=change.ref if change else None,
    )


def _with_risk(r: OrderRow, risks: dict) -> OrderRow:
    risk = risks.get(r.bill_no) if r.is_open else None
    if risk is not None:
        return replace(r, risk=risk, level=risk.level.value, projected_finish=risk.projected_finish)
    if r.is_open and r.good >= r.qty:
        return replace(r, risk=None, level=Level.ON_TRACK.value, projected_finish=None)
    return replace(r, risk=None, level=None, projected_finish=None)


def update_view(
    previous: BoardView,
    orders: Iterable[Order],
    gone: Iterable[str],
    reports_out: Iterable[str],
    reports_in: Iterable[DatedReport],
    changes: list[ChangeRequest],
    mapping: MappingTables,
    *,
    version: int,
    risks: dict | None,
) -> BoardView:
    """``previous`` with the orders ``orders`` read again (new or changed), the orders ``gone`` removed,
    the reports numbered ``reports_out`` removed and ``reports_in`` added, and the change requests
    ``changes`` (pure). Equal to ``build_view`` over the merged read, but only the touched orders, their
    work centers and their reports are worked out again (the rest is carried over)."""
    started = time.perf_counter()
    today = previous.today
    materials = {m.k3_number: m for m in mapping.materials}
    latest: dict[str, ChangeRequest] = {}
    for change in changes:
        latest[change.bill_no] = change
    fresh = {o.bill_no: o for o in orders}
    gone = set(gone) - set(fresh)
    out = set(reports_out)
    reports_in = list(reports_in)
    # the orders whose reports or figures changed (their plans, history and rows are redone)
    touched = set(fresh) | gone | {p.order_bill_no for p in reports_in} \
        | {p.order_bill_no for p in previous.reports if p.bill_no in out}
    merged_orders = [fresh.pop(o.bill_no, o) for o in previous.orders if o.bill_no not in gone]
    merged_orders += sorted(fresh.values(), key=lambda o: o.bill_no)
    reports = [p for p in previous.reports if p.bill_no not in out] + reports_in
    by_order = dict(previous.reports_by_order)
    for bill in touched:
        by_order.pop(bill, None)
    for p in reports:
        if p.order_bill_no in touched:
            by_order.setdefault(p.order_bill_no, []).append(p)
    by_order = {k: tuple(v) for k, v in by_order.items()}
    risks = risks or {}
    rows: list[OrderRow] = []
    centers: set[str] = set()
    old = previous.by_bill
    for o in merged_orders:
        change = latest.get(o.bill_no)
        row = old.get(o.bill_no)
        if o.bill_no in touched or row is None:
            if row is not None:
                centers.add(row.work_center)
            row = _with_risk(_order_row(o, materials, change), risks)
            centers.add(row.work_center)
        elif (row.approval, row.approval_ref) != ((change.state.value, change.ref) if change else (None, None)):
            row = replace(row, approval=change.state.value if change else None, approval_ref=change.ref if change else None)
        rows.append(row)
    for bill in gone:
        if bill in old:
            centers.add(old[bill].work_center)
    load = dict(previous.load)
    if centers:
        redone = work_center_load([r for r in rows if r.work_center in centers], mapping, today)
        load.update({wc: days for wc, days in redone.items() if wc in centers})
    snapshot = previous.snapshot
    if snapshot is not None and touched:
        alternates = {m.k3_number: tuple(m.alternate_work_centers) for m in mapping.materials}
        known = {w.number for w in snapshot.work_centers}
        plans = [p for p in snapshot.orders if p.bill_no not in touched]
        plans += [OrderPlan(r.bill_no, r.material_code, r.work_center, r.qty, r.plan_start, r.plan_finish, r.status,
                            r.good, r.scrap, alternates.get(r.material_number, ()))
                  for r in rows if r.bill_no in touched and r.is_open and r.work_center in known]
        open_touched = {p.bill_no for p in plans} & touched
        history = [h for h in snapshot.reports if h.bill_no not in touched]
        history += [Report(p.order_bill_no, p.date, p.good, p.scrap)
                    for bill in open_touched for p in by_order.get(bill, ()) if p.date and p.date < today]
        snapshot = replace(snapshot, orders=tuple(plans), reports=tuple(history))
    good = sum(p.good for p in reports if p.date == today)
    scrap = sum(p.scrap for p in reports if p.date == today)
    return replace(
        previous, version=version, built_at=time.monotonic(), rows=tuple(rows), by_bill={r.bill_no: r for r in rows},
        reports_today=(good, scrap), reports=tuple(reports), load=load,
        pending=tuple(c for c in changes if c.state is Change.PENDING_APPROVAL), snapshot=snapshot,
        reports_by_order=by_order, orders=tuple(merged_orders), build_ms=(time.perf_counter() - started) * 1000,
    )


def with_risks(view: BoardView, rows: Iterable[OrderRow], risks: dict) -> BoardView:
    """``rows`` with the delay risk of each open order from ``risks`` (bill -> Risk)."""
    out = []
    for r in rows:
        risk = risks.get(r.bill_no) if r.is_open else None
        if risk is not None:
            r = replace(r, risk=risk, level=risk.level.value, projected_finish=risk.projected_finish)
        elif r.is_open and r.good >= r.qty:
            r = replace(r, risk=None, level=Level.ON_TRACK.value, projected_finish=None)
        else:
            r = replace(r, risk=None, level=None, projected_finish=None)
        out.append(r)
    return replace(view, rows=tuple(out), by_bill={r.bill_no: r for r in out})


def planning_snapshot(rows: list[OrderRow], reports: list[DatedReport], mapping: MappingTables, today: date) -> Snapshot:
    alternates = {m.k3_number: tuple(m.alternate_work_centers) for m in mapping.materials}
    plans = tuple(
        OrderPlan(r.bill_no, r.material_code, r.work_center, r.qty, r.plan_start, r.plan_finish, r.status,
                  r.good, r.scrap, alternates.get(r.material_number, ()))
        for r in rows if r.is_open
    )
    open_bills = {p.bill_no for p in plans}
    history = tuple(
        Report(p.order_bill_no, p.date, p.good, p.scrap)
        for p in reports if p.date and p.date < today and p.order_bill_no in open_bills
    )
    centers = tuple(WorkCenter(w.number, float(w.daily_capacity)) for w in mapping.work_centers)
    known = {w.number for w in centers}
    plans = tuple(p for p in plans if p.work_center in known)  # an unknown work center has no capacity to plan
    return Snapshot(as_of=today, calendar=mapping.calendar, work_centers=centers, orders=plans, reports=history)


def work_center_load(rows: Iterable[OrderRow], mapping: MappingTables, today: date) -> dict:
    """Planned pieces per working day against capacity, next ``LOAD_DAYS`` working days (calendar-aware):
    each open order's remaining quantity spread over its remaining working days (``rules.spread_load``)."""
    from rasa_project.ordering import rules

    calendar = mapping.calendar
    days: list[date] = []
    day = today
    while len(days) < LOAD_DAYS:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    wanted = set(days)
    totals: dict[str, dict[date, float]] = {w.number: {} for w in mapping.work_centers}
    for r in rows:
        if not r.is_open or r.work_center not in totals:
            continue
        spread = rules.spread_load(rules.remaining_qty(r.qty, r.good + r.scrap), plan_start=r.plan_start,
                                   plan_finish=r.plan_finish, today=today, weekdays=calendar)
        bucket = totals[r.work_center]
        for d, qty in spread.items():
            if d in wanted:
                bucket[d] = bucket.get(d, 0.0) + qty
    return {
        w.number: tuple(LoadDay(d, round(totals[w.number].get(d, 0.0), 1), float(w.daily_capacity)) for d in days)
        for w in mapping.work_centers
    }


# -- the cache ----------------------------------------------------------------------------------------

@dataclass
class _State:
    view: BoardView | None = None
    risks: dict | None = None  # bill -> Risk of the last assessment (None: none yet)
    wanted_version: int = 0
    building: bool = False
    assessing: bool = False
    assess_again: bool = False
    error: str | None = None
    published: int = 0  # how many views were published (pages refresh when it moves)


class Board:
    """Keeps the latest :class:`BoardView`. Two background threads: one reads K/3 and publishes the
    figures at once (carrying the last delay-risk assessment over), one re-assesses delay risk over
    the newest read and publishes it when done; at factory scale the figures stay live while the
    risk model (seconds for thousands of orders) catches up."""

    def __init__(
        self,
        read: Callable[[int, dict], BoardView],
        *,
        ttl_s: float = 60.0,
        assess_view: Callable[[BoardView], dict] | None = None,
        read_changed: Callable[[BoardView, int, dict | None], BoardView | None] | None = None,
    ) -> None:
        self._read = read
        self._read_changed = read_changed
        self._assess = assess_view or assess_risks
        self._ttl_s = ttl_s
        self._state = _State()
        self._lock = threading.Lock()
        self._built = threading.Condition(self._lock)

    def view(self, *, wait_s: float = 30.0) -> BoardView:
        """The latest view (the first call waits for the first read; a failed first read raises)."""
        with self._lock:
            state = self._state
            stale = state.view is None or time.monotonic() - state.view.full_at > self._ttl_s
            if stale or (state.view and state.view.version < state.wanted_version):
                self._start_locked()
            if state.view is None:
                self._built.wait_for(lambda: state.view is not None or (not state.building and state.error), wait_s)
                if state.view is None:
                    raise BoardUnavailable(state.error or "timeout")
            return state.view

    def poke(self, version: int) -> None:
        """News up to audit position ``version``: read again (once, in the background)."""
        with self._lock:
            if version > self._state.wanted_version:
                self._state.wanted_version = version
                self._start_locked()

    def refresh_now(self) -> BoardView:
        """Read synchronously (after a write made from the page itself)."""
        with self._lock:
            version, risks, previous = self._state.wanted_version, self._state.risks, self._state.view
        view = self._read_once(version, risks, previous)
        self._publish(view)
        return view

    def _read_once(self, version: int, risks: dict | None, previous: BoardView | None) -> BoardView:
        """An incremental read over ``previous`` when one is possible and no full read is due, else a full one."""
        if previous is not None and self._read_changed is not None \
                and time.monotonic() - previous.full_at <= self._ttl_s:
            view = self._read_changed(previous, version, risks)
            if view is not None:
                return view
        return self._read(version, risks)

    def _publish(self, view: BoardView) -> None:
        with self._lock:
            if self._state.view is None or view.version >= self._state.view.version:
                self._state.view = view
                self._state.published += 1
            self._built.notify_all()
            self._start_assess_locked()

    def _start_locked(self) -> None:
        if self._state.building:
            return
        self._state.building = True
        threading.Thread(target=self._build, name="board-read", daemon=True).start()

    def _build(self) -> None:
        while True:
            with self._lock:
                version, risks, previous = self._state.wanted_version, self._state.risks, self._state.view
            try:
                view = self._read_once(version, risks, previous)
                error = None
            except Exception as exc:  # K/3 down: keep serving the last view, say so
                log.warning("dashboard read failed: %s", type(exc).__name__, exc_info=True)
                view, error = None, type(exc).__name__
            if view is not None:
                self._publish(view)
            with self._lock:
                self._state.error = error
                again = error is None and self._state.wanted_version > version
                if not again:
                    self._state.building = False
                self._built.notify_all()
                if not again:
                    return

    # -- delay risk ------------------------------------------------------------------------------
    def _start_assess_locked(self) -> None:
        if self._state.assessing:
            self._state.assess_again = True
            return
        self._state.assessing = True
        threading.Thread(target=self._assess_loop, name="board-risk", daemon=True).start()

    def _assess_loop(self) -> None:
        while True:
            with self._lock:
                view = self._state.view
                self._state.assess_again = False
            try:
                risks = self._assess(view) if view is not None else {}
            except Exception:  # a planning bug must not take the figures down
                log.warning("dashboard risk assessment failed", exc_info=True)
                risks = None
            with self._lock:
                if risks is not None:
                    self._state.risks = risks
                    latest = self._state.view
                    if latest is not None:
                        self._state.view = replace(with_risks(latest, latest.rows, risks), assessed=True)
                        self._state.published += 1
                        self._built.notify_all()
                if not self._state.assess_again:
                    self._state.assessing = False
                    return

    @property
    def error(self) -> str | None:
        return self._state.error

    @property
    def published(self) -> int:
        return self._state.published


def assess_risks(view: BoardView) -> dict:
    snapshot = view.snapshot
    return {r.bill_no: r for r in assess(snapshot)} if snapshot is not None and snapshot.orders else {}


class BoardUnavailable(RuntimeError):
    pass
