"""FixtureK3: a small in-memory ``ProductionK3`` built from the demo-factory fixture.

For workflow service tests that do not need the wire protocol (the K/3 simulator tests in
test_workflow_simulator.py run the same scenarios over HTTP). It keeps K/3's rules that the
workflow relies on: only open orders change, never below what was reported, creates are
idempotent on the request key, references must be audited. ``writes`` logs every committed
write; ``fail_next`` injects a timeout either before or after K/3 commits.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable
from datetime import date

from devtools.factory import Factory
from k3_client.errors import K3NotFound, K3QtyBelowReported, K3Rejected, K3Unavailable
from k3_client.models import Bom, BomLine, Material, Order, OrderDraft, OrderStatus, OutputReport, StockLevel

_OPERATIONS = {
    "ToPlanConfirm": (OrderStatus.PLANNED, OrderStatus.CONFIRMED),
    "ToRelease": (OrderStatus.CONFIRMED, OrderStatus.RELEASED),
    "ToStart": (OrderStatus.RELEASED, OrderStatus.STARTED),
    "ToFinish": (OrderStatus.STARTED, OrderStatus.FINISHED),
    "ToClose": (OrderStatus.FINISHED, OrderStatus.CLOSED),
}


class FixtureK3:
    def __init__(self, factory: Factory) -> None:
        self._lock = threading.RLock()
        self.materials: dict[str, Material] = {}
        self.boms: dict[str, Bom] = {}
        self.stock: dict[str, float] = {}
        self.orders: dict[str, Order] = {}
        self.request_keys: dict[str, str] = {}  # request key -> bill no
        self.reports: dict[str, OutputReport] = {}
        self.writes: list[tuple] = []  # committed writes, in order
        self.fail_next: dict[str, str] = {}  # operation -> "before" | "after" commit timeout, or "reject"
        by_code = {m.chat_code: m for m in factory.materials}
        for m in factory.materials:
            self.materials[m.number] = Material(m.number, m.name["zh"], m.unit, True, False, m.safety_stock)
            self.stock[m.number] = m.stock
            if m.bom_number:
                lines = tuple(BomLine(by_code[code].number, qty) for code, qty in m.components)
                self.boms[m.bom_number] = Bom(m.bom_number, m.number, True, False, lines)
        self._next_id = 100000
        for o in factory.orders:
            m = by_code[o.material]
            self.orders[o.bill_no] = Order(
                bill_no=o.bill_no,
                id=self._new_id(),
                entry_id=self._new_id(),
                material_number=m.number,
                bom_number=m.bom_number,
                qty=o.qty,
                unit=m.unit,
                work_center=o.work_center,
                plan_start=o.plan_start,
                plan_finish=o.plan_finish,
                status=OrderStatus(int(o.status)),
                document_status="C",
                bill_type="SCDD01_SYS",
                reported_good=o.reported_good,
                reported_scrap=o.reported_scrap,
            )
        self._next_bill = 125

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

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
        return next(
            (
                b
                for b in self.boms.values()
                if b.material_number == material_number and b.is_audited and not b.is_forbidden
            ),
            None,
        )

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
        ]

    def stock_of(self, material_numbers: Iterable[str]) -> dict[str, StockLevel]:
        return {n: StockLevel(n, self.stock[n]) for n in material_numbers if n in self.stock}

    def find_order_by_request_key(self, request_key: str) -> Order | None:
        bill_no = self.request_keys.get(request_key)
        return self.orders.get(bill_no) if bill_no else None

    def list_reports(self, order_bill_no: str) -> list[OutputReport]:
        return [r for r in self.reports.values() if r.order_bill_no == order_bill_no]

    # -- writes --------------------------------------------------------------------------------------
    def create_order(self, draft: OrderDraft) -> Order:
        with self._lock:
            if draft.request_key in self.request_keys:
                return self.orders[self.request_keys[draft.request_key]]
            self._fault("create_order", "before")
            material = self.materials.get(draft.material_number)
            if material is None or material.is_forbidden or not material.is_audited:
                raise K3Rejected("FMaterialId", "物料不存在或未审核", 9, reason="invalid_reference")
            bom = self.boms.get(draft.bom_number)
            if bom is None or not bom.is_audited or bom.material_number != draft.material_number:
                raise K3Rejected("FBomId", "BOM不存在或未审核", 9, reason="invalid_reference")
            bill_no = f"MO{self._next_bill:06d}"
            self._next_bill += 1
            order = Order(
                bill_no=bill_no,
                id=self._new_id(),
                entry_id=self._new_id(),
                material_number=draft.material_number,
                bom_number=draft.bom_number,
                qty=draft.qty,
                unit=draft.unit,
                work_center=draft.work_center,
                plan_start=draft.plan_start,
                plan_finish=draft.plan_finish,
                status=OrderStatus.PLANNED,
                document_status="C",
                bill_type=draft.bill_type,
                remark=draft.request_key,
            )
            self.orders[bill_no] = order
            self.request_keys[draft.request_key] = bill_no
            self.writes.append(("create_order", bill_no, draft.request_key))
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
            order = self.orders.get(bill_no)
            if order is None:
                raise K3NotFound("FBillNo", "单据不存在", 10, reason="not_found")
            if not order.status.is_open:
                raise K3Rejected("FStatus", "业务状态不允许修改", 11, reason="status")
            if qty is not None and qty < order.reported_total:
                raise K3QtyBelowReported(qty, order.reported_total)
            changes = {
                k: v
                for k, v in (("qty", qty), ("plan_finish", plan_finish), ("work_center", work_center))
                if v is not None
            }
            order = dataclasses.replace(order, **changes)
            self.orders[bill_no] = order
            self.writes.append(("change_order", bill_no, changes))
            self._fault("change_order", "after")
            return order

    def set_order_status(self, bill_no: str, operation: str) -> Order:
        with self._lock:
            order = self.orders[bill_no]
            source, target = _OPERATIONS[operation]
            if order.status != source:
                raise K3Rejected("FStatus", "业务状态不允许此操作", 11, reason="status")
            order = dataclasses.replace(order, status=target)
            self.orders[bill_no] = order
            self.writes.append(("set_order_status", bill_no, operation))
            return order

    def report_output(self, bill_no: str, *, good: float, scrap: float, request_key: str) -> OutputReport:
        with self._lock:
            if request_key in self.reports:
                return self.reports[request_key]
            order = self.orders[bill_no]
            if order.reported_total + good + scrap > order.qty:
                raise K3Rejected("FFinishQty", "汇报数量超过订单数量", 11, reason="over_report")
            self.orders[bill_no] = dataclasses.replace(
                order, reported_good=order.reported_good + good, reported_scrap=order.reported_scrap + scrap
            )
            report = OutputReport(f"SCHB{len(self.reports) + 1:08d}", self._new_id(), bill_no, good, scrap)
            self.reports[request_key] = report
            self.writes.append(("report_output", bill_no, good, scrap))
            return report

    def reverse_report(self, report_bill_no: str) -> None:
        raise NotImplementedError("not needed by the workflow tests")
