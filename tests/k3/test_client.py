"""Our K3Client / AsyncK3Client against the simulator: operations, login modes, errors, retries."""

from __future__ import annotations

import logging
import random
from datetime import date

import httpx
import pytest

from k3_client import (
    K3AuthFailed,
    K3Client,
    K3NotFound,
    K3PermissionDenied,
    K3QtyBelowReported,
    K3Rejected,
    K3SessionLost,
    K3Unavailable,
    K3UnknownForm,
)
from k3_client import filters as f
from k3_client.api import ProductionK3
from k3_client.models import OrderDraft, OrderStatus
from rasa_project.chat.k3_errors import describe
from rasa_project.wiring import k3_config


def draft(key: str, **overrides) -> OrderDraft:
    values = {
        "material_number": "1.01.2050", "bom_number": "BOM-2050_V1", "qty": 100.0, "unit": "Pcs", "work_center": "WC-01",
        "plan_start": date(2025, 4, 2), "plan_finish": date(2025, 4, 5), "bill_type": "SCDD01_SYS", "request_key": key,
    }  # fmt: skip
    values.update(overrides)
    return OrderDraft(**values)


def test_both_shells_offer_every_protocol_method_with_its_signature():
    import inspect

    from k3_client import AsyncK3Client

    names = [n for n, v in vars(ProductionK3).items() if callable(v) and not n.startswith("_")]
    # 13 + the batch reads find_materials, find_boms, find_audited_boms, list_report_lines (issue 15),
    # get_orders, delete_order (issue 13) + audit_order, withdraw_order (issue 14)
    assert len(names) == 21
    for shell in (K3Client, AsyncK3Client):
        for name in names:
            theirs = list(inspect.signature(getattr(ProductionK3, name)).parameters)
            ours = list(inspect.signature(getattr(shell, name)).parameters)
            assert ours == theirs, (shell.__name__, name)


# -- lookups ---------------------------------------------------------------------------------------------
def test_lookups_return_fixture_data_in_our_words(client):
    material = client.find_material("1.01.2050")
    assert (material.name, material.unit, material.safety_stock, material.is_audited) == ("电机外壳A型", "Pcs", 200.0, True)
    assert client.find_material("9.99.9999") is None
    bom = client.find_bom("BOM-5200_V3")
    assert [(line.material_number, line.qty_per) for line in bom.lines] == [
        ("1.01.2050", 1.0), ("1.02.3100", 1.0), ("1.03.4100", 1.0)]  # fmt: skip
    assert client.find_audited_bom("1.04.5200").number == "BOM-5200_V3"
    assert client.find_audited_bom("1.01.2099") is None
    order = client.get_order("P20250401")
    assert (order.qty, order.status, order.reported_good, order.reported_scrap) == (300.0, OrderStatus.STARTED, 120.0, 4.0)
    assert client.get_order("P19990101") is None
    stock = client.stock_of(["1.04.5200", "1.01.2050", "0.00.0000"])
    assert (stock["1.04.5200"].qty, stock["1.01.2050"].by_stock, stock["0.00.0000"].qty) == (80.0, {"CK001": 1500.0}, 0.0)
    reports = client.list_reports("P20250402")
    assert [(r.good, r.scrap, r.document_status) for r in reports] == [(600.0, 10.0, "C")]


def test_batch_lookups_read_many_in_one_query_and_agree_with_the_single_ones(client, monkeypatch):
    from k3_client import facade

    numbers = ["1.01.2050", "1.02.3100", "1.03.4100", "9.99.9999"]
    materials = client.find_materials(numbers)
    assert materials == {n: client.find_material(n) for n in numbers[:3]}
    boms = client.find_boms(["BOM-5200_V3", "BOM-2050_V1", "NO-SUCH-BOM"])
    assert boms == {n: client.find_bom(n) for n in ("BOM-5200_V3", "BOM-2050_V1")}
    audited = client.find_audited_boms(["1.04.5200", "1.01.2050", "1.01.2099"])
    assert audited == {m: client.find_audited_bom(m) for m in ("1.04.5200", "1.01.2050")}
    assert client.find_materials([]) == {} and client.find_boms([]) == {}

    sent = []
    client.observer = lambda record: sent.append(record.operation)
    monkeypatch.setattr(facade, "IN_CHUNK", 2)  # a long list is split, never one query per value
    assert set(client.find_materials(numbers)) == set(numbers[:3])
    assert sent == ["ExecuteBillQuery", "ExecuteBillQuery"]


