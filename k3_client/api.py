"""What the assistant needs from K/3, in our words.

``K3Client`` (sync) and ``AsyncK3Client`` (async, same method names, awaitable) implement
``ProductionK3``; workflow services depend on this protocol only, so the "apply a change" path
(UnAudit -> Save -> Submit -> Audit here; a PRD_MOChange bill on tenants that require it) can be
swapped behind one method.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

from k3_client.models import (
    Bom,
    Material,
    Order,
    OrderDraft,
    OrderStatus,
    OutputReport,
    ReportLine,
    StockLevel,
)


class ProductionK3(Protocol):
    # -- lookups -----------------------------------------------------------------------------
    def find_material(self, number: str) -> Material | None: ...

    def find_bom(self, number: str) -> Bom | None: ...

    def find_audited_bom(self, material_number: str) -> Bom | None:
        """The audited, non-forbidden BOM of a material (None if it has none)."""

    def find_materials(self, numbers: Iterable[str]) -> dict[str, Material]:
        """Many materials in one read (unknown numbers are absent)."""

    def find_boms(self, numbers: Iterable[str]) -> dict[str, Bom]:
        """Many BOMs in one read, by BOM number (unknown numbers are absent)."""

    def find_audited_boms(self, material_numbers: Iterable[str]) -> dict[str, Bom]:
        """``find_audited_bom`` for many materials in one read: material number -> BOM."""

    def get_order(self, bill_no: str) -> Order | None: ...

    def list_orders(
        self,
        *,
        work_center: str | None = None,
        material_numbers: Iterable[str] | None = None,
        statuses: Iterable[OrderStatus] = (),
        finish_from: date | None = None,
        start_to: date | None = None,
        finish_to: date | None = None,
    ) -> list[Order]: ...

    def get_orders(self, bill_nos: Iterable[str]) -> list[Order]:
        """Many orders in one read, in the order asked (unknown bill numbers are absent)."""

    def stock_of(self, material_numbers: Iterable[str]) -> dict[str, StockLevel]: ...

    def find_order_by_request_key(self, request_key: str) -> Order | None: ...

    def list_reports(self, order_bill_no: str) -> list[OutputReport]: ...

    def list_report_lines(self, order_bill_nos: Iterable[str]) -> list[ReportLine]:
        """The audited, dated report lines of many orders in one read (delay risk's run rates)."""

    # -- writes ------------------------------------------------------------------------------
    def create_order(self, draft: OrderDraft, *, audit: bool = True) -> Order:
        """Save + Submit + Audit a PRD_MO. Idempotent on ``draft.request_key``: a retry after a
        timeout that K/3 had already committed returns the existing order, never a second one.
        ``audit=False`` stops at Submit (B, 审核中): the order waits for an approval outside K/3."""

    def audit_order(self, bill_no: str) -> Order:
        """Audit a submitted order (B -> C); one already audited is returned as it is."""

    def withdraw_order(self, bill_no: str, *, delete: bool = True) -> Order | None:
        """CancelAssign (撤销, B -> A), then Delete unless ``delete`` is False; None once deleted."""

    def change_order(
        self,
        bill_no: str,
        *,
        qty: float | None = None,
        plan_finish: date | None = None,
        work_center: str | None = None,
    ) -> Order:
        """Apply a quantity / finish-date / work-center change; returns the order as K/3 now has it."""

    def set_order_status(self, bill_no: str, operation: str) -> Order:
        """ExcuteOperation on the order entry: ToRelease, ToStart, ToFinish, ToClose, UnDoToRelease ..."""

    def report_output(self, bill_no: str, *, good: float, scrap: float, request_key: str) -> OutputReport:
        """Push PRD_MO -> PRD_MORPT, then Save/Submit/Audit the report. Idempotent on request_key."""

    def reverse_report(self, report_bill_no: str) -> None:
        """UnAudit + Delete a report (for a correction)."""

    def delete_order(self, bill_no: str) -> None:
        """UnAudit + Delete an order K/3 still lets go (not released, no reports downstream)."""


# The implementations (sync and async shells over one sans-IO core), importable from here.
from k3_client.client import AsyncK3Client, K3Client

__all__ = ["AsyncK3Client", "K3Client", "ProductionK3"]
