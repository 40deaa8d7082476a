"""The simulator keeps K/3's protocol and rules (raw HTTP, our signing, no client shortcuts)."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from devtools.simulators.k3cloud import create_app
from devtools.simulators.k3cloud.filters import FilterError, evaluate, parse
from k3_client.signing import signed_headers

from .conftest import FIXTURE, make_settings

FORM = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService."
AUTH = "Kingdee.BOS.WebApi.ServicesStub.AuthService."


class Raw:
    """Signed requests exactly as the SDK sends them, but any body shape and path casing."""

    def __init__(self, server, factory) -> None:
        self.server, self.app = server, factory.k3_apps[0]
        self.acct = factory.acct_id

    def post(self, op: str, body, *, service: str = FORM, signed: bool = True, headers=None, ts=None):
        path = f"/k3cloud/{service}{op}.common.kdsvc"
        sent = {"Content-Type": "application/json"}
        if signed:
            sent.update(signed_headers(path=path, app_id=self.app["app_id"], app_secret=self.app["app_secret"],
                                       acct_id=self.acct, user_name=self.app["user_name"], lcid=2052, org_num=0,
                                       timestamp=int(ts or time.time())))  # fmt: skip
        sent.update(headers or {})
        content = body if isinstance(body, (str, bytes)) else json.dumps(body, ensure_ascii=False)
        response = self.server.http.post(self.server.root + path, content=content, headers=sent)
        self.server.http.cookies.clear()  # each test states its own session explicitly
        return response

    def call(self, op: str, body, **kw):
        response = self.post(op, body, **kw)
        assert response.status_code == 200
        return response.json()

    def status(self, op: str, body, **kw) -> dict:
        return self.call(op, body, **kw)["Result"]["ResponseStatus"]

    def query(self, **data):
        return self.call("ExecuteBillQuery", {"data": data})


@pytest.fixture
def raw(server, factory) -> Raw:
    return Raw(server, factory)


def new_order(raw: Raw, **entry) -> dict:
    row = {"FMaterialId": {"FNumber": "1.01.2050"}, "FUnitId": {"FNumber": "Pcs"}, "FQty": 100,
           "FWorkShopID": {"FNumber": "WC-01"}, "FPlanStartDate": "2025-04-02", "FPlanFinishDate": "2025-04-05",
           "FBomId": {"FNumber": "BOM-2050_V1"}}  # fmt: skip
    row.update(entry)
    model = {"FBillType": {"FNumber": "SCDD01_SYS"}, "FPrdOrgId": {"FNumber": "100"}, "FTreeEntity": [row]}
    return raw.call("Save", {"formid": "PRD_MO", "data": {"Model": model}})["Result"]


# -- transport-level faithfulness -----------------------------------------------------------------
def test_business_errors_are_http_200_utf8_json(raw):
    response = raw.post("Save", {"formid": "PRD_MO", "data": {"Model": {"FTreeEntity": []}}})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "是必填项".encode() in response.content  # real UTF-8, not \\u escapes
    assert response.json()["Result"]["ResponseStatus"]["ErrorCode"] == 500


def test_routes_are_case_insensitive_and_positional_bodies_work(raw):
    body = {"parameters": ["PRD_MO", json.dumps({"Number": "P20250401"})], "format": 1, "useragent": "ApiClient"}
    bill = raw.call("view", body, service=FORM.lower())["Result"]["Result"]
    assert bill["BillNo"] == "P20250401"
    rows = raw.call("EXECUTEBILLQUERY", {"parameters": [json.dumps({"FormId": "PRD_MO", "FieldKeys": "FBillNo",
                                                                   "FilterString": "FBillNo='MO000123'"})]})  # fmt: skip
    assert rows == [["MO000123"]]


def test_unsigned_call_without_session_is_session_lost(raw):
    status = raw.status("View", {"formid": "PRD_MO", "data": {"Number": "P20250401"}}, signed=False)
    assert status["MsgCode"] == 1 and status["Errors"][0]["Message"] == "会话信息已丢失，请重新登录"


def test_signed_timestamp_outside_window_is_refused(raw):
    status = raw.status("View", {"formid": "PRD_MO", "data": {"Number": "P20250401"}}, ts=time.time() - 3600)
    assert status["IsSuccess"] is False and status["MsgCode"] == 1


@pytest.mark.parametrize("positional", [False, True])
def test_validate_user_issues_a_cookie_session(raw, factory, positional):
    user = factory.k3_users[0]
    args = [factory.acct_id, user["user_name"], user["password"], 2052]
    body = {"parameters": args} if positional else dict(zip(["acctID", "username", "password", "lcid"], args))
    response = raw.post("ValidateUser", body, service=AUTH, signed=False)
    login = response.json()
    assert login["LoginResultType"] == 1 and login["IsSuccessByAPI"] is True
    sid = response.cookies["kdservice-sessionid"]
    assert sid == login["KDSVCSessionId"]
    view = {"formid": "PRD_MO", "data": {"Number": "P20250401"}}
    ok = raw.call("View", view, signed=False, headers={"Cookie": f"kdservice-sessionid={sid}"})
    assert ok["Result"]["ResponseStatus"]["IsSuccess"] is True
    raw.server.admin("POST", "sessions/expire")
    lost = raw.status("View", view, signed=False, headers={"kdservice-sessionid": sid})
    assert lost["MsgCode"] == 1


def test_wrong_password_and_wrong_app_secret_logins_fail(raw, factory):
    bad = raw.call("ValidateUser", {"acctid": factory.acct_id, "username": "demo.bot", "password": "x", "lcid": 2052},
                   service=AUTH, signed=False)  # fmt: skip
    assert bad["LoginResultType"] == 0 and bad["IsSuccessByAPI"] is False and bad["KDSVCSessionId"] is None
    app = factory.k3_apps[0]
    bad = raw.call("LoginByAppSecret", {"parameters": [factory.acct_id, app["user_name"], app["app_id"], "nope", 2052]},
                   service=AUTH, signed=False)  # fmt: skip
    assert bad["LoginResultType"] == 0


def test_idle_sessions_expire_after_the_configured_ttl(tmp_path, factory):
    now = [1_000_000.0]
    settings = make_settings(tmp_path, k3_sim_session_ttl_s=60)
    app = create_app(settings, db_path=tmp_path / "s.db", clock=lambda: now[0])
    user = factory.k3_users[0]

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
            login = await http.post(f"/K3Cloud/{AUTH}ValidateUser.common.kdsvc",
                                    json={"acctid": factory.acct_id, "username": user["user_name"],
                                          "password": user["password"], "lcid": 2052})  # fmt: skip
            sid = login.json()["KDSVCSessionId"]
            view = {"formid": "PRD_MO", "data": {"Number": "P20250401"}}
            headers = {"kdservice-sessionid": sid}
            url = f"/k3cloud/{FORM}View.common.kdsvc"
            now[0] += 59
            first = (await http.post(url, json=view, headers=headers)).json()
            now[0] += 61
            second = (await http.post(url, json=view, headers=headers)).json()
            return first, second

    import asyncio

    first, second = asyncio.run(scenario())
    assert first["Result"]["ResponseStatus"]["IsSuccess"] is True
    assert second["Result"]["ResponseStatus"]["MsgCode"] == 1


def test_admin_endpoints_are_off_unless_faults_are_enabled(tmp_path):
    app = create_app(make_settings(tmp_path, k3_sim_faults_enabled=False), db_path=tmp_path / "x.db")

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as http:
            return [(await http.get("/_sim/health")).status_code, (await http.post("/_sim/reset")).status_code,
                    (await http.post("/k3cloud/_sim/faults", json={"kind": "latency"})).status_code]  # fmt: skip

    import asyncio

    assert asyncio.run(scenario()) == [200, 404, 404]


# -- numbering, state machine, rules ---------------------------------------------------------------
def test_server_numbers_orders_after_the_fixture_and_assigns_integer_ids(raw):
    first, second = new_order(raw), new_order(raw)
    assert (first["Number"], second["Number"]) == ("MO000125", "MO000126")
    assert isinstance(first["Id"], int) and second["Id"] > first["Id"]


def test_document_state_machine(raw):
    number = new_order(raw)["Number"]
    sel = {"formid": "PRD_MO", "data": {"Numbers": [number]}}
    assert raw.status("Audit", sel)["IsSuccess"] is False  # A cannot be audited before Submit
    assert raw.status("Submit", sel)["IsSuccess"] is True
    assert raw.status("Delete", sel)["MsgCode"] == 11  # B cannot be deleted
    assert raw.status("Audit", sel)["IsSuccess"] is True
    fid = raw.query(FormId="PRD_MO", FieldKeys="FID", FilterString=f"FBillNo='{number}'")[0][0]
    save = raw.status("Save", {"formid": "PRD_MO", "data": {"Model": {"FID": fid, "FDescription": "x"}}})
    assert save["IsSuccess"] is False and save["MsgCode"] == 11
    assert raw.status("UnAudit", sel)["IsSuccess"] is True
    assert raw.query(FormId="PRD_MO", FieldKeys="FDocumentStatus", FilterString=f"FID={fid}") == [["D"]]
    assert raw.status("Save", {"formid": "PRD_MO", "data": {"Model": {"FID": fid, "FDescription": "x"}}})["IsSuccess"]
    assert raw.status("Delete", sel)["IsSuccess"] is True
    assert raw.query(FormId="PRD_MO", FieldKeys="FID", FilterString=f"FID={fid}") == []
    missing = raw.status("Submit", sel)
    assert missing["MsgCode"] == 10


@pytest.mark.parametrize(
    ("entry", "field", "code"),
    [
        ({"FMaterialId": {"FNumber": "9.99.9999"}}, "FMaterialId", 9),
        ({"FWorkShopID": {"FNumber": "WC-99"}}, "FWorkShopID", 9),
        ({"FUnitId": {"FNumber": "Kg"}}, "FUnitId", 9),
        ({"FBomId": {"FNumber": "BOM-3100_V2"}}, "FBomId", 11),  # another material's BOM
        ({"FQty": 0}, "FQty", 11),
        ({"FPlanFinishDate": "2025-04-01"}, "FPlanFinishDate", 11),  # before the start
        ({"FPlanStartDate": "not a date"}, "FPlanStartDate", 8),
    ],
)
def test_bad_order_lines_are_refused_naming_the_field(raw, entry, field, code):
    status = new_order(raw, **entry)["ResponseStatus"]
    assert status["IsSuccess"] is False
    assert (status["Errors"][0]["FieldName"], status["MsgCode"]) == (field, code)


def test_forbidden_or_unaudited_material_is_refused(server, raw):
    store = server.app.state.sim.store
    with store.unit():
        material = store.by_number("BD_MATERIAL", "FNumber", "1.01.2051")
        material["FForbidStatus"] = "B"
        store.put("BD_MATERIAL", "FMATERIALID", material)
    status = new_order(raw, FMaterialId={"FNumber": "1.01.2051"}, FBomId={"FNumber": "BOM-2051_V1"})["ResponseStatus"]
    assert status["Errors"][0]["FieldName"] == "FMaterialId" and "禁用" in status["Errors"][0]["Message"]


def test_entry_status_operations_follow_the_order_lifecycle(raw):
    sel = {"formid": "PRD_MO", "opNumber": "ToStart", "data": {"Numbers": ["MO000124"]}}
    assert raw.status("ExcuteOperation", sel)["MsgCode"] == 11  # 1 -> 4 is not a step
    for op in ("ToPlanConfirm", "ToRelease", "ToStart", "ToFinish", "ToClose"):
        assert raw.status("ExcuteOperation", {**sel, "opNumber": op})["IsSuccess"] is True, op
    assert raw.query(FormId="PRD_MO", FieldKeys="FStatus", FilterString="FBillNo='MO000124'") == [["6"]]
    unknown = raw.status("ExcuteOperation", {**sel, "opNumber": "Explode"})
    assert unknown["MsgCode"] == 8


def test_report_quantities_must_be_consistent_and_not_exceed_the_order(raw):
    pushed = raw.call("Push", {"formid": "PRD_MO", "data": {"Numbers": ["P20250401"], "RuleId": "PRD_MO2MORPT",
                                                            "TargetFormId": "PRD_MORPT"}})["Result"]  # fmt: skip
    report = pushed["ResponseStatus"]["SuccessEntitys"][0]
    entry = raw.query(FormId="PRD_MORPT", FieldKeys="FEntity_FEntryId,FFinishQty", FilterString=f"FID={report['Id']}")[0]
    assert entry[1] == 300 - 124  # the push proposes what is left to report

    def fill(**qty):
        data = {"NeedUpDateFields": ["FEntity", *qty], "IsDeleteEntry": "false",
                "Model": {"FID": report["Id"], "FEntity": [{"FEntryID": entry[0], **qty}]}}  # fmt: skip
        return raw.status("Save", {"formid": "PRD_MORPT", "data": data})

    inconsistent = fill(FFinishQty=50, FQuaQty=40, FFailQty=0)
    assert inconsistent["Errors"][0]["FieldName"] == "FFinishQty" and "之和" in inconsistent["Errors"][0]["Message"]
    over = fill(FFinishQty=170, FQuaQty=170, FScrapQty=10)  # 124 + 180 > 300
    assert over["Errors"][0]["FieldName"] == "FFinishQty" and "超过" in over["Errors"][0]["Message"]
    assert fill(FFinishQty=170, FQuaQty=170, FScrapQty=6)["IsSuccess"] is True  # exactly 300
    for op in ("Submit", "Audit"):
        assert raw.status(op, {"formid": "PRD_MORPT", "data": {"Ids": str(report["Id"])}})["IsSuccess"]
    assert raw.query(FormId="PRD_MO", FieldKeys="FRepQuaQty,FRepScrapQty,FRptFinishQty",
                     FilterString="FBillNo='P20250401'") == [[290.0, 10.0, 290.0]]  # fmt: skip
    full = raw.call("Push", {"formid": "PRD_MO", "data": {"Numbers": ["P20250401"], "RuleId": "PRD_MO2MORPT",
                                                          "TargetFormId": "PRD_MORPT"}})["Result"]["ResponseStatus"]  # fmt: skip
    assert full["IsSuccess"] is False and full["MsgCode"] == 11
    lower = {"Model": {"FID": raw.query(FormId="PRD_MO", FieldKeys="FID", FilterString="FBillNo='P20250401'")[0][0]}}
    assert raw.status("UnAudit", {"formid": "PRD_MO", "data": {"Numbers": ["P20250401"]}})["IsSuccess"]
    fid_entry = raw.query(FormId="PRD_MO", FieldKeys="FTreeEntity_FEntryId", FilterString="FBillNo='P20250401'")[0][0]
    lower["Model"]["FTreeEntity"] = [{"FEntryID": fid_entry, "FQty": 250}]
    lower["NeedUpDateFields"] = ["FTreeEntity", "FQty"]
    below = raw.status("Save", {"formid": "PRD_MO", "data": lower})
    assert below["Errors"][0]["FieldName"] == "FQty" and below["MsgCode"] == 11


# -- ExecuteBillQuery ---------------------------------------------------------------------------------
def test_query_columns_follow_field_keys_with_dotted_refs_and_paging(raw):
    keys = "FQty,FBillNo,FWorkShopID.FNumber,FMaterialId.FName,FPlanFinishDate,FStatus"
    rows = raw.query(FormId="PRD_MO", FieldKeys=keys, FilterString="FBillNo='P20250401'")
    assert rows == [[300.0, "P20250401", "WC-01", "电机外壳A型", "2025-04-03T00:00:00", "4"]]
    all_rows = raw.query(FormId="PRD_MO", FieldKeys="FBillNo", OrderString="FBillNo DESC")
    assert [r[0] for r in all_rows] == ["P20250403", "P20250402", "P20250401", "MO000124", "MO000123"]
    page = raw.query(FormId="PRD_MO", FieldKeys="FBillNo", OrderString="FBillNo", StartRow=1, Limit=2)
    assert page == [["MO000124"], ["P20250401"]]
    assert raw.query(FormId="PRD_MO", FieldKeys="FBillNo", OrderString="FBillNo", TopRowCount=1) == [["MO000123"]]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("FQty >= 500 and FStatus <> '3'", ["P20250402"]),
        ("FStatus in ('3','5') or FBillNo like 'MO%4'", ["MO000123", "MO000124", "P20250403"]),
        ("(FQty < 200 or FQty > 1000) and not FBillNo = 'MO000124'", ["P20250402"]),
        ("FPlanFinishDate >= '2025-04-03' and FPlanStartDate <= '2025-04-01'", ["MO000124", "P20250401"]),
        ("fworkshopid.fnumber = 'wc-02'", ["P20250402"]),  # keys and text compare case-insensitively
        ("FBillNo = 'P1'' or ''1''=''1'", []),  # an escaped quote stays inside the literal
        ("FQty between 200 and 300", ["MO000123", "P20250401"]),
    ],
)
def test_filter_strings_are_really_parsed(raw, filter_string, expected):
    rows = raw.query(FormId="PRD_MO", FieldKeys="FBillNo", FilterString=filter_string, OrderString="FBillNo")
    assert [r[0] for r in rows] == expected


@pytest.mark.parametrize("bad", ["FBillNo = 'open", "FBillNo = = 'x'", "FBillNo = 'x'; delete", "(FQty > 1"])
def test_malformed_filters_are_refused_in_the_query_envelope(raw, bad):
    answer = raw.query(FormId="PRD_MO", FieldKeys="FBillNo", FilterString=bad)
    status = answer[0][0]["Result"]["ResponseStatus"]
    assert status["IsSuccess"] is False and status["Errors"][0]["FieldName"] == "FilterString"


def test_unknown_field_in_filter_is_msgcode_9_even_without_rows(raw):
    answer = raw.query(FormId="PRD_MO", FieldKeys="FBillNo", FilterString="FNope = 1 and FBillNo='none'")
    assert answer[0][0]["Result"]["ResponseStatus"]["MsgCode"] == 9


def test_filter_parser_units():
    row = {"FBillNo": ("P1", "text"), "FQty": (5.0, "decimal"), "FNull": (None, "text")}

    def resolve(name):
        return row[name]

    assert evaluate(parse("FBillNo='p1' and FQty>4.5"), resolve)
    assert not evaluate(parse("FNull = 'x' or FNull <> 'x'"), resolve)  # NULL compares false
    assert evaluate(parse("FNull is null and FBillNo is not null"), resolve)
    assert evaluate(parse("FBillNo like '[P]_'"), resolve)
    assert not evaluate(parse("FBillNo not in ('P1', 'P2')"), resolve)
    with pytest.raises(FilterError):
        parse("FBillNo = 'x' FQty")


# -- persistence ------------------------------------------------------------------------------------------
def test_state_survives_a_restart_and_reset_reseeds(tmp_path):
    settings = make_settings(tmp_path)
    db = tmp_path / "persist.db"
    app = create_app(settings, db_path=db)
    sim = app.state.sim
    with sim.store.unit():
        result = sim.service.save("PRD_MO", {"Model": {
            "FBillType": {"FNumber": "SCDD01_SYS"}, "FPrdOrgId": {"FNumber": "100"},
            "FTreeEntity": [{"FMaterialId": {"FNumber": "1.02.3100"}, "FQty": 5, "FWorkShopID": {"FNumber": "WC-02"},
                             "FPlanStartDate": "2025-04-02", "FPlanFinishDate": "2025-04-03"}]}})  # fmt: skip
    number = result["Result"]["Number"]
    sim.store.close()
    again = create_app(settings, db_path=db)
    assert again.state.sim.store.by_number("PRD_MO", "FBillNo", number) is not None
    assert again.state.sim.store.by_number("PRD_MO", "FBillNo", number)["FTreeEntity"][0]["FBomId"] == "BOM-3100_V2"
    fresh = create_app(settings, db_path=db, reset=True)
    assert fresh.state.sim.store.by_number("PRD_MO", "FBillNo", number) is None
    assert FIXTURE.exists()
