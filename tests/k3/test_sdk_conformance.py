"""The OFFICIAL K/3 SDK (k3cloud_webapi_sdk 8.2.0, unchanged) against the simulator over real HTTP."""

from __future__ import annotations

import json
import subprocess

import pytest
from k3cloud_webapi_sdk.main import K3CloudApiSdk

from tests.requirements import SDK_PYTHON, need


@pytest.fixture
def sdk(server, factory):
    app = factory.k3_apps[0]
    api = K3CloudApiSdk(server.base_url, timeout=10)
    api.InitConfig(factory.acct_id, app["user_name"], app["app_id"], app["app_secret"], server.base_url)
    return api


def order_model(**entry_overrides) -> dict:
    entry = {
        "FProductType": "1", "FMaterialId": {"FNumber": "1.01.2050"}, "FUnitId": {"FNumber": "Pcs"}, "FQty": 100,
        "FWorkShopID": {"FNumber": "WC-01"}, "FPlanStartDate": "2025-04-02", "FPlanFinishDate": "2025-04-05",
        "FBomId": {"FNumber": "BOM-2050_V1"},
    }  # fmt: skip
    entry.update(entry_overrides)
    entry = {k: v for k, v in entry.items() if v is not None}
    return {
        "NeedUpDateFields": [], "NeedReturnFields": ["FBillNo", "FID"], "IsDeleteEntry": "true",
        "Model": {"FID": 0, "FBillType": {"FNUMBER": "SCDD01_SYS"}, "FDate": "2025-04-01",
                  "FPrdOrgId": {"FNumber": "100"}, "FTreeEntity": [entry]},
    }  # fmt: skip


def status_of(raw: str) -> dict:
    return json.loads(raw)["Result"]["ResponseStatus"]


def test_save_submit_audit_view_query_a_production_order(sdk):
    saved = json.loads(sdk.Save("PRD_MO", order_model()))["Result"]
    assert saved["ResponseStatus"]["IsSuccess"] is True
    number, fid = saved["Number"], saved["Id"]
    assert number == "MO000125" and isinstance(fid, int)
    assert saved["NeedReturnData"] == [{"FBillNo": number, "FID": fid}]

    for op in (sdk.Submit, sdk.Audit):
        status = status_of(op("PRD_MO", {"CreateOrgId": 0, "Numbers": [number], "Ids": "", "NetworkCtrl": ""}))
        assert status["IsSuccess"] is True and status["SuccessEntitys"][0]["Number"] == number

    bill = json.loads(sdk.View("PRD_MO", {"CreateOrgId": 0, "Number": number, "Id": "", "IsSortBySeq": "false"}))
    bill = bill["Result"]["Result"]
    assert (bill["BillNo"], bill["DocumentStatus"], bill["Date"]) == (number, "C", "2025-04-01T00:00:00")
    assert bill["TreeEntity"][0]["MaterialId"]["Number"] == "1.01.2050"
    assert {"Key": 2052, "Value": "电机外壳A型"} in bill["TreeEntity"][0]["MaterialId"]["Name"]

    rows = json.loads(sdk.ExecuteBillQuery({
        "FormId": "PRD_MO", "FieldKeys": "FBillNo,FTreeEntity_FEntryId,FMaterialId.FNumber,FQty,FDocumentStatus",
        "FilterString": f"FBillNo='{number}' and FDocumentStatus='C'", "OrderString": "FBillNo", "TopRowCount": 0,
        "StartRow": 0, "Limit": 2000,
    }))  # fmt: skip
    assert rows == [[number, bill["TreeEntity"][0]["Id"], "1.01.2050", 100.0, "C"]]

    again = status_of(sdk.Audit("PRD_MO", {"Numbers": [number]}))
    assert again["IsSuccess"] is False and again["MsgCode"] == 11 and "已经审核" in again["Errors"][0]["Message"]


def test_missing_plan_finish_date_is_refused_naming_the_field(sdk):
    status = status_of(sdk.Save("PRD_MO", order_model(FPlanFinishDate=None)))
    assert status["IsSuccess"] is False and status["MsgCode"] == 11
    assert status["Errors"][0]["FieldName"] == "FPlanFinishDate"
    assert "计划完工时间" in status["Errors"][0]["Message"]


