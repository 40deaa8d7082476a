"""Metadata of the forms the simulator serves: fields, kinds, references, entries.

A bill is stored as a dict keyed by canonical field keys (``FBillNo``, ``FTreeEntity`` ...);
reference fields hold the referenced bill's number; multilingual text holds ``{lcid: text}``.
Field keys arriving from clients are matched case-insensitively, as K/3 does.
"""

from __future__ import annotations

from dataclasses import dataclass

TEXT, INT, DECIMAL, DATE, ENUM, REF, MLTEXT = "text", "int", "decimal", "date", "enum", "ref", "mltext"


@dataclass(frozen=True)
class Field:
    key: str
    kind: str = TEXT
    ref: str | None = None  # referenced form id for REF
    label: str = ""  # Chinese caption, used in messages
    required: bool = False


@dataclass(frozen=True)
class Entity:
    key: str  # FTreeEntity / FEntity
    pk: str  # FEntryID
    fields: tuple[Field, ...]
    link: str | None = None  # FEntity_Link sub-entity (one row per entry here)
    link_fields: tuple[Field, ...] = ()

    def field(self, key: str) -> Field | None:
        return _find(self.fields, key)


@dataclass(frozen=True)
class Form:
    form_id: str
    name: str
    pk: str  # FID / FMATERIALID ...
    number_key: str  # FBillNo or FNumber
    fields: tuple[Field, ...]
    entity: Entity | None = None
    is_bill: bool = False  # business document: Save/Submit/Audit... allowed
    number_prefix: str = ""
    number_digits: int = 6

    def field(self, key: str) -> Field | None:
        return _find(self.fields, key)


def _find(fields, key: str) -> Field | None:
    low = key.lower()
    return next((f for f in fields if f.key.lower() == low), None)


def _f(key, kind=TEXT, ref=None, label="", required=False) -> Field:
    return Field(key, kind, ref, label, required)


_BASE_STATUS = (_f("FDocumentStatus", ENUM, label="数据状态"), _f("FForbidStatus", ENUM, label="禁用状态"))

FORMS: dict[str, Form] = {}


def _register(form: Form) -> Form:
    FORMS[form.form_id.upper()] = form
    return form


ORG = _register(Form("ORG_Organizations", "组织机构", "FOrgID", "FNumber",
                     (_f("FNumber", label="编码"), _f("FName", MLTEXT, label="名称"), *_BASE_STATUS)))  # fmt: skip
UNIT = _register(Form("BD_UNIT", "计量单位", "FUNITID", "FNumber",
                      (_f("FNumber", label="编码"), _f("FName", MLTEXT, label="名称"), *_BASE_STATUS)))  # fmt: skip
DEPARTMENT = _register(Form("BD_Department", "部门", "FDEPTID", "FNumber", (
    _f("FNumber", label="编码"), _f("FName", MLTEXT, label="名称"), _f("FUseOrgId", REF, "ORG_Organizations", "使用组织"),
    _f("FIsStock", ENUM, label="车间"), *_BASE_STATUS)))  # fmt: skip
STOCK = _register(Form("BD_STOCK", "仓库", "FStockId", "FNumber",
                       (_f("FNumber", label="编码"), _f("FName", MLTEXT, label="名称"), *_BASE_STATUS)))  # fmt: skip
BILL_TYPE = _register(Form("BOS_BillType", "单据类型", "FBillTypeID", "FNumber", (
    _f("FNumber", label="编码"), _f("FName", MLTEXT, label="名称"), _f("FBillFormID", label="单据"), *_BASE_STATUS)))  # fmt: skip
MATERIAL = _register(Form("BD_MATERIAL", "物料", "FMATERIALID", "FNumber", (
    _f("FNumber", label="编码"), _f("FName", MLTEXT, label="名称"), _f("FSpecification", MLTEXT, label="规格型号"),
    _f("FUseOrgId", REF, "ORG_Organizations", "使用组织"), _f("FBaseUnitId", REF, "BD_UNIT", "基本单位"),
    _f("FSafeStock", DECIMAL, label="安全库存"), *_BASE_STATUS)))  # fmt: skip
BOM = _register(Form("ENG_BOM", "物料清单", "FID", "FNumber", (
    _f("FNumber", label="BOM版本"), _f("FName", MLTEXT, label="名称"), _f("FMaterialId", REF, "BD_MATERIAL", "父项物料编码"),
    _f("FUseOrgId", REF, "ORG_Organizations", "使用组织"), _f("FUnitId", REF, "BD_UNIT", "父项单位"), *_BASE_STATUS),
    entity=Entity("FTreeEntity", "FEntryID", (
        _f("FMaterialIDChild", REF, "BD_MATERIAL", "子项物料编码"), _f("FChildUnitId", REF, "BD_UNIT", "子项单位"),
        _f("FNumerator", DECIMAL, label="用量:分子"), _f("FDenominator", DECIMAL, label="用量:分母")))))  # fmt: skip