def test_list_orders_filters_combine(client):
    def bills(**kw):
        return sorted(o.bill_no for o in client.list_orders(**kw))

    assert bills(work_center="WC-04") == ["MO000123", "MO000124"]
    assert bills(statuses=[OrderStatus.RELEASED, OrderStatus.STARTED]) == ["P20250401", "P20250402", "P20250403"]
    assert bills(material_numbers=["1.04.5200"], finish_from=date(2025, 4, 1)) == ["MO000124"]
    assert bills(start_to=date(2025, 3, 28)) == ["MO000123", "P20250401"]
    assert bills(material_numbers=[]) == []


def test_many_orders_are_read_in_one_query_in_the_order_asked(client):
    sent = []
    client.observer = lambda record: sent.append(record.operation)
    orders = client.get_orders(["P20250402", "NOPE0001", "P20250401", "P20250402"])
    assert [o.bill_no for o in orders] == ["P20250402", "P20250401"]
    assert orders[1].qty == 300 and orders[1].reported_good == 120
    assert sent == ["ExecuteBillQuery"]  # one read for the list, not one per order
    assert client.get_orders([]) == []


def test_orders_due_in_a_window(client):
    due = client.list_orders(finish_from=date(2025, 4, 1), finish_to=date(2025, 4, 3),
                             statuses=[OrderStatus.RELEASED, OrderStatus.STARTED])
    assert sorted(o.bill_no for o in due) == ["P20250401", "P20250402"]


def test_filter_values_are_escaped_and_injection_never_reaches_k3(client):
    attack = "P20250401' or '1'='1"
    assert f.eq("FBillNo", attack) == "FBillNo='P20250401'' or ''1''=''1'"
    assert client.get_order(attack) is None
    assert client.execute_bill_query("PRD_MO", ["FBillNo"], filter=f.eq("FBillNo", attack)) == []
    # the same text pasted raw would have matched every order: the escaping is what protects us
    assert len(client.execute_bill_query("PRD_MO", ["FBillNo"], filter=f"FBillNo='{attack}'")) == 5
    for bad in ("x\x00", "a\nb"):
        with pytest.raises(f.UnsafeFilterValue):
            f.eq("FBillNo", bad)
    with pytest.raises(f.UnsafeFilterValue):
        f.eq("FBillNo = '' or 1=1 --", "x")
    with pytest.raises(f.UnsafeFilterValue):
        f.literal(object())
    assert f.contains("FDescription", "50%_[x]") == "FDescription like '%50[%][_][[]x]%'"


# -- writes --------------------------------------------------------------------------------------------
def test_create_for_approval_stops_at_submit_then_audit_or_withdraw(client):
    """Issue 14: Save + Submit only (B); then Audit, or CancelAssign + Delete; each step idempotent."""
    order = client.create_order(draft("oa-1"), audit=False)
    assert order.document_status == "B"
    assert client.create_order(draft("oa-1"), audit=False).bill_no == order.bill_no  # same key, same order
    assert client.audit_order(order.bill_no).document_status == "C"
    assert client.audit_order(order.bill_no).document_status == "C"  # again: still audited, no error
    with pytest.raises(K3Rejected):
        client.withdraw_order(order.bill_no)  # audited: not withdrawn by this path
    other = client.create_order(draft("oa-2"), audit=False)
    assert client.withdraw_order(other.bill_no, delete=False).document_status == "A"
    assert client.withdraw_order(other.bill_no) is None and client.get_order(other.bill_no) is None
    assert client.withdraw_order(other.bill_no) is None  # already gone


