"""The demo examples end to end: WorkflowService -> K3Client -> HTTP -> K/3 simulator (uvicorn thread).

Same scenarios as test_workflow_changes.py, but every K/3 read and write goes over the real wire
protocol, and K/3 state is read back through a second client after each step.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn

from devtools.factory import load_factory
from devtools.simulators.k3cloud import create_app
from k3_client.client import K3Client
from rasa_project.ordering.states import Change
from rasa_project.settings import PROJECT_ROOT
from rasa_project.wiring import k3_config

FIXTURE = PROJECT_ROOT / "data" / "demo_factory.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def simulator(settings, tmp_path):
    """A fresh simulator (own SQLite state, seeded from the fixture) served on a free port."""
    app = create_app(settings, db_path=tmp_path / "k3sim.db", factory=load_factory(FIXTURE), reset=True)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:  # poll a condition with a deadline
        assert thread.is_alive() and time.monotonic() < deadline, "simulator did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}/k3cloud/"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def sim_k3(settings, simulator):
    clients = []

    def _make() -> K3Client:
        client = K3Client(k3_config(settings.copy(update={"k3_base_url": simulator, "k3_timeout_s": 10.0})))
        clients.append(client)
        return client

    yield _make
    for client in clients:
        client.close()


@pytest.fixture
def sim_service(make_service, sim_k3):
    return make_service(sim_k3())


@pytest.fixture
def k3_view(sim_k3):
    """An independent client: what K/3 holds, not what the service believes."""
    return sim_k3()


def test_p20250401_below_reported_is_refused(sim_service, k3_view):
    outcome = sim_service.request_change("P20250401", "pmc0001", "cidPMC0001", qty=100)
    assert (outcome.key, outcome.values["reported"]) == ("workflow.qty_below_reported", 124)
    assert k3_view.get_order("P20250401").qty == 300


def test_p20250401_to_200_is_applied_after_confirm(sim_service, k3_view):
    outcome = sim_service.request_change("P20250401", "pmc0001", "cidPMC0001", qty=200)
    assert outcome.value.state is Change.CHECKED
    assert k3_view.get_order("P20250401").qty == 300
    applied = sim_service.confirm_change(outcome.value.ref, "pmc0001")
    assert (applied.key, applied.value.state) == ("workflow.change_applied", Change.APPLIED)
    order = k3_view.get_order("P20250401")
    assert (order.qty, order.document_status, order.reported_total) == (200, "C", 124)


def test_mo000123_finished_refuses_any_change(sim_service, k3_view):
    for change in ({"qty": 250}, {"plan_finish": "2025-04-10"}, {"work_center": "WC-03"}):
        outcome = sim_service.request_change("MO000123", "pmc0001", "cidPMC0001", **change)
        assert (outcome.key, outcome.values["status_name"]["zh"]) == ("workflow.order_closed", "完工")
    order = k3_view.get_order("MO000123")
    assert (order.qty, order.work_center) == (200, "WC-04")


def test_mo000124_to_400_needs_approval_then_applies(sim_service, k3_view):
    outcome = sim_service.request_change("MO000124", "pmc0001", "cidPMC0001", qty=400)
    assert outcome.value.state is Change.PENDING_APPROVAL
    [risk] = outcome.value.risks
    assert (risk.values["component_code"], risk.values["stock"], risk.values["safety_stock"]) == (
        "BOM-4100",
        420,
        300,
    )
    assert (risk.values["projected"], risk.values["shortfall"]) == (20, 280)
    assert k3_view.get_order("MO000124").qty == 150
    assert (
        sim_service.approve(outcome.value.ref, "pmc0001", is_manager=True).key
        == "workflow.approval_own_request"
    )
    approved = sim_service.approve(outcome.value.ref, "manager0001", is_manager=True)
    assert (approved.key, approved.value.state) == ("workflow.change_applied", Change.APPLIED)
    assert k3_view.get_order("MO000124").qty == 400


def test_p20250402_to_5000_needs_approval_for_capacity(sim_service, k3_view):
    outcome = sim_service.request_change("P20250402", "pmc0001", "cidPMC0001", qty=5000)
    assert outcome.value.state is Change.PENDING_APPROVAL
    [risk] = outcome.value.risks
    assert (risk.key, risk.values["work_center"], risk.values["capacity"]) == (
        "workflow.risk_capacity",
        "WC-02",
        1200,
    )
    assert (risk.values["day"], risk.values["load"], risk.values["overload_pct"]) == (
        "2025-04-01",
        2195,
        82.9,
    )
    rejected = sim_service.reject(outcome.value.ref, "manager0001", "", is_manager=True)
    assert rejected.value.state is Change.REJECTED
    assert k3_view.get_order("P20250402").qty == 2000


def test_draft_confirmed_creates_one_order_in_k3(sim_service, k3_view):
    values = {
        "material": "电机外壳",
        "qty": "300件",
        "plan_finish": "2025-04-05",
        "work_center": "冲压",
        "production_type": "标准",
    }
    draft = sim_service.prepare_draft("pmc0001", "cidPMC0001", values)
    assert draft.ok, draft.key
    created = sim_service.confirm_draft(draft.value.id, "pmc0001")
    assert created.key == "workflow.order_created", created.key
    again = sim_service.confirm_draft(draft.value.id, "pmc0001")
    assert again.values["bill_no"] == created.values["bill_no"]
    order = k3_view.get_order(created.values["bill_no"])
    assert (order.material_number, order.bom_number, order.qty, order.work_center) == (
        "1.01.2050",
        "BOM-2050_V1",
        300,
        "WC-01",
    )
    assert k3_view.find_order_by_request_key(draft.value.request_key).bill_no == order.bill_no
    assert len(k3_view.list_orders(material_numbers=["1.01.2050"])) == 2  # P20250401 and the new one


def test_unaudited_material_is_refused_live(sim_service):
    assert sim_service.check_material("BOM-2099").key == "workflow.material_no_bom"
    assert sim_service.check_material("BOM-9999").key == "workflow.material_unknown"