@pytest.mark.parametrize("bom", [None, {"FNumber": "1.01.2099_V0"}], ids=["no-bom-given", "unaudited-bom"])
def test_material_without_audited_bom_is_refused(sdk, bom):
    status = status_of(sdk.Save("PRD_MO", order_model(FMaterialId={"FNumber": "1.01.2099"}, FBomId=bom)))
    assert status["IsSuccess"] is False and status["Errors"][0]["FieldName"] == "FBomId"


def test_unknown_form_is_refused(sdk):
    status = status_of(sdk.Save("PRD_NOSUCHFORM", order_model()))
    assert status["IsSuccess"] is False and status["MsgCode"] == 9 and "业务对象" in status["Errors"][0]["Message"]


@pytest.mark.parametrize("field", ["app_secret", "app_id"])
def test_wrong_app_secret_or_unknown_app_is_refused(server, factory, field):
    app = dict(factory.k3_apps[0])
    app[field] = "312345_d3JvbmctYXBwLWNsaWVudC1zZWNyZXQh" if field == "app_id" else "not-the-registered-secret-000000"
    api = K3CloudApiSdk(server.base_url, timeout=10)
    api.InitConfig(factory.acct_id, app["user_name"], app["app_id"], app["app_secret"], server.base_url)
    status = status_of(api.View("PRD_MO", {"Number": "P20250401"}))
    assert status["IsSuccess"] is False and status["MsgCode"] == 1
    assert "会话信息已丢失" in status["Errors"][0]["Message"]


def test_data_as_json_string_and_unknown_query_field(sdk):
    raw = sdk.ExecuteBillQuery(json.dumps({"FormId": "PRD_MO", "FieldKeys": "FBillNo,FNoSuchField"}))
    wrapped = json.loads(raw)
    status = wrapped[0][0]["Result"]["ResponseStatus"]
    assert status["MsgCode"] == 9 and "FNoSuchField" in status["Errors"][0]["Message"]
    rows = json.loads(sdk.ExecuteBillQuery(json.dumps({"FormId": "PRD_MO", "FieldKeys": "FBillNo",
                                                       "FilterString": "FBillNo='NOPE'"})))  # fmt: skip
    assert rows == []


def test_push_creates_a_linked_report_and_audit_updates_the_order(sdk):
    order = json.loads(sdk.ExecuteBillQuery({"FormId": "PRD_MO", "FieldKeys": "FID,FTreeEntity_FEntryId",
                                             "FilterString": "FBillNo='P20250403'"}))[0]  # fmt: skip
    result = json.loads(sdk.Push("PRD_MO", {"Ids": "", "Numbers": [], "EntryIds": str(order[1]), "RuleId": "PRD_MO2MORPT",
                                            "TargetFormId": "PRD_MORPT", "IsEnableDefaultRule": "false"}))["Result"]  # fmt: skip
    assert result["ResponseStatus"]["IsSuccess"] is True and result["ConvertResponseStatus"]["IsSuccess"] is True
    report = result["ResponseStatus"]["SuccessEntitys"][0]
    assert report["Number"].startswith("SCHB") and len(report["Number"]) == 12
    link = json.loads(sdk.ExecuteBillQuery({
        "FormId": "PRD_MORPT", "FilterString": f"FID={report['Id']}",
        "FieldKeys": "FEntity_FEntryId,FEntity_Link_FRuleId,FEntity_Link_FSTableName,FEntity_Link_FSBillId,FEntity_Link_FSId",
    }))[0]  # fmt: skip
    assert link[1:] == ["PRD_MO2MORPT", "T_PRD_MOENTRY", order[0], order[1]]
    fill = {"NeedUpDateFields": ["FEntity", "FFinishQty", "FQuaQty", "FScrapQty"], "IsDeleteEntry": "false",
            "Model": {"FID": report["Id"], "FEntity": [{"FEntryID": link[0], "FFinishQty": 40, "FQuaQty": 40,
                                                         "FScrapQty": 2}]}}  # fmt: skip
    assert status_of(sdk.Save("PRD_MORPT", fill))["IsSuccess"] is True
    for op in (sdk.Submit, sdk.Audit):
        assert status_of(op("PRD_MORPT", {"Ids": str(report["Id"])}))["IsSuccess"] is True
    rows = json.loads(sdk.ExecuteBillQuery({"FormId": "PRD_MO", "FieldKeys": "FRepQuaQty,FRepScrapQty",
                                            "FilterString": "FBillNo='P20250403'"}))  # fmt: skip
    assert rows == [[40.0, 2.0]]


