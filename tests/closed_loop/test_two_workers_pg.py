"""Two workers on one PostgreSQL database tick at the same moment (issue 17 item 3): every reminder,
expiry and outbox notification is decided and sent once, none is lost.

Delay-risk warnings too: both passes evaluate the same business-clock slot at once.

Each worker is what `dingk3 worker` builds — its own engine (its own connections), workflow, desk,
outbox and K/3 session — over one throwaway PostgreSQL database, the K/3 and DingTalk simulators
and slapd. A barrier starts both passes together; DingTalk's record is read back afterwards.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import sessionmaker

from dingtalk_client.messages import Text
from dingtalk_client.openapi import DingTalkOpenAPI
from k3_client import K3Client
from rasa_project.audit import AuditTrail
from rasa_project.authz.service import Authorizer
from rasa_project.clock import clock_from
from rasa_project.db import make_engine
from rasa_project.mapping import load_mapping
from rasa_project.notify.outbox import NotificationOutbox
from rasa_project.ordering.approval_desk import ApprovalDesk
from rasa_project.ordering.delay_risk import DelayRisk
from rasa_project.ordering.service import WorkflowService
from rasa_project.ordering.states import Change
from rasa_project.wiring import dingtalk_config, k3_config
from rasa_project.worker import Worker
from tests.closed_loop.test_closed_loop_risk import warnings
from tests.k3.conftest import make_settings
from tests.pg import throwaway_database
from tests.workflow.conftest import ANCHOR

pytestmark = pytest.mark.postgres

PMC = "cidPMC0001"


@pytest.fixture
def pg_url():
    with throwaway_database("dingk3_workers") as url:
        yield url


@pytest.fixture
def settings(tmp_path, k3_sim, _dingtalk_sim, loop_slapd, pg_url):
    return make_settings(
        tmp_path, database_url=pg_url, k3_base_url=k3_sim.base_url, dingtalk_openapi_url=_dingtalk_sim.url,
        ldap_url=loop_slapd.url, clock_anchor=ANCHOR, approval_remind_after_s=3600,
        approval_expire_after_s=86400, correction_window_s=1800, approval_worker_interval_s=0, redis_url=None)


class Process:
    """One worker process's objects: its own engine, K/3 session and DingTalk client."""

    def __init__(self, settings, wall) -> None:
        self.engine = make_engine(settings.sqlalchemy_url)
        Session = sessionmaker(bind=self.engine, future=True, expire_on_commit=False)
        self.k3 = K3Client(k3_config(settings))
        self.openapi = DingTalkOpenAPI(dingtalk_config(settings))
        self.workflow = WorkflowService(self.k3, load_mapping(settings.mapping_dir), clock_from(settings), Session,
                                        settings, now=wall)
        self.outbox = NotificationOutbox(Session, self.openapi, now=wall)
        audit = AuditTrail(Session, secrets=(), now=wall)
        self.desk = ApprovalDesk(settings, self.workflow, self.outbox, authorizer=Authorizer(settings),
                                 audit=audit, now=wall)
        mapping = load_mapping(settings.mapping_dir)
        self.risk = DelayRisk(self.k3, lambda: mapping, clock_from(settings), Session, settings, self.outbox,
                              now=wall, audit=audit)
        self.worker = Worker(settings, self.workflow, self.desk, now=wall, risk=self.risk)

    def close(self) -> None:
        self.k3.close()
        self.openapi.close()
        self.engine.dispose()


@pytest.fixture
def processes(settings, wall):
    made = [Process(settings, wall), Process(settings, wall)]
    yield made
    for p in made:
        p.close()


def at_once(fns):
    """Run the callables in threads started by one barrier; returns their results (errors raised)."""
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)
    errors: list[BaseException] = []

    def run(i):
        try:
            barrier.wait(10)
            results[i] = fns[i]()
        except BaseException as exc:  # noqa: BLE001 -- re-raised in the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results


def test_two_workers_remind_and_expire_an_approval_once(processes, wall, dingtalk_sim, k3):
    a, b = processes
    outcome = a.workflow.request_change("MO000124", "pmc0001", PMC, qty=400)
    change = outcome.value
    assert change.state is Change.PENDING_APPROVAL
    a.desk.ask_managers(change)
    managers = ("manager0001", "manager0002")
    asked = {s: len(dingtalk_sim.messages(staff_id=s)) for s in managers}
    assert all(asked.values())

    wall.advance(seconds=3601)
    at_once([a.worker.tick, b.worker.tick])
    # one reminder per manager, whichever worker sent it
    assert {s: len(dingtalk_sim.messages(staff_id=s)) for s in managers} == {s: asked[s] + 1 for s in managers}
    # and a second pass of both (nothing due) sends nothing more
    at_once([a.worker.tick, b.worker.tick])
    assert {s: len(dingtalk_sim.messages(staff_id=s)) for s in managers} == {s: asked[s] + 1 for s in managers}

    wall.advance(seconds=86400)
    results = at_once([a.worker.tick, b.worker.tick])
    assert sum(r.expired.count(change.ref) for r in results) == 1  # decided once
    expired = [e for e in a.workflow.history(change.ref) if e.to_state is Change.EXPIRED]
    assert len(expired) == 1
    assert [n.kind for n in a.outbox.list(ref=change.ref)].count("approval_reminder") == len(managers)
    assert k3.get_order("MO000124").qty == 150  # an expired request writes nothing


def test_two_workers_flush_the_same_due_notifications_once_each(processes, wall, dingtalk_sim):
    a, b = processes
    count = 12
    # DingTalk is down for the first try of every notification: all of them wait in the outbox
    dingtalk_sim.faults([{"path_prefix": "/v1.0/robot/groupMessages/send", "status": 503, "count": count}])
    for i in range(count):
        assert a.outbox.send(f"two-workers:{i}", Text(f"notice {i}"), kind="test", group=PMC)
    assert [n.state for n in a.outbox.list()] == ["pending"] * count
    assert not dingtalk_sim.messages(conversation_id=PMC)

    wall.advance(seconds=60)
    sent = at_once([lambda: a.outbox.flush(wall()), lambda: b.outbox.flush(wall())])
    assert sum(sent) == count  # every row claimed by exactly one of the two
    texts = [m["text"] for m in dingtalk_sim.messages(conversation_id=PMC)]
    assert sorted(texts) == sorted(f"notice {i}" for i in range(count))  # none lost, none twice
    assert [n.state for n in b.outbox.list()] == ["sent"] * count
    assert at_once([lambda: a.outbox.flush(wall()), lambda: b.outbox.flush(wall())]) == [0, 0]


def test_two_workers_announce_each_delay_warning_once(processes, dingtalk_sim):
    a, b = processes
    results = at_once([a.worker.tick, b.worker.tick])
    announced = sorted(r for result in results for r in result.risk)
    assert [r.split()[0] for r in announced] == ["P20250401", "P20250402", "P20250403"]  # one worker each
    assert warnings(dingtalk_sim) == {"P20250401": 1, "P20250402": 1, "P20250403": 1}
    at_once([a.worker.tick, b.worker.tick])  # the same slot again: nothing more
    assert warnings(dingtalk_sim) == {"P20250401": 1, "P20250402": 1, "P20250403": 1}
