"""Transfer (转交), add-signer (加签), instance-id lists, comments with files, and a start whose answer
is lost — the official alibabacloud-dingtalk SDK (workflow_1_0, .venv-oa) against the simulator, with
the events DingTalk documents for each (event-bpms-task-change: finish + result ``redirect``, the
staffId of who handed the task on; ``comment``)."""

from __future__ import annotations

import httpx

from tests.oa.conftest import MANAGER, PLANNER, PLANNER2, PROCESS, decide, sim_events
from tests.oa.test_oa_sdk import start_args

MANAGER2 = "prod0001"  # anyone in the directory; the protocol does not care about roles


def _sim_now(sim_url) -> int:
    return httpx.post(f"{sim_url}/_sim/clock", json={"advance_s": 0}).json()["now_ms"]


def _tasks(sdk, token, instance_id) -> list[dict]:
    return sdk.call("get", token=token, process_instance_id=instance_id)["ok"]["result"]["tasks"]


def _task_events(sim_url, instance_id) -> list[tuple]:
    return [(e["data"]["type"], e["data"]["staffId"], e["data"].get("result"))
            for e in sim_events(sim_url)
            if e["event_type"] == "bpms_task_change" and e["data"]["processInstanceId"] == instance_id]


def test_a_transferred_task_is_decided_by_the_new_approver(sim, sdk):
    sim_url, _ = sim
    token = sdk.token()
    instance_id = sdk.call("start", **start_args(token))["ok"]["instanceId"]
    [task] = _tasks(sdk, token, instance_id)

    # only the task's current executor may hand it on, and not to themselves
    wrong = sdk.call("redirect", token=token, task_id=task["taskId"], operate_user_id=PLANNER, to_user_id=MANAGER2)
    assert wrong["error"]["status"] == 400 and "notExecutor" in wrong["error"]["code"]
    self_ = sdk.call("redirect", token=token, task_id=task["taskId"], operate_user_id=MANAGER, to_user_id=MANAGER)
    assert self_["error"]["status"] == 400

    moved = sdk.call("redirect", token=token, task_id=task["taskId"], operate_user_id=MANAGER,
                     to_user_id=MANAGER2, remark="我出差，请王经理审批")
    assert moved["ok"]["result"] is True, moved
    old, new = _tasks(sdk, token, instance_id)
    assert (old["userId"], old["status"], old["result"]) == (MANAGER, "COMPLETED", "REDIRECTED")
    assert (new["userId"], new["status"], new["activityId"]) == (MANAGER2, "RUNNING", old["activityId"])
    assert _task_events(sim_url, instance_id)[-2:] == [("finish", MANAGER, "redirect"), ("start", MANAGER2, None)]
    assert sdk.call("todo_sum", token=token, user_id=MANAGER)["ok"]["result"] == 0
    assert sdk.call("todo_sum", token=token, user_id=MANAGER2)["ok"]["result"] == 1

    # the old approver cannot decide any more; the new one does
    assert sdk.call("execute", token=token, process_instance_id=instance_id, actioner_user_id=MANAGER,
                    task_id=old["taskId"], result="agree")["error"]["status"] == 400
    assert decide(sim_url, instance_id, MANAGER, "agree").status_code == 409
    assert sdk.call("execute", token=token, process_instance_id=instance_id, actioner_user_id=MANAGER2,
                    task_id=new["taskId"], result="agree", remark="同意")["ok"]["result"] is True
    done = sdk.call("get", token=token, process_instance_id=instance_id)["ok"]["result"]
    assert (done["status"], done["result"]) == ("COMPLETED", "agree")
    records = [(r["type"], r["userId"], r.get("remark")) for r in done["operationRecords"]]
    assert ("REDIRECT_TASK", MANAGER, "我出差，请王经理审批") in records
    assert ("EXECUTE_TASK_NORMAL", MANAGER2, "同意") in records
    assert done["approverUserIds"] == [MANAGER, MANAGER2]  # the one asked, then the one it was handed to


def test_signers_added_before_decide_first_then_the_approver(sim, sdk):
    sim_url, _ = sim
    token = sdk.token()
    instance_id = sdk.call("start", **start_args(token))["ok"]["instanceId"]
    [task] = _tasks(sdk, token, instance_id)
    bad = sdk.call("append", token=token, process_instance_id=instance_id, task_id=task["taskId"],
                   operate_user_id=MANAGER, appender_user_ids=[MANAGER2], type="sideways")
    assert bad["error"]["status"] == 400
    added = sdk.call("append", token=token, process_instance_id=instance_id, task_id=task["taskId"],
                     operate_user_id=MANAGER, appender_user_ids=[MANAGER2], type="before", activate_type="ALL",
                     agree_all=True, remark="请王经理先看")
    assert added["ok"]["result"] is True
    tasks = {t["userId"]: t for t in _tasks(sdk, token, instance_id)}
    assert tasks[MANAGER]["status"] == "PAUSED" and tasks[MANAGER2]["status"] == "RUNNING"
    assert decide(sim_url, instance_id, MANAGER, "agree").status_code == 409  # paused: not in the to-do list
    assert decide(sim_url, instance_id, MANAGER2, "agree", "可以").status_code == 200
    assert sdk.call("get", token=token, process_instance_id=instance_id)["ok"]["result"]["status"] == "RUNNING"
    assert decide(sim_url, instance_id, MANAGER, "agree", "同意").status_code == 200
    done = sdk.call("get", token=token, process_instance_id=instance_id)["ok"]["result"]
    assert (done["status"], done["result"]) == ("COMPLETED", "agree")
    assert "APPEND_TASK_BEFORE" in [r["type"] for r in done["operationRecords"]]


