"""Our OA client (dingtalk_client/workflow.py) against the simulator the official SDK proved."""

from __future__ import annotations

import httpx
import pytest

from dingtalk_client.openapi import (
    AsyncDingTalkOpenAPI,
    DingTalkApiError,
    DingTalkAuthError,
    DingTalkInvalidParameter,
    DingTalkOpenAPI,
    DingTalkUnavailable,
)
from dingtalk_client.workflow import (
    AsyncWorkflowClient,
    InstanceNotFound,
    StartRequest,
    WorkflowClient,
    WorkflowConfig,
    approvers,
    form,
)
from rasa_project.wiring import dingtalk_config
from tests.oa.conftest import MANAGER, PLANNER, PLANNER2, PROCESS, decide

ORDER_FORM = form([("单据编号", "MO250401007"), ("物料", "BOM-2050 · 1.01.2050 · 主板"), ("数量", 120),
                   ("单位", "Pcs"), ("计划开工", "2025-04-02"), ("计划完工", "2025-04-05"), ("工作中心", None)])


@pytest.fixture
def client(sim, settings):
    sim_url, _ = sim
    with DingTalkOpenAPI(dingtalk_config(settings)) as tokens, WorkflowClient(WorkflowConfig(sim_url, PROCESS), tokens) as wf:
        yield wf


def request(**overrides) -> StartRequest:
    values = {"originator": PLANNER, "approvers": approvers([MANAGER]), "form": ORDER_FORM, "cc": (PLANNER2,)}
    values.update(overrides)
    return StartRequest(**values)


def test_start_get_comment_and_agree(sim, client):
    sim_url, _ = sim
    instance_id = client.start(request())
    running = client.get(instance_id)
    assert running.is_running and not running.is_agreed and running.result == ""
    assert running.value("数量") == "120" and running.value("工作中心") is None  # empty values are not sent
    assert running.originator == PLANNER and running.cc_ids == (PLANNER2,) and running.approver_ids == (MANAGER,)
    assert [t.user_id for t in running.tasks] == [MANAGER] and running.tasks[0].status == "RUNNING"
    assert running.created_at is not None and running.created_at.tzinfo is not None
    [todo] = client.todo(MANAGER)[0]
    assert todo.instance_id == instance_id and todo.task_id == running.tasks[0].task_id
    client.comment(instance_id, PLANNER, "客户催了")
    assert decide(sim_url, instance_id, MANAGER, "agree", "同意").status_code == 200
    done = client.get(instance_id)
    assert done.is_agreed and done.finished_at is not None
    assert [(r.user_id, r.result, r.remark) for r in done.decisions()] == [(MANAGER, "AGREE", "同意")]
    assert any(r.type == "ADD_REMARK" and r.remark == "客户催了" for r in done.records)
    assert client.todo(MANAGER) == ([], None)


def test_terminate_by_originator_or_system(client):
    first = client.start(request())
    client.terminate(first, operator=PLANNER, remark="取消")
    assert client.get(first).is_terminated
    second = client.start(request())
    client.terminate(second, is_system=True, remark="过期 expired")
    assert client.get(second).is_terminated
    with pytest.raises(ValueError):
        client.terminate(second)
    with pytest.raises(DingTalkApiError) as finished:  # already finished: its code is unconfirmed, so a caller
        client.terminate(first, operator=PLANNER)    # re-reads the instance rather than trusting the code
    assert finished.value.status == 400


def test_errors_map_into_the_dingtalk_error_family(sim, client, settings):
    sim_url, _ = sim
    with pytest.raises(InstanceNotFound):
        client.get("no-such-instance")
    with pytest.raises(DingTalkInvalidParameter) as bad:
        client.start(request(form=form([("单据编号", "MO1")])))
    assert bad.value.code == "invalidParameter.formComponentValues.required"
    with pytest.raises(DingTalkInvalidParameter):
        client.start(request(approvers=approvers(["nobody"])))
    with (DingTalkOpenAPI(dingtalk_config(settings)) as tokens, WorkflowClient(WorkflowConfig(sim_url, "PROC-WRONG"), tokens) as wf,
          pytest.raises(DingTalkInvalidParameter)):
        wf.start(request())
    with (WorkflowClient(WorkflowConfig("http://127.0.0.1:9", PROCESS), FixedToken("t")) as down,
          pytest.raises(DingTalkUnavailable)):
        down.get("x")


