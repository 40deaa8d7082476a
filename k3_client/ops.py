"""Low-level WebAPI operations as sans-IO generators.

Each function yields ``Call`` objects and receives their parsed results (or has the typed
error thrown into it); its return value is the operation's result. ``K3Client`` drives them
with blocking httpx, ``AsyncK3Client`` with awaits: the same code serves both.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from k3_client.errors import K3NotFound, K3Rejected
from k3_client.protocol import Call, form_call

Op = Generator[Call, Any, Any]


@dataclass(frozen=True)
class SavedBill:
    id: int
    number: str
    index: int = 0


@dataclass(frozen=True)
class SaveResult:
    id: int
    number: str
    bills: tuple[SavedBill, ...] = ()
    returned: tuple[dict, ...] = ()


@dataclass(frozen=True)
class ItemError:
    index: int
    field: str | None
    message: str


@dataclass(frozen=True)
class BatchSaveResult:
    saved: tuple[SavedBill, ...]
    errors: tuple[ItemError, ...]
    msg_code: int = 0

    @property
    def is_complete(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class OperationResult:
    bills: tuple[SavedBill, ...]
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class PushResult:
    bills: tuple[SavedBill, ...]
    convert_status: dict


def _saved(status: dict) -> tuple[SavedBill, ...]:
    out = []
    for item in status.get("SuccessEntitys") or ():
        out.append(SavedBill(int(item.get("Id") or 0), str(item.get("Number") or ""), int(item.get("DIndex") or 0)))
    return tuple(out)


def _bill_selector(numbers: Iterable[str], ids: Iterable[int]) -> dict:
    return {"Numbers": list(numbers), "Ids": ",".join(str(i) for i in ids)}


def save(
    form_id: str,
    model: dict,
    *,
    need_update_fields: Sequence[str] = (),
    need_return_fields: Sequence[str] = (),
    is_delete_entry: bool = True,
    op: str = "Save",
) -> Op:
    data = {
        "NeedUpDateFields": list(need_update_fields),
        "NeedReturnFields": list(need_return_fields),
        "IsDeleteEntry": "true" if is_delete_entry else "false",
        "IsVerifyBaseDataField": "true",
        "Model": model,
    }
    result = yield form_call(op, {"formid": form_id, "data": data}, form_id=form_id)
    bills = _saved(result.get("ResponseStatus") or {})
    return SaveResult(
        id=int(result.get("Id") or (bills[0].id if bills else 0)),
        number=str(result.get("Number") or (bills[0].number if bills else "")),
        bills=bills,
        returned=tuple(result.get("NeedReturnData") or ()),
    )


def batch_save(form_id: str, models: Sequence[dict], *, need_return_fields: Sequence[str] = ()) -> Op:
    """BatchSave: partial success is possible; item errors come back by ``DIndex``."""
    data = {"NeedUpDateFields": [], "NeedReturnFields": list(need_return_fields), "Model": list(models)}
    call = form_call("BatchSave", {"formid": form_id, "data": data}, form_id=form_id, raise_business=False)
    result = yield call
    status = result.get("ResponseStatus") or {}
    errors = tuple(
        ItemError(int(e.get("DIndex") or 0), e.get("FieldName") or None, str(e.get("Message") or ""))
        for e in status.get("Errors") or ()
    )
    return BatchSaveResult(_saved(status), errors, int(status.get("MsgCode") or 0))


def _bill_operation(op: str, form_id: str, numbers: Iterable[str], ids: Iterable[int]) -> Op:
    body = {"formid": form_id, "data": {"CreateOrgId": 0, **_bill_selector(numbers, ids), "NetworkCtrl": ""}}
    result = yield form_call(op, body, form_id=form_id)
    status = result.get("ResponseStatus") or {}
    return OperationResult(_saved(status), tuple(str(m.get("Message")) for m in status.get("SuccessMessages") or ()))


def submit(form_id: str, numbers: Iterable[str] = (), ids: Iterable[int] = ()) -> Op:
    return (yield from _bill_operation("Submit", form_id, numbers, ids))


def audit(form_id: str, numbers: Iterable[str] = (), ids: Iterable[int] = ()) -> Op:
    return (yield from _bill_operation("Audit", form_id, numbers, ids))


def unaudit(form_id: str, numbers: Iterable[str] = (), ids: Iterable[int] = ()) -> Op:
    return (yield from _bill_operation("UnAudit", form_id, numbers, ids))


def cancel_assign(form_id: str, numbers: Iterable[str] = (), ids: Iterable[int] = ()) -> Op:
    """CancelAssign (撤销): a submitted bill (B, 审核中) back to created (A), as the SDK's CancelAssign."""
    return (yield from _bill_operation("CancelAssign", form_id, numbers, ids))