def test_create_change_status_report_reverse(client, factory):
    order = client.create_order(draft("flow-1"))
    assert (order.bill_no, order.document_status, order.status, order.remark) == ("MO000125", "C", OrderStatus.PLANNED,
                                                                                  "[dingk3:flow-1]")  # fmt: skip
    assert client.create_order(draft("flow-1")).bill_no == order.bill_no  # same key -> same order
    changed = client.change_order(order.bill_no, qty=150, plan_finish=date(2025, 4, 6), work_center="WC-02")
    assert (changed.qty, changed.plan_finish, changed.work_center, changed.document_status) == (
        150.0, date(2025, 4, 6), "WC-02", "C")  # fmt: skip
    assert client.set_order_status(order.bill_no, "toRelease").status == OrderStatus.RELEASED
    report = client.report_output(order.bill_no, good=40, scrap=2, request_key="rep-1")
    assert (report.good, report.scrap, report.document_status, report.order_bill_no) == (40.0, 2.0, "C", order.bill_no)
    assert client.report_output(order.bill_no, good=40, scrap=2, request_key="rep-1").bill_no == report.bill_no
    after = client.get_order(order.bill_no)
    assert (after.reported_good, after.reported_scrap) == (40.0, 2.0)
    with pytest.raises(K3QtyBelowReported) as below:
        client.change_order(order.bill_no, qty=41)
    assert "41" in describe(below.value, "en") and "42" in describe(below.value, "en")
    assert client.change_order(order.bill_no, qty=42).qty == 42.0  # exactly what was reported is fine
    client.reverse_report(report.bill_no)
    assert client.list_reports(order.bill_no) == []
    assert client.get_order(order.bill_no).reported_total == 0.0
    with pytest.raises(K3NotFound):
        client.reverse_report(report.bill_no)


def test_over_report_is_refused_and_leaves_no_draft(client):
    # the fixture's report_history: three dated reports behind P20250401's 120 good / 4 scrap
    seeded = [r.bill_no for r in client.list_reports("P20250401")]
    assert seeded == ["SCHB00082561", "SCHB00082562", "SCHB00082563"]
    with pytest.raises(K3Rejected) as refused:
        client.report_output("P20250401", good=170, scrap=10, request_key="over-1")
    assert refused.value.reason == "over_report" and refused.value.field == "FFinishQty"
    assert "exceed the order quantity" in describe(refused.value, "en")
    assert [r.bill_no for r in client.list_reports("P20250401")] == seeded
    assert client.report_output("P20250401", good=176, scrap=0, request_key="ok-1").good == 176.0


def test_finished_order_cannot_change(client):
    with pytest.raises(K3Rejected) as refused:
        client.change_order("MO000123", qty=250)
    assert refused.value.reason == "status"
    assert client.get_order("MO000123").document_status == "C"


def test_refused_change_restores_the_audited_order(client, server):
    with pytest.raises(K3Rejected) as refused:
        client.change_order("P20250401", work_center="WC-99")
    assert refused.value.field == "FWorkShopID" and refused.value.reason == "invalid_reference"
    assert "work center" in describe(refused.value, "en")
    order = client.get_order("P20250401")
    assert (order.work_center, order.document_status) == ("WC-01", "C")


