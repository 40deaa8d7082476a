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


# -- bill numbers never come back ------------------------------------------------------------------
# K/3 never gives a bill number twice, but the simulator's reset between batches starts its numbering
# again at the fixture's (MO000125 once more). The bot keeps its own records by bill number (the OA
# approval of a new order, keyed "order:<bill no>"), so a reused number made a later dialogue's order
# collide with an earlier dialogue's approval. The runner therefore carries the numbering across a
# reset: before it, one placeholder order learns the next number (saved and deleted at once); after
# it, placeholders are saved and deleted until that number is passed. Placeholders live for
# milliseconds between batches, when no dialogue is playing.
def _placeholder_model() -> dict:
    factory = get_factory()
    m = next(m for m in factory.materials if m.bom_number)
    wc = m.work_center
    return {"FID": 0, "FBillType": {"FNumber": factory.production_types[0].bill_type}, "FDate": "2025-04-01",
            "FPrdOrgId": {"FNumber": factory.organization["number"]}, "FOwnerTypeId": "BD_OwnerOrg",
            "FDescription": "dialogue runner: numbering placeholder (deleted at once)",
            "FTreeEntity": [{"FProductType": "1", "FMaterialId": {"FNumber": m.number}, "FUnitId": {"FNumber": m.unit},
                             "FQty": 1, "FWorkShopID": {"FNumber": wc}, "FPlanStartDate": "2025-04-01",
                             "FPlanFinishDate": "2025-04-02", "FBomId": {"FNumber": m.bom_number},
                             "FStockInOrgId": {"FNumber": factory.organization["number"]}}]}


def order_sequence(bill_no: str) -> int:
    digits = "".join(ch for ch in bill_no if ch.isdigit())
    return int(digits) if digits else 0


class Numbering:
    """Save-and-delete placeholder orders through the WebAPI (the official SDK)."""

    def __init__(self, reader: K3Reader) -> None:
        self.sdk = reader.sdk
        self.model = _placeholder_model()

    def _placeholder(self) -> str:
        saved = json.loads(self.sdk.Save("PRD_MO", {"Model": self.model, "NeedReturnFields": ["FBillNo"]}))
        status = (saved.get("Result") or {}).get("ResponseStatus") or {}
        if not status.get("IsSuccess"):
            raise RuntimeError(f"K/3 refused the numbering placeholder: {str(saved)[:300]}")
        number = saved["Result"].get("Number") or status["SuccessEntitys"][0]["Number"]
        deleted = json.loads(self.sdk.Delete("PRD_MO", {"Numbers": [number]}))
        if not ((deleted.get("Result") or {}).get("ResponseStatus") or {}).get("IsSuccess"):
            raise RuntimeError(f"K/3 did not delete the numbering placeholder {number}: {str(deleted)[:300]}")
        return number

    def next_number(self) -> int:
        """The sequence K/3 is at now (a placeholder takes it)."""
        return order_sequence(self._placeholder())

    def skip_past(self, sequence: int, limit: int = 5000) -> None:
        """After a reset: until K/3's next order number is above ``sequence``."""
        for _ in range(limit):
            if order_sequence(self._placeholder()) >= sequence:
                return
        raise RuntimeError(f"K/3 order numbering did not reach {sequence}")
