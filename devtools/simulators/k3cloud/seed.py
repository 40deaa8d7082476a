"""Fill an empty simulator from the demo factory fixture.

Master data (organisation, unit, warehouse, bill types, work centers as departments, materials,
BOMs, stock) and the fixture's production orders with their statuses. An order's reported
good/scrap quantities are not typed in: one audited PRD_MORPT report is seeded per line of the
fixture's ``report_history`` (dated), and the order's reported quantities are their sums, so
orders and reports always agree.
"""

from __future__ import annotations

from devtools.factory import Factory
from devtools.simulators.k3cloud.store import Store

ORG_NUMBER = "100"
STOCK_NUMBER = "CK001"
UNASSIGNED_BOM_SUFFIX = "_V0"  # the draft (not audited) BOM of a material without an audited one
FIRST_REPORT_NUMBER = 82561  # seeded PRD_MORPT numbers run SCHB00082561, SCHB00082562 ...


def _ml(names: dict) -> dict:
    return {"2052": names.get("zh") or names.get("en"), "1033": names.get("en") or names.get("zh")}


def _dt(day) -> str:
    return f"{day.isoformat()}T00:00:00"


def report_lines(factory: Factory, order) -> list[tuple]:
    """(date, good, scrap) of the reports behind ``order``'s reported quantities.

    The fixture's ``report_history`` gives them day by day and must add up to the order's
    reported_good / reported_scrap; an order reported without a history gets one report dated
    at its plan start."""
    history = factory.reports_of(order.bill_no)
    if history:
        good = sum(r.good for r in history)
        scrap = sum(r.scrap for r in history)
        if (good, scrap) != (order.reported_good, order.reported_scrap):
            raise ValueError(
                f"fixture order {order.bill_no}: report_history sums to {good:g}/{scrap:g}, "
                f"but the order says {order.reported_good:g}/{order.reported_scrap:g}"
            )
        return [(r.date, float(r.good), float(r.scrap)) for r in history]
    if order.reported_good or order.reported_scrap:
        return [(order.plan_start, float(order.reported_good), float(order.reported_scrap))]
    return []


