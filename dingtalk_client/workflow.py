"""DingTalk OA approval (审批) client: start, read, terminate and comment on process instances.

Wire shapes are those of the official SDK ``alibabacloud_dingtalk.workflow_1_0`` (spec §8):

- ``POST /v1.0/workflow/processInstances`` {originatorUserId, processCode, deptId, approvers
  [{actionType, userIds}], ccList, ccPosition, formComponentValues [{name, value}]} -> {instanceId}
- ``GET /v1.0/workflow/processInstances?processInstanceId=`` -> {success, result: {status, result,
  tasks, operationRecords, formComponentValues, ...}}
- ``POST /v1.0/workflow/processInstances/terminate`` {processInstanceId, isSystem, operatingUserId, remark}
- ``POST /v1.0/workflow/processInstances/comments`` {processInstanceId, text, commentUserId}
- ``GET /v1.0/workflow/workRecords/todoTasks?userId=&status=0&maxResults=&nextToken=`` (an approver's to-do)
- ``POST /v1.0/workflow/processes/instanceIds/query`` {processCode, startTime, endTime, nextToken,
  maxResults ≤ 20, userIds, statuses} -> {result: {list, nextToken}} (ListProcessInstanceIds)
- ``POST /v1.0/workflow/tasks/redirect`` {taskId, operateUserId, toUserId, remark} (转交, RedirectWorkflowTask)
- ``POST /v1.0/workflow/premium/tasks/append`` {processInstanceId, taskId, operateUserId,
  appenderUserIds, type before|after, activateType ALL|ONE_BY_ONE, agreeAll, remark} (加签, OA premium)

Requests are built and answers parsed by pure functions; ``WorkflowClient`` (sync) and
``AsyncWorkflowClient`` only do the I/O. The access token comes from a ``TokenSource`` (e.g.
``dingtalk_client.openapi.DingTalkOpenAPI``), refreshed once on 401. Errors are mapped once into the
``DingTalkError`` family of ``dingtalk_client.openapi``; an unknown instance is ``InstanceNotFound``.
Imports nothing from the product core.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

import httpx
from typing_extensions import Self

from dingtalk_client.openapi import DingTalkApiError, DingTalkAuthError, DingTalkUnavailable, api_error

ACTION_TYPES = ("AND", "OR", "NONE")
CC_POSITIONS = ("START", "FINISH", "START_FINISH")

# instance status / result and task status / result, as DingTalk spells them
RUNNING, COMPLETED, TERMINATED = "RUNNING", "COMPLETED", "TERMINATED"
AGREE, REFUSE = "agree", "refuse"


class InstanceNotFound(DingTalkApiError):
    """404: no process instance with that id (or not visible to this app)."""


class MalformedAnswer(DingTalkApiError):
    """A 2xx answer without the fields the API documents."""


class TokenSource(Protocol):
    def access_token(self) -> str: ...

    def invalidate_token(self) -> None: ...


class AsyncTokenSource(Protocol):
    async def access_token(self) -> str: ...

    def invalidate_token(self) -> None: ...


@dataclass(frozen=True)
class WorkflowConfig:
    base_url: str  # https://api.dingtalk.com
    process_code: str  # the approval template (PROC-...)
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Approver:
    """One approval node, in order: ``OR`` (one of them), ``AND`` (all of them), ``NONE`` (one person)."""

    action_type: str
    user_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.action_type not in ACTION_TYPES:
            raise ValueError(f"action_type must be one of {ACTION_TYPES}")
        if not self.user_ids or (self.action_type == "NONE" and len(self.user_ids) != 1):
            raise ValueError("an approval node needs its user ids (exactly one for NONE)")


@dataclass(frozen=True)
class FormValue:
    name: str
    value: str


@dataclass(frozen=True)
class StartRequest:
    originator: str
    approvers: tuple[Approver, ...]
    form: tuple[FormValue, ...]
    dept_id: int = -1  # the root department
    cc: tuple[str, ...] = ()
    cc_position: str = "START"


@dataclass(frozen=True)
class Task:
    task_id: int
    user_id: str
    status: str  # RUNNING | COMPLETED | CANCELED | ...
    result: str  # NONE | AGREE | REFUSE | REDIRECTED
    activity_id: str | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class Record:
    type: str  # START_PROCESS_INSTANCE | EXECUTE_TASK_NORMAL | ADD_REMARK | TERMINATE_PROCESS_INSTANCE | ...
    user_id: str
    result: str  # NONE | AGREE | REFUSE
    at: datetime | None
    remark: str = ""
    show_name: str = ""


@dataclass(frozen=True)
class Instance:
    instance_id: str
    title: str
    business_id: str
    status: str
    result: str  # "" while running, agree | refuse when COMPLETED
    originator: str
    created_at: datetime | None
    finished_at: datetime | None
    form: tuple[FormValue, ...]
    tasks: tuple[Task, ...] = ()
    records: tuple[Record, ...] = ()
    approver_ids: tuple[str, ...] = ()
    cc_ids: tuple[str, ...] = ()

    @property
    def is_running(self) -> bool:
        return self.status == RUNNING

    @property
    def is_agreed(self) -> bool:
        return self.status == COMPLETED and self.result == AGREE

    @property
    def is_refused(self) -> bool:
        return self.status == COMPLETED and self.result == REFUSE

    @property
    def is_terminated(self) -> bool:
        return self.status == TERMINATED

    def running_approvers(self) -> tuple[str, ...]:
        """Who can decide now (after a transfer or an added signer, not the approvers first asked)."""
        return tuple(dict.fromkeys(t.user_id for t in self.tasks if t.status == "RUNNING"))

    def decisions(self) -> tuple[Record, ...]:
        """The approvers' agree/refuse records, in order, with their remarks."""
        return tuple(r for r in self.records if r.type == "EXECUTE_TASK_NORMAL")

    def value(self, name: str) -> str | None:
        return next((v.value for v in self.form if v.name == name), None)


