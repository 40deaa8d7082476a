"""Fixtures for the OA approval protocol: the DingTalk simulator on a free port, the official
alibabacloud-dingtalk SDK as a subprocess in .venv-oa, an inbox on a throwaway SQLite database.

A test that needs .venv-oa FAILS when it is missing (run scripts/bootstrap.sh); it skips only when
``DINGK3_ALLOW_SKIP=oa_sdk`` says so (tests/requirements.py).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from rasa_project.db import make_engine, migrate
from rasa_project.oa.inbox import Inbox
from rasa_project.settings import PROJECT_ROOT
from tests.dingtalk.conftest import make_bot, run_sim, settings, sim  # noqa: F401 - shared fixtures
from tests.requirements import need

OA_PYTHON = PROJECT_ROOT / ".venv-oa" / "bin" / "python"
SDK_CLIENT = Path(__file__).with_name("sdk_oa_client.py")
KEY, SECRET = "dingdemoappkey0001", "demo-app-secret-0123456789abcdefABCDEF"
PROCESS = "PROC-DINGK3-MO-0001"
MANAGER, PLANNER, PLANNER2 = "manager0001", "pmc0001", "pmc0002"
FORM = [{"name": "单据编号", "value": "MO250401001"}, {"name": "物料", "value": "BOM-2050 · 1.01.2050 · 主板"},
        {"name": "数量", "value": "100"}, {"name": "单位", "value": "Pcs"}, {"name": "计划开工", "value": "2025-04-02"},
        {"name": "风险说明", "value": "交期 2 天，产能 80%"}]


class OfficialSDK:
    """One long-lived SDK process; ``call(op, **args)`` sends a line and reads the answer line."""

    def __init__(self, host_port: str) -> None:
        self.process = subprocess.Popen([str(OA_PYTHON), str(SDK_CLIENT), host_port, KEY, SECRET],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, encoding="utf-8")

    def call(self, op: str, **args) -> dict:
        self.process.stdin.write(json.dumps({"op": op, "args": args}, ensure_ascii=False) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"the SDK process died: {self.process.stderr.read()}")
        return json.loads(line)

    def token(self) -> str:
        return self.call("token")["ok"]["accessToken"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)


@pytest.fixture
def sdk(sim):  # noqa: F811 - the shared fixture
    need("oa_sdk")
    sim_url, _ = sim
    client = OfficialSDK(sim_url.removeprefix("http://"))
    yield client
    client.close()


@pytest.fixture
def inbox(tmp_path):
    url = f"sqlite:///{tmp_path / 'oa.db'}"
    migrate(url, "oa@head")
    engine = make_engine(url)
    yield Inbox(engine, lease_s=30)
    engine.dispose()


def sim_token(sim_url: str) -> str:
    return httpx.post(f"{sim_url}/v1.0/oauth2/accessToken", json={"appKey": KEY, "appSecret": SECRET}).json()[
        "accessToken"]


def start_body(**overrides) -> dict:
    body = {"originatorUserId": PLANNER, "processCode": PROCESS, "deptId": -1,
            "approvers": [{"actionType": "OR", "userIds": [MANAGER]}], "ccList": [PLANNER2],
            "formComponentValues": FORM}
    body.update(overrides)
    return body


def start_instance(sim_url: str, **overrides) -> str:
    r = httpx.post(f"{sim_url}/v1.0/workflow/processInstances", json=start_body(**overrides),
                   headers={"x-acs-dingtalk-access-token": sim_token(sim_url)})
    assert r.status_code == 200, r.text
    return r.json()["instanceId"]


def sim_events(sim_url: str) -> list[dict]:
    return httpx.get(f"{sim_url}/_sim/events").json()["events"]


def decide(sim_url: str, instance_id: str, staff_id: str, result: str, remark: str = "") -> httpx.Response:
    return httpx.post(f"{sim_url}/_sim/approvals/{instance_id}/decide",
                      json={"staff_id": staff_id, "result": result, "remark": remark})