# -- typed errors ---------------------------------------------------------------------------------------------
def test_business_errors_are_typed_and_described(client):
    model = {"FBillType": {"FNumber": "SCDD01_SYS"}, "FPrdOrgId": {"FNumber": "100"}, "FTreeEntity": [{
        "FMaterialId": {"FNumber": "1.01.2050"}, "FQty": 10, "FWorkShopID": {"FNumber": "WC-01"},
        "FPlanStartDate": "2025-04-02"}]}  # fmt: skip
    with pytest.raises(K3Rejected) as missing:
        client.save("PRD_MO", model)
    assert (missing.value.field, missing.value.msg_code, missing.value.reason) == ("FPlanFinishDate", 11, "missing")
    assert describe(missing.value, "en") == "K/3 says the plan finish date is missing."
    assert describe(missing.value, "zh") == "K/3 提示缺少计划完工日期。"
    with pytest.raises(K3Rejected) as no_bom:
        client.create_order(draft("nobom", material_number="1.01.2099", bom_number="1.01.2099_V0"))
    assert no_bom.value.field == "FBomId"
    with pytest.raises(K3Rejected) as no_bom:
        client.save("PRD_MO", {**model, "FTreeEntity": [{**model["FTreeEntity"][0], "FPlanFinishDate": "2025-04-03",
                                                          "FMaterialId": {"FNumber": "1.01.2099"}}]})  # fmt: skip
    assert no_bom.value.reason == "no_audited_bom" and "audited BOM" in describe(no_bom.value, "en")
    with pytest.raises(K3UnknownForm) as unknown:
        client.execute_bill_query("PRD_NOPE", ["FBillNo"])
    assert "PRD_NOPE" in describe(unknown.value, "en")
    with pytest.raises(K3NotFound):
        client.view("PRD_MO", number="NOPE")
    with pytest.raises(K3Rejected) as bad_field:
        client.execute_bill_query("PRD_MO", ["FBillNo", "FNope"])
    assert bad_field.value.msg_code == 9
    for err in (missing.value, unknown.value, bad_field.value):
        for lang in ("zh", "id", "en"):
            sentence = describe(err, lang)
            assert sentence and "Traceback" not in sentence and "元数据" not in sentence


def test_low_level_operations(client):
    saved = client.save("PRD_MO", {"FBillType": {"FNumber": "SCDD03_SYS"}, "FPrdOrgId": {"FNumber": "100"},
                                   "FTreeEntity": [{"FMaterialId": {"FNumber": "1.03.4100"}, "FQty": 7,
                                                    "FWorkShopID": {"FNumber": "WC-03"}, "FPlanStartDate": "2025-04-03",
                                                    "FPlanFinishDate": "2025-04-04"}]}, need_return_fields=["FBillNo"])  # fmt: skip
    assert saved.returned == ({"FBillNo": saved.number},)
    assert client.submit("PRD_MO", [saved.number]).bills[0].number == saved.number
    assert client.audit("PRD_MO", ids=[saved.id]).bills[0].id == saved.id
    assert client.view("PRD_MO", id=saved.id)["BillType"]["Number"] == "SCDD03_SYS"
    client.execute_operation("PRD_MO", "ToRelease", numbers=[saved.number])
    pushed = client.push("PRD_MO", "PRD_MORPT", rule_id="PRD_MO2MORPT", numbers=[saved.number])
    assert pushed.convert_status["IsSuccess"] is True and pushed.bills[0].number.startswith("SCHB")
    client.delete("PRD_MORPT", ids=[pushed.bills[0].id])
    client.unaudit("PRD_MO", [saved.number])
    batch = client.batch_save("PRD_MO", [{"FID": saved.id, "FDescription": "ok"}, {"FID": 1, "FDescription": "x"}])
    assert [b.index for b in batch.saved] == [0] and [e.index for e in batch.errors] == [1]


# -- login modes, sessions, faults ----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["signed", "password", "appsecret"])
def test_every_login_mode_works_and_recovers_a_lost_session(make_client, server, mode):
    client = make_client(k3_login_mode=mode)
    assert client.get_order("P20250402").qty == 2000.0
    server.admin("POST", "sessions/expire")  # the server forgot every session (IIS recycle)
    assert client.get_order("P20250403").qty == 500.0
    server.fault(kind="session_lost", op="executebillquery", count=1)
    assert client.get_order("P20250403").qty == 500.0  # re-login (cookie modes) and replay, once
    assert server.admin("GET", "faults").json()["faults"][0]["hits"] == 1
    if mode != "signed":
        assert client.protocol.session_id is not None