def seed(store: Store, factory: Factory) -> None:
    """Write the fixture into an empty store (one unit of work)."""
    with store.unit():
        ids: dict[str, int] = {}

        def put(form_id: str, pk: str, bill: dict, start: int = 100001) -> dict:
            bill[pk] = store.next(f"id:{form_id}", start)
            ids[f"{form_id}:{bill.get('FNumber') or bill.get('FBillNo')}"] = bill[pk]
            return store.put(form_id, pk, bill)

        status = {"FDocumentStatus": "C", "FForbidStatus": "A"}
        org = factory.organization
        put("ORG_Organizations", "FOrgID", {"FNumber": str(org["number"]), "FName": {"2052": org["name"],
                                                                                     "1033": org["name"]}, **status}, 1)  # fmt: skip
        units = sorted({m.unit for m in factory.materials})
        for unit in units:
            put("BD_UNIT", "FUNITID", {"FNumber": unit, "FName": {"2052": "件" if unit == "Pcs" else unit, "1033": unit},
                                       **status}, 10001)  # fmt: skip
        put("BD_STOCK", "FStockId", {"FNumber": STOCK_NUMBER, "FName": {"2052": "成品仓", "1033": "Finished goods"},
                                     **status}, 20001)  # fmt: skip
        for t in factory.production_types:
            put("BOS_BillType", "FBillTypeID", {"FNumber": t.bill_type, "FName": _ml(t.name), "FBillFormID": "PRD_MO",
                                                **status}, 30001)  # fmt: skip
        for wc in factory.work_centers:
            put("BD_Department", "FDEPTID", {"FNumber": wc.number, "FName": _ml(wc.name), "FUseOrgId": ORG_NUMBER,
                                             "FIsStock": "1", **status}, 40001)  # fmt: skip
        for m in factory.materials:
            put("BD_MATERIAL", "FMATERIALID", {
                "FNumber": m.number, "FName": _ml(m.name), "FSpecification": {"2052": m.chat_code, "1033": m.chat_code},
                "FUseOrgId": ORG_NUMBER, "FBaseUnitId": m.unit, "FSafeStock": float(m.safety_stock), **status}, 50001)  # fmt: skip
        for m in factory.materials:
            lines = []
            for child_code, qty in m.components:
                child = factory.material_by_code(child_code)
                if child is not None:
                    lines.append({"FEntryID": store.next("entry:ENG_BOM", 60001), "FSeq": len(lines) + 1,
                                  "FMaterialIDChild": child.number, "FChildUnitId": child.unit,
                                  "FNumerator": float(qty), "FDenominator": 1.0})  # fmt: skip
            if m.bom_number:
                bom = {"FNumber": m.bom_number, "FDocumentStatus": "C", "FForbidStatus": "A"}
            else:  # exists in K/3, but nobody audited it: orders must be refused
                bom = {"FNumber": m.number + UNASSIGNED_BOM_SUFFIX, "FDocumentStatus": "A", "FForbidStatus": "A"}
            bom.update({"FName": _ml(m.name), "FMaterialId": m.number, "FUseOrgId": ORG_NUMBER, "FUnitId": m.unit,
                        "FTreeEntity": lines})  # fmt: skip
            put("ENG_BOM", "FID", bom, 70001)
        for m in factory.materials:
            put("STK_Inventory", "FID", {"FMaterialId": m.number, "FStockId": STOCK_NUMBER, "FStockOrgId": ORG_NUMBER,
                                         "FBaseUnitId": m.unit, "FBaseQty": float(m.stock), "FStockStatusId": "可用"},
                80001)  # fmt: skip

        highest_mo = 0
        for o in factory.orders:
            material = factory.material_by_code(o.material)
            if material is None:
                raise ValueError(f"fixture order {o.bill_no}: unknown material {o.material}")
            entry_id = store.next("entry:PRD_MO", 100231)
            mo = put("PRD_MO", "FID", {
                "FBillNo": o.bill_no, "FBillType": factory.production_types[0].bill_type, "FDate": _dt(o.plan_start),
                "FPrdOrgId": ORG_NUMBER, "FOwnerTypeId": "BD_OwnerOrg", "FDocumentStatus": "C", "FDescription": "",
                "FCreateDate": _dt(o.plan_start), "FApproveDate": _dt(o.plan_start),
                "FTreeEntity": [{
                    "FEntryID": entry_id, "FSeq": 1, "FProductType": "1", "FMaterialId": material.number,
                    "FUnitId": material.unit, "FQty": float(o.qty), "FWorkShopID": o.work_center,
                    "FPlanStartDate": _dt(o.plan_start), "FPlanFinishDate": _dt(o.plan_finish),
                    "FBomId": material.bom_number, "FStockInOrgId": ORG_NUMBER, "FStockId": STOCK_NUMBER,
                    "FStatus": str(int(o.status)), "FRptFinishQty": float(o.reported_good),
                    "FRepQuaQty": float(o.reported_good), "FRepFailQty": 0.0, "FRepScrapQty": float(o.reported_scrap),
                    "FNoStockInQty": float(o.reported_good)}]}, 140001)  # fmt: skip
            if o.bill_no.startswith("MO") and o.bill_no[2:].isdigit():
                highest_mo = max(highest_mo, int(o.bill_no[2:]))
            for day, good, scrap in report_lines(factory, o):
                number = f"SCHB{store.next('no:PRD_MORPT', FIRST_REPORT_NUMBER):08d}"
                put("PRD_MORPT", "FID", {
                    "FBillNo": number, "FDate": _dt(day), "FPrdOrgId": ORG_NUMBER,
                    "FWorkshipIdH": o.work_center, "FDocumentStatus": "C", "FDescription": "",
                    "FApproveDate": _dt(day),
                    "FEntity": [{
                        "FEntryID": store.next("entry:PRD_MORPT", 300001), "FSeq": 1, "FMaterialId": material.number,
                        "FUnitID": material.unit, "FReportType": "HBLX01_SYS", "FWorkshipId": o.work_center,
                        "FFinishQty": good, "FQuaQty": good, "FFailQty": 0.0,
                        "FScrapQty": scrap, "FReworkQty": 0.0, "FReMadeQty": 0.0,
                        "FMoBillNo": o.bill_no, "FMoId": mo["FID"], "FMoEntryId": entry_id, "FMoEntrySeq": 1,
                        "FSrcBillType": "PRD_MO", "FSrcBillNo": o.bill_no, "FStockInOrgId": ORG_NUMBER,
                        "FBomId": material.bom_number,
                        "FEntity_Link": [{"FRuleId": "PRD_MO2MORPT", "FSTableName": "T_PRD_MOENTRY",
                                          "FSBillId": mo["FID"], "FSId": entry_id,
                                          "FBaseActualQty": good}]}]}, 200001)  # fmt: skip
        store.bump("no:PRD_MO", highest_mo)  # server numbering continues after the fixture's MO000124
        store.bump("id:PRD_MO", 140669)
