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
from fastapi.responses import JSONResponse

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
    status: str = "RUNNING"
    result: str = "NONE"
    finish_ms: int | None = None


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

    def running_tasks(self) -> list[Task]:
        return [t for t in self.tasks if t.status == "RUNNING"]

    def approver_ids(self) -> list[str]:
        seen: list[str] = []
        for node in self.nodes:
            seen += [u for u in node["userIds"] if u not in seen]
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
        node = instance.nodes[task.node]
        node_tasks = [t for t in instance.tasks if t.node == task.node]
        if result == "refuse":
            self._cancel_open(instance)
            self._finish(instance, "refuse")
        elif node["actionType"] in ("OR", "NONE") or all(t.result == "AGREE" for t in node_tasks):
            self._cancel_open(instance)
            if task.node + 1 < len(instance.nodes):
                self._open_node(instance, task.node + 1)
            else:
                self._finish(instance, "agree")
        return task

    def _cancel_open(self, instance: Instance) -> None:
        for other in instance.running_tasks():
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
        instance.records.append(Record("ADD_REMARK", user, self.now(), show_name="评论", remark=text))
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


def _page_items(instance: Instance) -> list[dict]:
    return [{"name": v["name"], "value": v["value"]} for v in instance.form]


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

    @api.post("/v1.0/workflow/processInstances")
    async def start(request: Request):
        body = await body_of(request)
        return refused(request) or answer(lambda: {"instanceId": oa.start(body).id})

    @api.get("/v1.0/workflow/processInstances")
    async def get(request: Request, processInstanceId: str = ""):
        return refused(request) or answer(
            lambda: {"success": True, "result": oa.view(oa.instance(processInstanceId), base_url(request))})

    def succeeded(operation: Callable[[], Any]) -> Callable[[], dict]:
        def run() -> dict:
            operation()
            return {"success": True, "result": True}

        return run

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
