"""What the simulated K/3 does with each DynamicFormService operation.

Pure request -> answer logic over the ``Store`` (no HTTP here): Save/Draft/BatchSave, Submit,
Audit, UnAudit, Delete, View, ExecuteBillQuery/BillQuery, ExcuteOperation and Push, with the
document state machine (Z/A -> B -> C -> D), PRD_MO entry statuses 1..7, reference checks that
name the field, server-side numbering, and report quantities kept consistent with the orders.
The state rules and their wording come from ``rules.py`` (the one table the workflow tests'
in-memory K/3 keeps too). Business failures become ``BizError`` and are answered HTTP 200 with
K/3's envelope.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from devtools.simulators.k3cloud import filters, rules
from devtools.simulators.k3cloud.forms import (
    DATE,
    DECIMAL,
    ENUM,
    INT,
    MLTEXT,
    REF,
    Entity,
    Field,
    Form,
)
from devtools.simulators.k3cloud.forms import (
    form as lookup_form,
)
from devtools.simulators.k3cloud.store import Store

LCID_ZH = "2052"
ORDER, REPORT = "PRD_MO", "PRD_MORPT"
PUSH_RULE = "PRD_MO2MORPT"
QUERY_MAX_LIMIT = 10000
EPS = rules.EPS


class BizError(Exception):
    """A business refusal: HTTP 200, IsSuccess false, MsgCode, FieldName."""

    def __init__(self, msg_code: int, message: str, field: str | None = None, index: int = 0) -> None:
        super().__init__(message)
        self.msg_code, self.message, self.field, self.index = msg_code, message, field, index

    @classmethod
    def of(cls, refusal: rules.Refusal, index: int = 0) -> BizError:
        return cls(refusal.msg_code, refusal.message, refusal.field, index)

    def error(self) -> dict:
        return {"FieldName": self.field, "Message": self.message, "DIndex": self.index}


def refuse(refusal: rules.Refusal | None, index: int = 0) -> None:
    """Raise K/3's answer for a rule the step breaks (nothing when it breaks none)."""
    if refusal is not None:
        raise BizError.of(refusal, index)


def response_status(ok: bool, *, errors=(), entities=(), msg_code: int = 0, messages=()) -> dict:
    status = {
        "IsSuccess": ok,
        "Errors": list(errors),
        "SuccessEntitys": list(entities),
        "SuccessMessages": list(messages),
        "MsgCode": msg_code,
    }
    return status if ok else {"ErrorCode": 500, **status}


def envelope(status: dict, **extra) -> dict:
    return {"Result": {"ResponseStatus": status, **extra}}


def failure(err: BizError) -> dict:
    return envelope(response_status(False, errors=[err.error()], msg_code=err.msg_code))


def _ci(mapping: Any, key: str, default=None):
    """Case-insensitive dict access (K/3 accepts FNumber/FNUMBER, formid/FormId ...)."""
    if not isinstance(mapping, dict):
        return default
    if key in mapping:
        return mapping[key]
    low = key.lower()
    return next((v for k, v in mapping.items() if str(k).lower() == low), default)


def _as_list(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v not in (None, "")]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def canonical_datetime(value, label: str, key: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0, tzinfo=None).isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day).isoformat()
    text = str(value).strip().replace("/", "-").replace(" ", "T")
    try:
        parsed = datetime.fromisoformat(text[:19]) if "T" in text else datetime.fromisoformat(text[:10])
    except ValueError:
        raise BizError(8, f"字段“{label}”的值“{value}”不是有效的日期", key) from None
    return parsed.replace(microsecond=0).isoformat()


@dataclass
class Context:
    user: str
    lcid: int = 2052