INVENTORY = _register(Form("STK_Inventory", "即时库存", "FID", "FID", (
    _f("FMaterialId", REF, "BD_MATERIAL", "物料编码"), _f("FStockId", REF, "BD_STOCK", "仓库"),
    _f("FStockOrgId", REF, "ORG_Organizations", "库存组织"), _f("FBaseUnitId", REF, "BD_UNIT", "基本单位"),
    _f("FBaseQty", DECIMAL, label="库存量(基本单位)"), _f("FStockStatusId", TEXT, label="库存状态"))))  # fmt: skip

ORDER = _register(Form("PRD_MO", "生产订单", "FID", "FBillNo", (
    _f("FBillNo", label="单据编号"), _f("FBillType", REF, "BOS_BillType", "单据类型", required=True),
    _f("FDate", DATE, label="单据日期"), _f("FPrdOrgId", REF, "ORG_Organizations", "生产组织", required=True),
    _f("FOwnerTypeId", TEXT, label="货主类型"), _f("FDocumentStatus", ENUM, label="单据状态"),
    _f("FDescription", TEXT, label="备注"), _f("FCreateDate", DATE, label="创建日期"),
    _f("FApproveDate", DATE, label="审核日期")),
    entity=Entity("FTreeEntity", "FEntryID", (
        _f("FProductType", ENUM, label="产品类型"),
        _f("FMaterialId", REF, "BD_MATERIAL", "物料编码", required=True),
        _f("FUnitId", REF, "BD_UNIT", "单位", required=True),
        _f("FQty", DECIMAL, label="数量", required=True),
        _f("FWorkShopID", REF, "BD_Department", "生产车间", required=True),
        _f("FPlanStartDate", DATE, label="计划开工时间", required=True),
        _f("FPlanFinishDate", DATE, label="计划完工时间", required=True),
        _f("FBomId", REF, "ENG_BOM", "BOM版本"),
        _f("FStockInOrgId", REF, "ORG_Organizations", "入库组织"),
        _f("FStockId", REF, "BD_STOCK", "仓库"),
        _f("FStatus", ENUM, label="业务状态"),
        _f("FRptFinishQty", DECIMAL, label="汇报完工数量"),
        _f("FRepQuaQty", DECIMAL, label="汇报合格数量"),
        _f("FRepFailQty", DECIMAL, label="汇报不合格数量"),
        _f("FRepScrapQty", DECIMAL, label="汇报报废数量"),
        _f("FNoStockInQty", DECIMAL, label="未入库数量"))),
    is_bill=True, number_prefix="MO", number_digits=6))  # fmt: skip

REPORT = _register(Form("PRD_MORPT", "生产汇报单", "FID", "FBillNo", (
    _f("FBillNo", label="单据编号"), _f("FDate", DATE, label="单据日期"),
    _f("FPrdOrgId", REF, "ORG_Organizations", "生产组织", required=True),
    _f("FWorkshipIdH", REF, "BD_Department", "生产车间"), _f("FDocumentStatus", ENUM, label="单据状态"),
    _f("FDescription", TEXT, label="备注"), _f("FApproveDate", DATE, label="审核日期")),
    entity=Entity("FEntity", "FEntryID", (
        _f("FMaterialId", REF, "BD_MATERIAL", "物料编码", required=True),
        _f("FUnitID", REF, "BD_UNIT", "单位"),
        _f("FReportType", TEXT, label="汇报类型"),
        _f("FWorkshipId", REF, "BD_Department", "生产车间"),
        _f("FFinishQty", DECIMAL, label="完工数量"),
        _f("FQuaQty", DECIMAL, label="合格数量"),
        _f("FFailQty", DECIMAL, label="不合格数量"),
        _f("FScrapQty", DECIMAL, label="报废数量"),
        _f("FReworkQty", DECIMAL, label="返工数量"),
        _f("FReMadeQty", DECIMAL, label="返修数量"),
        _f("FMoBillNo", TEXT, label="生产订单编号"),
        _f("FMoId", INT, label="生产订单内码"),
        _f("FMoEntryId", INT, label="生产订单分录内码"),
        _f("FMoEntrySeq", INT, label="生产订单行号"),
        _f("FSrcBillType", TEXT, label="源单类型"),
        _f("FSrcBillNo", TEXT, label="源单编号"),
        _f("FStockInOrgId", REF, "ORG_Organizations", "入库组织"),
        _f("FBomId", REF, "ENG_BOM", "BOM版本")),
        link="FEntity_Link",
        link_fields=(_f("FRuleId", TEXT), _f("FSTableName", TEXT), _f("FSBillId", INT), _f("FSId", INT),
                     _f("FBaseActualQty", DECIMAL))),
    is_bill=True, number_prefix="SCHB", number_digits=8))  # fmt: skip


def form(form_id: str) -> Form | None:
    return FORMS.get((form_id or "").upper())

