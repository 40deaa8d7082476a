"""DingTalk OA approval (审批), as the simulator serves it: workflow OpenAPI routes, approval state,
``bpms_instance_change`` / ``bpms_task_change`` events over Stream and the encrypted HTTP
subscription, and the admin routes the phone page and the tests use.

Field names and shapes follow the official SDK ``alibabacloud_dingtalk.workflow_1_0`` (models
StartProcessInstanceRequest, GetProcessInstanceResponseBody, TerminateProcessInstanceRequest,
ExecuteProcessInstanceRequest, AddProcessInstanceCommentRequest, ListTodoWorkRecords*,
GetUserTodoTaskSum*) and DingTalk's documented event bodies:

- instance ``status`` RUNNING / COMPLETED / TERMINATED, ``result`` "" while running, then
  ``agree`` / ``refuse`` (TERMINATED keeps "");
- tasks: ``status`` RUNNING / COMPLETED / CANCELED, ``result`` NONE / AGREE / REFUSE, integer
  ``taskId``, ``activityId`` per approval node;
- ``operationRecords``: START_PROCESS_INSTANCE, PROCESS_CC, EXECUTE_TASK_NORMAL (AGREE/REFUSE +
  remark), ADD_REMARK (comments), TERMINATE_PROCESS_INSTANCE; dates as ``yyyy-MM-ddTHH:mmZ`` (UTC,
  the SDK's stated format) on the simulator clock;
- approvers: sequential nodes ``[{actionType: AND | OR | NONE, userIds}]``; OR needs one agree,
  AND needs all; one refuse ends the instance with ``refuse``; tasks left open are CANCELED;
- events: instance ``start`` / ``finish`` (+result) / ``terminate``; task ``start`` / ``finish``
  (+result, remark) / ``cancel``. Over Stream the data is camelCase without ``EventType`` (it is in
  the ``eventType`` header); over HTTP the plaintext carries ``EventType``.

Error codes for refused workflow calls follow the OpenAPI shape of spec §3 (status +
``{code,message,requestid}``); the exact code strings for this API are unconfirmed.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from devtools.simulators.dingtalk.event_push import FAULTS, EventPusher
from devtools.simulators.dingtalk.gateway import Gateway
from devtools.simulators.dingtalk.state import SimState

ACTION_TYPES = ("AND", "OR", "NONE")
CC_POSITIONS = ("START", "FINISH", "START_FINISH")
TODO_PAGE_MAX = 50
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class Component:
    name: str
    component_type: str  # TextField | TextareaField | NumberField | DDDateField
    required: bool = False


@dataclass(frozen=True)
class ProcessTemplate:
    """An approval form "designed in the OA admin console" for the demo; approvers chosen by the app."""

    name: str
    components: tuple[Component, ...]

    def component(self, name: str) -> Component | None:
        return next((c for c in self.components if c.name == name), None)


def demo_template() -> ProcessTemplate:
    return ProcessTemplate("生产订单审批", (
        Component("单据编号", "TextField", required=True),
        Component("物料", "TextField", required=True),
        Component("数量", "NumberField", required=True),
        Component("单位", "TextField"),
        Component("计划开工", "DDDateField"),
        Component("计划完工", "DDDateField"),
        Component("工作中心", "TextField"),
        Component("生产类型", "TextField"),
        Component("申请人", "TextField"),
        Component("变更内容", "TextareaField"),
        Component("风险说明", "TextareaField"),
    ))


class OAError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def api_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "requestid": uuid.uuid4().hex.upper()}, status)


def iso_minute(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


@dataclass
class Task:
    task_id: int
    user_id: str
    activity_id: str
    node: int
    create_ms: int
    status: str = "RUNNING"  # RUNNING | PAUSED (加签 before, waiting for the signers) | NEW | COMPLETED | CANCELED
    result: str = "NONE"  # NONE | AGREE | REFUSE | REDIRECTED
    finish_ms: int | None = None
    appended: bool = False  # a signer added by 加签, not one of the node's own approvers


@dataclass
class Append:
    """One 加签 (premium ``tasks/append``): signers added by the approver of ``owner``."""

    owner: int  # the task id of the approver who added them
    type: str  # before | after
    activate_type: str  # ALL (together) | ONE_BY_ONE (in order)
    agree_all: bool  # ALL: every signer must agree (会签), else one is enough (或签)
    users: list[str]
    tasks: list[int] = field(default_factory=list)
    started: bool = False


@dataclass
class Record:
    type: str
    user_id: str
    date_ms: int
    result: str = "NONE"
    show_name: str = ""
    remark: str | None = None
    activity_id: str | None = None
    cc_user_ids: list[str] | None = None
    attachments: list[dict] | None = None  # files of a comment: [{fileId, fileName, fileSize, fileType, spaceId}]
    to_user_id: str | None = None  # REDIRECT_TASK: who the task went to


@dataclass
class Instance:
    id: str
    process_code: str
    business_id: str
    title: str
    originator: str
    dept_id: int
    dept_name: str
    nodes: list[dict]  # [{"actionType", "userIds"}]
    cc_list: list[str]
    cc_position: str
    form: list[dict]  # [{"name","value","componentType","id"?,"extValue"?}]
    create_ms: int
    status: str = "RUNNING"
    result: str = ""
    finish_ms: int | None = None
    tasks: list[Task] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    current_node: int = 0
    appends: list[Append] = field(default_factory=list)

    def running_tasks(self) -> list[Task]:
        return [t for t in self.tasks if t.status == "RUNNING"]

    def approver_ids(self) -> list[str]:
        """The nodes' approvers, then anyone a task was handed to or added as a signer."""
        seen: list[str] = []
        for user in [u for node in self.nodes for u in node["userIds"]] + [t.user_id for t in self.tasks]:
            if user not in seen:
                seen.append(user)
        return seen


