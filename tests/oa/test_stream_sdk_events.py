"""The official dingtalk-stream SDK (.venv-sdk) receives the simulator's OA events as EVENT frames."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.oa.conftest import KEY, MANAGER, PLANNER, SECRET, decide, sim_events, start_instance
from tests.polling import wait_until
from tests.requirements import need

SDK_PYTHON = Path(__file__).resolve().parents[2] / ".venv-sdk" / "bin" / "python"
SCRIPT = Path(__file__).with_name("sdk_stream_events.py")


def received(log: Path) -> list[dict]:
    return [json.loads(line[6:]) for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("EVENT ")]


@pytest.fixture
def sdk_app(sim, tmp_path):
    need("sdk")  # the official dingtalk-stream SDK in .venv-sdk: fails when missing, like every component
    sim_url, _ = sim
    log = tmp_path / "sdk.log"
    with open(log, "w") as out:
        process = subprocess.Popen([str(SDK_PYTHON), str(SCRIPT), sim_url, KEY, SECRET], stdout=out,
                                   stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: httpx.get(f"{sim_url}/_sim/stream").json()["connections"] or process.poll() is not None,
                       30)
            assert process.poll() is None, log.read_text()
            yield log
        finally:
            process.terminate()
            process.wait(10)


def test_official_sdk_receives_bpms_events_with_dingtalks_headers(sim, sdk_app):
    sim_url, _ = sim
    [conn] = httpx.get(f"{sim_url}/_sim/stream").json()["connections"]
    assert conn["subscriptions"] == ["EVENT:*"]  # register_all_event_handler, no callbacks
    instance_id = start_instance(sim_url)
    assert decide(sim_url, instance_id, MANAGER, "agree", "好的 oke").status_code == 200
    events = wait_until(lambda: len(received(sdk_app)) >= 4 and received(sdk_app), 15)
    by_kind = {(e["event_type"], e["data"]["type"]): e for e in events}
    assert set(by_kind) == {("bpms_instance_change", "start"), ("bpms_task_change", "start"),
                            ("bpms_task_change", "finish"), ("bpms_instance_change", "finish")}
    sent = {e["event_id"]: e for e in sim_events(sim_url)}
    for event in events:
        assert event["event_id"] in sent and event["corp_id"] == "dingdemocorp0001"
        assert isinstance(event["born"], int) and isinstance(event["time"], int) and event["unified_app_id"]
        assert event["data"]["processInstanceId"] == instance_id and "EventType" not in event["data"]
        assert event["data"] == sent[event["event_id"]]["data"]
    finish = by_kind["bpms_task_change", "finish"]["data"]
    assert (finish["staffId"], finish["result"], finish["remark"]) == (MANAGER, "agree", "好的 oke")
    assert by_kind["bpms_instance_change", "start"]["data"]["staffId"] == PLANNER
    assert by_kind["bpms_instance_change", "finish"]["data"]["result"] == "agree"
    status = wait_until(lambda: (s := httpx.get(f"{sim_url}/_sim/stream").json()) and not s["pending"] and s, 10)
    acks = [a for a in status["acks"] if a["messageId"] in {e["message_id"] for e in events}]
    assert len(acks) == 4 and all(a["code"] == 200 and a["message"] == "OK" for a in acks)
    assert all(a["data"]["processInstanceId"] == instance_id for a in acks)  # the Python SDK echoes the data