def test_persistent_session_loss_and_bad_credentials_are_typed(make_client, server):
    server.fault(kind="session_lost", op="executebillquery", count=-1)
    with pytest.raises(K3AuthFailed):
        make_client(k3_login_mode="signed").get_order("P20250401")
    with pytest.raises(K3SessionLost) as lost:
        make_client(k3_login_mode="password").get_order("P20250401")
    assert not isinstance(lost.value, K3AuthFailed)
    server.admin("DELETE", "faults")
    from pydantic import SecretStr

    with pytest.raises(K3AuthFailed) as bad:
        make_client(k3_login_mode="password", k3_password=SecretStr("wrong")).get_order("P20250401")
    assert "administrator" in describe(bad.value, "en")
    with pytest.raises(K3AuthFailed):
        make_client(k3_login_mode="signed", k3_app_secret=SecretStr("wrong-secret")).get_order("P20250401")


def test_permission_denied_is_typed(client, server):
    server.fault(kind="permission_denied", op="audit", form_id="PRD_MO", count=1)
    with pytest.raises(K3PermissionDenied) as denied:
        client.audit("PRD_MO", ["MO000124"])
    assert denied.value.operation == "Audit" and "not allowed" in describe(denied.value, "en")


def test_reads_are_retried_but_writes_are_not(client, server):
    server.fault(kind="http_5xx", op="executebillquery", count=2)
    assert client.get_order("P20250401").bill_no == "P20250401"  # 2 failures, third try answers
    server.fault(kind="http_5xx", op="executebillquery", count=3)
    with pytest.raises(K3Unavailable):
        client.get_order("P20250401")
    server.fault(kind="http_5xx", op="submit", count=1)
    with pytest.raises(K3Unavailable) as down:
        client.submit("PRD_MO", ["MO000124"])
    assert "try again" in describe(down.value, "en")


def test_timeout_is_unavailable_and_the_create_is_found_not_repeated(make_client, server):
    client = make_client(k3_timeout_s=0.3)
    server.fault(kind="timeout_after_commit", op="save", form_id="PRD_MO", mode="delay", delay_s=1.0, count=1)
    order = client.create_order(draft("slow-1"))
    assert order.document_status == "C"
    assert [o.bill_no for o in client.list_orders(material_numbers=["1.01.2050"]) if o.remark] == [order.bill_no]


def test_idempotent_create_under_timeout_after_commit(make_client, server):
    """>= 50 creates, each with an injected commit-then-drop somewhere: no duplicate, nothing lost."""
    client = make_client(k3_retries=2)
    rng = random.Random(20250401)
    tries, dropped_saves = 60, 0
    for i in range(tries):
        op = rng.choice(["save", "save", "submit", "audit", "executebillquery"])
        kind = "http_5xx" if op == "executebillquery" else "timeout_after_commit"
        server.fault(kind=kind, op=op, form_id="PRD_MO", count=1, mode="drop")
        order = client.create_order(draft(f"idem-{i:03d}", qty=10 + i))
        assert order.document_status == "C" and order.qty == 10 + i
        assert server.admin("GET", "faults").json()["faults"][0]["hits"] == 1  # the fault really fired
        server.admin("DELETE", "faults")
        dropped_saves += op == "save"
    created = [o for o in client.list_orders(material_numbers=["1.01.2050"]) if o.remark.startswith("[dingk3:idem-")]
    keys = [o.remark for o in created]
    assert len(keys) == tries and len(set(keys)) == tries  # 0 lost, 0 duplicates
    assert {o.document_status for o in created} == {"C"}
    assert dropped_saves >= 15  # many of them lost the answer to a committed Save


def test_credentials_never_reach_the_log(make_client, server, caplog, factory):
    caplog.set_level(logging.DEBUG)
    app = factory.k3_apps[0]
    for mode in ("password", "appsecret", "signed"):
        client = make_client(k3_login_mode=mode)
        server.fault(kind="session_lost", op="executebillquery", count=1)
        client.get_order("P20250401")
        if client.protocol.session_id:
            assert client.protocol.session_id not in caplog.text
    for secret in ("demo-password", app["app_secret"], "X-Api-Signature", "X-Kd-Signature", "kdservice-sessionid="):
        assert secret not in caplog.text
    assert "demo-password" not in repr(make_client().protocol.credentials)


