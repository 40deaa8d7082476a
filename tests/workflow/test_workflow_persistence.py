"""State lives in SQL: restarts resume, concurrent deciders cannot both win (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.orm import sessionmaker

from rasa_project import db
from rasa_project.ordering.states import Change
from tests.pg import throwaway_database
from tests.workflow.conftest import WorkflowK3


def upgrade_workflow(url: str) -> None:
    """Only the workflow branch, so this suite does not depend on the audit migrations."""
    db.migrate(url, "workflow@head")


@pytest.fixture(scope="module")
def postgres_url():
    with throwaway_database("dingk3_workflow_test", "workflow@head") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def workflow_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'workflow.db'}"
        upgrade_workflow(url)
        return url
    url = request.getfixturevalue("postgres_url")
    engine = db.make_engine(url)
    with engine.begin() as conn:  # every test starts from empty tables
        conn.execute(text("DELETE FROM change_events"))
        conn.execute(text("DELETE FROM change_requests"))
        conn.execute(text("DELETE FROM order_drafts"))
    engine.dispose()
    return url


@pytest.fixture
def worker(workflow_url, make_service):
    """A service with its own engine, as a separate action-server process would have."""
    engines = []

    def _make(k3):
        engine = db.make_engine(workflow_url)
        engines.append(engine)
        return make_service(k3, Session=sessionmaker(bind=engine, future=True, expire_on_commit=False))

    yield _make
    for engine in engines:
        engine.dispose()


def race(*calls):
    """Run the calls in threads released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - surfaced by the assert below, never swallowed
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    return results


def test_schema_matches_the_models(workflow_url):
    engine = db.make_engine(workflow_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"order_drafts", "change_requests", "change_events"} <= tables


def test_restarted_service_resumes_a_pending_request(worker, factory):
    k3 = WorkflowK3(factory)
    ref = worker(k3).request_change("MO000124", "pmc0001", "cidPMC0001", qty=400).value.ref
    restarted = worker(k3)  # nothing in memory survives: only the database
    pending = restarted.pending_approvals()
    assert [c.ref for c in pending] == [ref]
    assert pending[0].risks[0].values["component_code"] == "BOM-4100"
    outcome = restarted.approve(ref, "manager0001", is_manager=True)
    assert (outcome.key, outcome.value.state) == ("workflow.change_applied", Change.APPLIED)
    assert k3.get_order("MO000124").qty == 400


def test_restarted_service_confirms_a_checked_request(worker, factory):
    k3 = WorkflowK3(factory)
    ref = worker(k3).request_change("P20250401", "pmc0001", "c", qty=200).value.ref
    assert worker(k3).confirm_change(ref, "pmc0001").key == "workflow.change_applied"
    assert k3.get_order("P20250401").qty == 200


@pytest.mark.parametrize("round_", range(4))
def test_two_managers_approving_at_once_apply_once(worker, factory, round_):
    k3 = WorkflowK3(factory)
    ref = worker(k3).request_change("MO000124", "pmc0001", "c", qty=400).value.ref
    a, b = worker(k3), worker(k3)
    results = race(
        lambda: a.approve(ref, "manager0001", is_manager=True),
        lambda: b.approve(ref, "manager0002", is_manager=True),
    )
    assert sorted(r.key for r in results) == ["workflow.already_decided", "workflow.change_applied"]
    assert [w for w in k3.writes if w[0] == "change_order"] == [("change_order", "MO000124", {"qty": 400.0})]
    winner = next(r for r in results if r.key == "workflow.change_applied").value.approver
    loser = next(r for r in results if r.key == "workflow.already_decided")
    assert loser.values["approver"] == winner
    history = a.history(ref)
    assert [e.to_state for e in history].count(Change.APPROVED) == 1


@pytest.mark.parametrize("round_", range(4))
def test_approve_racing_reject_has_one_winner(worker, factory, round_):
    k3 = WorkflowK3(factory)
    ref = worker(k3).request_change("P20250402", "pmc0001", "c", qty=5000).value.ref
    a, b = worker(k3), worker(k3)
    results = race(
        lambda: a.approve(ref, "manager0001", is_manager=True),
        lambda: b.reject(ref, "manager0002", "no", is_manager=True),
    )
    keys = sorted(r.key for r in results)
    final = a.get_change(ref)
    if final.state is Change.APPLIED:
        assert keys == ["workflow.already_decided", "workflow.change_applied"]
        assert k3.get_order("P20250402").qty == 5000
    else:
        assert final.state is Change.REJECTED
        assert keys == ["workflow.already_decided", "workflow.change_rejected"]
        assert k3.writes == []


@pytest.mark.parametrize("round_", range(4))
def test_double_confirm_applies_once(worker, factory, round_):
    k3 = WorkflowK3(factory)
    ref = worker(k3).request_change("P20250401", "pmc0001", "c", qty=200).value.ref
    a, b = worker(k3), worker(k3)
    results = race(lambda: a.confirm_change(ref, "pmc0001"), lambda: b.confirm_change(ref, "pmc0001"))
    assert "workflow.change_applied" in [r.key for r in results]
    assert {r.key for r in results} <= {"workflow.change_applied", "workflow.change_in_progress"}
    assert len([w for w in k3.writes if w[0] == "change_order"]) == 1


def test_draft_confirmed_twice_at_once_writes_one_order(worker, factory):
    k3 = WorkflowK3(factory)
    values = {
        "material": "BOM-2051",
        "qty": 80,
        "plan_finish": "2025-04-03",
        "work_center": "WC-01",
        "production_type": "SCDD01_SYS",
    }
    draft = worker(k3).prepare_draft("pmc0002", "c", values).value
    a, b = worker(k3), worker(k3)
    results = race(lambda: a.confirm_draft(draft.id, "pmc0002"), lambda: b.confirm_draft(draft.id, "pmc0002"))
    assert {r.key for r in results} <= {
        "workflow.order_created",
        "workflow.order_already_created",
        "workflow.draft_in_progress",
    }
    assert len([w for w in k3.writes if w[0] == "create_order"]) == 1


def test_default_service_is_built_from_settings(settings):
    from k3_client.client import K3Client
    from rasa_project.ordering.service import WorkflowService
    from rasa_project.wiring import Wiring

    wiring = Wiring(settings)
    service = wiring.workflow  # migrates every head (audit + workflow) on first use
    try:
        assert isinstance(service, WorkflowService) and isinstance(service.k3, K3Client)
        assert service.today().isoformat() == "2025-04-01"
        assert service.list_changes() == []
        assert service.mapping.material("BOM-2050").k3_number == "1.01.2050"
    finally:
        service.k3.close()