@dataclass(frozen=True)
class TodoItem:
    instance_id: str
    task_id: int
    title: str
    url: str
    form: tuple[FormValue, ...] = field(default=())


# --- pure request builders and answer parsers -------------------------------------------------------
@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict | None = None
    body: dict | None = None


def start_call(config: WorkflowConfig, request: StartRequest) -> Call:
    if request.cc_position not in CC_POSITIONS:
        raise ValueError(f"cc_position must be one of {CC_POSITIONS}")
    body: dict[str, Any] = {
        "originatorUserId": request.originator,
        "processCode": config.process_code,
        "deptId": request.dept_id,
        "approvers": [{"actionType": a.action_type, "userIds": list(a.user_ids)} for a in request.approvers],
        "formComponentValues": [{"name": v.name, "value": v.value} for v in request.form],
    }
    if request.cc:
        body.update(ccList=list(request.cc), ccPosition=request.cc_position)
    return Call("POST", "/v1.0/workflow/processInstances", body=body)


def get_call(instance_id: str) -> Call:
    return Call("GET", "/v1.0/workflow/processInstances", params={"processInstanceId": instance_id})


def terminate_call(instance_id: str, *, operator: str | None, remark: str, is_system: bool) -> Call:
    body: dict[str, Any] = {"processInstanceId": instance_id, "isSystem": is_system, "remark": remark}
    if operator:
        body["operatingUserId"] = operator
    return Call("POST", "/v1.0/workflow/processInstances/terminate", body=body)


def comment_call(instance_id: str, user_id: str, text: str, attachments: Sequence[dict] = ()) -> Call:
    body: dict[str, Any] = {"processInstanceId": instance_id, "text": text, "commentUserId": user_id}
    if attachments:  # files already in the approval's DingDrive space: {spaceId, fileId, fileName, fileSize, fileType}
        body["file"] = {"attachments": [dict(a) for a in attachments]}
    return Call("POST", "/v1.0/workflow/processInstances/comments", body=body)


def list_ids_call(config: WorkflowConfig, *, start_ms: int, end_ms: int | None, originators: Sequence[str],
                  statuses: Sequence[str], max_results: int, next_token: int) -> Call:
    body: dict[str, Any] = {"processCode": config.process_code, "startTime": start_ms, "nextToken": next_token,
                            "maxResults": max_results}
    if end_ms is not None:
        body["endTime"] = end_ms
    if originators:
        body["userIds"] = list(originators)
    if statuses:
        body["statuses"] = list(statuses)
    return Call("POST", "/v1.0/workflow/processes/instanceIds/query", body=body)


def redirect_call(task_id: int, *, operator: str, to_user: str, remark: str) -> Call:
    return Call("POST", "/v1.0/workflow/tasks/redirect",
                body={"taskId": task_id, "operateUserId": operator, "toUserId": to_user, "remark": remark})


def append_call(instance_id: str, task_id: int, *, operator: str, signers: Sequence[str], before: bool,
                one_by_one: bool, agree_all: bool, remark: str) -> Call:
    return Call("POST", "/v1.0/workflow/premium/tasks/append", body={
        "processInstanceId": instance_id, "taskId": task_id, "operateUserId": operator,
        "appenderUserIds": list(signers), "type": "before" if before else "after",
        "activateType": "ONE_BY_ONE" if one_by_one else "ALL", "agreeAll": agree_all, "remark": remark})


