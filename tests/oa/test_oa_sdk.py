"""The official alibabacloud-dingtalk SDK (workflow_1_0, in .venv-oa) against the simulator's OA API:
the SDK's own models parse every answer, and its errors carry DingTalk's codes and statuses."""

from __future__ import annotations

import httpx

from tests.oa.conftest import FORM, MANAGER, PLANNER, PLANNER2, PROCESS, decide


def start_args(token: str, **overrides) -> dict:
    args = {"token": token, "originator_user_id": PLANNER, "process_code": PROCESS, "dept_id": -1,
            "approvers": [{"action_type": "OR", "user_ids": [MANAGER]}], "cc_list": [PLANNER2],
            "form_component_values": FORM}
    args.update(overrides)
    return args


def test_official_sdk_starts_gets_and_reads_the_approval_record(sim, sdk):
    sim_url, _ = sim
    token = sdk.token()
    started = sdk.call("start", **start_args(token))
    assert started["status"] == 200
    instance_id = started["ok"]["instanceId"]

    running = sdk.call("get", token=token, process_instance_id=instance_id)["ok"]
    assert running["success"] is True
    result = running["result"]
    assert (result["status"], result["result"]) == ("RUNNING", "")
    assert result["originatorUserId"] == PLANNER and result["title"].endswith("提交的生产订单审批")
    assert [(v["name"], v["value"]) for v in result["formComponentValues"]] == [(v["name"], v["value"]) for v in FORM]
    assert result["businessId"].isdigit() and len(result["businessId"]) == 21
    [task] = result["tasks"]
    assert (task["userId"], task["status"], task["result"]) == (MANAGER, "RUNNING", "NONE")
    assert isinstance(task["taskId"], int) and task["createTime"].endswith("Z")
    assert [r["type"] for r in result["operationRecords"]] == ["START_PROCESS_INSTANCE", "PROCESS_CC"]
    assert result["ccUserIds"] == [PLANNER2] and result["approverUserIds"] == [MANAGER]

    todo = sdk.call("todo", token=token, user_id=MANAGER)["ok"]["result"]["list"]
    assert [(t["instanceId"], t["taskId"]) for t in todo] == [(instance_id, task["taskId"])]
    assert {"title": "单据编号", "content": "MO250401001"} in todo[0]["forms"]
    assert sdk.call("todo_sum", token=token, user_id=MANAGER)["ok"]["result"] == 1

    assert sdk.call("comment", token=token, process_instance_id=instance_id, text="请尽快",
                    comment_user_id=PLANNER)["ok"] == {"success": True, "result": True}
    assert decide(sim_url, instance_id, MANAGER, "agree", "同意，按计划").status_code == 200

    done = sdk.call("get", token=token, process_instance_id=instance_id)["ok"]["result"]
    assert (done["status"], done["result"]) == ("COMPLETED", "agree") and done["finishTime"]
    assert done["tasks"][0]["status"] == "COMPLETED" and done["tasks"][0]["result"] == "AGREE"
    records = {r["type"]: r for r in done["operationRecords"]}
    assert records["ADD_REMARK"]["remark"] == "请尽快" and records["ADD_REMARK"]["userId"] == PLANNER
    assert records["EXECUTE_TASK_NORMAL"]["result"] == "AGREE"
    assert records["EXECUTE_TASK_NORMAL"]["remark"] == "同意，按计划" and records["EXECUTE_TASK_NORMAL"]["date"]
    assert sdk.call("todo_sum", token=token, user_id=MANAGER)["ok"]["result"] == 0