class FixedToken:
    def __init__(self, token: str) -> None:
        self.token, self.invalidated = token, 0

    def access_token(self) -> str:
        return self.token

    def invalidate_token(self) -> None:
        self.invalidated += 1


def test_a_revoked_token_is_refreshed_once(sim, client, settings):
    sim_url, _ = sim
    tokens = FixedToken("revoked")
    with WorkflowClient(WorkflowConfig(sim_url, PROCESS), tokens) as wf, pytest.raises(DingTalkAuthError):
        wf.get("x")
    assert tokens.invalidated == 1  # tried a fresh token once, then gave up
    instance_id = client.start(request())
    httpx.post(f"{sim_url}/_sim/clock", json={"advance_s": 7300})  # every token has expired on DingTalk's clock
    assert client.get(instance_id).is_running  # 401 -> new token -> retried


async def test_async_client(sim, settings):
    sim_url, _ = sim
    tokens = AsyncDingTalkOpenAPI(dingtalk_config(settings))
    wf = AsyncWorkflowClient(WorkflowConfig(sim_url, PROCESS), tokens)
    try:
        instance_id = await wf.start(request(approvers=approvers([MANAGER, PLANNER2], action_type="AND")))
        got = await wf.get(instance_id)
        assert [t.user_id for t in got.tasks] == [MANAGER, PLANNER2]
        await wf.terminate(instance_id, operator=PLANNER)
        assert (await wf.get(instance_id)).is_terminated
    finally:
        await wf.aclose()
        await tokens.aclose()


def test_request_values_are_checked_before_sending():
    with pytest.raises(ValueError):
        approvers([])
    from dingtalk_client.workflow import Approver, start_call

    with pytest.raises(ValueError):
        Approver("NONE", (MANAGER, PLANNER2))
    with pytest.raises(ValueError):
        start_call(WorkflowConfig("http://x", PROCESS), StartRequest(PLANNER, approvers([MANAGER]), ORDER_FORM,
                                                                    cc=(PLANNER2,), cc_position="LATER"))


def test_transfer_add_signer_instance_ids_and_a_comment_with_a_file(sim, client):
    sim_url, _ = sim
    now_ms = httpx.post(f"{sim_url}/_sim/clock", json={"advance_s": 0}).json()["now_ms"]
    first, second = client.start(request()), client.start(request())
    ids, token = client.list_instance_ids(start_ms=now_ms - 60_000, originators=(PLANNER,), max_results=1)
    assert ids == [first] and token == 1
    ids, token = client.list_instance_ids(start_ms=now_ms - 60_000, originators=(PLANNER,), next_token=token)
    assert ids == [second] and token is None
    assert client.list_instance_ids(start_ms=now_ms - 60_000, originators=(PLANNER2,)) == ([], None)

    [task] = client.get(first).tasks
    client.redirect(task.task_id, operator=MANAGER, to_user="prod0001", remark="转给你")
    moved = client.get(first)
    assert moved.running_approvers() == ("prod0001",)
    assert [(t.user_id, t.result) for t in moved.tasks] == [(MANAGER, "REDIRECTED"), ("prod0001", "NONE")]
    with pytest.raises(DingTalkApiError):  # no longer theirs (task.finished)
        client.redirect(task.task_id, operator=MANAGER, to_user=PLANNER2)

    [task2] = client.get(second).tasks
    client.append(second, task2.task_id, operator=MANAGER, signers=("prod0001",), before=True, remark="先看")
    assert client.get(second).running_approvers() == ("prod0001",)

    client.comment(first, PLANNER, "附件", attachments=({"spaceId": "1", "fileId": "F9", "fileName": "a.pdf",
                                                        "fileSize": "10", "fileType": "pdf"},))
    assert [r.remark for r in client.get(first).records if r.type == "ADD_REMARK"] == ["附件"]