class K3Service:
    def __init__(self, store: Store, *, today: Callable[[], datetime], report_tolerance_pct: float = 0.0) -> None:
        self.store = store
        self.today = today
        self.tolerance = report_tolerance_pct / 100.0
        # query -> (form generation, base data generations, every matching row): the next pages of a
        # paged query are sliced from it instead of scanning the form again
        self._cursors: dict[tuple, tuple[int, tuple, list[tuple]]] = {}
        self._accessors: dict[tuple[str, str], Callable] = {}

    # -- helpers ----------------------------------------------------------------------------------
    def form(self, form_id: Any) -> Form:
        if not form_id or not str(form_id).strip():
            raise BizError(5, "表单Id（FormId）不能为空", "FormId")
        meta = lookup_form(str(form_id))
        if meta is None:
            raise BizError(9, f"业务对象“{form_id}”不存在，请检查表单Id（FormId）", "FormId")
        return meta

    def bill_form(self, form_id: Any) -> Form:
        meta = self.form(form_id)
        if not meta.is_bill:
            raise BizError(12, f"表单“{meta.name}”（{meta.form_id}）在本系统中不支持该操作")
        return meta

    def ref_bill(self, ref_form: str, number) -> dict | None:
        meta = lookup_form(ref_form)
        if number in (None, "") or meta is None:
            return None
        return self.store.by_number(meta.form_id, meta.number_key, str(number))

    def _now(self) -> str:
        return self.today().replace(microsecond=0, tzinfo=None).isoformat()

    # -- model normalisation (client JSON -> stored bill) ------------------------------------------
    def _value(self, fld: Field, raw: Any) -> Any:
        if fld.kind == REF:
            if raw in (None, ""):
                return None
            if not isinstance(raw, dict):
                raise BizError(8, f"字段“{fld.label}”的值格式不正确，应为{{\"FNumber\": ...}}", fld.key)
            number = _ci(raw, "FNumber", _ci(raw, "Number"))
            if number in (None, ""):
                ident = _ci(raw, "FID", _ci(raw, "Id"))
                target = lookup_form(fld.ref or "")
                if ident not in (None, "", 0, "0") and target is not None:
                    hit = self.store.get(target.form_id, int(ident))
                    if hit is None:
                        raise BizError(9, f"字段“{fld.label}”的内码“{ident}”在系统中不存在", fld.key)
                    return hit[target.number_key]
                return None
            return str(number)
        if fld.kind == DATE:
            return canonical_datetime(raw, fld.label, fld.key)
        if fld.kind in (DECIMAL, INT):
            if raw in (None, ""):
                return None
            try:
                return float(raw) if fld.kind == DECIMAL else int(raw)
            except (TypeError, ValueError):
                raise BizError(8, f"字段“{fld.label}”的值“{raw}”不是有效的数字", fld.key) from None
        if fld.kind == MLTEXT:
            if isinstance(raw, list):
                return {str(_ci(i, "Key")): _ci(i, "Value") for i in raw if isinstance(i, dict)}
            return None if raw is None else {LCID_ZH: str(raw)}
        return None if raw is None else str(raw)

    def _read_fields(self, fields, model: dict, allowed: set | None, system: set) -> dict:
        out = {}
        for key, raw in model.items():
            fld = next((f for f in fields if f.key.lower() == str(key).lower()), None)
            if fld is None or fld.key in system:
                continue  # unknown and system-maintained keys are ignored, as K/3 does
            if allowed is not None and fld.key.lower() not in allowed:
                continue
            out[fld.key] = self._value(fld, raw)
        return out

    # -- Save ---------------------------------------------------------------------------------------
    def save(self, form_id, data: dict, *, draft: bool = False) -> dict:
        meta = self.bill_form(form_id)
        model = _ci(data, "Model")
        if not isinstance(model, dict):
            raise BizError(8, "参数Model不能为空，应为单据数据包", "Model")
        bill = self._save_one(meta, model, data, draft=draft, index=0)
        entity = {"Id": bill[meta.pk], "Number": bill[meta.number_key], "DIndex": 0}
        returned = self._need_return(meta, bill, _ci(data, "NeedReturnFields"))
        return envelope(
            response_status(True, entities=[entity]),
            Id=bill[meta.pk],
            Number=bill[meta.number_key],
            NeedReturnData=[returned],
        )

    def batch_save(self, form_id, data: dict) -> dict:
        meta = self.bill_form(form_id)
        models = _ci(data, "Model")
        if not isinstance(models, list):
            raise BizError(8, "参数Model应为单据数据包数组", "Model")
        entities, errors, returned = [], [], []
        for index, model in enumerate(models):
            try:
                if not isinstance(model, dict):
                    raise BizError(8, "单据数据包格式不正确", "Model", index)
                with self.store.unit():  # each item commits or fails alone
                    bill = self._save_one(meta, model, data, draft=False, index=index)
                entities.append({"Id": bill[meta.pk], "Number": bill[meta.number_key], "DIndex": index})
                returned.append(self._need_return(meta, bill, _ci(data, "NeedReturnFields")))
            except BizError as err:
                err.index = index
                errors.append(err.error())
        code = 11 if errors else 0
        return envelope(response_status(not errors, errors=errors, entities=entities, msg_code=code),
                        NeedReturnData=returned)  # fmt: skip

    def _need_return(self, meta: Form, bill: dict, keys) -> dict:
        out = {}
        for key in _as_list(keys):
            try:
                value, _ = self._resolve(meta, bill, None, str(key))
            except BizError:
                continue
            out[str(key)] = value
        return out

    def _save_one(self, meta: Form, model: dict, data: dict, *, draft: bool, index: int) -> dict:
        need_update = {str(k).lower() for k in _as_list(_ci(data, "NeedUpDateFields"))} or None
        delete_entries = str(_ci(data, "IsDeleteEntry", "true")).lower() != "false"
        fid = _ci(model, "FID", _ci(model, meta.pk, 0)) or 0
        try:
            fid = int(fid)
        except (TypeError, ValueError):
            raise BizError(8, f"单据内码“{fid}”格式不正确", "FID", index) from None
        system = {meta.pk, "FDocumentStatus", "FApproveDate", "FCreateDate"}
        previous = None
        if fid:
            previous = self.store.get(meta.form_id, fid)
            if previous is None:
                raise BizError(10, f"单据内码为“{fid}”的{meta.name}不存在或已被删除", "FID", index)
            refuse(rules.save_refusal(form_name=meta.name, number=previous[meta.number_key],
                                      document_status=previous["FDocumentStatus"]), index)  # fmt: skip
            bill = copy.deepcopy(previous)
        else:
            bill = {meta.pk: 0, "FDocumentStatus": "Z" if draft else "A", "FCreateDate": self._now()}
            need_update = None
        header = self._read_fields(meta.fields, model, need_update, system)
        if previous is not None and not header.get(meta.number_key):
            header.pop(meta.number_key, None)  # an update without a number keeps the number
        bill.update(header)
        if meta.entity is not None:
            self._merge_entries(meta, meta.entity, bill, model, need_update, delete_entries, index, is_new=previous is None)
        if meta.form_id == ORDER:
            self._check_order(meta, bill, previous, index)
        elif meta.form_id == REPORT:
            self._check_report(meta, bill, previous, index, pending=("B", "C"))
        if previous is None:
            self._assign_identity(meta, bill, index)
        elif str(bill.get(meta.number_key)).casefold() != str(previous.get(meta.number_key)).casefold():
            self._check_unique_number(meta, bill, index)
        self._assign_entry_ids(meta, bill)
        return self.store.put(meta.form_id, meta.pk, bill)

    def _merge_entries(self, meta, entity: Entity, bill, model, need_update, delete_entries, index, *, is_new) -> None:
        rows = _ci(model, entity.key)
        if rows is None or (need_update is not None and entity.key.lower() not in need_update):
            bill.setdefault(entity.key, [])
            return
        if not isinstance(rows, list):
            raise BizError(8, f"分录“{entity.key}”应为数组", entity.key, index)
        system = {entity.pk, "FStatus", "FRptFinishQty", "FRepQuaQty", "FRepFailQty", "FRepScrapQty", "FSeq",
                  "FMoId", "FMoEntryId", "FMoEntrySeq", "FSrcBillType", "FSrcBillNo"}  # fmt: skip
        if meta.form_id == REPORT and not is_new:
            system |= {"FMoBillNo", "FMaterialId"}
        existing = {int(e[entity.pk]): e for e in bill.get(entity.key, [])}
        kept, merged = set(), []
        for row in rows:
            if not isinstance(row, dict):
                raise BizError(8, f"分录“{entity.key}”的行格式不正确", entity.key, index)
            entry_id = int(_ci(row, "FEntryID", _ci(row, entity.pk, 0)) or 0)
            values = self._read_fields(entity.fields, row, need_update, system)
            if meta.form_id == REPORT and is_new:  # a new report names its source order line
                for key in ("FMoId", "FMoEntryId", "FMoEntrySeq"):
                    raw = _ci(row, key)
                    if raw not in (None, ""):
                        values[key] = int(raw)
            if entry_id:
                if entry_id not in existing:
                    raise BizError(10, f"分录内码“{entry_id}”不存在", "FEntryID", index)
                existing[entry_id].update(values)
                kept.add(entry_id)
            else:
                if meta.form_id == ORDER:
                    values.setdefault("FStatus", "1")
                merged.append({entity.pk: 0, **values})
        survivors = []
        for entry in bill.get(entity.key, []):
            if int(entry[entity.pk]) in kept or not delete_entries or is_new:
                survivors.append(entry)
            else:
                self._check_entry_removable(meta, bill, entry, index)
        bill[entity.key] = survivors + merged

    def _assign_identity(self, meta: Form, bill: dict, index: int) -> None:
        bill[meta.pk] = self.store.next(f"id:{meta.form_id}", 100001)
        if bill.get(meta.number_key):
            self._check_unique_number(meta, bill, index)
            return
        while True:
            seq = self.store.next(f"no:{meta.form_id}", 1)
            number = f"{meta.number_prefix}{seq:0{meta.number_digits}d}"
            if self.store.by_number(meta.form_id, meta.number_key, number) is None:
                bill[meta.number_key] = number
                return

    def _check_unique_number(self, meta: Form, bill: dict, index: int) -> None:
        other = self.store.by_number(meta.form_id, meta.number_key, bill[meta.number_key])
        if other is not None and other[meta.pk] != bill[meta.pk]:
            raise BizError(
                11, f"违反字段唯一性要求：编码唯一。[{bill[meta.number_key]}]在当前系统中已经被使用。", meta.number_key, index
            )

    def _assign_entry_ids(self, meta: Form, bill: dict) -> None:
        if meta.entity is None:
            return
        for seq, entry in enumerate(bill.get(meta.entity.key, []), start=1):
            if not entry.get(meta.entity.pk):
                entry[meta.entity.pk] = self.store.next(f"entry:{meta.form_id}", 100231)
            entry["FSeq"] = seq

    # -- reference and rule checks ---------------------------------------------------------------
    def _check_ref(self, fld: Field, number, index: int, row: int | None = None) -> dict:
        target = lookup_form(fld.ref or "")
        found = self.ref_bill(fld.ref or "", number)
        refuse(rules.reference_refusal(
            field=fld.key, label=fld.label, value=number, form_name=target.name if target else "", found=found is not None,
            document_status=(found or {}).get("FDocumentStatus", "C"), forbid_status=(found or {}).get("FForbidStatus", "A"),
            row=row), index)  # fmt: skip
        return found

    def _check_required_and_refs(self, fields, values: dict, index: int, row: int | None = None) -> None:
        where = f"第{row}行" if row else ""
        for fld in fields:
            value = values.get(fld.key)
            if fld.required and value in (None, "", {}):
                raise BizError(11, f"{where}字段“{fld.label}”是必填项", fld.key, index)
            if fld.kind == REF and value not in (None, ""):
                self._check_ref(fld, value, index, row)

    def _check_order(self, meta: Form, bill: dict, previous: dict | None, index: int) -> None:
        entity = meta.entity
        bill.setdefault("FDate", self._now()[:10] + "T00:00:00")
        bill.setdefault("FOwnerTypeId", "BD_OwnerOrg")
        self._check_required_and_refs(meta.fields, bill, index)
        bill_type = self.ref_bill("BOS_BillType", bill.get("FBillType")) or {}
        if bill_type.get("FBillFormID") != ORDER:
            raise BizError(11, f"单据类型“{bill.get('FBillType')}”不是生产订单的单据类型", "FBillType", index)
        entries = bill.get(entity.key) or []
        if not entries:
            raise BizError(11, "单据体“明细”至少需要录入一行", entity.key, index)
        before = {int(e[entity.pk]): e for e in (previous or {}).get(entity.key, [])}
        material_field = entity.field("FMaterialId")
        for row, entry in enumerate(entries, start=1):
            material = entry.get("FMaterialId")
            if material in (None, ""):
                raise BizError(11, f"第{row}行字段“{material_field.label}”是必填项", "FMaterialId", index)
            self._check_ref(material_field, material, index, row)
            if not entry.get("FUnitId"):
                entry["FUnitId"] = (self.ref_bill("BD_MATERIAL", material) or {}).get("FBaseUnitId")
            if not entry.get("FBomId"):
                bom = self._audited_bom_of(material)
                if bom is None:
                    refuse(rules.no_audited_bom(row=row, material=material), index)
                entry["FBomId"] = bom["FNumber"]
            entry.setdefault("FProductType", "1")
            entry.setdefault("FStockInOrgId", bill.get("FPrdOrgId"))
            self._check_required_and_refs(entity.fields, entry, index, row)
            bom = self.ref_bill("ENG_BOM", entry["FBomId"]) or {}
            if str(bom.get("FMaterialId", "")).casefold() != str(material).casefold():
                refuse(rules.bom_of_other_material(row=row, bom=entry["FBomId"], material=material), index)
            refuse(rules.order_line_refusal(row=row, qty=entry.get("FQty") or 0, plan_start=entry["FPlanStartDate"],
                                            plan_finish=entry["FPlanFinishDate"]), index)  # fmt: skip
            old = before.get(int(entry.get(entity.pk) or 0))
            if old is not None:
                self._check_order_entry_change(bill, old, entry, index, row)

    def _check_order_entry_change(self, bill: dict, old: dict, new: dict, index: int, row: int) -> None:
        changed = {k for k in rules.CHANGE_TRACKED if old.get(k) != new.get(k)}
        reported = self._reported_total(bill[ORDER_PK], int(old["FEntryID"]), statuses=("B", "C")) if changed else 0.0
        refuse(rules.entry_change_refusal(row=row, status=int(old.get("FStatus") or 1), changed=changed,
                                          new_qty=new["FQty"], reported=reported), index)  # fmt: skip

    def _check_entry_removable(self, meta: Form, bill: dict, entry: dict, index: int) -> None:
        if meta.form_id == ORDER:
            refuse(rules.entry_removal_refusal(status=int(entry.get("FStatus") or 1),
                                               has_reports=bool(self._reports_of(int(entry["FEntryID"])))), index)  # fmt: skip

    def _audited_bom_of(self, material: str) -> dict | None:
        boms = [
            b for b in self.store.all("ENG_BOM")
            if str(b.get("FMaterialId")).casefold() == str(material).casefold()
            and b.get("FDocumentStatus") == "C" and b.get("FForbidStatus", "A") == "A"
        ]  # fmt: skip
        return max(boms, key=lambda b: b["FNumber"]) if boms else None

    def _reports_of(self, mo_entry_id: int, statuses=("Z", "A", "B", "C", "D")) -> list[tuple[dict, dict]]:
        out = []
        ids = self.store.index(REPORT, "entry:FMoEntryId", _report_mo_entries).get(int(mo_entry_id), ())
        for rpt in (self.store.get(REPORT, i) for i in sorted(ids)):
            if rpt.get("FDocumentStatus") not in statuses:
                continue
            for entry in rpt.get("FEntity", []):
                if int(entry.get("FMoEntryId") or 0) == mo_entry_id:
                    out.append((rpt, entry))
        return out

    def _reported_total(self, mo_id: int, mo_entry_id: int, *, statuses, exclude: int | None = None) -> float:
        total = 0.0
        for rpt, entry in self._reports_of(mo_entry_id, statuses):
            if exclude is not None and rpt["FID"] == exclude:
                continue
            total += float(entry.get("FFinishQty") or 0) + float(entry.get("FScrapQty") or 0)
        return total

    def _mo_entry(self, mo_entry_id: int) -> tuple[dict | None, dict | None]:
        ids = self.store.index(ORDER, "entry:FEntryID", _order_entries).get(int(mo_entry_id), ())
        for mo in (self.store.get(ORDER, i) for i in sorted(ids)):
            for entry in mo.get("FTreeEntity", []):
                if int(entry["FEntryID"]) == int(mo_entry_id):
                    return mo, entry
        return None, None

    def _check_report(self, meta: Form, bill: dict, previous, index: int, *, pending) -> None:
        entity = meta.entity
        bill.setdefault("FDate", self._now()[:10] + "T00:00:00")
        entries = bill.get(entity.key) or []
        if not entries:
            raise BizError(11, "单据体“明细”至少需要录入一行", entity.key, index)
        own: dict[int, float] = {}
        for row, entry in enumerate(entries, start=1):
            mo, mo_entry = self._source_of(entry)
            if mo is None:
                raise BizError(11, f"第{row}行源单生产订单“{entry.get('FMoBillNo') or ''}”不存在", "FMoBillNo", index)
            self._link_report_entry(bill, entry, mo, mo_entry)
            self._check_required_and_refs(entity.fields, entry, index, row)
            if str(entry["FMaterialId"]).casefold() != str(mo_entry["FMaterialId"]).casefold():
                raise BizError(11, f"第{row}行物料与生产订单“{mo['FBillNo']}”的物料不一致", "FMaterialId", index)
            refuse(rules.report_source_refusal(row=row, bill_no=mo["FBillNo"], document_status=mo["FDocumentStatus"],
                                               status=int(mo_entry.get("FStatus") or 1)), index)  # fmt: skip
            qty = {k: float(entry.get(k) or 0) for k in ("FFinishQty", "FQuaQty", "FFailQty", "FScrapQty")}
            for key, value in qty.items():
                if value < 0:
                    raise BizError(11, f"第{row}行{_label(entity, key)}不能为负数", key, index)
            if abs(qty["FFinishQty"] - (qty["FQuaQty"] + qty["FFailQty"])) > EPS:
                raise BizError(11, f"第{row}行完工数量应等于合格数量与不合格数量之和", "FFinishQty", index)
            if qty["FFinishQty"] + qty["FScrapQty"] <= 0:
                raise BizError(11, f"第{row}行完工数量与报废数量不能同时为0", "FFinishQty", index)
            key = int(mo_entry["FEntryID"])
            own[key] = own.get(key, 0.0) + qty["FFinishQty"] + qty["FScrapQty"]
        self._check_required_and_refs(meta.fields, bill, index)  # after the lines filled in the header
        for mo_entry_id, mine in own.items():
            mo, mo_entry = self._mo_entry(mo_entry_id)
            others = self._reported_total(mo["FID"], mo_entry_id, statuses=pending, exclude=bill.get("FID"))
            refuse(rules.over_report_refusal(bill_no=mo["FBillNo"], qty=float(mo_entry["FQty"]), others=others,
                                             mine=mine, tolerance=self.tolerance), index)  # fmt: skip

    def _source_of(self, entry: dict) -> tuple[dict | None, dict | None]:
        if entry.get("FMoEntryId"):
            return self._mo_entry(int(entry["FMoEntryId"]))
        if entry.get("FMoBillNo"):
            mo = self.store.by_number(ORDER, "FBillNo", entry["FMoBillNo"])
            if mo and mo.get("FTreeEntity"):
                seq = int(entry.get("FMoEntrySeq") or 1)
                rows = [e for e in mo["FTreeEntity"] if int(e.get("FSeq") or 0) == seq] or mo["FTreeEntity"][:1]
                return mo, rows[0]
        return None, None

    def _link_report_entry(self, bill: dict, entry: dict, mo: dict, mo_entry: dict) -> None:
        entry.setdefault("FMaterialId", mo_entry["FMaterialId"])
        entry.setdefault("FUnitID", mo_entry.get("FUnitId"))
        entry.setdefault("FWorkshipId", mo_entry.get("FWorkShopID"))
        entry.setdefault("FBomId", mo_entry.get("FBomId"))
        entry.setdefault("FStockInOrgId", mo_entry.get("FStockInOrgId") or mo.get("FPrdOrgId"))
        entry.setdefault("FReportType", "HBLX01_SYS")
        for key in ("FFinishQty", "FQuaQty", "FFailQty", "FScrapQty", "FReworkQty", "FReMadeQty"):
            entry.setdefault(key, 0.0)
        entry.update({
            "FMoBillNo": mo["FBillNo"], "FMoId": mo["FID"], "FMoEntryId": mo_entry["FEntryID"],
            "FMoEntrySeq": mo_entry.get("FSeq", 1), "FSrcBillType": ORDER, "FSrcBillNo": mo["FBillNo"],
            "FEntity_Link": [{"FRuleId": PUSH_RULE, "FSTableName": "T_PRD_MOENTRY", "FSBillId": mo["FID"],
                              "FSId": mo_entry["FEntryID"], "FBaseActualQty": entry.get("FFinishQty", 0.0)}],
        })  # fmt: skip
        bill.setdefault("FPrdOrgId", mo.get("FPrdOrgId"))
        bill.setdefault("FWorkshipIdH", mo_entry.get("FWorkShopID"))

    # -- Submit / Audit / UnAudit / Delete --------------------------------------------------------
    def _targets(self, meta: Form, data: dict) -> list[tuple[str, dict | None]]:
        out = []
        for number in _as_list(_ci(data, "Numbers")):
            out.append((str(number), self.store.by_number(meta.form_id, meta.number_key, str(number))))
        for ident in _as_list(_ci(data, "Ids")):
            try:
                bill = self.store.get(meta.form_id, int(ident))
            except (TypeError, ValueError):
                bill = None
            out.append((str(ident), bill))
        if not out:
            raise BizError(8, "请至少指定一个单据编码（Numbers）或内码（Ids）", "Numbers")
        return out

    def _bill_operation(self, form_id, data: dict, step: Callable[[Form, dict], None], operation: str) -> dict:
        meta = self.bill_form(form_id)
        entities, errors = [], []
        for index, (key, bill) in enumerate(self._targets(meta, data)):
            if bill is None:
                errors.append(BizError.of(rules.missing_bill(key, operation, meta.number_key), index))
                continue
            try:
                with self.store.unit():
                    step(meta, bill)
                entities.append({"Id": bill[meta.pk], "Number": bill[meta.number_key], "DIndex": index})
            except BizError as err:
                err.index = index
                errors.append(err)
        if errors:
            code = errors[0].msg_code
            return envelope(response_status(False, errors=[e.error() for e in errors], entities=entities, msg_code=code))
        return envelope(response_status(True, entities=entities))

    def _document_step(self, meta: Form, bill: dict, operation: str) -> None:
        refuse(rules.document_refusal(operation, form_name=meta.name, number=bill[meta.number_key],
                                      document_status=bill["FDocumentStatus"]))  # fmt: skip

    def submit(self, form_id, data: dict) -> dict:
        def step(meta: Form, bill: dict) -> None:
            self._document_step(meta, bill, "submit")
            if meta.form_id == REPORT:
                self._check_report(meta, bill, bill, 0, pending=("B", "C"))
            bill["FDocumentStatus"] = rules.after("submit")
            self.store.put(meta.form_id, meta.pk, bill)

        return self._bill_operation(form_id, data, step, "submit")

    def audit(self, form_id, data: dict) -> dict:
        def step(meta: Form, bill: dict) -> None:
            self._document_step(meta, bill, "audit")
            if meta.form_id == REPORT:
                self._check_report(meta, bill, bill, 0, pending=("C",))
                self._apply_report(bill, +1)
            bill["FDocumentStatus"] = rules.after("audit")
            bill["FApproveDate"] = self._now()
            self.store.put(meta.form_id, meta.pk, bill)

        return self._bill_operation(form_id, data, step, "audit")

    def unaudit(self, form_id, data: dict) -> dict:
        def step(meta: Form, bill: dict) -> None:
            self._document_step(meta, bill, "unaudit")
            if meta.form_id == ORDER:
                statuses = [int(entry.get("FStatus") or 1) for entry in bill.get("FTreeEntity", [])]
                refuse(rules.order_unaudit_refusal(bill_no=bill["FBillNo"], statuses=statuses))
            if meta.form_id == REPORT:
                self._apply_report(bill, -1)
            bill["FDocumentStatus"] = rules.after("unaudit")
            bill["FApproveDate"] = None
            self.store.put(meta.form_id, meta.pk, bill)

        return self._bill_operation(form_id, data, step, "unaudit")

    def cancel_assign(self, form_id, data: dict) -> dict:
        """CancelAssign (撤销): a bill in audit (B) back to created (A); anything else is refused."""
        def step(meta: Form, bill: dict) -> None:
            self._document_step(meta, bill, "cancelassign")
            bill["FDocumentStatus"] = rules.after("cancelassign")
            self.store.put(meta.form_id, meta.pk, bill)

        return self._bill_operation(form_id, data, step, "cancelassign")

    def delete(self, form_id, data: dict) -> dict:
        def step(meta: Form, bill: dict) -> None:
            self._document_step(meta, bill, "delete")
            if meta.form_id == ORDER:
                for entry in bill.get("FTreeEntity", []):
                    self._check_entry_removable(meta, bill, entry, 0)
            self.store.remove(meta.form_id, bill[meta.pk])

        return self._bill_operation(form_id, data, step, "delete")

    def _apply_report(self, report: dict, sign: int) -> None:
        for entry in report.get("FEntity", []):
            mo, mo_entry = self._mo_entry(int(entry.get("FMoEntryId") or 0))
            if mo is None:
                continue
            for source, target in (("FFinishQty", "FRptFinishQty"), ("FQuaQty", "FRepQuaQty"),
                                   ("FFailQty", "FRepFailQty"), ("FScrapQty", "FRepScrapQty")):  # fmt: skip
                mo_entry[target] = round(float(mo_entry.get(target) or 0) + sign * float(entry.get(source) or 0), 6)
            mo_entry["FNoStockInQty"] = mo_entry["FRptFinishQty"]
            self.store.put(ORDER, "FID", mo)

    # -- ExcuteOperation (PRD_MO entry status; the table is rules.STATUS_OPERATIONS) -----------------
    def execute_operation(self, form_id, op_number, data: dict) -> dict:
        meta = self.bill_form(form_id)
        op = rules.status_operation(op_number)
        if meta.form_id != ORDER or op is None:
            refuse(rules.unknown_operation(op_number, meta.name))
        selections: list[tuple[str, dict | None, set | None]] = []
        for item in _ci(data, "PkEntryIds") or []:
            bill_id = _ci(item, "Id")
            bill = self.store.get(ORDER, int(bill_id)) if str(bill_id or "").strip().isdigit() else None
            selections.append((str(bill_id), bill, {int(e) for e in _as_list(_ci(item, "EntryIds"))} or None))
        if not selections:
            selections = [(key, bill, None) for key, bill in self._targets(meta, data)]
        entities, errors = [], []
        for index, (key, bill, entry_ids) in enumerate(selections):
            if bill is None:
                errors.append(BizError(10, f"单据“{key}”不存在", "FBillNo", index))
                continue
            try:
                with self.store.unit():
                    self._change_status(bill, op, entry_ids)
                entities.append({"Id": bill["FID"], "Number": bill["FBillNo"], "DIndex": index})
            except BizError as err:
                err.index = index
                errors.append(err)
        if errors:
            return envelope(response_status(False, errors=[e.error() for e in errors], entities=entities,
                                            msg_code=errors[0].msg_code))  # fmt: skip
        return envelope(response_status(True, entities=entities))

    def _change_status(self, bill: dict, op: rules.StatusOperation, entry_ids) -> None:
        refuse(rules.status_bill_refusal(op, bill_no=bill["FBillNo"], document_status=bill["FDocumentStatus"]))
        entries = bill.get("FTreeEntity", [])
        if entry_ids is not None:
            unknown = entry_ids - {int(e["FEntryID"]) for e in entries}
            if unknown:
                raise BizError(10, f"分录内码“{min(unknown)}”不存在", "FEntryID")
            entries = [e for e in entries if int(e["FEntryID"]) in entry_ids]
        for entry in entries:
            refuse(rules.status_entry_refusal(op, seq=entry.get("FSeq", 1), status=int(entry.get("FStatus") or 1),
                                              has_reports=bool(self._reports_of(int(entry["FEntryID"])))))  # fmt: skip
        for entry in entries:
            entry["FStatus"] = str(op.target)
        self.store.put(ORDER, "FID", bill)

    # -- Push PRD_MO -> PRD_MORPT ----------------------------------------------------------------
    def push(self, form_id, data: dict) -> dict:
        meta = self.bill_form(form_id)
        target_form = str(_ci(data, "TargetFormId") or "")
        rule = str(_ci(data, "RuleId") or "")
        use_default = str(_ci(data, "IsEnableDefaultRule", "false")).lower() == "true"
        if meta.form_id != ORDER or (target_form and target_form.upper() != REPORT):
            raise BizError(8, f"不存在从“{meta.form_id}”到“{target_form}”的单据转换规则", "TargetFormId")
        if rule and rule.upper() != PUSH_RULE:
            raise BizError(8, f"单据转换规则“{rule}”不存在", "RuleId")
        if not rule and not use_default:
            raise BizError(8, "请指定单据转换规则（RuleId）或启用默认规则", "RuleId")
        sources: list[tuple[dict, dict]] = []
        entry_ids = {int(e) for e in _as_list(_ci(data, "EntryIds"))}
        if entry_ids:
            for entry_id in sorted(entry_ids):
                mo, mo_entry = self._mo_entry(entry_id)
                if mo is None:
                    raise BizError(10, f"源单分录内码“{entry_id}”不存在", "EntryIds")
                sources.append((mo, mo_entry))
        else:
            for key, mo in self._targets(meta, data):
                if mo is None:
                    raise BizError(10, f"源单“{key}”不存在", "Numbers")
                sources.extend((mo, e) for e in mo.get("FTreeEntity", []))
        lines = []
        for mo, mo_entry in sources:
            reported = self._reported_total(mo["FID"], int(mo_entry["FEntryID"]), statuses=("B", "C"))
            remaining = rules.pushable(qty=float(mo_entry["FQty"]), reported=reported, tolerance=self.tolerance)
            refuse(rules.push_refusal(bill_no=mo["FBillNo"], seq=mo_entry.get("FSeq", 1),
                                      document_status=mo["FDocumentStatus"], status=int(mo_entry.get("FStatus") or 1),
                                      remaining=remaining))  # fmt: skip
            lines.append({"FMoEntryId": int(mo_entry["FEntryID"]), "FFinishQty": remaining, "FQuaQty": remaining})
        model = {"FEntity": lines}
        report = lookup_form(REPORT)
        bill = self._save_one(report, model, {"NeedUpDateFields": []}, draft=False, index=0)
        convert = response_status(True, entities=[{"Id": mo["FID"], "Number": mo["FBillNo"], "DIndex": i}
                                                  for i, (mo, _) in enumerate(sources)])  # fmt: skip
        saved = response_status(True, entities=[{"Id": bill["FID"], "Number": bill["FBillNo"], "DIndex": 0}])
        return envelope(saved, ConvertResponseStatus=convert)

    # -- View ---------------------------------------------------------------------------------------
    def view(self, form_id, data: dict, lcid: int) -> dict:
        meta = self.form(form_id)
        number, ident = _ci(data, "Number"), _ci(data, "Id")
        bill = None
        if number not in (None, ""):
            bill = self.store.by_number(meta.form_id, meta.number_key, str(number))
        elif str(ident or "").strip().isdigit():
            bill = self.store.get(meta.form_id, int(ident))
        else:
            raise BizError(8, "请指定单据编码（Number）或内码（Id）", "Number")
        if bill is None:
            raise BizError(10, f"{meta.name}“{number or ident}”不存在或已被删除", None)
        return envelope(response_status(True), Result=self._view_bill(meta, bill))

    def _view_ref(self, ref_form: str, number) -> dict | None:
        target = lookup_form(ref_form)
        found = self.ref_bill(ref_form, number)
        if found is None or target is None:
            return None
        out = {"Id": found[target.pk], "msterID": found[target.pk], "Number": found[target.number_key]}
        if "FName" in found:
            out["Name"] = _ml_list(found["FName"])
        return out

    def _view_value(self, fld: Field, value):
        if fld.kind == REF:
            return self._view_ref(fld.ref or "", value)
        if fld.kind == MLTEXT:
            return _ml_list(value or {})
        if fld.kind == DATE:
            return value
        if fld.kind == DECIMAL:
            return float(value or 0)
        return value

    def _view_bill(self, meta: Form, bill: dict) -> dict:
        out: dict = {"Id": bill[meta.pk]}
        for fld in meta.fields:
            out[_fless(fld.key)] = self._view_value(fld, bill.get(fld.key))
        if meta.entity is not None:
            rows = []
            for entry in bill.get(meta.entity.key, []):
                row: dict = {"Id": entry[meta.entity.pk], "Seq": entry.get("FSeq", 1)}
                for fld in meta.entity.fields:
                    row[_fless(fld.key)] = self._view_value(fld, entry.get(fld.key))
                if meta.entity.link:
                    row[meta.entity.link] = [
                        {"Id": i + 1, **{_fless(f.key): link.get(f.key) for f in meta.entity.link_fields}}
                        for i, link in enumerate(entry.get(meta.entity.link, []))
                    ]
                rows.append(row)
            out[_fless(meta.entity.key)] = rows
        return out

    # -- ExecuteBillQuery / BillQuery --------------------------------------------------------------
    def _resolve(self, meta: Form, bill: dict, entry: dict | None, key: str) -> tuple[Any, str | None]:
        """The value (query encoding) and kind of ``key`` on one row."""
        accessor = self._accessors.get((meta.form_id, key))
        if accessor is None:
            accessor = self._accessors[(meta.form_id, key)] = self._accessor(meta, key)
        return accessor(bill, entry)

    def _accessor(self, meta: Form, key: str) -> Callable[[dict, dict | None], tuple[Any, str | None]]:
        """How to read ``key`` from a row (worked out once per form and key: the metadata never changes)."""
        low = key.strip().lower()
        if low in (meta.pk.lower(), "fid"):
            pk = meta.pk
            return lambda bill, entry: (bill[pk], INT)
        entity = meta.entity
        if entity is not None:
            prefix = entity.key.lower() + "_"
            if low in (prefix + "fentryid", prefix + entity.pk.lower()):
                epk = entity.pk
                return lambda bill, entry: ((entry[epk] if entry else None), INT)
            if low == prefix + "fseq":
                return lambda bill, entry: ((entry.get("FSeq") if entry else None), INT)
            if entity.link and low.startswith(entity.link.lower() + "_"):
                sub = low[len(entity.link) + 1:]
                link_fld = next((f for f in entity.link_fields if f.key.lower() == sub), None)
                if link_fld is not None:
                    link = entity.link

                    def linked(bill, entry, fld=link_fld):
                        links = (entry or {}).get(link) or [{}]
                        return _query_value(fld, links[0].get(fld.key)), fld.kind

                    return linked
        head, _, sub = key.strip().partition(".")
        fld = meta.field(head)
        on_entry = False
        if fld is None and entity is not None:
            fld = entity.field(head)
            on_entry = True
        if fld is None:
            raise BizError(9, f"元数据中标识为{key.strip()}的字段不存在", key.strip())
        fkey = fld.key

        def raw(bill, entry):
            return (entry or {}).get(fkey) if on_entry else bill.get(fkey)

        if sub:
            if fld.kind != REF:
                raise BizError(9, f"元数据中标识为{key.strip()}的字段不存在", key.strip())
            target, ref = lookup_form(fld.ref or ""), fld.ref or ""
            return lambda bill, entry: self._resolve_sub(target, self.ref_bill(ref, raw(bill, entry)), sub, key)
        if fld.kind == REF:
            target, ref = lookup_form(fld.ref or ""), fld.ref or ""

            def referenced(bill, entry):
                found = self.ref_bill(ref, raw(bill, entry))
                return (found[target.pk] if found else 0), INT

            return referenced
        kind = fld.kind
        return lambda bill, entry: (_query_value(fld, raw(bill, entry)), kind)

    def _resolve_sub(self, target: Form, found: dict | None, sub: str, key: str):
        if sub.lower() in (target.pk.lower(), "fid"):
            return (found[target.pk] if found else None), INT
        fld = target.field(sub)
        if fld is None:
            raise BizError(9, f"元数据中标识为{key.strip()}的字段不存在", key.strip())
        if found is None:
            return None, fld.kind
        value = found.get(fld.key)
        if fld.kind == REF:
            return value, REF
        return _query_value(fld, value), fld.kind

    def query(self, data: dict) -> tuple[list, list]:
        meta = self.form(_ci(data, "FormId"))
        keys = [k.strip() for k in str(_ci(data, "FieldKeys") or "").split(",") if k.strip()]
        if not keys:
            raise BizError(8, "字段集合（FieldKeys）不能为空", "FieldKeys")
        try:
            tree = filters.parse(str(_ci(data, "FilterString") or ""))
        except filters.FilterError as exc:
            raise BizError(8, str(exc), "FilterString") from None
        order = _order_terms(str(_ci(data, "OrderString") or ""))
        mentioned = set(keys) | filters.fields_of(tree) | {k for k, _ in order}
        for key in mentioned:  # unknown fields fail even when there are no rows
            self._resolve(meta, _blank_bill(meta), None, key)
        per_entry = meta.entity is not None and any(self._is_entry_key(meta, k) for k in mentioned)
        cursor_key = (meta.form_id, tuple(keys), str(_ci(data, "FilterString") or ""), tuple(order), per_entry)
        generation = self.store.generation(meta.form_id)
        cached = self._cursors.get(cursor_key)
        if cached is not None and cached[0] == generation and cached[1] == self._ref_generations(meta):
            matched = cached[2]  # the next page of a query whose form has not changed since
        else:
            matched = self._matching(meta, keys, tree, order, per_entry)
            self._cursors[cursor_key] = (generation, self._ref_generations(meta), matched)
            while len(self._cursors) > 16:
                self._cursors.pop(next(iter(self._cursors)))
        start = max(int(_ci(data, "StartRow") or 0), 0)
        limit = min(int(_ci(data, "Limit") or 0), QUERY_MAX_LIMIT) or QUERY_MAX_LIMIT
        top = int(_ci(data, "TopRowCount") or 0)
        rows = matched[:top] if top > 0 else matched
        return [list(r) for r in rows[start:start + limit]], keys

    def _ref_generations(self, meta: Form) -> tuple:
        """A query's answer also depends on the forms its reference fields point to (material numbers ...)."""
        fields = [*meta.fields, *(meta.entity.fields if meta.entity is not None else ())]
        targets = sorted({lookup_form(f.ref).form_id for f in fields if f.kind == REF and f.ref and lookup_form(f.ref)})
        return tuple(self.store.generation(t) for t in targets if t != meta.form_id)

    def _candidates(self, meta: Form, tree, per_entry: bool) -> list[dict]:
        """The bills that can match: narrowed by an index when an AND-ed condition of the filter is
        ``field = literal`` or ``field IN (literals)``, else every bill (the filter decides either way)."""
        best: set[int] | None = None
        for node in _conjuncts(tree):
            found = self._indexed(meta, node, per_entry)
            if found is not None and (best is None or len(found) < len(best)):
                best = found
        if best is None:
            return self.store.all(meta.form_id)
        return [self.store.get(meta.form_id, i) for i in sorted(best)]

    def _indexed(self, meta: Form, node, per_entry: bool) -> set[int] | None:
        if node[0] == "cmp" and node[1] == "=":
            sides = [node[2], node[3]]
            fields = [n for n in sides if n[0] == "field"]
            lits = [n for n in sides if n[0] == "lit"]
            if len(fields) != 1 or len(lits) != 1:
                return None
            field, values = fields[0][1], [lits[0][1]]
        elif node[0] == "in" and not node[3] and node[1][0] == "field" and all(n[0] == "lit" for n in node[2]):
            field, values = node[1][1], [n[1] for n in node[2]]
        else:
            return None
        _value, kind = self._resolve(meta, _blank_bill(meta), None, field)
        if kind in (DECIMAL, INT, DATE) or kind is None:
            return None  # numbers and dates compare by value: no text index for them
        entity_key = meta.entity.key if (meta.entity is not None and per_entry) else None

        def keys_of(bill: dict, field=field, entity_key=entity_key):
            entries = (bill.get(entity_key) or [None]) if entity_key else [None]
            for entry in entries:
                value, _kind = self._resolve(meta, bill, entry, field)
                if value is not None:
                    yield str(value).casefold()

        index = self.store.index(meta.form_id, f"query:{field.lower()}:{entity_key}", keys_of,
                                 version=self._ref_generations(meta))
        out: set[int] = set()
        for value in values:
            if value is not None:
                out |= index.get(str(value).casefold(), set())
        return out

    def _matching(self, meta: Form, keys, tree, order, per_entry: bool) -> list[tuple]:
        rows = []
        for bill in self._candidates(meta, tree, per_entry):
            entries = (bill.get(meta.entity.key) or [None]) if per_entry else [None]
            for entry in entries:
                def resolve(name: str, bill=bill, entry=entry):
                    return self._resolve(meta, bill, entry, name)

                try:
                    if not filters.evaluate(tree, resolve):
                        continue
                except filters.FilterError as exc:
                    raise BizError(4, str(exc), "FilterString") from None
                rows.append((bill, entry))
        for key, descending in reversed(order):
            rows.sort(key=lambda r, k=key: _sort_key(self._resolve(meta, r[0], r[1], k)[0]), reverse=descending)
        return [tuple(self._resolve(meta, b, e, k)[0] for k in keys) for b, e in rows]

    def _is_entry_key(self, meta: Form, key: str) -> bool:
        entity = meta.entity
        low = key.strip().lower()
        if low.startswith(entity.key.lower() + "_") or (entity.link and low.startswith(entity.link.lower() + "_")):
            return True
        head = key.strip().partition(".")[0]
        return meta.field(head) is None and entity.field(head) is not None


