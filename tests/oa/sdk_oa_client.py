"""Drive the official alibabacloud-dingtalk SDK, unchanged; run with .venv-oa/bin/python.

usage: sdk_oa_client.py <host:port> <app key> <app secret>   (one JSON call per stdin line)

Each stdin line is ``{"op": <name>, "args": {...}}``; each answer line is the SDK response body's
``to_map()`` (``{"ok": ...}``) or the SDK's error (``{"error": {"code", "message", "status"}}``).
The token comes from the SDK's own oauth2_1_0 client, so the simulator's token route is exercised
by the official client too. ``args`` use the SDK's snake_case model fields.
"""

import json
import sys

from alibabacloud_dingtalk.oauth2_1_0 import client as oauth_client
from alibabacloud_dingtalk.oauth2_1_0 import models as oauth_models
from alibabacloud_dingtalk.workflow_1_0 import client as workflow_client
from alibabacloud_dingtalk.workflow_1_0 import models as wf
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_util import models as util_models
from Tea.exceptions import TeaException

ENDPOINT, APP_KEY, APP_SECRET = sys.argv[1:4]
config = open_api_models.Config(protocol="http", region_id="central", endpoint=ENDPOINT)
oauth = oauth_client.Client(config)
workflow = workflow_client.Client(config)
runtime = util_models.RuntimeOptions(read_timeout=10000, connect_timeout=5000)


def token(args):
    return oauth.get_access_token(oauth_models.GetAccessTokenRequest(app_key=APP_KEY, app_secret=APP_SECRET))


def start(args):
    request = wf.StartProcessInstanceRequest(
        originator_user_id=args.get("originator_user_id"),
        process_code=args.get("process_code"),
        dept_id=args.get("dept_id"),
        approvers=[wf.StartProcessInstanceRequestApprovers(action_type=a["action_type"], user_ids=a["user_ids"])
                   for a in args.get("approvers", [])] or None,
        cc_list=args.get("cc_list"),
        cc_position=args.get("cc_position"),
        form_component_values=[wf.StartProcessInstanceRequestFormComponentValues(name=v["name"], value=v["value"])
                               for v in args.get("form_component_values", [])],
    )
    headers = wf.StartProcessInstanceHeaders(x_acs_dingtalk_access_token=args["token"])
    return workflow.start_process_instance_with_options(request, headers, runtime)


def get(args):
    headers = wf.GetProcessInstanceHeaders(x_acs_dingtalk_access_token=args["token"])
    request = wf.GetProcessInstanceRequest(process_instance_id=args["process_instance_id"])
    return workflow.get_process_instance_with_options(request, headers, runtime)


def terminate(args):
    headers = wf.TerminateProcessInstanceHeaders(x_acs_dingtalk_access_token=args["token"])
    request = wf.TerminateProcessInstanceRequest(
        process_instance_id=args["process_instance_id"], is_system=args.get("is_system"),
        operating_user_id=args.get("operating_user_id"), remark=args.get("remark"))
    return workflow.terminate_process_instance_with_options(request, headers, runtime)


def comment(args):
    headers = wf.AddProcessInstanceCommentHeaders(x_acs_dingtalk_access_token=args["token"])
    file = None
    if args.get("attachments") or args.get("photos"):
        file = wf.AddProcessInstanceCommentRequestFile(
            photos=args.get("photos"),
            attachments=[wf.AddProcessInstanceCommentRequestFileAttachments(**a) for a in args.get("attachments") or []])
    request = wf.AddProcessInstanceCommentRequest(
        process_instance_id=args["process_instance_id"], text=args["text"], comment_user_id=args["comment_user_id"],
        file=file)
    return workflow.add_process_instance_comment_with_options(request, headers, runtime)


def redirect(args):
    headers = wf.RedirectWorkflowTaskHeaders(x_acs_dingtalk_access_token=args["token"])
    request = wf.RedirectWorkflowTaskRequest(task_id=args["task_id"], operate_user_id=args["operate_user_id"],
                                             to_user_id=args["to_user_id"], remark=args.get("remark"))
    return workflow.redirect_workflow_task_with_options(request, headers, runtime)


def append(args):
    headers = wf.PremiumAppendTaskHeaders(x_acs_dingtalk_access_token=args["token"])
    request = wf.PremiumAppendTaskRequest(
        process_instance_id=args["process_instance_id"], task_id=args["task_id"],
        operate_user_id=args["operate_user_id"], appender_user_ids=args["appender_user_ids"], type=args["type"],
        activate_type=args.get("activate_type", "ALL"), agree_all=args.get("agree_all"), remark=args.get("remark"))
    return workflow.premium_append_task_with_options(request, headers, runtime)


def list_ids(args):
    headers = wf.ListProcessInstanceIdsHeaders(x_acs_dingtalk_access_token=args["token"])
    request = wf.ListProcessInstanceIdsRequest(
        process_code=args["process_code"], start_time=args["start_time"], end_time=args.get("end_time"),
        next_token=args.get("next_token", 0), max_results=args.get("max_results", 20), user_ids=args.get("user_ids"),
        statuses=args.get("statuses"))
    return workflow.list_process_instance_ids_with_options(request, headers, runtime)


def execute(args):
    headers = wf.ExecuteProcessInstanceHeaders(x_acs_dingtalk_access_token=args["token"])
    request = wf.ExecuteProcessInstanceRequest(
        process_instance_id=args["process_instance_id"], actioner_user_id=args["actioner_user_id"],
        task_id=args["task_id"], result=args["result"], remark=args.get("remark"))
    return workflow.execute_process_instance_with_options(request, headers, runtime)


def todo(args):
    headers = wf.ListTodoWorkRecordsHeaders(x_acs_dingtalk_access_token=args["token"])
    request = wf.ListTodoWorkRecordsRequest(user_id=args["user_id"], status=0, max_results=args.get("max_results", 20),
                                            next_token=args.get("next_token", 0))
    return workflow.list_todo_work_records_with_options(request, headers, runtime)


def todo_sum(args):
    headers = wf.GetUserTodoTaskSumHeaders(x_acs_dingtalk_access_token=args["token"])
    return workflow.get_user_todo_task_sum_with_options(wf.GetUserTodoTaskSumRequest(user_id=args["user_id"]),
                                                        headers, runtime)


OPS = {f.__name__: f for f in (token, start, get, terminate, comment, execute, todo, todo_sum, redirect, append,
                                       list_ids)}

for line in sys.stdin:
    call = json.loads(line)
    try:
        response = OPS[call["op"]](call.get("args") or {})
        answer = {"ok": response.body.to_map(), "status": response.status_code}
    except TeaException as exc:
        answer = {"error": {"code": exc.code, "message": exc.message, "status": (exc.data or {}).get("statusCode")}}
    except Exception as exc:  # noqa: BLE001 - a broken answer (connection cut) is reported, not fatal
        answer = {"error": {"code": type(exc).__name__, "message": str(exc)[:200], "status": None}}
    print(json.dumps(answer, ensure_ascii=False), flush=True)