def parse_ids(body: Any) -> tuple[list[str], int | None]:
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, dict) or not isinstance(result.get("list") or [], list):
        raise MalformedAnswer(200, "malformed", "result.list missing")
    token = result.get("nextToken")
    try:
        return [str(i) for i in result.get("list") or ()], int(token) if token not in (None, "") else None
    except (TypeError, ValueError):
        raise MalformedAnswer(200, "malformed", f"unreadable nextToken {token!r}") from None


def todo_call(user_id: str, *, max_results: int, next_token: int) -> Call:
    return Call("GET", "/v1.0/workflow/workRecords/todoTasks",
                params={"userId": user_id, "status": 0, "maxResults": max_results, "nextToken": next_token})


def parse_time(value: Any) -> datetime | None:
    """``yyyy-MM-ddTHH:mmZ`` (UTC, minute precision) or epoch ms; None when absent."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, timezone.utc)
    text = str(value)
    for fmt in ("%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    raise MalformedAnswer(200, "malformed", f"unreadable time {text!r}")


def parse_start(body: Any) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("instanceId"), str) or not body["instanceId"]:
        raise MalformedAnswer(200, "malformed", "instanceId missing")
    return body["instanceId"]


def parse_instance(instance_id: str, body: Any) -> Instance:
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, dict) or not isinstance(result.get("status"), str):
        raise MalformedAnswer(200, "malformed", "result.status missing")
    try:
        tasks = tuple(
            Task(int(t["taskId"]), str(t["userId"]), str(t.get("status") or ""), str(t.get("result") or ""),
                 t.get("activityId"), parse_time(t.get("createTime")), parse_time(t.get("finishTime")))
            for t in result.get("tasks") or ())
        records = tuple(
            Record(str(r.get("type") or ""), str(r.get("userId") or ""), str(r.get("result") or ""),
                   parse_time(r.get("date")), str(r.get("remark") or ""), str(r.get("showName") or ""))
            for r in result.get("operationRecords") or ())
        form = tuple(FormValue(str(v["name"]), str(v.get("value") or ""))
                     for v in result.get("formComponentValues") or ())
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedAnswer(200, "malformed", f"unreadable instance: {exc}") from None
    return Instance(
        instance_id=instance_id, title=str(result.get("title") or ""), business_id=str(result.get("businessId") or ""),
        status=result["status"], result=str(result.get("result") or ""),
        originator=str(result.get("originatorUserId") or ""), created_at=parse_time(result.get("createTime")),
        finished_at=parse_time(result.get("finishTime")), form=form, tasks=tasks, records=records,
        approver_ids=tuple(result.get("approverUserIds") or ()), cc_ids=tuple(result.get("ccUserIds") or ()))


def parse_success(body: Any) -> None:
    if isinstance(body, dict) and body.get("success") is False:
        raise MalformedAnswer(200, "unsuccessful", "success is false")


def parse_todo(body: Any) -> tuple[list[TodoItem], int | None]:
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, dict):
        raise MalformedAnswer(200, "malformed", "result missing")
    try:
        items = [TodoItem(str(i["instanceId"]), int(i["taskId"]), str(i.get("title") or ""), str(i.get("url") or ""),
                          tuple(FormValue(str(f.get("title")), str(f.get("content") or "")) for f in i.get("forms") or ()))
                 for i in result.get("list") or ()]
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedAnswer(200, "malformed", f"unreadable to-do: {exc}") from None
    token = result.get("nextToken")
    return items, int(token) if token not in (None, "") else None


def check(status: int, body: Any) -> Any:
    """The body of a 2xx answer, or the mapped ``DingTalkError``."""
    if status == 404:
        body = body if isinstance(body, dict) else {}
        raise InstanceNotFound(status, str(body.get("code") or "notFound"), str(body.get("message") or ""),
                               str(body.get("requestid") or ""))
    error = api_error(status, body)
    if error:
        raise error
    return body


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


# --- the operations, written once over a "run this call" function -----------------------------------
class _Operations:
    def __init__(self, config: WorkflowConfig) -> None:
        self.config = config

    def _do(self, call: Call, parse: Callable[[Any], Any]):  # pragma: no cover - abstract
        raise NotImplementedError

    def start(self, request: StartRequest):
        """Start an instance of the configured process; returns the instance id."""
        return self._do(start_call(self.config, request), parse_start)

    def get(self, instance_id: str):
        return self._do(get_call(instance_id), lambda body: parse_instance(instance_id, body))

    def terminate(self, instance_id: str, *, operator: str | None = None, remark: str = "",
                  is_system: bool = False):
        """Withdraw a running instance: by its originator (``operator``), or by the app (``is_system``)."""
        if not is_system and not operator:
            raise ValueError("terminate needs the originator as operator, or is_system=True")
        return self._do(terminate_call(instance_id, operator=operator, remark=remark, is_system=is_system),
                        parse_success)

    def comment(self, instance_id: str, user_id: str, text: str, attachments: Sequence[dict] = ()):
        return self._do(comment_call(instance_id, user_id, text, attachments), parse_success)

    def list_instance_ids(self, *, start_ms: int, end_ms: int | None = None, originators: Sequence[str] = (),
                          statuses: Sequence[str] = (), max_results: int = 20, next_token: int = 0):
        """One page of ids of the process's instances started in [start_ms, end_ms]: (ids, next token or None)."""
        return self._do(list_ids_call(self.config, start_ms=start_ms, end_ms=end_ms, originators=originators,
                                      statuses=statuses, max_results=max_results, next_token=next_token), parse_ids)

    def redirect(self, task_id: int, *, operator: str, to_user: str, remark: str = ""):
        """转交: the task's current approver hands it to ``to_user``."""
        return self._do(redirect_call(task_id, operator=operator, to_user=to_user, remark=remark), parse_success)

    def append(self, instance_id: str, task_id: int, *, operator: str, signers: Sequence[str], before: bool = True,
               one_by_one: bool = False, agree_all: bool = True, remark: str = ""):
        """加签 (OA premium): the task's approver adds signers before or after their own decision."""
        return self._do(append_call(instance_id, task_id, operator=operator, signers=signers, before=before,
                                    one_by_one=one_by_one, agree_all=agree_all, remark=remark), parse_success)

    def todo(self, user_id: str, *, max_results: int = 20, next_token: int = 0):
        """One page of an approver's pending tasks: (items, next token or None)."""
        return self._do(todo_call(user_id, max_results=max_results, next_token=next_token), parse_todo)


