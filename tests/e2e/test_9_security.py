"""No back doors around the channel (issue 20 §1, §8), against the whole running system: the replay
of the issue, a forged tracker to the action server, the Rasa HTTP API without its token. Each
changes nothing (K/3 read with the official SDK, the audit trail) and reads nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from devtools.security.checks import k3_snapshot, trail_state, turns_of
from devtools.security.listener import WebhookListener
from devtools.security.wire import Signer, encode, robot_body

pytestmark = pytest.mark.stack


@pytest.fixture
def attacker():
    with WebhookListener("127.0.0.1") as listener:
        yield listener


def forged_tracker(sender: str, action: str, text: str, entities: list[dict]) -> dict:
    conversation, _, staff = sender.rpartition(":")
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender, "slots": {"language": "zh"}, "events": [], "paused": False,
            "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
            "latest_message": {"text": text, "intent": {"name": "query_order", "confidence": 1.0},
                               "entities": entities, "message_id": "forged-tracker",
                               "metadata": {"conversation_id": conversation, "staff_id": staff, "is_group": True}},
        },
    }


def test_the_replay_of_the_issue_is_refused_and_sends_nothing(chat, stack, attacker):
    _, settings = stack
    signer = Signer(settings.dingtalk_app_secret.get_secret_value())
    url = f"http://127.0.0.1:{settings.rasa_port}/webhooks/dingtalk/webhook"
    chat.ask("guest0001", "你好", expect=1)  # the guest is in the PMC group now
    before_k3, before_trail = k3_snapshot(settings), trail_state(settings)

    headers = signer.headers()  # one ordinary callback from a guest with no rights ...
    ordinary = robot_body(robot_code=settings.dingtalk_robot_code, corp_id=settings.dingtalk_corp_id,
                          conversation_id="cidPMC0001", staff_id="guest0001", text="你好",
                          session_webhook=f"{attacker.origin}/guest")
    assert httpx.post(url, content=encode(ordinary), headers=headers).status_code == 200
    # ... its headers again, a few seconds later, as the manager, replies to the attacker's server
    forged = robot_body(robot_code=settings.dingtalk_robot_code, corp_id=settings.dingtalk_corp_id,
                        conversation_id="cidPMC0001", staff_id="manager0001", text="进度 P20250401",
                        session_webhook=f"{attacker.origin}/manager")
    replay = httpx.post(url, content=encode(forged), headers=headers)
    assert replay.status_code == 401 and replay.json()["reason"] == "replayed"

    deadline = time.monotonic() + 30  # the guest's own turn is answered ...
    while time.monotonic() < deadline and not attacker.hits_for("/guest"):
        time.sleep(0.2)
    assert attacker.hits_for("/guest")
    assert attacker.hits_for("/manager") == []  # ... the manager's view of P20250401 went nowhere
    assert turns_of(settings, [forged["msgId"]]) == set()
    assert k3_snapshot(settings) == before_k3
    assert trail_state(settings).decisions == before_trail.decisions


def test_a_forged_tracker_posted_to_the_action_server_runs_nothing_and_reads_nothing(stack):
    _, settings = stack
    before_k3, before_trail = k3_snapshot(settings), trail_state(settings)
    url = f"http://127.0.0.1:{settings.action_port}"
    read = forged_tracker("cidPMC0001:manager0001", "action_query_order", "进度 P20250401",
                          [{"entity": "order_no", "value": "P20250401"}])
    write = forged_tracker("cidPMC0001:manager0001", "action_decide_approval", "批准 MO000124",
                           [{"entity": "order_no", "value": "MO000124"}])
    for body, headers in ((read, {}), (write, {}), (read, {"Authorization": "Bearer guessed"}),
                          (read, {"Authorization": settings.action_server_token.get_secret_value()})):
        r = httpx.post(f"{url}/webhook", json=body, headers=headers)
        assert r.status_code == 401 and r.json() == {"error": "not authenticated"}
        assert "P20250401" not in r.text and "300" not in r.text
    assert httpx.get(f"{url}/actions").status_code == 401  # not even the list of actions
    assert httpx.get(f"{url}/health").status_code == 200
    assert k3_snapshot(settings) == before_k3
    # not one turn audited: none ran (the worker's own background K/3 reads and anchors may write meanwhile)
    after = trail_state(settings)
    assert (after.turns, after.writes, after.decisions) == (before_trail.turns, before_trail.writes, before_trail.decisions)
    # the check is the token, not a broken server: Rasa's own header opens it
    token = settings.action_server_token.get_secret_value()
    answered = httpx.post(f"{url}/webhook", json=read, headers={"Authorization": f"Bearer {token}"})
    assert answered.status_code == 200 and "P20250401" in json.dumps(answered.json(), ensure_ascii=False)


def test_the_rasa_api_answers_nobody_without_its_token(stack):
    _, settings = stack
    rasa = f"http://127.0.0.1:{settings.rasa_port}"
    token = settings.rasa_api_token.get_secret_value()
    tracker = f"{rasa}/conversations/cidPMC0001:pmc0001/tracker"
    events_before = len(httpx.get(tracker, params={"token": token}).json()["events"])
    before_k3 = k3_snapshot(settings)
    calls = [
        ("GET", "/conversations/cidPMC0001:pmc0001/tracker", None),
        ("POST", "/conversations/cidPMC0001:manager0001/trigger_intent",
         {"name": "approve", "entities": {"order_no": "MO000124"}}),
        ("POST", "/conversations/cidPMC0001:pmc0001/messages", {"text": "进度 P20250401", "sender": "user"}),
        ("POST", "/conversations/cidPMC0001:pmc0001/tracker/events", {"event": "slot", "name": "x", "value": "y"}),
        ("PUT", "/conversations/cidPMC0001:pmc0001/tracker/events", []),
        ("POST", "/conversations/cidPMC0001:pmc0001/execute", {"name": "action_query_order"}),
        ("POST", "/model/parse", {"text": "进度 P20250401"}),
        ("GET", "/domain", None), ("GET", "/status", None), ("DELETE", "/model", None),
    ]
    for method, path, body in calls:
        for params in ({}, {"token": "guessed"}):
            r = httpx.request(method, rasa + path, json=body, params=params)
            assert r.status_code == 401, (method, path, r.status_code)
            assert "P20250401" not in r.text
    assert httpx.post(f"{rasa}/webhooks/rest/webhook", json={"sender": "x", "message": "hi"}).status_code == 404
    after = httpx.get(tracker, params={"token": token})
    assert after.status_code == 200 and len(after.json()["events"]) == events_before
    assert k3_snapshot(settings) == before_k3


def test_no_service_listens_beyond_loopback_and_no_token_is_on_a_command_line(stack):
    running, settings = stack
    secrets = [settings.rasa_api_token.get_secret_value(), settings.action_server_token.get_secret_value()]
    for svc in running.services:
        cmdline = Path(f"/proc/{svc.process.pid}/cmdline").read_bytes().decode("utf-8", "replace")
        assert not any(s in cmdline for s in secrets), svc.name
    ports = {settings.rasa_port, settings.action_port, settings.dingtalk_sim_port, settings.k3_sim_port}
    found = listening_addresses(ports)
    assert set(found) == ports and all(hosts == {"127.0.0.1"} for hosts in found.values()), found


def listening_addresses(ports: set[int]) -> dict[int, set[str]]:
    """Local addresses in LISTEN state per port, from /proc/net/tcp{,6}."""
    found: dict[int, set[str]] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, state = fields[1], fields[3]
            host_hex, port_hex = address.split(":")
            if state != "0A" or int(port_hex, 16) not in ports:
                continue
            if len(host_hex) == 8:
                host = ".".join(str(b) for b in reversed(bytes.fromhex(host_hex)))
            else:
                host = "v6:" + host_hex
            found.setdefault(int(port_hex, 16), set()).add(host)
    return found


def test_the_worker_anchors_the_trail_and_the_anchors_hold(stack):
    _, settings = stack
    path = settings.audit_anchor_file
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (path.exists() and path.read_text().strip()):
        time.sleep(0.5)
    assert path.read_text().strip(), "no anchor written by the worker"
    result = subprocess.run(
        [sys.executable, "-m", "rasa_project.cli", "audit", "verify", "--anchors", str(path)],
        env={"DINGK3_DATABASE_URL": settings.sqlalchemy_url, "PATH": "",
             "DINGK3_AUDIT_ANCHOR_KEY": settings.audit_anchor_key.get_secret_value()},
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0 and "outside anchors" in result.stdout, result.stdout + result.stderr[-2000:]
