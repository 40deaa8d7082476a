"""The simulator's approval rules and event sequence (in-process, ASGI): AND / OR nodes in order,
refusal ends the instance, terminate cancels what is open, records follow the simulator clock."""

from __future__ import annotations

import httpx
import pytest

from devtools.simulators.dingtalk import create_app
from tests.oa.conftest import FORM, KEY, MANAGER, PLANNER, PLANNER2, SECRET, start_body

PROD = "prod0001"


@pytest.fixture
async def client(settings):
    app = create_app(settings, ping_interval_s=0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c:
        token = (await c.post("/v1.0/oauth2/accessToken", json={"appKey": KEY, "appSecret": SECRET})).json()
        c.headers["x-acs-dingtalk-access-token"] = token["accessToken"]
        yield c


async def start(client, **overrides) -> str:
    r = await client.post("/v1.0/workflow/processInstances", json=start_body(**overrides))
    assert r.status_code == 200, r.text
    return r.json()["instanceId"]


async def get(client, instance_id: str) -> dict:
    return (await client.get("/v1.0/workflow/processInstances", params={"processInstanceId": instance_id})).json()[
        "result"]


async def decide(client, instance_id: str, staff_id: str, result: str, remark: str = "") -> httpx.Response:
    return await client.post(f"/_sim/approvals/{instance_id}/decide",
                             json={"staff_id": staff_id, "result": result, "remark": remark})


async def events_of(client, instance_id: str) -> list[tuple]:
    events = (await client.get("/_sim/events")).json()["events"]
    return [(e["event_type"].split("_")[1], e["data"]["type"], e["data"].get("staffId"), e["data"].get("result"))
            for e in events if e["data"]["processInstanceId"] == instance_id]


async def test_or_node_then_and_node_in_order(client):
    nodes = [{"actionType": "OR", "userIds": [MANAGER, PLANNER2]}, {"actionType": "AND", "userIds": [PROD, MANAGER]}]
    instance_id = await start(client, approvers=nodes, ccPosition="FINISH")
    assert [a["instance_id"] for a in (await client.get("/_sim/approvals", params={"staff_id": PLANNER2})).json()[
        "approvals"]] == [instance_id]
    assert (await client.get("/_sim/approvals", params={"staff_id": PROD})).json()["approvals"] == []  # not yet
    assert (await decide(client, instance_id, PLANNER2, "agree", "可以")).status_code == 200
    after_or = await get(client, instance_id)
    assert [(t["userId"], t["status"], t["result"]) for t in after_or["tasks"]] == [
        (MANAGER, "CANCELED", "NONE"), (PLANNER2, "COMPLETED", "AGREE"), (PROD, "RUNNING", "NONE"),
        (MANAGER, "RUNNING", "NONE")]
    assert (await decide(client, instance_id, PROD, "agree")).status_code == 200
    assert (await get(client, instance_id))["status"] == "RUNNING"  # AND: the manager is still to sign
    assert (await decide(client, instance_id, MANAGER, "agree", "同意")).json()["result"] == "agree"
    done = await get(client, instance_id)
    assert (done["status"], done["result"]) == ("COMPLETED", "agree")
    assert [r["type"] for r in done["operationRecords"]] == [
        "START_PROCESS_INSTANCE", "EXECUTE_TASK_NORMAL", "EXECUTE_TASK_NORMAL", "EXECUTE_TASK_NORMAL", "PROCESS_CC"]
    assert await events_of(client, instance_id) == [
        ("instance", "start", PLANNER, None), ("task", "start", MANAGER, None), ("task", "start", PLANNER2, None),
        ("task", "finish", PLANNER2, "agree"), ("task", "cancel", MANAGER, None), ("task", "start", PROD, None),
        ("task", "start", MANAGER, None), ("task", "finish", PROD, "agree"), ("task", "finish", MANAGER, "agree"),
        ("instance", "finish", PLANNER, "agree")]


async def test_one_refusal_ends_the_instance_and_cancels_the_rest(client):
    instance_id = await start(client, approvers=[{"actionType": "AND", "userIds": [MANAGER, PLANNER2]},
                                                 {"actionType": "NONE", "userIds": [PROD]}])
    assert (await decide(client, instance_id, MANAGER, "refuse", "数量太大")).json()["result"] == "refuse"
    done = await get(client, instance_id)
    assert (done["status"], done["result"]) == ("COMPLETED", "refuse")
    assert [(t["userId"], t["status"]) for t in done["tasks"]] == [(MANAGER, "COMPLETED"), (PLANNER2, "CANCELED")]
    assert (await decide(client, instance_id, PLANNER2, "agree")).status_code == 409  # nothing left to decide
    assert (await events_of(client, instance_id))[-3:] == [
        ("task", "finish", MANAGER, "refuse"), ("task", "cancel", PLANNER2, None),
        ("instance", "finish", PLANNER, "refuse")]


async def test_terminate_cancels_open_tasks_and_emits_terminate_without_result(client):
    instance_id = await start(client)
    r = await client.post("/v1.0/workflow/processInstances/terminate",
                          json={"processInstanceId": instance_id, "operatingUserId": PLANNER, "remark": "写错了"})
    assert r.json() == {"success": True, "result": True}
    assert (await events_of(client, instance_id))[-2:] == [("task", "cancel", MANAGER, None),
                                                            ("instance", "terminate", PLANNER, None)]
    assert (await client.get("/_sim/approvals", params={"staff_id": MANAGER})).json()["approvals"] == []
    for bad in ({"processInstanceId": instance_id, "isSystem": "yes"}, {"processInstanceId": ""},
                {"processInstanceId": instance_id, "operatingUserId": PLANNER}):
        assert (await client.post("/v1.0/workflow/processInstances/terminate", json=bad)).status_code == 400


async def test_times_follow_the_simulator_clock(client):
    instance_id = await start(client)
    created = (await get(client, instance_id))["createTime"]
    await client.post("/_sim/clock", json={"advance_s": 2 * 3600})
    token = (await client.post("/v1.0/oauth2/accessToken", json={"appKey": KEY, "appSecret": SECRET})).json()
    client.headers["x-acs-dingtalk-access-token"] = token["accessToken"]  # the old one expired with the clock
    await decide(client, instance_id, MANAGER, "agree")
    done = await get(client, instance_id)
    assert int(done["finishTime"][11:13]) == (int(created[11:13]) + 2) % 24  # yyyy-MM-ddTHH:mmZ
    events = (await client.get("/_sim/events")).json()["events"]
    finish = next(e for e in events if e["event_type"] == "bpms_instance_change" and e["data"]["type"] == "finish")
    assert finish["data"]["finishTime"] - finish["data"]["createTime"] >= 2 * 3600 * 1000


async def test_admin_list_shows_form_values_and_decide_checks_its_input(client):
    instance_id = await start(client)
    [pending] = (await client.get("/_sim/approvals", params={"staff_id": MANAGER})).json()["approvals"]
    assert pending["instance_id"] == instance_id and pending["status"] == "RUNNING"
    assert pending["form"] == [{"name": v["name"], "value": v["value"]} for v in FORM]
    assert pending["title"] == "张伟提交的生产订单审批"
    assert (await client.get("/_sim/approvals", params={"staff_id": "nobody"})).status_code == 400
    assert (await decide(client, instance_id, MANAGER, "maybe")).status_code == 400
    assert (await decide(client, "no-such-instance", MANAGER, "agree")).status_code == 404
    assert (await decide(client, instance_id, PLANNER, "agree")).status_code == 409  # not an approver
    assert (await get(client, instance_id))["status"] == "RUNNING"  # none of that changed anything
