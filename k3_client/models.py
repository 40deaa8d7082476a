"""Typed results of the K/3 client, in our words (no K/3 field names outside k3_client)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum


class OrderStatus(IntEnum):
    """PRD_MO entry FStatus."""

    PLANNED = 1  # 计划
    CONFIRMED = 2  # 计划确认
    RELEASED = 3  # 下达
    STARTED = 4  # 开工
    FINISHED = 5  # 完工
    CLOSED = 6  # 结案
    SETTLED = 7  # 结算

    @property
    def is_open(self) -> bool:
        return self <= OrderStatus.STARTED


@dataclass(frozen=True)
class Material:
    number: str
    name: str
    unit: str
    is_audited: bool
    is_forbidden: bool
    safety_stock: float = 0.0


@dataclass(frozen=True)
class BomLine:
    material_number: str
    qty_per: float  # child quantity per one parent


@dataclass(frozen=True)
class Bom:
    number: str
    material_number: str
    is_audited: bool
    is_forbidden: bool
    lines: tuple[BomLine, ...] = ()


@dataclass(frozen=True)
class Order:
    bill_no: str
    id: int
    entry_id: int
    material_number: str
    bom_number: str | None
    qty: float
    unit: str
    work_center: str
    plan_start: date
    plan_finish: date
    status: OrderStatus
    document_status: str  # Z/A/B/C/D
    bill_type: str
    reported_good: float = 0.0
    reported_scrap: float = 0.0
    remark: str = ""

    @property
    def reported_total(self) -> float:
        return self.reported_good + self.reported_scrap


@dataclass(frozen=True)
class OrderDraft:
    """What a confirmed create request writes. ``request_key`` makes the create idempotent."""

    material_number: str
    bom_number: str
    qty: float
    unit: str
    work_center: str
    plan_start: date
    plan_finish: date
    bill_type: str
    request_key: str
    org_number: str = "100"


@dataclass(frozen=True)
class OrderChange:
    bill_no: str
    qty: float | None = None
    plan_finish: date | None = None
    work_center: str | None = None


@dataclass(frozen=True)
class OutputReport:
    bill_no: str  # PRD_MORPT number
    id: int
    order_bill_no: str
    good: float
    scrap: float
    document_status: str = "C"


@dataclass(frozen=True)
class ReportLine:
    """One audited PRD_MORPT line with its date: what an order made on one day (delay risk)."""

    bill_no: str  # PRD_MORPT number
    order_bill_no: str
    date: date
    good: float
    scrap: float


@dataclass(frozen=True)
class DatedReport:
    """One audited production report (lines summed) with its date (what the dashboard reads)."""

    bill_no: str  # PRD_MORPT number
    order_bill_no: str
    date: date | None
    good: float
    scrap: float


@dataclass(frozen=True)
class StockLevel:
    material_number: str
    qty: float
    by_stock: dict = field(default_factory=dict)
