"""FixtureK3: a small in-memory ``ProductionK3`` built from the demo-factory fixture.

For workflow service tests that do not need the wire protocol (test_workflow_simulator.py runs
scenarios over HTTP). It stands in for ``K3Client`` + K/3 and keeps to the simulator's rules,
taken from the ONE table both use (``devtools/simulators/k3cloud/rules.py``):

* a create is Save (A) -> Submit (B) -> Audit (C), idempotent on the request key (kept in the
  remark as ``[dingk3:<key>]``, as the client does); references (material, BOM, unit, work
  center, bill type) must exist, be audited and not be forbidden; quantity > 0, finish >= start;
* ExcuteOperation moves the entry status by ``rules.STATUS_OPERATIONS`` (ToRelease from 计划 or
  计划确认, ToFinish from 下达 or 开工 ...), on audited orders only;
* a change is UnAudit -> Save -> Submit -> Audit on an open order, never below what was reported;
* a report needs an audited, released or started order and is refused beyond its quantity
  (``report_tolerance_pct``); reversing one un-audits and deletes it;
* a refusal is raised as ``K3Client`` raises K/3's answer: the rule's MsgCode, message and field
  through ``k3_client.errors.error_from_status``.

``test_double_agreement.py`` runs the same scripts against this and against the simulator and
compares every step. ``writes`` logs every committed write; ``fail_next`` injects a timeout of a
whole ProductionK3 write either before or after K/3 commits it, or a K/3 refusal.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable
from datetime import date

from devtools.factory import Factory
from devtools.simulators.k3cloud import forms, rules
from devtools.simulators.k3cloud.seed import (
    FIRST_REPORT_NUMBER,
    STOCK_NUMBER,
    UNASSIGNED_BOM_SUFFIX,
    report_lines,
)
from k3_client.errors import K3NotFound, K3QtyBelowReported, K3Rejected, K3Unavailable, error_from_status
from k3_client.models import Bom, BomLine, Material, Order, OrderDraft, OrderStatus, OutputReport, StockLevel

ORDER_FORM, REPORT_FORM = forms.ORDER.form_id, forms.REPORT.form_id
_LINE = forms.ORDER.entity
# our field -> the PRD_MO line key K/3 compares when a change is saved
_CHANGE_KEYS = {"qty": "FQty", "plan_finish": "FPlanFinishDate", "work_center": "FWorkShopID"}


def _remark(request_key: str) -> str:
    if not request_key or not request_key.strip():
        raise ValueError("a request key is required")
    return f"[dingk3:{request_key}]"


def _raise(refusal: rules.Refusal | None, form_id: str = ORDER_FORM) -> None:
    """What K3Client raises when K/3 answers this refusal (HTTP 200, IsSuccess false)."""
    if refusal is not None:
        status = {"IsSuccess": False, "MsgCode": refusal.msg_code,
                  "Errors": [{"FieldName": refusal.field, "Message": refusal.message, "DIndex": 0}]}  # fmt: skip
        raise error_from_status(status, form_id=form_id)


@dataclasses.dataclass
class _Report:
    bill_no: str
    id: int
    order_bill_no: str
    good: float
    scrap: float
    document_status: str
    remark: str = ""

    def public(self) -> OutputReport:
        return OutputReport(self.bill_no, self.id, self.order_bill_no, self.good, self.scrap, self.document_status)


class FixtureK3:
    def __init__(self, factory: Factory, *, report_tolerance_pct: float = 0.0) -> None:
        self._lock = threading.RLock()
        self.tolerance = report_tolerance_pct / 100.0
        self.materials: dict[str, Material] = {}
        self.boms: dict[str, Bom] = {}
        self.stock: dict[str, float] = {}
        self.orders: dict[str, Order] = {}
        self.request_keys: dict[str, str] = {}  # request key -> bill no
        self.reports: dict[str, _Report] = {}  # report bill no -> report
        self.writes: list[tuple] = []  # committed writes, in order
        self.fail_next: dict[str, str] = {}  # operation -> "before" | "after" commit timeout, or "reject"
        self.organization = str(factory.organization["number"])
        self.work_centers = {w.number for w in factory.work_centers}
        self.bill_types = {t.bill_type for t in factory.production_types}
        by_code = {m.chat_code: m for m in factory.materials}
        for m in factory.materials:
            self.materials[m.number] = Material(m.number, m.name["zh"], m.unit, True, False, m.safety_stock)
            self.stock[m.number] = m.stock
            lines = tuple(BomLine(by_code[code].number, qty) for code, qty in m.components if code in by_code)
            if m.bom_number:
                self.boms[m.bom_number] = Bom(m.bom_number, m.number, True, False, lines)
            else:  # in K/3, but nobody audited it (as the simulator seeds it)
                self.boms[m.number + UNASSIGNED_BOM_SUFFIX] = Bom(m.number + UNASSIGNED_BOM_SUFFIX, m.number, False,
                                                                  False, lines)  # fmt: skip
        self.units = {m.unit for m in self.materials.values()}
        self._next_id = 100000
        self._next_report = FIRST_REPORT_NUMBER
        highest_mo = 0
        for o in factory.orders:
            m = by_code[o.material]
            self.orders[o.bill_no] = Order(
                bill_no=o.bill_no, id=self._new_id(), entry_id=self._new_id(), material_number=m.number,
                bom_number=m.bom_number, qty=float(o.qty), unit=m.unit, work_center=o.work_center,
                plan_start=o.plan_start, plan_finish=o.plan_finish, status=OrderStatus(int(o.status)),
                document_status=rules.AUDITED, bill_type=factory.production_types[0].bill_type,
                reported_good=float(o.reported_good), reported_scrap=float(o.reported_scrap),
            )  # fmt: skip
            for _day, good, scrap in report_lines(factory, o):
                self._add_report(o.bill_no, good, scrap, rules.AUDITED)
            if o.bill_no.startswith("MO") and o.bill_no[2:].isdigit():
                highest_mo = max(highest_mo, int(o.bill_no[2:]))
        self._next_bill = highest_mo + 1

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _add_report(self, bill_no: str, good: float, scrap: float, document_status: str, remark: str = "") -> _Report:
        number = f"SCHB{self._next_report:08d}"
        self._next_report += 1
        report = _Report(number, self._new_id(), bill_no, float(good), float(scrap), document_status, remark)
        self.reports[number] = report
        return report

    def _fault(self, operation: str, when: str) -> None:
        if self.fail_next.get(operation) == "reject" and when == "before":
            del self.fail_next[operation]
            raise K3Rejected("FQty", "数据校验未通过", 11, reason="other")
        if self.fail_next.get(operation) == when:
            del self.fail_next[operation]
            raise K3Unavailable(f"injected timeout {when} commit")

    # -- lookups -------------------------------------------------------------------------------------
    def find_material(self, number: str) -> Material | None:
        return self.materials.get(number)

    def find_bom(self, number: str) -> Bom | None:
        return self.boms.get(number)

    def find_audited_bom(self, material_number: str) -> Bom | None:
        usable = [b for b in self.boms.values()
                  if b.material_number == material_number and b.is_audited and not b.is_forbidden]  # fmt: skip
        return max(usable, key=lambda b: b.number) if usable else None  # the highest version

    def get_order(self, bill_no: str) -> Order | None:
        return self.orders.get(bill_no)

    def list_orders(
        self,
        *,
        work_center: str | None = None,
        material_numbers: Iterable[str] | None = None,
        statuses: Iterable[OrderStatus] = (),
        finish_from: date | None = None,
        start_to: date | None = None,
        finish_to: date | None = None,
    ) -> list[Order]:
        statuses = set(statuses)
        materials = set(material_numbers) if material_numbers is not None else None
        return [
            o
            for o in sorted(self.orders.values(), key=lambda o: o.bill_no)
            if (work_center is None or o.work_center == work_center)
            and (materials is None or o.material_number in materials)
            and (not statuses or o.status in statuses)
            and (finish_from is None or o.plan_finish >= finish_from)
            and (start_to is None or o.plan_start <= start_to)
            and (finish_to is None or o.plan_finish <= finish_to)
        ]

    def get_orders(self, bill_nos: Iterable[str]) -> list[Order]:
        return [self.orders[b] for b in dict.fromkeys(bill_nos) if b in self.orders]

    def stock_of(self, material_numbers: Iterable[str]) -> dict[str, StockLevel]:
        levels = {}
        for n in dict.fromkeys(material_numbers):
            on_hand = {STOCK_NUMBER: self.stock[n]} if n in self.stock else {}
            levels[n] = StockLevel(n, sum(on_hand.values(), 0.0), on_hand)
        return levels

    def find_order_by_request_key(self, request_key: str) -> Order | None:
        remark = _remark(request_key)
        return next((o for o in sorted(self.orders.values(), key=lambda o: o.bill_no) if remark in o.remark), None)

    def list_reports(self, order_bill_no: str) -> list[OutputReport]:
        return [r.public() for _, r in sorted(self.reports.items()) if r.order_bill_no == order_bill_no]

    # -- K/3 document operations on PRD_MO (what create/change do inside; the agreement test calls them) ---
    def save_order(self, draft: OrderDraft) -> Order:
        """Save a new PRD_MO: document status A (created), entry status 计划."""
        with self._lock:
            order = self._save_new(draft)
            self.writes.append(("save_order", order.bill_no))
            return order

    def submit(self, bill_no: str) -> None:
        with self._lock:
            self._document_step(self._bill(bill_no, "submit"), "submit")
            self.writes.append(("submit", bill_no))

    def audit(self, bill_no: str) -> None:
        with self._lock:
            self._document_step(self._bill(bill_no, "audit"), "audit")
            self.writes.append(("audit", bill_no))

    def unaudit(self, bill_no: str) -> None:
        with self._lock:
            self._document_step(self._bill(bill_no, "unaudit"), "unaudit")
            self.writes.append(("unaudit", bill_no))

    def delete(self, bill_no: str) -> None:
        with self._lock:
            order = self._bill(bill_no, "delete")
            _raise(rules.document_refusal("delete", form_name=forms.ORDER.name, number=bill_no,
                                          document_status=order.document_status))  # fmt: skip
            _raise(rules.entry_removal_refusal(status=int(order.status), has_reports=self._has_reports(bill_no)))
            del self.orders[bill_no]
            self.request_keys = {k: b for k, b in self.request_keys.items() if b != bill_no}
            self.writes.append(("delete", bill_no))

    def _bill(self, bill_no: str, operation: str) -> Order:
        order = self.orders.get(bill_no)
        if order is None:
            _raise(rules.missing_bill(bill_no, operation))
        return order

    def _document_step(self, order: Order, operation: str) -> Order:
        _raise(rules.document_refusal(operation, form_name=forms.ORDER.name, number=order.bill_no,
                                      document_status=order.document_status))  # fmt: skip
        if operation == "unaudit":
            _raise(rules.order_unaudit_refusal(bill_no=order.bill_no, statuses=[int(order.status)]))
        return self._put(dataclasses.replace(order, document_status=rules.after(operation)))

    def _approve(self, order: Order) -> Order:
        """Submit and Audit until audited, as the client completes a create or a change."""
        while order.document_status != rules.AUDITED:
            if order.document_status in (rules.CREATED, rules.REOPENED):
                order = self._document_step(order, "submit")
            elif order.document_status == rules.IN_AUDIT:
                order = self._document_step(order, "audit")
            else:
                raise K3Rejected("FDocumentStatus", f"{ORDER_FORM} {order.bill_no} is {order.document_status}", 12,
                                 reason="status", form_id=ORDER_FORM)  # fmt: skip
        return order

    def _put(self, order: Order) -> Order:
        self.orders[order.bill_no] = order
        return order

    def _has_reports(self, bill_no: str) -> bool:
        return any(r.order_bill_no == bill_no for r in self.reports.values())

    def _reference(self, key: str, value, *, exists: bool, audited: bool = True, forbidden: bool = False,
                   row: int | None = 1) -> None:  # fmt: skip
        fld = (_LINE if row else forms.ORDER).field(key)
        _raise(rules.reference_refusal(
            field=key, label=fld.label, value=value, form_name=forms.form(fld.ref).name, found=exists,
            document_status=rules.AUDITED if audited else rules.CREATED, forbid_status="B" if forbidden else "A",
            row=row))  # fmt: skip

    def _validated(self, order: Order, previous: Order | None, org_number: str) -> Order:
        """The checks K/3 runs when a PRD_MO is saved, in its order: header references, the line's
        material (and the defaults it brings), the line's other references, quantities and dates,
        and what the line's status lets change. Returns the order with K/3's defaults filled in."""
        self._reference("FBillType", order.bill_type, exists=order.bill_type in self.bill_types, row=None)
        self._reference("FPrdOrgId", org_number, exists=org_number == self.organization, row=None)
        if not order.material_number:
            _raise(rules.Refusal(11, f"第1行字段“{_LINE.field('FMaterialId').label}”是必填项", "FMaterialId"))
        material = self.materials.get(order.material_number)
        self._reference("FMaterialId", order.material_number, exists=material is not None,
                        audited=material is not None and material.is_audited,
                        forbidden=material is not None and material.is_forbidden)  # fmt: skip
        if not order.unit:
            order = dataclasses.replace(order, unit=material.unit)
        if not order.bom_number:
            default = self.find_audited_bom(order.material_number)
            if default is None:
                _raise(rules.no_audited_bom(row=1, material=order.material_number))
            order = dataclasses.replace(order, bom_number=default.number)
        self._reference("FUnitId", order.unit, exists=order.unit in self.units)
        self._reference("FWorkShopID", order.work_center, exists=order.work_center in self.work_centers)
        bom = self.boms.get(order.bom_number)
        self._reference("FBomId", order.bom_number, exists=bom is not None, audited=bom is not None and bom.is_audited,
                        forbidden=bom is not None and bom.is_forbidden)  # fmt: skip
        if bom.material_number.casefold() != order.material_number.casefold():
            _raise(rules.bom_of_other_material(row=1, bom=bom.number, material=order.material_number))
        _raise(rules.order_line_refusal(row=1, qty=order.qty, plan_start=order.plan_start.isoformat(),
                                        plan_finish=order.plan_finish.isoformat()))  # fmt: skip
        if previous is not None:
            changed = {key for ours, key in _CHANGE_KEYS.items() if getattr(order, ours) != getattr(previous, ours)}
            _raise(rules.entry_change_refusal(row=1, status=int(previous.status), changed=changed, new_qty=order.qty,
                                              reported=previous.reported_total))  # fmt: skip
        return order

    def _save_new(self, draft: OrderDraft) -> Order:
        order = Order(
            bill_no="", id=0, entry_id=0, material_number=draft.material_number, bom_number=draft.bom_number or None,
            qty=float(draft.qty), unit=draft.unit, work_center=draft.work_center, plan_start=draft.plan_start,
            plan_finish=draft.plan_finish, status=OrderStatus.PLANNED, document_status=rules.CREATED,
            bill_type=draft.bill_type, remark=_remark(draft.request_key),
        )  # fmt: skip
        order = self._validated(order, None, draft.org_number)
        while f"MO{self._next_bill:06d}" in self.orders:
            self._next_bill += 1
        bill_no = f"MO{self._next_bill:06d}"
        self._next_bill += 1
        return self._put(dataclasses.replace(order, bill_no=bill_no, id=self._new_id(), entry_id=self._new_id()))

    # -- ProductionK3 writes ---------------------------------------------------------------------------
    def create_order(self, draft: OrderDraft) -> Order:
        with self._lock:
            existing = self.find_order_by_request_key(draft.request_key)
            if existing is not None:  # a retry: finish what the first call began
                return self._approve(existing)
            self._fault("create_order", "before")
            order = self._save_new(draft)
            self.request_keys[draft.request_key] = order.bill_no
            self.writes.append(("create_order", order.bill_no, draft.request_key))
            order = self._approve(order)
            self._fault("create_order", "after")
            return order

    def change_order(
        self,
        bill_no: str,
        *,
        qty: float | None = None,
        plan_finish: date | None = None,
        work_center: str | None = None,
    ) -> Order:
        with self._lock:
            self._fault("change_order", "before")
            order = self._require(bill_no)
            if qty is not None and qty < order.reported_total:
                raise K3QtyBelowReported(qty, order.reported_total)
            if not order.status.is_open:
                raise K3Rejected("FStatus", f"order status {int(order.status)}", 12, reason="status",
                                 form_id=ORDER_FORM)  # fmt: skip
            changes = {k: v for k, v in (("qty", qty), ("plan_finish", plan_finish), ("work_center", work_center))
                       if v is not None}  # fmt: skip
            if not changes:
                return order
            if order.document_status == rules.IN_AUDIT:
                raise K3Rejected("FDocumentStatus", "order is in approval", 12, reason="status", form_id=ORDER_FORM)
            was_audited = order.document_status == rules.AUDITED
            if was_audited:
                order = self._document_step(order, "unaudit")
            _raise(rules.save_refusal(form_name=forms.ORDER.name, number=bill_no, document_status=order.document_status))
            changed = dataclasses.replace(order, **{k: float(v) if k == "qty" else v for k, v in changes.items()})
            try:
                changed = self._validated(changed, order, self.organization)
            except K3Rejected:
                if was_audited:  # the client puts the order back the way it was before raising
                    self._approve(order)
                raise
            order = self._put(changed)
            if was_audited:
                order = self._approve(order)
            self.writes.append(("change_order", bill_no, changes))
            self._fault("change_order", "after")
            return order

    def set_order_status(self, bill_no: str, operation: str) -> Order:
        with self._lock:
            op = rules.status_operation(operation)
            if op is None:
                raise ValueError(f"unknown order operation: {operation!r}")
            self._fault("set_order_status", "before")
            order = self._require(bill_no)
            _raise(rules.status_bill_refusal(op, bill_no=bill_no, document_status=order.document_status))
            _raise(rules.status_entry_refusal(op, seq=1, status=int(order.status), has_reports=self._has_reports(bill_no)))
            order = self._put(dataclasses.replace(order, status=OrderStatus(op.target)))
            self.writes.append(("set_order_status", bill_no, operation))
            self._fault("set_order_status", "after")
            return order

    def report_output(self, bill_no: str, *, good: float, scrap: float, request_key: str) -> OutputReport:
        if good < 0 or scrap < 0 or good + scrap <= 0:
            raise ValueError("report quantities must be >= 0 and not both zero")
        with self._lock:
            remark = _remark(request_key)
            report = next((r for r in self.reports.values() if remark in r.remark), None)
            if report is not None:
                return report.public()
            self._fault("report_output", "before")
            order = self._require(bill_no)
            reported, status = order.reported_total, int(order.status)
            pushable = rules.pushable(qty=order.qty, reported=reported, tolerance=self.tolerance)
            _raise(rules.push_refusal(bill_no=bill_no, seq=1, document_status=order.document_status, status=status,
                                      remaining=pushable))  # fmt: skip
            pushed = self._add_report(bill_no, good, scrap, rules.CREATED, remark)  # Push saves it: a number is used
            refusal = rules.report_source_refusal(row=1, bill_no=bill_no, document_status=order.document_status,
                                                  status=status)  # fmt: skip
            refusal = refusal or rules.over_report_refusal(bill_no=bill_no, qty=order.qty, others=reported,
                                                           mine=good + scrap, tolerance=self.tolerance)  # fmt: skip
            if refusal is not None:
                del self.reports[pushed.bill_no]  # the client deletes the pushed report it could not fill
                _raise(refusal, REPORT_FORM)
            pushed.document_status = rules.AUDITED  # Submit, Audit: the order takes the quantities
            self._put(dataclasses.replace(order, reported_good=order.reported_good + good,
                                          reported_scrap=order.reported_scrap + scrap))  # fmt: skip
            self.writes.append(("report_output", bill_no, good, scrap))
            self._fault("report_output", "after")
            return pushed.public()

    def reverse_report(self, report_bill_no: str) -> None:
        with self._lock:
            report = self.reports.get(report_bill_no)
            if report is None:
                raise K3NotFound("FBillNo", f"{report_bill_no} not found", 10, reason="not_found", form_id=REPORT_FORM)
            self._fault("reverse_report", "before")
            if report.document_status == rules.AUDITED:  # UnAudit: its quantities leave the order
                order = self.orders.get(report.order_bill_no)
                if order is not None:
                    self._put(dataclasses.replace(order, reported_good=order.reported_good - report.good,
                                                  reported_scrap=order.reported_scrap - report.scrap))  # fmt: skip
                report.document_status = rules.after("unaudit")
            _raise(rules.document_refusal("delete", form_name=forms.REPORT.name, number=report.bill_no,
                                          document_status=report.document_status), REPORT_FORM)  # fmt: skip
            del self.reports[report_bill_no]
            self.writes.append(("reverse_report", report_bill_no))
            self._fault("reverse_report", "after")

    def delete_order(self, bill_no: str) -> None:
        """UnAudit (when audited) + Delete, as the client withdraws an order."""
        with self._lock:
            order = self._require(bill_no)
            if order.document_status == rules.AUDITED:
                self._document_step(order, "unaudit")
                self.writes.append(("unaudit", bill_no))
        self.delete(bill_no)

    def _require(self, bill_no: str) -> Order:
        order = self.orders.get(bill_no)
        if order is None:
            raise K3NotFound("FBillNo", f"{bill_no} not found", 10, reason="not_found", form_id=ORDER_FORM)
        return order
