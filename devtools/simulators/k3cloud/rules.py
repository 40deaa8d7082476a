"""K/3's state rules in one place: the document state machine, the PRD_MO entry statuses, what a
change, an un-audit, a deletion or a report may do on each, and how K/3 words each refusal.

Pure functions over plain values. Two users, so that they cannot drift apart:

* the simulator (``service.py``) raises each refusal as K/3 answers it (HTTP 200, IsSuccess false,
  MsgCode, FieldName, the Chinese message);
* the workflow tests' in-memory K/3 (``tests/workflow/workflow_fixture_k3.py``) raises what
  ``K3Client`` makes of that same answer. ``tests/workflow/test_double_agreement.py`` runs one
  script against both and compares every step.

Each check returns ``None`` when K/3 allows the step, else a ``Refusal``. Which rules K/3 applies is
spec k3cloud.md §2 and §4-§5 (simulator defaults where the spec says unconfirmed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

EPS = 1e-9


@dataclass(frozen=True)
class Refusal:
    msg_code: int  # 8 parameter, 9 value does not exist, 10 data not found, 11 business rule
    message: str
    field: str | None = None


# -- FDocumentStatus: Z 暂存 · A 创建 · B 审核中 · C 已审核 · D 重新审核 ---------------------------------
DRAFT, CREATED, IN_AUDIT, AUDITED, REOPENED = "Z", "A", "B", "C", "D"
EDITABLE = (DRAFT, CREATED, REOPENED)  # Save on an existing bill, and Delete
# operation -> (document statuses it starts from, the status it leads to)
DOCUMENT_STEPS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": ((CREATED, REOPENED), IN_AUDIT),
    "audit": ((IN_AUDIT,), AUDITED),
    "unaudit": ((AUDITED,), REOPENED),
    "cancelassign": ((IN_AUDIT,), CREATED),  # 撤销: a submitted bill back to created
}
_STATE_TEXT = {DRAFT: "单据为暂存状态", CREATED: "单据为创建状态", IN_AUDIT: "单据正在审核中", AUDITED: "单据已审核",
               REOPENED: "单据为重新审核状态"}  # fmt: skip
_VERBS = {"submit": "提交", "audit": "审核", "unaudit": "反审核", "cancelassign": "撤销", "delete": "删除"}


def state_text(document_status: str | None) -> str:
    return _STATE_TEXT.get(document_status or "", "单据状态不正确")


def save_refusal(*, form_name: str, number: str, document_status: str) -> Refusal | None:
    """Saving over an existing bill: only while it is not in audit or audited."""
    if document_status in (IN_AUDIT, AUDITED):
        state = "审核中" if document_status == IN_AUDIT else "已审核"
        return Refusal(11, f"单据编号为“{number}”的{form_name}当前状态为{state}，不允许保存")
    return None


def document_refusal(operation: str, *, form_name: str, number: str, document_status: str) -> Refusal | None:
    """Submit / Audit / UnAudit / Delete on a bill in ``document_status``."""
    head = f"单据编号为“{number}”的{form_name}，"
    if operation == "delete":
        if document_status not in EDITABLE:
            return Refusal(11, f"{head}{state_text(document_status)}，不允许删除")
        return None
    starts, _ = DOCUMENT_STEPS[operation]
    if document_status in starts:
        return None
    if operation == "audit" and document_status == AUDITED:
        return Refusal(11, f"{head}单据已经审核！")
    if operation == "audit":
        return Refusal(11, f"{head}{state_text(document_status)}，请先提交")
    return Refusal(11, f"{head}{state_text(document_status)}，不能{_VERBS[operation]}")


def after(operation: str) -> str:
    """The document status a successful Submit / Audit / UnAudit leads to."""
    return DOCUMENT_STEPS[operation][1]


def missing_bill(key: str, operation: str, number_key: str = "FBillNo") -> Refusal:
    return Refusal(10, f"单据“{key}”不存在，不能{_VERBS[operation]}", number_key)


# -- PRD_MO entry FStatus: 1 计划 · 2 计划确认 · 3 下达 · 4 开工 · 5 完工 · 6 结案 · 7 结算 -----------------
PLANNED, CONFIRMED, RELEASED, STARTED, FINISHED, CLOSED, SETTLED = range(1, 8)
ORDER_STATUS_NAMES = {1: "计划", 2: "计划确认", 3: "下达", 4: "开工", 5: "完工", 6: "结案", 7: "结算"}


@dataclass(frozen=True)
class StatusOperation:
    number: str  # the op number as K/3 spells it
    name: str  # its caption, used in messages
    starts: tuple[int, ...]  # entry statuses it may start from
    target: int
    needs_audit: bool  # the bill must be audited (C)


# ExcuteOperation on PRD_MO (MFG source op numbers; matched case-insensitively)
STATUS_OPERATIONS: dict[str, StatusOperation] = {
    op.number.lower(): op
    for op in (
        StatusOperation("ToPlanConfirm", "计划确认", (PLANNED,), CONFIRMED, False),
        StatusOperation("ToRelease", "下达", (PLANNED, CONFIRMED), RELEASED, True),
        StatusOperation("ToStart", "开工", (RELEASED,), STARTED, True),
        StatusOperation("ToFinish", "完工", (RELEASED, STARTED), FINISHED, True),
        StatusOperation("ToClose", "结案", (FINISHED,), CLOSED, True),
        StatusOperation("ForceClose", "强制结案", (PLANNED, CONFIRMED, RELEASED, STARTED, FINISHED), CLOSED, True),
        StatusOperation("UnDoToPlan", "反计划确认", (CONFIRMED,), PLANNED, False),
        StatusOperation("UnDoToPlanConfirm", "反下达", (RELEASED,), CONFIRMED, True),
        StatusOperation("UnDoToRelease", "反开工", (STARTED,), RELEASED, True),
    )
}


def status_operation(op_number: str | None) -> StatusOperation | None:
    return STATUS_OPERATIONS.get(str(op_number or "").lower())


def unknown_operation(op_number, form_name: str) -> Refusal:
    return Refusal(8, f"操作“{op_number}”在{form_name}上不存在", "opNumber")


def status_bill_refusal(op: StatusOperation, *, bill_no: str, document_status: str) -> Refusal | None:
    if op.needs_audit and document_status != AUDITED:
        return Refusal(11, f"生产订单“{bill_no}”未审核，不能执行“{op.name}”")
    return None


def status_entry_refusal(op: StatusOperation, *, seq: int, status: int, has_reports: bool) -> Refusal | None:
    if status not in op.starts:
        return Refusal(11, f"第{seq}行业务状态为“{ORDER_STATUS_NAMES[status]}”，不能执行“{op.name}”", "FStatus")
    if op.number == "UnDoToPlanConfirm" and has_reports:
        return Refusal(11, f"第{seq}行存在下游生产汇报单，不能反下达", "FStatus")
    return None


# -- what a PRD_MO line may change, un-audit and removal ----------------------------------------------
CHANGE_TRACKED = ("FMaterialId", "FBomId", "FUnitId", "FQty", "FPlanStartDate", "FPlanFinishDate", "FWorkShopID")
IDENTITY_FIELDS = frozenset({"FMaterialId", "FBomId", "FUnitId"})  # fixed once released


def entry_change_refusal(*, row: int, status: int, changed: Iterable[str], new_qty: float,
                         reported: float) -> Refusal | None:  # fmt: skip
    """A Save that changes ``changed`` (K/3 keys of CHANGE_TRACKED) on a line in ``status``."""
    changed = set(changed)
    if not changed:
        return None
    if status >= FINISHED:
        return Refusal(11, f"第{row}行业务状态为“{ORDER_STATUS_NAMES[status]}”，不允许修改", min(changed))
    frozen = changed & IDENTITY_FIELDS
    if frozen and status >= RELEASED:
        return Refusal(11, f"第{row}行已{ORDER_STATUS_NAMES[status]}，物料、BOM和单位不允许修改", min(frozen))
    if "FQty" in changed and new_qty + EPS < reported:
        return Refusal(11, f"第{row}行数量{new_qty:g}不能小于已汇报数量{reported:g}", "FQty")
    return None


def order_unaudit_refusal(*, bill_no: str, statuses: Iterable[int]) -> Refusal | None:
    for status in statuses:
        if status >= FINISHED:
            return Refusal(11, f"生产订单“{bill_no}”业务状态为“{ORDER_STATUS_NAMES[status]}”，不允许反审核", "FStatus")
    return None


def entry_removal_refusal(*, status: int, has_reports: bool) -> Refusal | None:
    """Deleting an order line (or the whole order): not once released, nor with reports downstream."""
    if status >= RELEASED or has_reports:
        return Refusal(11, "分录已下达或存在下游汇报单，不允许删除", "FTreeEntity")
    return None


def order_line_refusal(*, row: int, qty: float, plan_start: str, plan_finish: str) -> Refusal | None:
    """Quantity and plan dates of a line (ISO date strings compare in date order)."""
    if (qty or 0) <= 0:
        return Refusal(11, f"第{row}行字段“数量”必须大于0", "FQty")
    if plan_finish < plan_start:
        return Refusal(11, f"第{row}行计划完工时间不能早于计划开工时间", "FPlanFinishDate")
    return None


# -- references (material, BOM, unit, work center ...) ---------------------------------------------------
def reference_refusal(*, field: str, label: str, value, form_name: str, found: bool, document_status: str = AUDITED,
                      forbid_status: str = "A", row: int | None = None) -> Refusal | None:  # fmt: skip
    """A reference must exist, be audited and not be forbidden."""
    where = f"第{row}行" if row else ""
    if not found:
        return Refusal(9, f"{where}字段“{label}”的值“{value}”在{form_name}中不存在", field)
    if document_status != AUDITED:
        return Refusal(11, f"{where}字段“{label}”的值“{value}”未审核，不能引用", field)
    if forbid_status == "B":
        return Refusal(11, f"{where}字段“{label}”的值“{value}”已禁用，不能引用", field)
    return None


def no_audited_bom(*, row: int, material) -> Refusal:
    return Refusal(11, f"第{row}行物料“{material}”没有已审核的BOM，不能生成生产订单", "FBomId")


def bom_of_other_material(*, row: int, bom, material) -> Refusal:
    return Refusal(11, f"第{row}行BOM版本“{bom}”不是物料“{material}”的物料清单", "FBomId")


# -- reports (PRD_MO -> PRD_MORPT) ----------------------------------------------------------------------
REPORTABLE = (RELEASED, STARTED)


def is_reportable(*, document_status: str, status: int) -> bool:
    return document_status == AUDITED and status in REPORTABLE


def pushable(*, qty: float, reported: float, tolerance: float) -> float:
    """What a push may still carry from a line: up to the report limit (so the tolerance that the
    report's own check allows is not refused one step earlier)."""
    return report_limit(qty, tolerance) - reported


def push_refusal(*, bill_no: str, seq: int, document_status: str, status: int, remaining: float) -> Refusal | None:
    """Pushing a report from an order line: audited, released or started, something left to report
    (``remaining`` from ``pushable``)."""
    if not is_reportable(document_status=document_status, status=status):
        return Refusal(11, f"生产订单“{bill_no}”第{seq}行未审核或业务状态为“{ORDER_STATUS_NAMES[status]}”，不能下推生产汇报单")
    if remaining <= EPS:
        return Refusal(11, f"生产订单“{bill_no}”已全部汇报，没有可下推的数量（汇报数量已超出）")
    return None


def report_source_refusal(*, row: int, bill_no: str, document_status: str, status: int) -> Refusal | None:
    """Saving / submitting / auditing a report: its source order line must still be reportable."""
    if not is_reportable(document_status=document_status, status=status):
        return Refusal(11, f"第{row}行生产订单“{bill_no}”未审核或业务状态不是下达/开工，不能汇报", "FMoBillNo")
    return None


def report_limit(qty: float, tolerance: float) -> float:
    """How much may be reported against a line of ``qty`` (``tolerance`` 0.05 = 5 % over)."""
    return qty * (1 + tolerance)


def over_report_refusal(*, bill_no: str, qty: float, others: float, mine: float, tolerance: float) -> Refusal | None:
    """Cumulative over-reporting: ``others`` already reported, ``mine`` in this report."""
    if others + mine > report_limit(qty, tolerance) + EPS:
        return Refusal(11, f"汇报数量超过生产订单“{bill_no}”可汇报数量：订单数量{qty:g}，已汇报{others:g}，本次{mine:g}",
                       "FFinishQty")  # fmt: skip
    return None
