"""The ProductionK3 operations, as sans-IO generators over ``k3_client.ops``.

This is where K/3 field names meet our words: each function builds K/3 models and queries and
returns the dataclasses of ``k3_client.models``. Writes are made safe to retry:

* a create stores ``[dingk3:<request key>]`` in the bill remark (FDescription); before any
  create and after every ``K3Unavailable`` the key is looked up, so a Save that K/3 committed
  before the connection dropped is found instead of saved twice;
* Submit/Audit/UnAudit/ExcuteOperation are re-read after ``K3Unavailable`` and only repeated
  when the bill is still in the state before the operation.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from datetime import date, datetime
from typing import Any

from k3_client import filters as f
from k3_client import ops
from k3_client.errors import K3NotFound, K3QtyBelowReported, K3Rejected, K3Unavailable
from k3_client.models import (
    Bom,
    BomLine,
    DatedReport,
    Material,
    Order,
    OrderDraft,
    OrderStatus,
    OutputReport,
    ReportLine,
    StockLevel,
)
from k3_client.protocol import Call

Op = Generator[Call, Any, Any]

ORDER_FORM = "PRD_MO"
REPORT_FORM = "PRD_MORPT"
MATERIAL_FORM = "BD_MATERIAL"
BOM_FORM = "ENG_BOM"
STOCK_FORM = "STK_Inventory"
PUSH_RULE = "PRD_MO2MORPT"

ORDER_KEYS = (
    "FBillNo", "FID", "FTreeEntity_FEntryId", "FMaterialId.FNumber", "FBomId.FNumber", "FQty",
    "FUnitId.FNumber", "FWorkShopID.FNumber", "FPlanStartDate", "FPlanFinishDate", "FStatus",
    "FDocumentStatus", "FBillType.FNumber", "FRepQuaQty", "FRepScrapQty", "FDescription",
)  # fmt: skip
REPORT_KEYS = ("FBillNo", "FID", "FEntity_FEntryId", "FMoBillNo", "FQuaQty", "FScrapQty", "FDocumentStatus")

# ExcuteOperation op number -> the entry status it leads to
STATUS_OPERATIONS: dict[str, OrderStatus] = {
    "ToPlanConfirm": OrderStatus.CONFIRMED,
    "ToRelease": OrderStatus.RELEASED,
    "ToStart": OrderStatus.STARTED,
    "ToFinish": OrderStatus.FINISHED,
    "ToClose": OrderStatus.CLOSED,
    "ForceClose": OrderStatus.CLOSED,
    "UnDoToPlan": OrderStatus.PLANNED,
    "UnDoToPlanConfirm": OrderStatus.CONFIRMED,
    "UnDoToRelease": OrderStatus.RELEASED,
}


def remark_for(request_key: str) -> str:
    if not request_key or not request_key.strip():
        raise ValueError("a request key is required")
    return f"[dingk3:{request_key}]"


def _day(value) -> date:
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)[:19]).date()


def _num(value) -> float:
    return float(value or 0)


# -- lookups -----------------------------------------------------------------------------------
def _order_from_row(row: list) -> Order:
    (bill_no, fid, entry_id, material, bom, qty, unit, wc, start, finish, status, doc, bill_type, good, scrap,
     remark) = row  # fmt: skip
    return Order(
        bill_no=bill_no,
        id=int(fid),
        entry_id=int(entry_id or 0),
        material_number=material or "",
        bom_number=bom or None,
        qty=_num(qty),
        unit=unit or "",
        work_center=wc or "",
        plan_start=_day(start),
        plan_finish=_day(finish),
        status=OrderStatus(int(status or 1)),
        document_status=doc or "",
        bill_type=bill_type or "",
        reported_good=_num(good),
        reported_scrap=_num(scrap),
        remark=remark or "",
    )


def _orders(filter_string: str) -> Op:
    rows = yield from ops.query_all(ORDER_FORM, ORDER_KEYS, filter=filter_string, order="FBillNo,FTreeEntity_FSeq")
    seen: dict[str, Order] = {}
    for row in rows:  # one Order per bill: its first entry
        order = _order_from_row(row)
        seen.setdefault(order.bill_no, order)
    return list(seen.values())


def get_order(bill_no: str) -> Op:
    found = yield from _orders(f.eq("FBillNo", bill_no))
    return found[0] if found else None


def find_order_by_request_key(request_key: str) -> Op:
    found = yield from _orders(f.contains("FDescription", remark_for(request_key)))
    return found[0] if found else None


def list_orders(
    *,
    work_center: str | None = None,
    material_numbers: Iterable[str] | None = None,
    statuses: Iterable[OrderStatus] = (),
    finish_from: date | None = None,
    start_to: date | None = None,
    finish_to: date | None = None,
) -> Op:
    clauses = []
    if work_center:
        clauses.append(f.eq("FWorkShopID.FNumber", work_center))
    if material_numbers is not None:
        numbers = list(material_numbers)
        if not numbers:
            return []
        clauses.append(f.in_("FMaterialId.FNumber", numbers))
    wanted = [str(int(s)) for s in statuses]
    if wanted:
        clauses.append(f.in_("FStatus", wanted))
    if finish_from:
        clauses.append(f.ge("FPlanFinishDate", finish_from))
    if start_to:
        clauses.append(f.le("FPlanStartDate", start_to))
    if finish_to:
        clauses.append(f.le("FPlanFinishDate", finish_to))
    return (yield from _orders(f.all_of(*clauses)))


def get_orders(bill_nos: Iterable[str]) -> Op:
    """Orders by bill number in one query per ``IN_CHUNK`` numbers, in the order asked; unknown
    numbers are absent."""
    found: dict[str, Order] = {}
    for chunk in _chunks(bill_nos):
        for order in (yield from _orders(f.in_("FBillNo", chunk))):
            found.setdefault(order.bill_no, order)
    wanted = list(dict.fromkeys(bill_nos))
    return [found[b] for b in wanted if b in found]


IN_CHUNK = 200  # values per IN (...) list: one query reads this many bills, a long list stays well-formed

_MATERIAL_KEYS = ("FNumber", "FName", "FBaseUnitId.FNumber", "FDocumentStatus", "FForbidStatus", "FSafeStock")


def _chunks(values: Iterable[str]) -> list[list[str]]:
    unique = list(dict.fromkeys(v for v in values if v))
    return [unique[i : i + IN_CHUNK] for i in range(0, len(unique), IN_CHUNK)]


def _material(row: list) -> Material:
    num, name, unit, doc, forbid, safe = row
    return Material(num, name or "", unit or "", doc == "C", forbid == "B", _num(safe))


def find_material(number: str) -> Op:
    rows = yield from ops.execute_bill_query(MATERIAL_FORM, _MATERIAL_KEYS, filter=f.eq("FNumber", number))
    return _material(rows[0]) if rows else None


def find_materials(numbers: Iterable[str]) -> Op:
    """Materials by number, one query per ``IN_CHUNK`` numbers; unknown numbers are absent."""
    found: dict[str, Material] = {}
    for chunk in _chunks(numbers):
        rows = yield from ops.query_all(MATERIAL_FORM, _MATERIAL_KEYS, filter=f.in_("FNumber", chunk))
        for row in rows:
            material = _material(row)
            found.setdefault(material.number, material)
    return found


_BOM_KEYS = ("FNumber", "FMaterialId.FNumber", "FDocumentStatus", "FForbidStatus", "FMaterialIDChild.FNumber",
             "FNumerator", "FDenominator")  # fmt: skip


def _boms(filter_string: str) -> Op:
    rows = yield from ops.query_all(BOM_FORM, _BOM_KEYS, filter=filter_string, order="FNumber")
    heads: dict[str, tuple] = {}
    lines: dict[str, list] = {}
    for number, material, doc, forbid, child, numerator, denominator in rows:
        heads.setdefault(number, (material, doc, forbid))
        if child:
            lines.setdefault(number, []).append(BomLine(child, _num(numerator) / (_num(denominator) or 1.0)))
    return [
        Bom(n, m, doc == "C", forbid == "B", tuple(lines.get(n, ()))) for n, (m, doc, forbid) in heads.items()
    ]


def find_bom(number: str) -> Op:
    found = yield from _boms(f.eq("FNumber", number))
    return found[0] if found else None


def find_boms(numbers: Iterable[str]) -> Op:
    """BOMs by number, one query per ``IN_CHUNK`` numbers; unknown numbers are absent."""
    found: dict[str, Bom] = {}
    for chunk in _chunks(numbers):
        for bom in (yield from _boms(f.in_("FNumber", chunk))):
            found[bom.number] = bom
    return found


def _audited_of(material_filter: str) -> str:
    return f.all_of(material_filter, f.eq("FDocumentStatus", "C"), f.eq("FForbidStatus", "A"))


def find_audited_bom(material_number: str) -> Op:
    found = yield from _boms(_audited_of(f.eq("FMaterialId.FNumber", material_number)))
    return found[-1] if found else None  # the highest version number


def find_audited_boms(material_numbers: Iterable[str]) -> Op:
    """``find_audited_bom`` for many materials at once: material number -> its audited BOM."""
    found: dict[str, Bom] = {}
    for chunk in _chunks(material_numbers):
        for bom in (yield from _boms(_audited_of(f.in_("FMaterialId.FNumber", chunk)))):
            found[bom.material_number] = bom  # ordered by number: the highest version wins
    return found


def stock_of(material_numbers: Iterable[str]) -> Op:
    numbers = list(dict.fromkeys(material_numbers))
    if not numbers:
        return {}
    rows = yield from ops.query_all(
        STOCK_FORM, ("FMaterialId.FNumber", "FStockId.FNumber", "FBaseQty"), filter=f.in_("FMaterialId.FNumber", numbers)
    )
    by_material: dict[str, dict] = {n: {} for n in numbers}
    for material, stock, qty in rows:
        bucket = by_material.setdefault(material, {})
        bucket[stock] = bucket.get(stock, 0.0) + _num(qty)
    return {n: StockLevel(n, sum(b.values(), 0.0), dict(b)) for n, b in by_material.items()}


def _reports(filter_string: str) -> Op:
    rows = yield from ops.query_all(REPORT_FORM, REPORT_KEYS, filter=filter_string, order="FBillNo")
    merged: dict[str, dict] = {}
    for bill_no, fid, _entry, mo, good, scrap, doc in rows:
        item = merged.setdefault(bill_no, {"id": int(fid), "mo": mo or "", "good": 0.0, "scrap": 0.0, "doc": doc})
        item["good"] += _num(good)
        item["scrap"] += _num(scrap)
    return [OutputReport(n, v["id"], v["mo"], v["good"], v["scrap"], v["doc"]) for n, v in merged.items()]


def list_reports(order_bill_no: str) -> Op:
    return (yield from _reports(f.eq("FMoBillNo", order_bill_no)))


_REPORT_LINE_KEYS = ("FBillNo", "FMoBillNo", "FDate", "FQuaQty", "FScrapQty")


def list_report_lines(order_bill_nos: Iterable[str]) -> Op:
    """The audited report lines of many orders, dated, one query per ``IN_CHUNK`` orders."""
    lines: list[ReportLine] = []
    for chunk in _chunks(order_bill_nos):
        rows = yield from ops.query_all(
            REPORT_FORM, _REPORT_LINE_KEYS,
            filter=f.all_of(f.in_("FMoBillNo", chunk), f.eq("FDocumentStatus", "C")), order="FBillNo",
        )  # fmt: skip
        for bill_no, mo, day, good, scrap in rows:
            if day:
                lines.append(ReportLine(bill_no, mo or "", _day(day), _num(good), _num(scrap)))
    return lines
DATED_REPORT_KEYS = ("FBillNo", "FMoBillNo", "FDate", "FQuaQty", "FScrapQty")


def list_dated_reports(*, since: date | None = None, order_bill_nos: Iterable[str] | None = None,
                       bill_nos: Iterable[str] | None = None) -> Op:
    """Audited reports (one per report bill, lines summed) dated ``since`` or later, optionally of
    some orders only, or only the report bills ``bill_nos`` (one query per ``IN_CHUNK`` of them):
    one paged query, never one per order."""
    clauses = [f.eq("FDocumentStatus", "C")]
    if since:
        clauses.append(f.ge("FDate", since))
    if order_bill_nos is not None:
        numbers = list(order_bill_nos)
        if not numbers:
            return []
        clauses.append(f.in_("FMoBillNo", numbers))
    if bill_nos is not None:
        chunks = _chunks(bill_nos)
        rows = []
        for chunk in chunks:
            rows += yield from ops.query_all(REPORT_FORM, DATED_REPORT_KEYS,
                                             filter=f.all_of(*clauses, f.in_("FBillNo", chunk)), order="FBillNo")
    else:
        rows = yield from ops.query_all(REPORT_FORM, DATED_REPORT_KEYS, filter=f.all_of(*clauses), order="FBillNo")
    merged: dict[str, list] = {}
    for bill_no, mo, day, good, scrap in rows:
        item = merged.setdefault(bill_no, [mo or "", _day_or_none(day), 0.0, 0.0])
        item[2] += _num(good)
        item[3] += _num(scrap)
    return [DatedReport(n, mo, day, good, scrap) for n, (mo, day, good, scrap) in merged.items()]


def _day_or_none(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _report(bill_no: str) -> Op:
    found = yield from _reports(f.eq("FBillNo", bill_no))
    return found[0] if found else None


def find_report_by_request_key(request_key: str) -> Op:
    found = yield from _reports(f.contains("FDescription", remark_for(request_key)))
    return found[0] if found else None


# -- write helpers -------------------------------------------------------------------------------
def _approve(form_id: str, number: str, read_status: Callable[[], Op], attempts: int) -> Op:
    """Submit and Audit until the bill is audited (C); a lost answer is re-read, not repeated blindly."""
    status = yield from read_status()
    failures = 0
    while status != "C":
        if status in ("A", "D"):
            step, after = ops.submit, "B"
        elif status == "B":
            step, after = ops.audit, "C"
        else:
            raise K3Rejected("FDocumentStatus", f"{form_id} {number} is {status}", 12, reason="status", form_id=form_id)
        try:
            yield from step(form_id, numbers=[number])
            status = after
        except K3Unavailable:
            failures += 1
            if failures >= attempts:
                raise
            status = yield from read_status()
        except K3Rejected:
            # another process (a second worker applying the same OA decision) moved the bill between
            # our read and our call, and K/3 refuses the repeated step ("已经审核"): what counts is
            # where the bill is now; refused for any other reason, it has not moved
            now = yield from read_status()
            if now == status:
                raise
            status = now


def _order_status(bill_no: str) -> Callable[[], Op]:
    def read() -> Op:
        order = yield from get_order(bill_no)
        if order is None:
            raise K3NotFound("FBillNo", bill_no, 10, reason="not_found", form_id=ORDER_FORM)
        return order.document_status

    return read


def _report_status(bill_no: str) -> Callable[[], Op]:
    def read() -> Op:
        report = yield from _report(bill_no)
        return report.document_status if report else None

    return read


def _unaudit(form_id: str, number: str, read_status: Callable[[], Op], attempts: int) -> Op:
    for failures in range(attempts):
        try:
            yield from ops.unaudit(form_id, numbers=[number])
            return
        except K3Unavailable:
            if (yield from read_status()) != "C":
                return
            if failures == attempts - 1:
                raise


def _require_order(bill_no: str) -> Op:
    order = yield from get_order(bill_no)
    if order is None:
        raise K3NotFound("FBillNo", f"{bill_no} not found", 10, reason="not_found", form_id=ORDER_FORM)
    return order


# -- writes ----------------------------------------------------------------------------------------
def order_model(draft: OrderDraft) -> dict:
    return {
        "FID": 0,
        "FBillType": {"FNumber": draft.bill_type},
        "FDate": draft.plan_start.isoformat(),
        "FPrdOrgId": {"FNumber": draft.org_number},
        "FOwnerTypeId": "BD_OwnerOrg",
        "FDescription": remark_for(draft.request_key),
        "FTreeEntity": [
            {
                "FProductType": "1",
                "FMaterialId": {"FNumber": draft.material_number},
                "FUnitId": {"FNumber": draft.unit},
                "FQty": draft.qty,
                "FWorkShopID": {"FNumber": draft.work_center},
                "FPlanStartDate": draft.plan_start.isoformat(),
                "FPlanFinishDate": draft.plan_finish.isoformat(),
                "FBomId": {"FNumber": draft.bom_number},
                "FStockInOrgId": {"FNumber": draft.org_number},
            }
        ],
    }


def create_order(draft: OrderDraft, attempts: int, *, audit: bool = True) -> Op:
    """Save + Submit (+ Audit unless ``audit`` is False: then the order waits in B, 审核中, for an
    approval outside K/3). Idempotent on the request key."""
    order = yield from find_order_by_request_key(draft.request_key)
    failures = 0
    while order is None:
        try:
            saved = yield from ops.save(ORDER_FORM, order_model(draft), need_return_fields=["FBillNo", "FID"])
            order = yield from _require_order(saved.number)
        except K3Unavailable:
            failures += 1
            # the Save may have been committed before the answer was lost: look before saving again
            order = yield from find_order_by_request_key(draft.request_key)
            if order is None and failures >= attempts:
                raise
    if audit:
        yield from _approve(ORDER_FORM, order.bill_no, _order_status(order.bill_no), attempts)
    else:
        yield from _submit(ORDER_FORM, order.bill_no, _order_status(order.bill_no), attempts)
    return (yield from _require_order(order.bill_no))


def _submit(form_id: str, number: str, read_status: Callable[[], Op], attempts: int) -> Op:
    """Submit until the bill is in audit (B) or beyond; a lost answer is re-read, not repeated blindly."""
    status = yield from read_status()
    failures = 0
    while status in ("A", "D", "Z"):
        try:
            yield from ops.submit(form_id, numbers=[number])
            status = "B"
        except K3Unavailable:
            failures += 1
            if failures >= attempts:
                raise
            status = yield from read_status()


def _cancel_assign(form_id: str, number: str, status: str, read_status: Callable[[], Op], attempts: int) -> Op:
    """CancelAssign (撤销, B -> A) while the bill is in audit; a lost answer is re-read, not repeated
    blindly. Returns the status the bill is left in."""
    failures = 0
    while status == "B":
        try:
            yield from ops.cancel_assign(form_id, numbers=[number])
            status = "A"
        except K3Unavailable:
            failures += 1
            if failures >= attempts:
                raise
            status = yield from read_status()
    return status


def audit_order(bill_no: str, attempts: int) -> Op:
    """Audit a submitted order (B -> C); an order already audited is left as it is (idempotent)."""
    yield from _approve(ORDER_FORM, bill_no, _order_status(bill_no), attempts)
    return (yield from _require_order(bill_no))


def withdraw_order(bill_no: str, attempts: int, *, delete: bool = True) -> Op:
    """An order whose approval was refused or withdrawn: CancelAssign (撤销, B -> A), then Delete
    (allowed on A) unless ``delete`` is False. Returns the order left in K/3, or None once deleted.
    An order already gone, or already back in A, is fine (idempotent); an audited one is refused."""
    order = yield from get_order(bill_no)
    if order is None:
        return None
    status = yield from _cancel_assign(ORDER_FORM, bill_no, order.document_status, _order_status(bill_no), attempts)
    if status not in ("A", "D", "Z"):
        raise K3Rejected("FDocumentStatus", f"{ORDER_FORM} {bill_no} is {status}", 12, reason="status",
                         form_id=ORDER_FORM)
    if not delete:
        return (yield from _require_order(bill_no))
    for failures in range(1, attempts + 1):
        try:
            yield from ops.delete(ORDER_FORM, numbers=[bill_no])
            break
        except K3Unavailable:
            if (yield from get_order(bill_no)) is None:
                break
            if failures >= attempts:
                raise
    return None


def change_order(
    bill_no: str,
    *,
    qty: float | None,
    plan_finish: date | None,
    work_center: str | None,
    attempts: int,
) -> Op:
    """UnAudit -> Save(NeedUpDateFields, FID/FEntryID) -> Submit -> Audit (spec §4, adopted)."""
    order = yield from _require_order(bill_no)
    if qty is not None and qty < order.reported_total:
        raise K3QtyBelowReported(qty, order.reported_total)
    if not order.status.is_open:
        raise K3Rejected("FStatus", f"order status {int(order.status)}", 12, reason="status", form_id=ORDER_FORM)
    entry: dict = {"FEntryID": order.entry_id}
    if qty is not None:
        entry["FQty"] = qty
    if plan_finish is not None:
        entry["FPlanFinishDate"] = plan_finish.isoformat()
    if work_center is not None:
        entry["FWorkShopID"] = {"FNumber": work_center}
    if len(entry) == 1:
        return order
    if order.document_status == "B":
        raise K3Rejected("FDocumentStatus", "order is in approval", 12, reason="status", form_id=ORDER_FORM)
    was_audited = order.document_status == "C"
    read_status = _order_status(bill_no)
    if was_audited:
        yield from _unaudit(ORDER_FORM, bill_no, read_status, attempts)
    model = {"FID": order.id, "FTreeEntity": [entry]}
    update_fields = ["FTreeEntity", *[k for k in entry if k != "FEntryID"]]

    def is_applied(current: Order) -> bool:
        return (
            (qty is None or abs(current.qty - qty) < 1e-9)
            and (plan_finish is None or current.plan_finish == plan_finish)
            and (work_center is None or current.work_center == work_center)
        )

    failures = 0
    try:
        while True:
            try:
                yield from ops.save(ORDER_FORM, model, need_update_fields=update_fields, is_delete_entry=False)
                break
            except K3Unavailable:
                failures += 1
                if is_applied((yield from _require_order(bill_no))):
                    break
                if failures >= attempts:
                    raise
    except K3Rejected:
        if was_audited:  # put the order back the way it was before raising
            yield from _approve(ORDER_FORM, bill_no, read_status, attempts)
        raise
    if was_audited:
        yield from _approve(ORDER_FORM, bill_no, read_status, attempts)
    return (yield from _require_order(bill_no))


def canonical_operation(operation: str) -> str:
    for name in STATUS_OPERATIONS:
        if name.lower() == (operation or "").lower():
            return name
    raise ValueError(f"unknown order operation: {operation!r}")


def set_order_status(bill_no: str, operation: str, attempts: int) -> Op:
    op_number = canonical_operation(operation)
    target = STATUS_OPERATIONS[op_number]
    order = yield from _require_order(bill_no)
    for failures in range(1, attempts + 1):
        try:
            yield from ops.execute_operation(ORDER_FORM, op_number, entry_ids={order.id: [order.entry_id]})
            break
        except K3Unavailable:
            current = yield from _require_order(bill_no)
            if current.status == target and order.status != target:
                break
            if failures >= attempts:
                raise
    return (yield from _require_order(bill_no))


def report_output(bill_no: str, *, good: float, scrap: float, request_key: str, attempts: int) -> Op:
    """Push PRD_MO -> PRD_MORPT, fill the quantities, Save, Submit, Audit."""
    if good < 0 or scrap < 0 or good + scrap <= 0:
        raise ValueError("report quantities must be >= 0 and not both zero")
    remark = remark_for(request_key)
    report = yield from find_report_by_request_key(request_key)
    if report is None:
        order = yield from _require_order(bill_no)
        pushed = yield from ops.push(ORDER_FORM, REPORT_FORM, rule_id=PUSH_RULE, entry_ids=[order.entry_id])
        if not pushed.bills:
            raise K3Rejected(None, "push created no report", 11, reason="status", form_id=REPORT_FORM)
        target = pushed.bills[0]
        rows = yield from ops.execute_bill_query(REPORT_FORM, ("FEntity_FEntryId",), filter=f.eq("FID", target.id))
        entry_ids = [int(r[0]) for r in rows if r[0]]
        if not entry_ids:
            raise K3Rejected("FEntity", "pushed report has no line", 11, reason="other", form_id=REPORT_FORM)
        model = {
            "FID": target.id,
            "FDescription": remark,
            "FEntity": [
                {"FEntryID": entry_ids[0], "FFinishQty": good, "FQuaQty": good, "FFailQty": 0, "FScrapQty": scrap}
            ],
        }
        update_fields = ["FDescription", "FEntity", "FFinishQty", "FQuaQty", "FFailQty", "FScrapQty"]
        failures = 0
        try:
            while report is None:
                try:
                    yield from ops.save(REPORT_FORM, model, need_update_fields=update_fields, is_delete_entry=False)
                    report = yield from _report(target.number)
                except K3Unavailable:
                    failures += 1
                    report = yield from find_report_by_request_key(request_key)
                    if report is None and failures >= attempts:
                        raise
        except K3Rejected:
            # the pushed report was never filled: remove it so it cannot be audited by mistake
            try:
                yield from ops.delete(REPORT_FORM, ids=[target.id])
            except (K3Rejected, K3Unavailable):
                pass
            raise
    yield from _approve(REPORT_FORM, report.bill_no, _report_status(report.bill_no), attempts)
    return (yield from _report(report.bill_no))


def reverse_report(report_bill_no: str, attempts: int) -> Op:
    """UnAudit + Delete a report; its quantities leave the order when it is un-audited."""
    read_status = _report_status(report_bill_no)
    status = yield from read_status()
    if status is None:
        raise K3NotFound("FBillNo", f"{report_bill_no} not found", 10, reason="not_found", form_id=REPORT_FORM)
    if status == "C":
        yield from _unaudit(REPORT_FORM, report_bill_no, read_status, attempts)
    for failures in range(1, attempts + 1):
        try:
            yield from ops.delete(REPORT_FORM, numbers=[report_bill_no])
            return None
        except K3Unavailable:
            if (yield from read_status()) is None:
                return None
            if failures >= attempts:
                raise


def delete_order(bill_no: str, attempts: int) -> Op:
    """UnAudit (when audited) + Delete a PRD_MO: withdrawing an order nobody has started.

    K/3 refuses the UnAudit once the entry is finished and the Delete once it is released or has
    reports downstream (MsgCode 11, ``K3Rejected``); nothing else is done here."""
    read_status = _order_status(bill_no)
    order = yield from _require_order(bill_no)
    if order.document_status == "C":
        yield from _unaudit(ORDER_FORM, bill_no, read_status, attempts)
    else:  # submitted, waiting for its approval (issue 14): 撤销 first
        yield from _cancel_assign(ORDER_FORM, bill_no, order.document_status, read_status, attempts)
    for failures in range(1, attempts + 1):
        try:
            yield from ops.delete(ORDER_FORM, numbers=[bill_no])
            return None
        except K3Unavailable:
            if (yield from get_order(bill_no)) is None:
                return None
            if failures >= attempts:
                raise