def test_a_signer_added_after_can_still_refuse(sim, sdk):
    sim_url, _ = sim
    token = sdk.token()
    instance_id = sdk.call("start", **start_args(token))["ok"]["instanceId"]
    [task] = _tasks(sdk, token, instance_id)
    assert sdk.call("append", token=token, process_instance_id=instance_id, task_id=task["taskId"],
                    operate_user_id=MANAGER, appender_user_ids=[MANAGER2], type="after",
                    activate_type="ALL", agree_all=True)["ok"]["result"] is True
    assert sdk.call("todo_sum", token=token, user_id=MANAGER2)["ok"]["result"] == 0  # not yet
    assert decide(sim_url, instance_id, MANAGER, "agree", "我同意").status_code == 200
    running = sdk.call("get", token=token, process_instance_id=instance_id)["ok"]["result"]
    assert running["status"] == "RUNNING"
    assert decide(sim_url, instance_id, MANAGER2, "refuse", "物料不够").status_code == 200
    done = sdk.call("get", token=token, process_instance_id=instance_id)["ok"]["result"]
    assert (done["status"], done["result"]) == ("COMPLETED", "refuse")


def test_instance_ids_by_process_window_and_originator_in_pages(sim, sdk):
    sim_url, _ = sim
    token = sdk.token()
    now = _sim_now(sim_url)
    ids = [sdk.call("start", **start_args(token))["ok"]["instanceId"] for _ in range(3)]
    other = sdk.call("start", **start_args(token, originator_user_id=PLANNER2))["ok"]["instanceId"]
    start = now - 60_000
    listed = sdk.call("list_ids", token=token, process_code=PROCESS, start_time=start, max_results=2,
                      user_ids=[PLANNER])
    assert listed["ok"]["success"] is True
    first = listed["ok"]["result"]
    assert first["list"] == ids[:2] and first["nextToken"]
    second = sdk.call("list_ids", token=token, process_code=PROCESS, start_time=start, max_results=2,
                      user_ids=[PLANNER], next_token=int(first["nextToken"]))["ok"]["result"]
    assert second["list"] == ids[2:] and not second.get("nextToken")
    everyone = sdk.call("list_ids", token=token, process_code=PROCESS, start_time=start)["ok"]["result"]["list"]
    assert other in everyone and set(ids) <= set(everyone)
    assert sdk.call("list_ids", token=token, process_code=PROCESS, start_time=start,
                    statuses=["TERMINATED"])["ok"]["result"]["list"] == []
    too_big = sdk.call("list_ids", token=token, process_code=PROCESS, start_time=start, max_results=21)
    assert too_big["error"]["status"] == 400
    wrong = sdk.call("list_ids", token=token, process_code="PROC-NOPE", start_time=start)
    assert wrong["error"]["status"] == 400


def test_comment_with_an_attachment_is_in_the_record_and_fires_a_comment_event(sim, sdk):
    sim_url, _ = sim
    token = sdk.token()
    instance_id = sdk.call("start", **start_args(token))["ok"]["instanceId"]
    file = {"space_id": "1234", "file_id": "F001", "file_name": "图纸.pdf", "file_size": "2048", "file_type": "pdf"}
    assert sdk.call("comment", token=token, process_instance_id=instance_id, text="附图纸",
                    comment_user_id=PLANNER, attachments=[file])["ok"]["result"] is True
    result = sdk.call("get", token=token, process_instance_id=instance_id)["ok"]["result"]
    [remark] = [r for r in result["operationRecords"] if r["type"] == "ADD_REMARK"]
    assert remark["remark"] == "附图纸"
    assert remark["attachments"] == [{"spaceId": "1234", "fileId": "F001", "fileName": "图纸.pdf",
                                      "fileSize": "2048", "fileType": "pdf"}]
    assert ("comment", PLANNER, None) in _task_events(sim_url, instance_id)


def test_a_start_whose_answer_is_lost_still_created_the_instance(sim, sdk):
    sim_url, _ = sim
    token = sdk.token()
    assert httpx.post(f"{sim_url}/_sim/oa/faults", json={"lose_answer": {"start": 1}}).status_code == 200
    lost = sdk.call("start", **start_args(token))
    assert "error" in lost and "ok" not in lost  # the caller never learns the id
    listed = sdk.call("list_ids", token=token, process_code=PROCESS, start_time=_sim_now(sim_url) - 60_000,
                      user_ids=[PLANNER])
    [instance_id] = listed["ok"]["result"]["list"]
    assert sdk.call("get", token=token, process_instance_id=instance_id)["ok"]["result"]["status"] == "RUNNING"
    again = sdk.call("start", **start_args(token))  # the switch was for one call
    assert again["ok"]["instanceId"] != instance_id