def delete(form_id: str, numbers: Iterable[str] = (), ids: Iterable[int] = ()) -> Op:
    return (yield from _bill_operation("Delete", form_id, numbers, ids))


def view(form_id: str, *, number: str = "", id: int | None = None) -> Op:
    """The bill as View returns it (F-less property names); K3NotFound if there is none."""
    data = {"CreateOrgId": 0, "Number": number, "Id": "" if id is None else str(id), "IsSortBySeq": "false"}
    try:
        result = yield form_call("View", {"formid": form_id, "data": data}, form_id=form_id, is_read=True)
    except K3Rejected as exc:
        if exc.reason in ("not_found", "invalid_reference") and not exc.field:
            raise K3NotFound(exc.field, exc.message, exc.msg_code, reason="not_found", form_id=form_id) from None
        raise
    bill = result.get("Result")
    if not bill:
        raise K3NotFound(None, f"{form_id} {number or id} not found", 10, reason="not_found", form_id=form_id)
    return bill


def execute_bill_query(
    form_id: str,
    field_keys: Sequence[str],
    *,
    filter: str = "",
    order: str = "",
    top: int = 0,
    start: int = 0,
    limit: int = 0,
) -> Op:
    """Rows (lists in ``field_keys`` order); [] when nothing matches."""
    data = {
        "FormId": form_id,
        "FieldKeys": ",".join(field_keys),
        "FilterString": filter,
        "OrderString": order,
        "TopRowCount": top,
        "StartRow": start,
        "Limit": limit,
    }
    rows = yield form_call("ExecuteBillQuery", {"data": data}, form_id=form_id, is_read=True, kind="query")
    return rows


def query_all(form_id: str, field_keys: Sequence[str], *, filter: str = "", order: str = "", page: int = 2000) -> Op:
    """Every matching row, page by page (StartRow/Limit)."""
    rows: list = []
    while True:
        batch = yield from execute_bill_query(form_id, field_keys, filter=filter, order=order, start=len(rows), limit=page)
        rows.extend(batch)
        if len(batch) < page:
            return rows


def execute_operation(
    form_id: str,
    op_number: str,
    *,
    numbers: Iterable[str] = (),
    ids: Iterable[int] = (),
    entry_ids: dict[int, Iterable[int]] | None = None,
) -> Op:
    """ExcuteOperation (sic); ``entry_ids`` maps a bill id to the entry ids it targets."""
    data = {"CreateOrgId": 0, **_bill_selector(numbers, ids), "NetworkCtrl": ""}
    if entry_ids:
        data["PkEntryIds"] = [
            {"Id": str(bill_id), "EntryIds": ",".join(str(e) for e in entries)} for bill_id, entries in entry_ids.items()
        ]
    body = {"formid": form_id, "opNumber": op_number, "data": data}
    result = yield form_call("ExcuteOperation", body, form_id=form_id)
    status = result.get("ResponseStatus") or {}
    return OperationResult(_saved(status))


def push(
    form_id: str,
    target_form_id: str,
    *,
    rule_id: str = "",
    numbers: Iterable[str] = (),
    ids: Iterable[int] = (),
    entry_ids: Iterable[int] = (),
) -> Op:
    data = {
        **_bill_selector(numbers, ids),
        "EntryIds": ",".join(str(e) for e in entry_ids),
        "RuleId": rule_id,
        "TargetBillTypeId": "",
        "TargetOrgId": 0,
        "TargetFormId": target_form_id,
        "IsEnableDefaultRule": "false" if rule_id else "true",
        "IsDraftWhenSaveFail": "false",
        "CustomParams": {},
    }
    result = yield form_call("Push", {"formid": form_id, "data": data}, form_id=form_id)
    return PushResult(_saved(result.get("ResponseStatus") or {}), result.get("ConvertResponseStatus") or {})