ORDER_PK = "FID"


def _label(entity: Entity, key: str) -> str:
    fld = entity.field(key)
    return fld.label if fld else key


def _fless(key: str) -> str:
    return key[1:] if key.startswith("F") and len(key) > 1 and key[1].isupper() else key


def _ml_list(value: dict) -> list:
    return [{"Key": int(k), "Value": v} for k, v in sorted((value or {}).items())]


def _query_value(fld: Field, raw):
    if raw is None:
        return None
    if fld.kind == MLTEXT:
        return (raw or {}).get(LCID_ZH) or next(iter((raw or {}).values()), "")
    if fld.kind == DECIMAL:
        return float(raw)
    if fld.kind == INT:
        return int(raw)
    if fld.kind == ENUM:
        return str(raw)
    return raw


def _conjuncts(tree) -> list:
    """The conditions AND-ed at the top of a filter (each must hold for a row to match)."""
    if tree is None:
        return []
    if tree[0] == "and":
        return _conjuncts(tree[1]) + _conjuncts(tree[2])
    return [tree]


def _report_mo_entries(bill: dict):
    return (int(e.get("FMoEntryId") or 0) for e in bill.get("FEntity", []))


def _order_entries(bill: dict):
    return (int(e["FEntryID"]) for e in bill.get("FTreeEntity", []))


def _blank_bill(meta: Form) -> dict:
    return {meta.pk: 0}


def _order_terms(text: str) -> list[tuple[str, bool]]:
    terms = []
    for part in text.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise BizError(8, f"排序字段（OrderString）“{part.strip()}”格式不正确", "OrderString")
        terms.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return terms


def _sort_key(value):
    if value is None:
        return (0, "")
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, str(value))
