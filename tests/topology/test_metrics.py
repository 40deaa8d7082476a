"""The action server serves /health and Prometheus /metrics without a token; calls are counted by
action and status and timed. A Rasa server's lock metrics are served on DINGK3_RASA_METRICS_PORT."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from rasa_project.settings import PROJECT_ROOT
from tests.authz.conftest import free_port


def _wait(url: str, proc: subprocess.Popen, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the action server exited"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} not up after {timeout_s}s")


def test_the_action_server_counts_and_times_calls_on_metrics(tmp_path):
    port, token = free_port(), "metrics-action-token-0123456789"
    env = {**os.environ, "DINGK3_VAR_DIR": str(tmp_path), "DINGK3_ACTION_PORT": str(port),
           "DINGK3_ACTION_SERVER_TOKEN": token, "DINGK3_APPROVAL_WORKER_INTERVAL_S": "0"}
    with open(tmp_path / "actions.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "actions.server"], cwd=PROJECT_ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(f"{base}/health", proc)
        body = {"next_action": "action_that_does_not_exist", "sender_id": "c:p", "tracker": {"sender_id": "c:p"},
                "domain": {}, "version": "3.6.21"}
        refused = httpx.post(f"{base}/webhook", json=body, timeout=30)
        assert refused.status_code == 401
        called = httpx.post(f"{base}/webhook", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert called.status_code == 404
        text = httpx.get(f"{base}/metrics", timeout=10).text
        assert 'dingk3_action_calls_total{action="action_that_does_not_exist",status="404"} 1.0' in text
        assert 'dingk3_action_calls_total{action="action_that_does_not_exist",status="401"} 1.0' in text
        assert 'dingk3_action_seconds_count{action="action_that_does_not_exist"} 2.0' in text
        assert "dingk3_lock_waits_total" in text and token not in text
        assert "dingk3_outbox_depth 0.0" in text and "dingk3_pending_approvals 0.0" in text  # read from the database
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_worker_serves_its_stages_k3_calls_and_outbox_on_metrics(tmp_path):
    """`dingk3 worker` with DINGK3_WORKER_METRICS_PORT: each pass's stages timed, K/3 calls counted by
    operation and outcome (here K/3 is down: the risk stage fails and is counted), the outbox and the
    pending approvals read from the database."""
    port = free_port()
    env = {**os.environ, "DINGK3_VAR_DIR": str(tmp_path), "DINGK3_WORKER_METRICS_PORT": str(port),
           "DINGK3_K3_BASE_URL": f"http://127.0.0.1:{free_port()}/k3cloud/"}
    with open(tmp_path / "worker.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "rasa_project.cli", "worker", "--interval", "1"],
                                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        _wait(url, proc)
        deadline = time.monotonic() + 120
        text = ""
        while time.monotonic() < deadline:
            text = httpx.get(url, timeout=10).text
            if 'dingk3_worker_stage_seconds_count{stage="outbox"}' in text:
                break
            time.sleep(0.3)
        assert 'dingk3_worker_stage_seconds_count{stage="outbox"}' in text
        assert 'dingk3_worker_stage_seconds_count{stage="expire"}' in text
        assert 'dingk3_worker_stage_errors_total{stage="risk"}' in text  # K/3 unreachable
        assert 'outcome="K3Unavailable"' in text and "dingk3_k3_call_seconds_bucket" in text
        assert "dingk3_outbox_depth 0.0" in text and "dingk3_pending_approvals 0.0" in text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