class OASim:
    """Approval state and event emission; touched from the simulator's event loop only."""

    def __init__(self, state: SimState, gateway: Gateway, pusher: EventPusher, *, process_code: str,
                 template: ProcessTemplate, org_name: str) -> None:
        self.state, self.gateway, self.pusher = state, gateway, pusher
        self.process_code, self.template, self.org_name = process_code, template, org_name
        self.unified_app_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"dingtalk-app:{state.app_key}"))
        self.reset()

    def reset(self) -> None:
        self.instances: dict[str, Instance] = {}
        self.events: list[dict] = []
        self.mode = "stream"  # how events are pushed: "stream" (EVENT frames) or "http" (subscription)
        self._task_seq = 0
        self.lost_answers: dict[str, int] = {}

    def take_lost_answer(self, operation: str) -> bool:
        left = self.lost_answers.get(operation, 0)
        if left <= 0:
            return False
        self.lost_answers[operation] = left - 1
        return True

    def now(self) -> int:
        return self.state.clock.now_ms()

    # --- validation (what DingTalk refuses) --------------------------------------------------------
    def known_user(self, value: Any, field_name: str) -> str:
        if not isinstance(value, str) or not value:
            raise OAError(400, f"invalidParameter.{field_name}.empty", f"{field_name} is required")
        if self.state.person(value) is None:
            raise OAError(400, f"invalidParameter.{field_name}.invalid", f"user {value} does not exist")
        return value

    def _nodes(self, approvers: Any) -> list[dict]:
        if not isinstance(approvers, list) or not approvers:
            # The demo form lets the app choose approvers ("自选"), so the call must name them.
            raise OAError(400, "invalidParameter.approvers.empty", "approvers are required for this process")
        nodes = []
        for node in approvers:
            if not isinstance(node, dict) or node.get("actionType") not in ACTION_TYPES:
                raise OAError(400, "invalidParameter.approvers.actionType", "actionType must be AND, OR or NONE")
            users = node.get("userIds")
            if not isinstance(users, list) or not users:
                raise OAError(400, "invalidParameter.approvers.userIds", "userIds are required")
            if node["actionType"] == "NONE" and len(users) != 1:
                raise OAError(400, "invalidParameter.approvers.userIds", "actionType NONE takes exactly one user")
            nodes.append({"actionType": node["actionType"],
                          "userIds": [self.known_user(u, "approvers.userIds") for u in users]})
        return nodes

    def _form(self, values: Any) -> list[dict]:
        if not isinstance(values, list) or not values:
            raise OAError(400, "invalidParameter.formComponentValues.empty", "formComponentValues are required")
        seen: dict[str, dict] = {}
        for item in values:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
                raise OAError(400, "invalidParameter.formComponentValues.name", "every value needs a name")
            component = self.template.component(item["name"])
            if component is None:
                raise OAError(400, "invalidParameter.formComponentValues.name",
                              f"form component {item['name']} does not exist")
            if item["name"] in seen:
                raise OAError(400, "invalidParameter.formComponentValues.name", f"{item['name']} given twice")
            value = item.get("value")
            if not isinstance(value, str):
                raise OAError(400, "invalidParameter.formComponentValues.value", f"{item['name']}: value is a string")
            if component.component_type == "NumberField" and value and not _NUMBER.match(value):
                raise OAError(400, "invalidParameter.formComponentValues.value", f"{item['name']}: not a number")
            if component.component_type == "DDDateField" and value and not _DATE.match(value):
                raise OAError(400, "invalidParameter.formComponentValues.value", f"{item['name']}: not a date")
            entry = {"name": item["name"], "value": value, "componentType": component.component_type,
                     "id": f"{component.component_type}-{zlib.crc32(component.name.encode()):08X}"}
            if isinstance(item.get("extValue"), str):
                entry["extValue"] = item["extValue"]
            seen[item["name"]] = entry
        missing = [c.name for c in self.template.components if c.required and not seen.get(c.name, {}).get("value")]
        if missing:
            raise OAError(400, "invalidParameter.formComponentValues.required", f"required: {', '.join(missing)}")
        return [seen[c.name] for c in self.template.components if c.name in seen]

    def instance(self, instance_id: Any) -> Instance:
        if not isinstance(instance_id, str) or not instance_id:
            raise OAError(400, "invalidParameter.processInstanceId.empty", "processInstanceId is required")
        found = self.instances.get(instance_id)
        if found is None:
            raise OAError(404, "processInstance.notFound", "审批实例不存在")
        return found

    # --- operations ---------------------------------------------------------------------------------
    def start(self, body: Any) -> Instance:
        if not isinstance(body, dict):
            raise OAError(400, "invalidParameter.body.invalid", "body must be JSON")
        code = body.get("processCode")
        if not code:
            raise OAError(400, "invalidParameter.processCode.empty", "processCode is required")
        if code != self.process_code:
            raise OAError(400, "invalidParameter.processCode.invalid", "审批模板不存在")
        originator = self.known_user(body.get("originatorUserId"), "originatorUserId")
        dept_id = body.get("deptId", -1)
        if isinstance(dept_id, bool) or not isinstance(dept_id, int):
            raise OAError(400, "invalidParameter.deptId.invalid", "deptId is a number")
        nodes = self._nodes(body.get("approvers"))
        cc_list = body.get("ccList") or []
        if not isinstance(cc_list, list):
            raise OAError(400, "invalidParameter.ccList.invalid", "ccList is a list of userIds")
        cc_list = [self.known_user(u, "ccList") for u in cc_list]
        cc_position = body.get("ccPosition") or "START"
        if cc_position not in CC_POSITIONS:
            raise OAError(400, "invalidParameter.ccPosition.invalid", "ccPosition is START, FINISH or START_FINISH")
        form = self._form(body.get("formComponentValues"))
        now = self.now()
        stamp = datetime.fromtimestamp(now / 1000, timezone.utc).strftime("%Y%m%d%H%M")
        business_id = stamp + f"{secrets.randbelow(10**9):09d}"
        instance_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=") + f"0{now}"[:14]
        person = self.state.person(originator)
        instance = Instance(
            id=instance_id, process_code=code, business_id=business_id, title=f"{person.name}提交的{self.template.name}",
            originator=originator, dept_id=dept_id, dept_name=self.org_name, nodes=nodes, cc_list=cc_list,
            cc_position=cc_position, form=form, create_ms=now)
        instance.records.append(Record("START_PROCESS_INSTANCE", originator, now, show_name="提交申请"))
        if cc_list and cc_position in ("START", "START_FINISH"):
            instance.records.append(Record("PROCESS_CC", originator, now, show_name="抄送人", cc_user_ids=cc_list))
        self.instances[instance_id] = instance
        self._emit_instance(instance, "start")
        self._open_node(instance, 0)
        return instance

    def _open_node(self, instance: Instance, index: int) -> None:
        instance.current_node = index
        for user in instance.nodes[index]["userIds"]:
            self._task_seq += 1
            task = Task(100_000_000_000 + self._task_seq, user, f"node-{index + 1}", index, self.now())
            instance.tasks.append(task)
            self._emit_task(instance, task, "start")

    def execute(self, instance: Instance, *, task_id: Any, user_id: Any, result: Any, remark: Any = None) -> Task:
        """An approver agrees or refuses their task (the phone's buttons and the execute API)."""
        if result not in ("agree", "refuse"):
            raise OAError(400, "invalidParameter.result.invalid", "result is agree or refuse")
        if remark is not None and not isinstance(remark, str):
            raise OAError(400, "invalidParameter.remark.invalid", "remark is a string")
        if instance.status != "RUNNING":
            raise OAError(400, "processInstance.finished", "审批实例已结束")
        task = next((t for t in instance.tasks if t.task_id == task_id), None) if task_id is not None else None
        if task is None or task.user_id != user_id:
            raise OAError(400, "invalidParameter.taskId.invalid", "task not found for this user")
        if task.status != "RUNNING":
            raise OAError(400, "task.finished", "任务已处理")
        now = self.now()
        task.status, task.result, task.finish_ms = "COMPLETED", result.upper(), now
        instance.records.append(Record("EXECUTE_TASK_NORMAL", task.user_id, now, result=result.upper(),
                                       show_name="审批人", remark=remark or "", activity_id=task.activity_id))
        self._emit_task(instance, task, "finish", result=result, remark=remark or "")
        if result == "refuse":
            self._cancel_open(instance)
            self._finish(instance, "refuse")
            return task
        self._agreed(instance, task)
        return task

    def _agreed(self, instance: Instance, task: Task) -> None:
        group = next((a for a in instance.appends if task.task_id in a.tasks), None)
        if group is not None:  # a signer added by 加签 agreed
            if not self._append_done(instance, group):
                return
            owner = next(t for t in instance.tasks if t.task_id == group.owner)
            if group.type == "before":  # the approver who asked them decides now
                owner.status, owner.create_ms = "RUNNING", self.now()
                self._emit_task(instance, owner, "start")
                return
            task = owner  # after: the owner's agree (given before) now counts for the node
        else:
            after = next((a for a in instance.appends if a.owner == task.task_id and a.type == "after"
                          and not a.started), None)
            if after is not None:
                self._start_append(instance, after)
                return
        node = instance.nodes[task.node]
        own = [t for t in instance.tasks if t.node == task.node and not t.appended and t.result != "REDIRECTED"]
        if node["actionType"] in ("OR", "NONE") or all(t.result == "AGREE" for t in own):
            self._cancel_open(instance)
            if task.node + 1 < len(instance.nodes):
                self._open_node(instance, task.node + 1)
            else:
                self._finish(instance, "agree")

    def _append_done(self, instance: Instance, group: Append) -> bool:
        tasks = [t for t in instance.tasks if t.task_id in group.tasks]
        if group.activate_type == "ONE_BY_ONE":
            if len(tasks) < len(group.users):  # the next signer in the given order
                self._add_task(instance, group, group.users[len(tasks)])
                return False
            return True
        if group.agree_all and any(t.status == "RUNNING" for t in tasks):
            return False
        for other in tasks:
            if other.status == "RUNNING":  # 或签: one agree is enough
                other.status, other.finish_ms = "CANCELED", self.now()
                self._emit_task(instance, other, "cancel")
        return True

    def _add_task(self, instance: Instance, group: Append, user: str) -> Task:
        owner = next(t for t in instance.tasks if t.task_id == group.owner)
        self._task_seq += 1
        task = Task(100_000_000_000 + self._task_seq, user, owner.activity_id, owner.node, self.now(), appended=True)
        instance.tasks.append(task)
        group.tasks.append(task.task_id)
        self._emit_task(instance, task, "start")
        return task

    def _start_append(self, instance: Instance, group: Append) -> None:
        group.started = True
        for user in group.users if group.activate_type == "ALL" else group.users[:1]:
            self._add_task(instance, group, user)

    def _running_task(self, instance: Instance, task_id: Any, operator: Any) -> Task:
        if instance.status != "RUNNING":
            raise OAError(400, "processInstance.finished", "审批实例已结束")
        if isinstance(task_id, bool) or not isinstance(task_id, int):
            raise OAError(400, "invalidParameter.taskId.invalid", "taskId is a number")
        task = next((t for t in instance.tasks if t.task_id == task_id), None)
        if task is None:
            raise OAError(400, "invalidParameter.taskId.invalid", "task not found")
        self.known_user(operator, "operateUserId")
        if task.user_id != operator:  # the SDK doc: the operator must be the task's current executor
            raise OAError(400, "invalidParameter.operateUserId.notExecutor", "操作人不是当前任务的执行人")
        if task.status != "RUNNING":
            raise OAError(400, "task.finished", "任务已处理")
        return task

    def instance_of_task(self, task_id: Any) -> Instance:
        for instance in self.instances.values():
            if any(t.task_id == task_id for t in instance.tasks):
                return instance
        raise OAError(400, "invalidParameter.taskId.invalid", "task not found")

    def redirect(self, body: Any) -> Task:
        """转交 (``POST /v1.0/workflow/tasks/redirect``): the approver hands their task to someone
        else, who decides in their place. The old task ends (COMPLETED, result REDIRECTED; event
        ``bpms_task_change`` finish + result ``redirect``, staffId = who handed it on), a new task
        on the same node starts for ``toUserId`` (event start)."""
        if not isinstance(body, dict):
            raise OAError(400, "invalidParameter.body.invalid", "body must be JSON")
        instance = self.instance_of_task(body.get("taskId"))
        task = self._running_task(instance, body.get("taskId"), body.get("operateUserId"))
        to_user = self.known_user(body.get("toUserId"), "toUserId")
        if to_user == task.user_id:
            raise OAError(400, "invalidParameter.toUserId.invalid", "不能转交给自己")
        if any(t.user_id == to_user and t.status == "RUNNING" for t in instance.tasks if t.node == task.node):
            raise OAError(400, "invalidParameter.toUserId.invalid", "该用户已是当前节点的审批人")
        remark = body.get("remark")
        if remark is not None and not isinstance(remark, str):
            raise OAError(400, "invalidParameter.remark.invalid", "remark is a string")
        now = self.now()
        task.status, task.result, task.finish_ms = "COMPLETED", "REDIRECTED", now
        instance.records.append(Record("REDIRECT_TASK", task.user_id, now, result="REDIRECTED", show_name="转交",
                                       remark=remark or "", activity_id=task.activity_id, to_user_id=to_user,
                                       attachments=_files(body.get("file"))))
        self._emit_task(instance, task, "finish", result="redirect", remark=remark or "")
        self._task_seq += 1
        new = Task(100_000_000_000 + self._task_seq, to_user, task.activity_id, task.node, now, appended=task.appended)
        instance.tasks.append(new)
        for group in instance.appends:  # a signer's task handed on stays that group's
            if task.task_id in group.tasks:
                group.tasks.append(new.task_id)
            if group.owner == task.task_id:
                group.owner = new.task_id
        self._emit_task(instance, new, "start")
        return new

    def append(self, body: Any) -> list[Task]:
        """加签 (``POST /v1.0/workflow/premium/tasks/append``, OA premium): the current approver adds
        signers ``before`` (their own task pauses until the signers agreed, then they decide) or
        ``after`` (they decide first, then the signers); ``activateType`` ALL (together, ``agreeAll``
        = all must agree, else one) or ONE_BY_ONE (in the given order)."""
        if not isinstance(body, dict):
            raise OAError(400, "invalidParameter.body.invalid", "body must be JSON")
        instance = self.instance(body.get("processInstanceId"))
        task = self._running_task(instance, body.get("taskId"), body.get("operateUserId"))
        kind, mode = body.get("type"), body.get("activateType")
        if kind not in ("before", "after"):
            raise OAError(400, "invalidParameter.type.invalid", "type is before or after")
        if mode not in ("ALL", "ONE_BY_ONE"):
            raise OAError(400, "invalidParameter.activateType.invalid", "activateType is ALL or ONE_BY_ONE")
        users = body.get("appenderUserIds")
        if not isinstance(users, list) or not users:
            raise OAError(400, "invalidParameter.appenderUserIds.empty", "appenderUserIds are required")
        users = [self.known_user(u, "appenderUserIds") for u in users]
        if len(set(users)) != len(users) or task.user_id in users:
            raise OAError(400, "invalidParameter.appenderUserIds.invalid", "加签人重复或包含当前审批人")
        if any(a.owner == task.task_id for a in instance.appends):
            raise OAError(400, "task.appended", "该任务已加签")
        agree_all = body.get("agreeAll", True)
        if not isinstance(agree_all, bool):
            raise OAError(400, "invalidParameter.agreeAll.invalid", "agreeAll is a boolean")
        remark = body.get("remark")
        group = Append(task.task_id, kind, mode, agree_all, users)
        instance.appends.append(group)
        now = self.now()
        instance.records.append(Record(f"APPEND_TASK_{kind.upper()}", task.user_id, now, show_name="加签",
                                       remark=remark if isinstance(remark, str) else "",
                                       activity_id=task.activity_id))
        if kind == "before":
            task.status = "PAUSED"
            self._start_append(instance, group)
        return [t for t in instance.tasks if t.task_id in group.tasks]

    def list_ids(self, body: Any) -> tuple[list[str], int | None]:
        """``POST /v1.0/workflow/processes/instanceIds/query``: ids of the process's instances
        started in [startTime, endTime] (ms; end defaults to now; at most 120 days apart), by
        originators ``userIds`` (≤ 10) and ``statuses``; pages of ``maxResults`` ≤ 20 from
        ``nextToken`` (0 first)."""
        if not isinstance(body, dict):
            raise OAError(400, "invalidParameter.body.invalid", "body must be JSON")
        if body.get("processCode") != self.process_code:
            raise OAError(400, "invalidParameter.processCode.invalid", "审批模板不存在")
        start, end = body.get("startTime"), body.get("endTime")
        now = self.now()
        if isinstance(start, bool) or not isinstance(start, int):
            raise OAError(400, "invalidParameter.startTime.empty", "startTime is required (epoch ms)")
        if end is None:
            end = now
        if isinstance(end, bool) or not isinstance(end, int) or end < start:
            raise OAError(400, "invalidParameter.endTime.invalid", "endTime is epoch ms, not before startTime")
        if end - start > 120 * 86_400_000 or now - start > 365 * 86_400_000:
            raise OAError(400, "invalidParameter.timeRange.invalid", "时间范围不能超过120天")
        size, token = body.get("maxResults"), body.get("nextToken", 0)
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 20:
            raise OAError(400, "invalidParameter.maxResults.invalid", "maxResults is 1..20")
        try:
            token = int(token or 0)
        except (TypeError, ValueError):
            raise OAError(400, "invalidParameter.nextToken.invalid", "nextToken is a number") from None
        users, statuses = body.get("userIds") or [], body.get("statuses") or []
        if not isinstance(users, list) or len(users) > 10:
            raise OAError(400, "invalidParameter.userIds.invalid", "userIds: at most 10")
        if not isinstance(statuses, list) or any(s not in ("RUNNING", "TERMINATED", "COMPLETED") for s in statuses):
            raise OAError(400, "invalidParameter.statuses.invalid", "statuses: RUNNING | TERMINATED | COMPLETED")
        found = [i.id for i in sorted(self.instances.values(), key=lambda i: i.create_ms)
                 if start <= i.create_ms <= end and (not users or i.originator in users)
                 and (not statuses or i.status in statuses)]
        page = found[token:token + size]
        return page, token + size if token + size < len(found) else None

    def _cancel_open(self, instance: Instance) -> None:
        for other in [t for t in instance.tasks if t.status in ("RUNNING", "PAUSED", "NEW")]:
            other.status, other.finish_ms = "CANCELED", self.now()
            self._emit_task(instance, other, "cancel")

    def _finish(self, instance: Instance, result: str) -> None:
        now = self.now()
        instance.status, instance.result, instance.finish_ms = "COMPLETED", result, now
        if instance.cc_list and instance.cc_position in ("FINISH", "START_FINISH"):
            instance.records.append(Record("PROCESS_CC", instance.originator, now, show_name="抄送人",
                                           cc_user_ids=list(instance.cc_list)))
        self._emit_instance(instance, "finish", result=result)

    def terminate(self, body: Any) -> Instance:
        if not isinstance(body, dict):
            raise OAError(400, "invalidParameter.body.invalid", "body must be JSON")
        instance = self.instance(body.get("processInstanceId"))
        is_system = body.get("isSystem", False)
        if not isinstance(is_system, bool):
            raise OAError(400, "invalidParameter.isSystem.invalid", "isSystem is a boolean")
        operator = body.get("operatingUserId")
        if not is_system:
            operator = self.known_user(operator, "operatingUserId")
            if operator != instance.originator:
                raise OAError(400, "invalidParameter.operatingUserId.notOriginator", "只有发起人可以撤销审批")
        if instance.status != "RUNNING":
            raise OAError(400, "processInstance.finished", "审批实例已结束")
        now = self.now()
        self._cancel_open(instance)
        instance.status, instance.finish_ms = "TERMINATED", now
        instance.records.append(Record("TERMINATE_PROCESS_INSTANCE", operator or instance.originator, now,
                                       show_name="撤销", remark=body.get("remark") or ""))
        self._emit_instance(instance, "terminate")
        return instance

    def comment(self, body: Any) -> Instance:
        if not isinstance(body, dict):
            raise OAError(400, "invalidParameter.body.invalid", "body must be JSON")
        instance = self.instance(body.get("processInstanceId"))
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise OAError(400, "invalidParameter.text.empty", "text is required")
        user = self.known_user(body.get("commentUserId"), "commentUserId")
        files = _files(body.get("file"))
        instance.records.append(Record("ADD_REMARK", user, self.now(), show_name="评论", remark=text,
                                       attachments=files))
        data = self._base_event(instance, "comment")
        data.update(staffId=user, createTime=self.now(), remark=text)
        self._emit("bpms_task_change", data)
        return instance

    def todo(self, user_id: str) -> list[tuple[Instance, Task]]:
        return [(i, t) for i in self.instances.values() for t in i.running_tasks() if t.user_id == user_id]

    # --- views (the GET shape of the SDK's GetProcessInstanceResponseBodyResult) ---------------------
    def view(self, instance: Instance, base_url: str) -> dict:
        def task_view(t: Task) -> dict:
            url = f"{base_url}/phone?me={t.user_id}&procInsId={instance.id}&taskId={t.task_id}"
            return {"taskId": t.task_id, "userId": t.user_id, "status": t.status, "result": t.result,
                    "activityId": t.activity_id, "createTime": iso_minute(t.create_ms),
                    "finishTime": iso_minute(t.finish_ms), "processInstanceId": instance.id,
                    "mobileUrl": url, "pcUrl": url}

        def record_view(r: Record) -> dict:
            out = {"type": r.type, "userId": r.user_id, "date": iso_minute(r.date_ms), "result": r.result,
                   "showName": r.show_name, "images": []}
            if r.remark is not None:
                out["remark"] = r.remark
            if r.activity_id:
                out["activityId"] = r.activity_id
            if r.cc_user_ids:
                out["ccUserIds"] = list(r.cc_user_ids)
            if r.attachments:
                out["attachments"] = [dict(a) for a in r.attachments]
            return out

        result = {
            "title": instance.title, "businessId": instance.business_id, "status": instance.status,
            "result": instance.result, "createTime": iso_minute(instance.create_ms),
            "originatorUserId": instance.originator, "originatorDeptId": str(instance.dept_id),
            "originatorDeptName": instance.dept_name, "approverUserIds": instance.approver_ids(),
            "ccUserIds": list(instance.cc_list), "formComponentValues": [dict(v) for v in instance.form],
            "operationRecords": [record_view(r) for r in instance.records],
            "tasks": [task_view(t) for t in instance.tasks], "bizAction": "NONE", "bizData": "{}",
            "attachedProcessInstanceIds": [],
        }
        if instance.finish_ms is not None:
            result["finishTime"] = iso_minute(instance.finish_ms)
        return result

    # --- events --------------------------------------------------------------------------------------
    def _base_event(self, instance: Instance, kind: str) -> dict:
        return {"processInstanceId": instance.id, "corpId": self.state.corp_id, "processCode": instance.process_code,
                "bizCategoryId": "", "businessId": instance.business_id, "title": instance.title, "type": kind}

    def _emit_instance(self, instance: Instance, kind: str, *, result: str | None = None) -> None:
        data = self._base_event(instance, kind)
        data.update(staffId=instance.originator, createTime=instance.create_ms,
                    url=f"/phone?me={instance.originator}&procInsId={instance.id}")
        if kind != "start":
            data["finishTime"] = instance.finish_ms
        if result:
            data["result"] = result
        self._emit("bpms_instance_change", data)

    def _emit_task(self, instance: Instance, task: Task, kind: str, *, result: str | None = None,
                   remark: str | None = None) -> None:
        data = self._base_event(instance, kind)
        data.update(taskId=task.task_id, staffId=task.user_id, activityId=task.activity_id, createTime=task.create_ms)
        if kind != "start":
            data["finishTime"] = task.finish_ms
        if result:
            data.update(result=result, remark=remark or "")
        self._emit("bpms_task_change", data)

    def _emit(self, event_type: str, data: dict) -> None:
        now = self.now()
        event = {"seq": len(self.events) + 1, "event_type": event_type, "event_id": uuid.uuid4().hex,
                 "born_ms": now, "data": data, "via": self.mode, "message_id": None, "push_seq": None}
        self.events.append(event)
        if self.mode == "http":
            push = self.pusher.push(event_type, data)
            event["push_seq"] = push.seq if push else None
            return
        headers = {"eventId": event["event_id"], "eventBornTime": str(now), "eventCorpId": self.state.corp_id,
                   "eventType": event_type, "eventUnifiedAppId": self.unified_app_id}
        event["message_id"] = self.gateway.deliver_event(event_type, data, headers)


