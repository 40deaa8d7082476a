"""What the assistant needs from K/3, in our words.

``K3Client`` (sync) and ``AsyncK3Client`` (async, same method names, awaitable) implement
``ProductionK3``; workflow services depend on this protocol only, so the "apply a change" path
(UnAudit -> Save -> Submit -> Audit here; a PRD_MOChange bill on tenants that require it) can be
swapped behind one method.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable, Optional, Protocol

from k3_client.models import Bom, Material, Order, OrderDraft, OrderStatus, OutputReport, StockLevel


class ProductionK3(Protocol):
    # -- lookups -----------------------------------------------------------------------------
    def find_material(self, number: str) -> Optional[Material]: ...

    def find_bom(self, number: str) -> Optional[Bom]: ...

    def find_audited_bom(self, material_number: str) -> Optional[Bom]:
        """The audited, non-forbidden BOM of a material (None if it has none)."""

    def get_order(self, bill_no: str) -> Optional[Order]: ...

    def list_orders(
        self,
        *,
        work_center: Optional[str] = None,
        material_numbers: Optional[Iterable[str]] = None,
        statuses: Iterable[OrderStatus] = (),
        finish_from: Optional[date] = None,
        start_to: Optional[date] = None,
    ) -> list[Order]: ...

    def stock_of(self, material_numbers: Iterable[str]) -> dict[str, StockLevel]: ...

    def find_order_by_request_key(self, request_key: str) -> Optional[Order]: ...

    def list_reports(self, order_bill_no: str) -> list[OutputReport]: ...

    # -- writes ------------------------------------------------------------------------------
    def create_order(self, draft: OrderDraft) -> Order:
        """Save + Submit + Audit a PRD_MO. Idempotent on ``draft.request_key``: a retry after a
        timeout that K/3 had already committed returns the existing order, never a second one."""

    def change_order(
        self,
        bill_no: str,
        *,
        qty: Optional[float] = None,
        plan_finish: Optional[date] = None,
        work_center: Optional[str] = None,
    ) -> Order:
        """Apply a quantity / finish-date / work-center change; returns the order as K/3 now has it."""

    def set_order_status(self, bill_no: str, operation: str) -> Order:
        """ExcuteOperation on the order entry: ToRelease, ToStart, ToFinish, ToClose, UnDoToRelease ..."""

    def report_output(self, bill_no: str, *, good: float, scrap: float, request_key: str) -> OutputReport:
        """Push PRD_MO -> PRD_MORPT, then Save/Submit/Audit the report. Idempotent on request_key."""

    def reverse_report(self, report_bill_no: str) -> None:
        """UnAudit + Delete a report (for a correction)."""