def test_official_sdk_terminates_and_executes(sim, sdk):
    token = sdk.token()
    first = sdk.call("start", **start_args(token))["ok"]["instanceId"]
    not_originator = sdk.call("terminate", token=token, process_instance_id=first, operating_user_id=MANAGER)
    assert not_originator["error"]["status"] == 400
    assert sdk.call("terminate", token=token, process_instance_id=first, operating_user_id=PLANNER,
                    remark="数量填错")["ok"] == {"success": True, "result": True}
    gone = sdk.call("get", token=token, process_instance_id=first)["ok"]["result"]
    assert gone["status"] == "TERMINATED" and gone["tasks"][0]["status"] == "CANCELED"
    assert gone["operationRecords"][-1]["type"] == "TERMINATE_PROCESS_INSTANCE"
    assert gone["operationRecords"][-1]["remark"] == "数量填错"
    again = sdk.call("terminate", token=token, process_instance_id=first, is_system=True)
    assert again["error"]["status"] == 400  # already finished

    second = sdk.call("start", **start_args(token))["ok"]["instanceId"]
    task_id = sdk.call("get", token=token, process_instance_id=second)["ok"]["result"]["tasks"][0]["taskId"]
    wrong_user = sdk.call("execute", token=token, process_instance_id=second, actioner_user_id=PLANNER,
                          task_id=task_id, result="agree")
    assert wrong_user["error"]["status"] == 400
    assert sdk.call("execute", token=token, process_instance_id=second, actioner_user_id=MANAGER, task_id=task_id,
                    result="refuse", remark="产能不足")["ok"]["result"] is True
    refused = sdk.call("get", token=token, process_instance_id=second)["ok"]["result"]
    assert (refused["status"], refused["result"]) == ("COMPLETED", "refuse")


def test_official_sdk_sees_dingtalks_errors(sim, sdk):
    token = sdk.token()
    cases = [
        (start_args("not-a-token"), 401, "InvalidAuthentication"),
        (start_args(token, process_code="PROC-OTHER"), 400, "invalidParameter.processCode.invalid"),
        (start_args(token, originator_user_id="nobody"), 400, "invalidParameter.originatorUserId.invalid"),
        (start_args(token, approvers=[]), 400, "invalidParameter.approvers.empty"),
        (start_args(token, approvers=[{"action_type": "NONE", "user_ids": [MANAGER, PLANNER2]}]), 400,
         "invalidParameter.approvers.userIds"),
        (start_args(token, form_component_values=[{"name": "单据编号", "value": "MO1"}]), 400,
         "invalidParameter.formComponentValues.required"),
        (start_args(token, form_component_values=FORM + [{"name": "不存在", "value": "x"}]), 400,
         "invalidParameter.formComponentValues.name"),
        (start_args(token, form_component_values=[dict(v, value="很多") if v["name"] == "数量" else v for v in FORM]),
         400, "invalidParameter.formComponentValues.value"),
        (start_args(token, cc_position="SOMETIMES"), 400, "invalidParameter.ccPosition.invalid"),
    ]
    for args, status, code in cases:
        answer = sdk.call("start", **args)
        assert answer["error"]["status"] == status and answer["error"]["code"] == code, (args, answer)
    missing = sdk.call("get", token=token, process_instance_id="no-such-instance")
    assert missing["error"]["status"] == 404 and missing["error"]["code"] == "processInstance.notFound"


def test_requests_without_token_are_refused_on_every_workflow_route(sim):
    sim_url, _ = sim
    for method, path in (("POST", "/v1.0/workflow/processInstances"), ("GET", "/v1.0/workflow/processInstances"),
                         ("POST", "/v1.0/workflow/processInstances/terminate"),
                         ("POST", "/v1.0/workflow/processInstances/execute"),
                         ("POST", "/v1.0/workflow/processInstances/comments"),
                         ("GET", "/v1.0/workflow/workRecords/todoTasks"),
                         ("GET", "/v1.0/workflow/processes/todoTasks/numbers")):
        r = httpx.request(method, sim_url + path, json={} if method == "POST" else None)
        assert r.status_code == 401 and r.json()["code"] == "InvalidAuthentication", path
        assert set(r.json()) == {"code", "message", "requestid"}