def _files(value: Any) -> list[dict] | None:
    """The ``file`` of a comment or redirect: {photos: [url], attachments: [{spaceId, fileSize,
    fileId, fileName, fileType}]} (AddProcessInstanceCommentRequestFile); photos become records'
    ``images``, attachments are kept as given. Files must already be in the approval's DingDrive
    space; the simulator does not check the space."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise OAError(400, "invalidParameter.file.invalid", "file is an object")
    out = []
    for item in value.get("attachments") or []:
        if not isinstance(item, dict) or not isinstance(item.get("fileId"), str) or not item["fileId"]:
            raise OAError(400, "invalidParameter.file.attachments", "every attachment needs a fileId")
        out.append({k: item[k] for k in ("spaceId", "fileSize", "fileId", "fileName", "fileType") if k in item})
    return out or None


def _page_items(instance: Instance) -> list[dict]:
    return [{"name": v["name"], "value": v["value"]} for v in instance.form]


class LostAnswer(Response):
    """An answer that never arrives whole: the status line and headers go out, then the connection
    is closed before the body promised by Content-Length (the client sees a broken read, as on a
    reset or a timeout after DingTalk committed the call)."""

    def __init__(self, content: dict) -> None:
        body = json.dumps(content).encode()
        super().__init__(content=body[:1], media_type="application/json")
        self.headers["content-length"] = str(len(body))


def router(oa: OASim, *, base_url: Callable[[Request], str]) -> APIRouter:
    """The workflow OpenAPI routes (token required) and the ``/_sim`` OA admin routes."""
    api = APIRouter()
    state = oa.state

    async def body_of(request: Request) -> Any:
        try:
            return json.loads(await request.body() or b"null")
        except ValueError:
            return None

    def refused(request: Request) -> JSONResponse | None:
        if not state.token_is_valid(request.headers.get("x-acs-dingtalk-access-token")):
            return api_error(401, "InvalidAuthentication", "不合法的access_token")
        return None

    def answer(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except OAError as exc:
            return api_error(exc.status, exc.code, exc.message)

    def succeeded(operation: Callable[[], Any]) -> Callable[[], dict]:
        def run() -> dict:
            operation()
            return {"success": True, "result": True}

        return run

    @api.post("/v1.0/workflow/processInstances")
    async def start(request: Request):
        body = await body_of(request)
        response = refused(request) or answer(lambda: {"instanceId": oa.start(body).id})
        if isinstance(response, dict) and oa.take_lost_answer("start"):
            return LostAnswer(response)  # committed, but the caller never reads the answer
        return response

    @api.post("/v1.0/workflow/tasks/redirect")
    async def redirect(request: Request):
        body = await body_of(request)
        return refused(request) or answer(succeeded(lambda: oa.redirect(body)))

    @api.post("/v1.0/workflow/premium/tasks/append")
    async def append(request: Request):
        body = await body_of(request)
        return refused(request) or answer(succeeded(lambda: oa.append(body)))

    @api.post("/v1.0/workflow/processes/instanceIds/query")
    async def list_ids(request: Request):
        body = await body_of(request)

        def run() -> dict:
            ids, token = oa.list_ids(body)
            return {"success": True, "result": {"list": ids, "nextToken": str(token) if token is not None else None}}

        return refused(request) or answer(run)

    @api.get("/v1.0/workflow/processInstances")
    async def get(request: Request, processInstanceId: str = ""):
        return refused(request) or answer(
            lambda: {"success": True, "result": oa.view(oa.instance(processInstanceId), base_url(request))})

    @api.post("/v1.0/workflow/processInstances/terminate")
    async def terminate(request: Request):
        body = await body_of(request)
        return refused(request) or answer(succeeded(lambda: oa.terminate(body)))

    @api.post("/v1.0/workflow/processInstances/execute")
    async def execute(request: Request):
        body = await body_of(request)

        def run() -> None:
            if not isinstance(body, dict):
                raise OAError(400, "invalidParameter.body.invalid", "body must be JSON")
            instance = oa.instance(body.get("processInstanceId"))
            user = oa.known_user(body.get("actionerUserId"), "actionerUserId")
            oa.execute(instance, task_id=body.get("taskId"), user_id=user, result=body.get("result"),
                       remark=body.get("remark"))

        return refused(request) or answer(succeeded(run))

    @api.post("/v1.0/workflow/processInstances/comments")
    async def comment(request: Request):
        body = await body_of(request)
        return refused(request) or answer(succeeded(lambda: oa.comment(body)))

    @api.get("/v1.0/workflow/workRecords/todoTasks")
    async def todo_tasks(request: Request, userId: str = "", status: int = 0, maxResults: int = 20,
                         nextToken: int = 0):
        def run() -> dict:
            user = oa.known_user(userId, "userId")
            if not 1 <= maxResults <= TODO_PAGE_MAX:
                raise OAError(400, "invalidParameter.maxResults.invalid", f"maxResults is 1..{TODO_PAGE_MAX}")
            items = oa.todo(user) if status == 0 else []
            page = items[nextToken:nextToken + maxResults]
            more = nextToken + maxResults < len(items)
            return {"result": {"list": [
                {"instanceId": i.id, "taskId": t.task_id, "title": i.title,
                 "url": f"{base_url(request)}/phone?me={user}&procInsId={i.id}&taskId={t.task_id}",
                 "forms": [{"title": v["name"], "content": v["value"]} for v in i.form]}
                for i, t in page], "nextToken": nextToken + maxResults if more else None}}

        return refused(request) or answer(run)

    @api.get("/v1.0/workflow/processes/todoTasks/numbers")
    async def todo_numbers(request: Request, userId: str = ""):
        return refused(request) or answer(lambda: {"result": len(oa.todo(oa.known_user(userId, "userId")))})

    # --- admin: the approver's phone and the tests ---------------------------------------------------
    def pending_view(instance: Instance, task: Task) -> dict:
        return {"instance_id": instance.id, "task_id": task.task_id, "title": instance.title,
                "status": instance.status, "business_id": instance.business_id,
                "originator": instance.originator, "create_ms": instance.create_ms,
                "form": _page_items(instance)}

    @api.get("/_sim/approvals")
    async def sim_approvals(staff_id: str = ""):
        if state.person(staff_id) is None:
            return JSONResponse({"error": f"unknown staff_id {staff_id}"}, 400)
        return {"approvals": [pending_view(i, t) for i, t in oa.todo(staff_id)]}

    @api.get("/_sim/approvals/{instance_id}")
    async def sim_approval(instance_id: str, request: Request):
        instance = oa.instances.get(instance_id)
        if instance is None:
            return JSONResponse({"error": "unknown instance"}, 404)
        return oa.view(instance, base_url(request))

    @api.post("/_sim/approvals/{instance_id}/decide")
    async def sim_decide(instance_id: str, request: Request):
        body = await body_of(request)
        if not isinstance(body, dict):
            return JSONResponse({"error": "body must be an object"}, 400)
        instance = oa.instances.get(instance_id)
        if instance is None:
            return JSONResponse({"error": "unknown instance"}, 404)
        staff_id = body.get("staff_id")
        task = next((t for t in instance.running_tasks() if t.user_id == staff_id), None)
        if task is None:
            return JSONResponse({"error": f"{staff_id} has no pending task on this instance"}, 409)
        try:
            oa.execute(instance, task_id=task.task_id, user_id=staff_id, result=body.get("result"),
                       remark=body.get("remark"))
        except OAError as exc:
            return JSONResponse({"error": exc.message}, 400)
        return {"instance_id": instance.id, "status": instance.status, "result": instance.result}

    @api.post("/_sim/approvals/{instance_id}/redirect")
    async def sim_redirect(instance_id: str, request: Request):
        """The approver taps 转交 on the phone: ``{"staff_id", "to", "remark"}``."""
        body = await body_of(request)
        instance = oa.instances.get(instance_id)
        if instance is None or not isinstance(body, dict):
            return JSONResponse({"error": "unknown instance, or body not an object"}, 404)
        task = next((t for t in instance.running_tasks() if t.user_id == body.get("staff_id")), None)
        if task is None:
            return JSONResponse({"error": f"{body.get('staff_id')} has no pending task on this instance"}, 409)
        try:
            new = oa.redirect({"taskId": task.task_id, "operateUserId": task.user_id, "toUserId": body.get("to"),
                               "remark": body.get("remark")})
        except OAError as exc:
            return JSONResponse({"error": exc.message}, 400)
        return {"instance_id": instance.id, "task_id": new.task_id, "staff_id": new.user_id}

    @api.post("/_sim/approvals/{instance_id}/append")
    async def sim_append(instance_id: str, request: Request):
        """The approver taps 加签 on the phone: ``{"staff_id", "signers": [...], "type": "before" |
        "after", "activate_type": "ALL" | "ONE_BY_ONE", "agree_all": bool, "remark"}``."""
        body = await body_of(request)
        instance = oa.instances.get(instance_id)
        if instance is None or not isinstance(body, dict):
            return JSONResponse({"error": "unknown instance, or body not an object"}, 404)
        task = next((t for t in instance.running_tasks() if t.user_id == body.get("staff_id")), None)
        if task is None:
            return JSONResponse({"error": f"{body.get('staff_id')} has no pending task on this instance"}, 409)
        try:
            added = oa.append({"processInstanceId": instance.id, "taskId": task.task_id, "operateUserId": task.user_id,
                               "appenderUserIds": body.get("signers"), "type": body.get("type", "before"),
                               "activateType": body.get("activate_type", "ALL"),
                               "agreeAll": body.get("agree_all", True), "remark": body.get("remark")})
        except OAError as exc:
            return JSONResponse({"error": exc.message}, 400)
        return {"instance_id": instance.id, "signers": [t.user_id for t in added]}

    @api.post("/_sim/oa/faults")
    async def sim_oa_faults(request: Request):
        """Test-only switch (the simulator is never a production endpoint): ``{"lose_answer":
        {"start": 1}}`` makes the next start commit its instance (events and all) and then cut the
        connection before the answer is read, as a timeout or a reset after send does."""
        body = await body_of(request)
        lost = body.get("lose_answer") if isinstance(body, dict) else None
        if not isinstance(lost, dict) or any(k != "start" or not isinstance(v, int) or v < 0 for k, v in lost.items()):
            return JSONResponse({"error": 'lose_answer: {"start": count}'}, 400)
        oa.lost_answers = dict(lost)
        return {"lose_answer": oa.lost_answers}

    @api.get("/_sim/events")
    async def sim_events():
        return {"mode": oa.mode, "events": oa.events, "subscription": oa.pusher.view()}

    @api.post("/_sim/events/subscription")
    async def sim_subscription(request: Request):
        """Choose how events are pushed, as in the developer console: ``{"mode": "stream"}`` or
        ``{"mode": "http", "url": ..., "param_style": "msg_signature" | "signature"}`` (check_url first)."""
        body = await body_of(request)
        mode = body.get("mode") if isinstance(body, dict) else None
        if mode == "stream":
            oa.mode = "stream"
            return {"mode": "stream"}
        if mode != "http" or not isinstance(body.get("url"), str):
            return JSONResponse({"error": "mode is stream, or http with a url"}, 400)
        style = body.get("param_style", "msg_signature")
        if style not in ("msg_signature", "signature"):
            return JSONResponse({"error": "param_style is msg_signature or signature"}, 400)
        ok, reason = await oa.pusher.register(body["url"], param_style=style)
        if not ok:
            return JSONResponse({"error": f"check_url failed: {reason}"}, 400)
        oa.mode = "http"
        return {"mode": "http", "url": body["url"]}

    @api.post("/_sim/events/faults")
    async def sim_event_faults(request: Request):
        body = await body_of(request)
        rules = body.get("rules") if isinstance(body, dict) else None
        if not isinstance(rules, list) or any(not isinstance(r, dict) or r.get("fault") not in FAULTS for r in rules):
            return JSONResponse({"error": f"rules: [{{fault: {' | '.join(FAULTS)}, count}}]"}, 400)
        oa.pusher.faults = [dict(r) for r in rules]
        return {"rules": oa.pusher.faults}

    @api.post("/_sim/events/resend/{seq}")
    async def sim_event_resend(seq: int):
        push = await oa.pusher.resend(seq)
        if push is None:
            return JSONResponse({"error": "no such push, or no URL registered"}, 404)
        return push.view()

    return api
