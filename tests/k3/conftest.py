"""Fixtures: the K/3 simulator on a real uvicorn server (free port) and in-process, plus clients."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from devtools.factory import load_factory
from devtools.simulators.k3cloud import create_app
from k3_client import AsyncK3Client, K3Client
from rasa_project.settings import PROJECT_ROOT, Settings
from rasa_project.wiring import k3_config

FIXTURE = PROJECT_ROOT / "data" / "demo_factory.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_settings(tmp: Path, **overrides) -> Settings:
    values = {
        "env": "test",
        "var_dir": tmp,
        "fixture_path": FIXTURE,
        "k3_sim_faults_enabled": True,
        "k3_timeout_s": 5.0,
        "k3_retries": 2,
        "k3_login_mode": "signed",
        "clock_anchor": "2025-04-01T09:00:00+08:00",
        # these tests press approval cards as action cards (dtmd:// chat text); the interactive
        # default is tested where a test asks for it (tests/closed_loop/test_closed_loop_cards.py)
        "approval_card": "action_card",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def factory():
    return load_factory(FIXTURE)


class SimServer:
    """A simulator app served by uvicorn in a thread; admin helpers for tests."""

    def __init__(self, settings: Settings, db_path: Path) -> None:
        self.app = create_app(settings, db_path=db_path, factory=load_factory(FIXTURE))
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.root}/k3cloud/"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="critical", lifespan="off", ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.http = httpx.Client(timeout=10)  # one pooled client: building one costs more than a call

    def start(self) -> SimServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("simulator did not start")
            time.sleep(0.01)  # polling a condition with a deadline, not waiting for time to pass
        return self

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(10)

    def admin(self, method: str, path: str, **kw) -> httpx.Response:
        response = self.http.request(method, f"{self.root}/k3cloud/_sim/{path}", **kw)
        response.raise_for_status()
        return response

    def reset(self) -> None:
        self.admin("POST", "reset")

    def fault(self, **spec) -> dict:
        return self.admin("POST", "faults", json=spec).json()["added"][0]


@pytest.fixture(scope="session")
def server_settings(tmp_path_factory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("k3sim"))


@pytest.fixture(scope="session")
def _server(server_settings, tmp_path_factory):
    sim = SimServer(server_settings, tmp_path_factory.mktemp("k3db") / "k3sim.db").start()
    yield sim
    sim.stop()


@pytest.fixture
def server(_server) -> SimServer:
    """The uvicorn simulator, reset to the fixture state for this test."""
    _server.reset()
    return _server


@pytest.fixture
def make_client(server, server_settings):
    clients = []

    def _make(**overrides) -> K3Client:
        settings = server_settings.copy(update={"k3_base_url": server.base_url, **overrides})
        client = K3Client(k3_config(settings))
        clients.append(client)
        return client

    yield _make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client) -> K3Client:
    return make_client()


@pytest.fixture
def inproc(tmp_path):
    """A fresh in-process simulator app (own SQLite file) and its settings."""
    settings = make_settings(tmp_path)
    app = create_app(settings, db_path=tmp_path / "k3sim.db", factory=load_factory(FIXTURE))
    return app, settings


@pytest.fixture
async def aclient(inproc):
    app, settings = inproc
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = AsyncK3Client(k3_config(settings.copy(update={"k3_base_url": "http://k3.test/k3cloud/"})), transport=transport)
    yield client
    await client.aclose()