# -- async shell, in process ------------------------------------------------------------------------------------
async def test_async_client_in_process(aclient, inproc):
    app, _ = inproc
    order = await aclient.get_order("P20250401")
    assert order.reported_good == 120.0
    sim = app.state.sim
    from devtools.simulators.k3cloud.app import Fault

    sim.faults.add(Fault(kind="timeout_after_commit", op="save", form_id="PRD_MO", mode="drop"))
    created = await aclient.create_order(draft("async-1"))
    assert created.document_status == "C"
    same = await aclient.create_order(draft("async-1"))
    assert same.bill_no == created.bill_no
    assert len([o for o in await aclient.list_orders(work_center="WC-01") if o.remark]) == 1
    released = await aclient.set_order_status(created.bill_no, "ToRelease")
    report = await aclient.report_output(released.bill_no, good=5, scrap=0, request_key="async-r1")
    assert report.good == 5.0
    with pytest.raises(K3UnknownForm):
        await aclient.execute_bill_query("NOPE", ["FBillNo"])


async def test_async_client_password_mode_in_process(inproc):
    from k3_client import AsyncK3Client

    app, settings = inproc
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncK3Client(k3_config(settings.copy(update={"k3_base_url": "http://k3.test/k3cloud/", "k3_login_mode": "password"})),
                             transport=transport) as client:  # fmt: skip
        assert (await client.find_material("1.02.3100")).safety_stock == 500.0
        app.state.sim.sessions.clear()
        assert (await client.find_bom("BOM-3100_V2")).material_number == "1.02.3100"


def test_sync_client_accepts_a_mock_transport(server_settings):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(503, text="down")

    client = K3Client(k3_config(server_settings.copy(update={"k3_retries": 1})), transport=httpx.MockTransport(handler))
    with pytest.raises(K3Unavailable):
        client.get_order("P20250401")
    assert len(seen) == 2 and seen[0].endswith("DynamicFormService.ExecuteBillQuery.common.kdsvc")


@pytest.mark.parametrize(
    "message,field,expected",
    [
        ("字段“物料编码”的值“1.01.2099”未审核，不能引用", "FMaterialId", "invalid_reference"),
        ("字段“生产车间”的值“WC-99”不存在", "FWorkShopID", "invalid_reference"),
        ("生产订单“MO000125”未审核，不能执行“下达”", None, "status"),
        ("第1行生产订单“MO000125”未审核或业务状态不是下达/开工，不能汇报", "FMoBillNo", "status"),
        ("第1行业务状态为“完工”，不允许修改", "FQty", "status"),
        ("分录已下达或存在下游汇报单，不允许删除", "FTreeEntity", "status"),
    ],
)
def test_refusals_are_classified_by_what_they_refuse(message, field, expected):
    # an unaudited *referenced value* is a bad reference; the *document* not being audited (or
    # released, or having downstream reports) is a status refusal, worded as such to the user
    from k3_client.errors import error_from_status

    status = {"IsSuccess": False, "MsgCode": 11, "Errors": [{"FieldName": field, "Message": message}]}
    assert error_from_status(status).reason == expected


class AuditedFirstBy(httpx.HTTPTransport):
    """Before our first Audit call reaches K/3, another process audits the same order (two workers
    applying one OA decision at once)."""

    def __init__(self, other: K3Client, bill_no: str) -> None:
        super().__init__()
        self.other, self.bill_no, self.raced = other, bill_no, False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "Audit" in request.url.path and not self.raced:
            self.raced = True
            assert self.other.audit_order(self.bill_no).document_status == "C"
        return super().handle_request(request)


def test_an_audit_that_another_process_did_first_is_not_a_failure(client, make_client, server, server_settings):
    order = client.create_order(draft("race-1"), audit=False)
    assert order.document_status == "B"
    racing = AuditedFirstBy(make_client(), order.bill_no)
    ours = K3Client(k3_config(server_settings.copy(update={"k3_base_url": server.base_url})), transport=racing)
    try:
        assert ours.audit_order(order.bill_no).document_status == "C"  # K/3 refused our repeat; the order is audited
    finally:
        ours.close()
    assert racing.raced
