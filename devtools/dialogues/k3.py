"""K/3 as it is now, read back through its WebAPI with Kingdee's official SDK: every production
order (quantity, status, finish date, work center, material, reported good/scrap) and the audited
output reports of each order."""

from __future__ import annotations

import json
from dataclasses import dataclass

from devtools.factory import get_factory

MO_KEYS = ("FBillNo", "FQty", "FDocumentStatus", "FStatus", "FPlanFinishDate", "FWorkShopID.FNumber",
           "FMaterialId.FNumber", "FRepQuaQty", "FRepScrapQty")
RPT_KEYS = ("FBillNo", "FDocumentStatus", "FMoBillNo")


@dataclass(frozen=True)
class OrderState:
    bill_no: str
    qty: float
    document: str
    status: str
    finish: str  # YYYY-MM-DD
    work_center: str
    material: str  # chat code (BOM-2050), or the K/3 number when the factory does not know it
    good: float
    scrap: float
    reports: int  # audited output reports

    def as_dict(self) -> dict:
        return {"qty": self.qty, "status": self.status, "document": self.document, "finish": self.finish,
                "work_center": self.work_center, "material": self.material, "good": self.good,
                "scrap": self.scrap, "reports": self.reports}


class K3Reader:
    def __init__(self, settings) -> None:
        from k3cloud_webapi_sdk.main import K3CloudApiSdk

        factory = get_factory()
        app = factory.k3_apps[0]
        url = f"http://127.0.0.1:{settings.k3_sim_port}/k3cloud/"
        self.sdk = K3CloudApiSdk(url)
        self.sdk.InitConfig(factory.acct_id, app["user_name"], app["app_id"], app["app_secret"], url, 2052, 0)
        self.codes = {m.number: m.chat_code for m in factory.materials}

    def _rows(self, form_id: str, keys: tuple[str, ...]) -> list[list]:
        rows = json.loads(self.sdk.ExecuteBillQuery({"FormId": form_id, "FieldKeys": ",".join(keys),
                                                     "FilterString": "", "OrderString": "FBillNo", "Limit": 10000}))
        if not isinstance(rows, list) or (rows and not isinstance(rows[0], list)):
            raise RuntimeError(f"K/3 did not list {form_id}: {str(rows)[:300]}")
        return rows

    def snapshot(self) -> dict[str, OrderState]:
        reports: dict[str, int] = {}
        for bill, doc, mo in self._rows("PRD_MORPT", RPT_KEYS):
            if doc == "C":
                reports[mo] = reports.get(mo, 0) + 1
        out = {}
        for bill, qty, doc, status, finish, wc, material, good, scrap in self._rows("PRD_MO", MO_KEYS):
            out[bill] = OrderState(bill, float(qty or 0), str(doc), str(status), str(finish or "")[:10], str(wc),
                                   self.codes.get(material, material), float(good or 0), float(scrap or 0),
                                   reports.get(bill, 0))
        return out
