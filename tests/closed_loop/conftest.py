"""The closed loop with real pieces: K/3 simulator (uvicorn), DingTalk simulator (uvicorn), real
slapd with a second manager, SQLite in tmp, and an injected wall clock for reminders and expiry."""

from __future__ import annotations

import dataclasses
from datetime import timezone

import httpx
import pytest
from sqlalchemy.orm import sessionmaker

from devtools.factory import FixturePerson, load_factory
from devtools.simulators.dingtalk import create_app as create_dingtalk_app
from devtools.slapd import start_slapd
from dingtalk_client.openapi import DingTalkOpenAPI
from k3_client import K3Client
from rasa_project.audit import AuditTrail
from rasa_project.authz.service import Authorizer
from rasa_project.clock import clock_from
from rasa_project.db import make_engine, migrate
from rasa_project.mapping import load_mapping
from rasa_project.notify.outbox import NotificationOutbox
from rasa_project.ordering.approval_desk import ApprovalDesk
from rasa_project.ordering.reports import OutputReports
from rasa_project.ordering.service import WorkflowService
from rasa_project.settings import PROJECT_ROOT, Settings
from rasa_project.wiring import dingtalk_config, k3_config
from rasa_project.worker import Worker
from tests.authz.conftest import free_port
from tests.dingtalk.conftest import ThreadedServer
from tests.k3.conftest import SimServer, make_settings
from tests.requirements import need
from tests.workflow.conftest import ANCHOR, WallClock

SECOND_MANAGER = FixturePerson("dewi.lestari", "Dewi Lestari", "manager0002", "dewi.lestari@demo-factory.local",
                               ("managers",))


@pytest.fixture(scope="session")
def loop_factory():
    """The demo factory plus a second manager, so four-eyes and concurrent decisions can be shown."""
    factory = load_factory(PROJECT_ROOT / "data" / "demo_factory.yaml")
    return dataclasses.replace(factory, people=factory.people + (SECOND_MANAGER,))


@pytest.fixture(scope="session")
def loop_slapd(tmp_path_factory, loop_factory):
    need("slapd")
    server = start_slapd(tmp_path_factory.mktemp("cl-slapd"), free_port(), factory=loop_factory, settings=Settings())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _k3_sim(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cl-k3")
    sim = SimServer(make_settings(tmp), tmp / "k3sim.db").start()
    yield sim
    sim.stop()


@pytest.fixture
def k3_sim(_k3_sim) -> SimServer:
    _k3_sim.reset()
    return _k3_sim


class DingTalkSim:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)

    def messages(self, *, staff_id: str | None = None, conversation_id: str | None = None) -> list[dict]:
        params = {k: v for k, v in (("staff_id", staff_id), ("conversation_id", conversation_id)) if v}
        return self.http.get("/_sim/messages", params=params).json()["messages"]

    def texts(self, **where) -> list[str]:
        return [f"{m.get('title') or ''}\n{m.get('text') or ''}" for m in self.messages(**where)]

    def faults(self, rules: list[dict]) -> None:
        self.http.post("/_sim/faults", json={"rules": rules}).raise_for_status()

    def reset(self) -> None:
        self.http.post("/_sim/reset").raise_for_status()


@pytest.fixture(scope="session")
def _dingtalk_sim(tmp_path_factory, loop_factory):
    settings = Settings(var_dir=tmp_path_factory.mktemp("cl-dt"), redis_url=None)
    server = ThreadedServer(create_dingtalk_app(settings, factory=loop_factory), free_port()).start()
    sim = DingTalkSim(server.url)
    yield sim
    sim.http.close()
    server.stop()


@pytest.fixture
def dingtalk_sim(_dingtalk_sim) -> DingTalkSim:
    _dingtalk_sim.reset()
    return _dingtalk_sim


@pytest.fixture
def settings(tmp_path, k3_sim, _dingtalk_sim, loop_slapd) -> Settings:
    return make_settings(
        tmp_path,
        database_url=f"sqlite:///{tmp_path / 'loop.db'}",
        k3_base_url=k3_sim.base_url,
        dingtalk_openapi_url=_dingtalk_sim.url,
        ldap_url=loop_slapd.url,
        clock_anchor=ANCHOR,
        approval_remind_after_s=3600,
        approval_expire_after_s=86400,
        correction_window_s=1800,
        approval_worker_interval_s=0,
        redis_url=None,
    )


@pytest.fixture
def wall() -> WallClock:
    return WallClock(ANCHOR.astimezone(timezone.utc))


@pytest.fixture
def Session(settings):
    migrate(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    yield sessionmaker(bind=engine, future=True, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def audit(Session, wall) -> AuditTrail:
    return AuditTrail(Session, secrets=(), now=wall)


@pytest.fixture
def k3(settings):
    client = K3Client(k3_config(settings))
    yield client
    client.close()


@pytest.fixture
def openapi(settings, dingtalk_sim):
    client = DingTalkOpenAPI(dingtalk_config(settings))
    yield client
    client.close()


@pytest.fixture
def make_loop(settings, Session, audit, wall, openapi):
    """Build (workflow, desk) over the shared database: a second call stands for a restarted
    action server (or another worker process) with fresh objects and fresh K/3 sessions."""
    clients: list[K3Client] = []
    mapping = load_mapping(settings.mapping_dir)

    def _make():
        k3 = K3Client(k3_config(settings))
        clients.append(k3)
        workflow = WorkflowService(k3, mapping, clock_from(settings), Session, settings, now=wall)
        outbox = NotificationOutbox(Session, openapi, now=wall)
        desk = ApprovalDesk(settings, workflow, outbox, authorizer=Authorizer(settings), audit=audit, now=wall)
        return workflow, desk

    yield _make
    for client in clients:
        client.close()


@pytest.fixture
def loop(make_loop):
    return make_loop()


@pytest.fixture
def worker(settings, loop, wall):
    workflow, desk = loop
    return Worker(settings, workflow, desk, now=wall)


@pytest.fixture
def reports(settings, Session, audit, wall, openapi, k3) -> OutputReports:
    outbox = NotificationOutbox(Session, openapi, now=wall)
    return OutputReports(k3, load_mapping(settings.mapping_dir), clock_from(settings), Session, settings,
                         now=wall, outbox=outbox, audit=audit)