def test_batch_save_reports_each_item_by_index(sdk):
    good = order_model()["Model"]
    bad = order_model(FWorkShopID={"FNumber": "WC-99"})["Model"]
    status = status_of(sdk.BatchSave("PRD_MO", {"Model": [good, bad, good]}))
    assert status["IsSuccess"] is False
    assert [e["DIndex"] for e in status["SuccessEntitys"]] == [0, 2]
    assert [(e["DIndex"], e["FieldName"]) for e in status["Errors"]] == [(1, "FWorkShopID")]


def test_excute_operation_targets_single_entries(sdk):
    fid, entry = json.loads(sdk.ExecuteBillQuery({"FormId": "PRD_MO", "FieldKeys": "FID,FTreeEntity_FEntryId",
                                                  "FilterString": "FBillNo='MO000124'"}))[0]  # fmt: skip
    data = {"CreateOrgId": 0, "Numbers": [], "Ids": "", "PkEntryIds": [{"Id": str(fid), "EntryIds": str(entry)}]}
    assert status_of(sdk.ExcuteOperation("PRD_MO", "ToRelease", data))["IsSuccess"] is True
    refused = status_of(sdk.ExcuteOperation("PRD_MO", "ToClose", data))
    assert refused["IsSuccess"] is False and refused["MsgCode"] == 11 and refused["Errors"][0]["FieldName"] == "FStatus"
    rows = json.loads(sdk.ExecuteBillQuery({"FormId": "PRD_MO", "FieldKeys": "FStatus", "FilterString": "FID=" + str(fid)}))
    assert rows == [["3"]]


SDK_SCRIPT = """
import json, sys
from k3cloud_webapi_sdk.main import K3CloudApiSdk
url, acct, user, app_id, secret = sys.argv[1:6]
sdk = K3CloudApiSdk(url, timeout=10)
sdk.InitConfig(acct, user, app_id, secret, url)
print(sdk.ExecuteBillQuery({"FormId": "PRD_MO", "FieldKeys": "FBillNo,FRepQuaQty,FRepScrapQty",
                            "FilterString": "FBillNo like 'P2025040%'", "OrderString": "FBillNo"}))
"""


def test_untouched_sdk_venv_reads_the_fixture_orders(server, factory):
    need("sdk")
    app = factory.k3_apps[0]
    out = subprocess.run([str(SDK_PYTHON), "-c", SDK_SCRIPT, server.base_url, factory.acct_id, app["user_name"],
                          app["app_id"], app["app_secret"]], capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    assert json.loads(out.stdout) == [["P20250401", 120.0, 4.0], ["P20250402", 600.0, 10.0], ["P20250403", 0.0, 0.0]]


def test_cancel_assign_takes_a_submitted_order_back_to_created_then_delete(sdk):
    """撤销 (CancelAssign, the SDK's own call): B -> A; Delete is then allowed. Not on A, not on C."""
    number = json.loads(sdk.Save("PRD_MO", order_model()))["Result"]["Number"]
    numbers = {"CreateOrgId": 0, "Numbers": [number], "Ids": "", "NetworkCtrl": ""}
    refused = status_of(sdk.CancelAssign("PRD_MO", numbers))  # still A: nothing to withdraw
    assert refused["IsSuccess"] is False and refused["MsgCode"] == 11 and "撤销" in refused["Errors"][0]["Message"]
    assert status_of(sdk.Submit("PRD_MO", numbers))["IsSuccess"] is True
    assert status_of(sdk.Delete("PRD_MO", numbers))["IsSuccess"] is False  # B: not deletable
    withdrawn = status_of(sdk.CancelAssign("PRD_MO", numbers))
    assert withdrawn["IsSuccess"] is True and withdrawn["SuccessEntitys"][0]["Number"] == number
    bill = json.loads(sdk.View("PRD_MO", {"CreateOrgId": 0, "Number": number, "Id": "", "IsSortBySeq": "false"}))
    assert bill["Result"]["Result"]["DocumentStatus"] == "A"
    assert status_of(sdk.Delete("PRD_MO", numbers))["IsSuccess"] is True