class WorkflowClient(_Operations):
    """Sync client (the action server and workers)."""

    def __init__(self, config: WorkflowConfig, tokens: TokenSource, *,
                 transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(config)
        self._tokens = tokens
        self._http = httpx.Client(base_url=config.base_url.rstrip("/"), transport=transport,
                                  timeout=config.timeout_s)

    def _send(self, call: Call, token: str) -> Any:
        try:
            response = self._http.request(call.method, call.path, params=call.params, json=call.body,
                                          headers={"x-acs-dingtalk-access-token": token})
        except httpx.HTTPError as exc:
            raise DingTalkUnavailable(f"{type(exc).__name__} on {call.method} {call.path}") from exc
        return check(response.status_code, _json(response))

    def _do(self, call: Call, parse: Callable[[Any], Any]):
        try:
            return parse(self._send(call, self._tokens.access_token()))
        except DingTalkAuthError:
            self._tokens.invalidate_token()  # revoked or expired early: one fresh token, once
            return parse(self._send(call, self._tokens.access_token()))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class AsyncWorkflowClient(_Operations):
    """Async client (the channel's event loop); every operation returns an awaitable."""

    def __init__(self, config: WorkflowConfig, tokens: AsyncTokenSource, *,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(config)
        self._tokens = tokens
        self._http = httpx.AsyncClient(base_url=config.base_url.rstrip("/"), transport=transport,
                                       timeout=config.timeout_s)

    async def _send(self, call: Call, token: str) -> Any:
        try:
            response = await self._http.request(call.method, call.path, params=call.params, json=call.body,
                                                headers={"x-acs-dingtalk-access-token": token})
        except httpx.HTTPError as exc:
            raise DingTalkUnavailable(f"{type(exc).__name__} on {call.method} {call.path}") from exc
        return check(response.status_code, _json(response))

    def _do(self, call: Call, parse: Callable[[Any], Any]) -> Awaitable[Any]:
        async def run() -> Any:
            try:
                return parse(await self._send(call, await self._tokens.access_token()))
            except DingTalkAuthError:
                self._tokens.invalidate_token()
                return parse(await self._send(call, await self._tokens.access_token()))

        return run()

    async def aclose(self) -> None:
        await self._http.aclose()


def form(pairs: Iterable[tuple[str, Any]]) -> tuple[FormValue, ...]:
    """Form values from (name, value) pairs; values go on the wire as strings, empty ones are dropped."""
    return tuple(FormValue(str(name), str(value)) for name, value in pairs if value not in (None, ""))


def approvers(*nodes: Sequence[str], action_type: str = "OR") -> tuple[Approver, ...]:
    """Sequential approval nodes, each a group of user ids deciding with ``action_type``."""
    return tuple(Approver("NONE" if len(n) == 1 else action_type, tuple(n)) for n in nodes)
