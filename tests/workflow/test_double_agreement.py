"""FixtureK3 (the workflow tests' in-memory K/3) and the K/3 simulator agree.

The same scripted sequence runs against both: FixtureK3 on one side, ``K3Client`` over HTTP to the
simulator on the other (what production code sees). After every step the outcome is compared:
what was returned (an order or report, ids aside) or what was raised (error class, reason, K/3
field), and the order as each side now holds it. A step is one ProductionK3 call, or one K/3
document operation on the order (Save, Submit, Audit, UnAudit, Delete, ExcuteOperation) for the
transitions the product reaches only inside ``create_order`` / ``change_order`` / ``reverse_report``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

import pytest

from devtools.factory import load_factory
from k3_client import K3Client, facade
from k3_client.errors import K3Error
from k3_client.models import Order, OrderDraft, OrderStatus, OutputReport
from rasa_project.wiring import k3_config
from tests.k3.conftest import FIXTURE, SimServer, make_settings
from tests.workflow.workflow_fixture_k3 import FixtureK3

ORDER_FORM = "PRD_MO"
NEW = "MO000125"  # the number both K/3s give the first order created in a test


def draft(key: str = "agree-1", **change) -> OrderDraft:
    values = {"material_number": "1.01.2050", "bom_number": "BOM-2050_V1", "qty": 100.0, "unit": "Pcs",
              "work_center": "WC-01", "plan_start": date(2025, 4, 2), "plan_finish": date(2025, 4, 5),
              "bill_type": "SCDD01_SYS", "request_key": key}  # fmt: skip
    values.update(change)
    return OrderDraft(**values)


# -- the two sides ------------------------------------------------------------------------------------
class SimSide:
    """K3Client against the simulator; document operations through the client's WebAPI calls."""

    name = "simulator"

    def __init__(self, client: K3Client) -> None:
        self.k3 = client

    def save_order(self, d: OrderDraft) -> Order:
        saved = self.k3.save(ORDER_FORM, facade.order_model(d), need_return_fields=["FBillNo"])
        return self.k3.get_order(saved.number)

    def submit(self, bill_no: str) -> None:
        self.k3.submit(ORDER_FORM, numbers=[bill_no])

    def audit(self, bill_no: str) -> None:
        self.k3.audit(ORDER_FORM, numbers=[bill_no])

    def unaudit(self, bill_no: str) -> None:
        self.k3.unaudit(ORDER_FORM, numbers=[bill_no])

    def delete(self, bill_no: str) -> None:
        self.k3.delete(ORDER_FORM, numbers=[bill_no])


class DoubleSide:
    """FixtureK3 has the same document operations itself (it builds create/change from them)."""

    name = "double"

    def __init__(self, double: FixtureK3) -> None:
        self.k3 = double

    def __getattr__(self, operation: str):
        return getattr(self.k3, operation)


TOLERANCE_PCT = 5.0  # the second simulator's report_tolerance_pct


@pytest.fixture(scope="module")
def _sims(tmp_path_factory):
    """Two simulators: K/3's default (no over-report at all) and one that tolerates 5 %."""
    servers = {}
    for tolerance in (0.0, TOLERANCE_PCT):
        tmp = tmp_path_factory.mktemp("agree-k3")
        settings = make_settings(tmp, report_tolerance_pct=tolerance)
        servers[tolerance] = SimServer(settings, tmp / "k3sim.db").start()
    yield servers
    for server in servers.values():
        server.stop()


def make_sides(server: SimServer, tmp_path, tolerance: float):
    server.reset()
    settings = make_settings(tmp_path, k3_base_url=server.base_url, k3_retries=0, report_tolerance_pct=tolerance)
    client = K3Client(k3_config(settings))
    double = FixtureK3(load_factory(FIXTURE), report_tolerance_pct=settings.report_tolerance_pct)
    return client, (SimSide(client), DoubleSide(double))


@pytest.fixture
def sides(_sims, tmp_path):
    client, both = make_sides(_sims[0.0], tmp_path, 0.0)
    yield both
    client.close()


@pytest.fixture
def tolerant_sides(_sims, tmp_path):
    client, both = make_sides(_sims[TOLERANCE_PCT], tmp_path, TOLERANCE_PCT)
    yield both
    client.close()


# -- comparing ----------------------------------------------------------------------------------------
def _plain(value):
    if isinstance(value, Order):
        return ("order", {k: v for k, v in dataclasses.asdict(value).items() if k not in ("id", "entry_id")})
    if isinstance(value, OutputReport):
        return ("report", {k: v for k, v in dataclasses.asdict(value).items() if k != "id"})
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def outcome_of(step: Callable, side) -> tuple:
    try:
        value = step(side)
    except K3Error as exc:
        return ("raised", type(exc).__name__, getattr(exc, "reason", None), getattr(exc, "field", None))
    except ValueError:
        return ("raised", "ValueError")
    return ("ok", _plain(value))


def run_both(sides, steps: list[tuple[str, Callable]], watch: tuple[str, ...]) -> list[tuple]:
    """Run ``steps`` on both sides; return the per-step records of the first side after checking they agree."""
    records = {}
    for side in sides:
        records[side.name] = []
        for label, step in steps:
            result = outcome_of(step, side)
            state = {bill: _plain(side.k3.get_order(bill)) for bill in watch}
            records[side.name].append((label, result, state))
    sim, double = records["simulator"], records["double"]
    for theirs, ours in zip(sim, double):
        assert ours == theirs, f"step {theirs[0]!r}: simulator {theirs[1:]} but double {ours[1:]}"
    return sim


def op(name: str, bill_no: str = NEW):
    return (f"{name} {bill_no}", lambda s: s.k3.set_order_status(bill_no, name))


CREATE = ("create", lambda s: s.k3.create_order(draft()))
TO_STATUS = {
    OrderStatus.PLANNED: [CREATE],
    OrderStatus.CONFIRMED: [CREATE, op("ToPlanConfirm")],
    OrderStatus.RELEASED: [CREATE, op("ToRelease")],
    OrderStatus.STARTED: [CREATE, op("ToRelease"), op("ToStart")],
    OrderStatus.FINISHED: [CREATE, op("ToRelease"), op("ToStart"), op("ToFinish")],
    OrderStatus.CLOSED: [CREATE, op("ToRelease"), op("ToStart"), op("ToFinish"), op("ToClose")],
}


# -- create: Save / Submit / Audit ---------------------------------------------------------------------
def test_create_goes_through_save_submit_audit_and_is_idempotent(sides):
    steps = [
        ("save", lambda s: s.save_order(draft("doc-1"))),
        ("audit before submit", lambda s: s.audit(NEW)),
        ("submit", lambda s: s.submit(NEW)),
        ("submit again", lambda s: s.submit(NEW)),
        ("audit", lambda s: s.audit(NEW)),
        ("audit again", lambda s: s.audit(NEW)),
        CREATE,
        ("create again, same key", lambda s: s.k3.create_order(draft())),
        ("find by key", lambda s: s.k3.find_order_by_request_key("agree-1")),
    ]
    run_both(sides, steps, watch=(NEW, "MO000126"))


@pytest.mark.parametrize(
    "change",
    [
        {"material_number": "1.09.9999"},
        {"bom_number": "BOM-2051_V1"},
        {"bom_number": "BOM-9999_V1"},
        {"work_center": "WC-77"},
        {"qty": 0.0},
        {"plan_finish": date(2025, 4, 1)},
    ],
    ids=["unknown-material", "bom-of-another-material", "unknown-bom", "unknown-work-center", "zero-qty",
         "finish-before-start"],
)
def test_create_refusals(sides, change):
    run_both(sides, [("create", lambda s: s.k3.create_order(draft(**change)))], watch=(NEW,))


# -- ExcuteOperation ----------------------------------------------------------------------------------
def test_status_operations_follow_one_table(sides):
    steps = [
        CREATE,
        op("ToStart"),
        op("ToFinish"),
        op("ToRelease"),
        op("ToRelease"),
        op("ToStart"),
        op("UnDoToRelease"),
        op("ToFinish"),
        op("ToStart"),
        op("ToClose"),
        op("ToRelease", "MO000123"),
        op("ToFinish", "P20250403"),
        op("ToStart", "MO999999"),
    ]
    run_both(sides, steps, watch=(NEW, "MO000123", "P20250403"))


def test_plan_confirm_then_release(sides):
    run_both(sides, [CREATE, op("ToPlanConfirm"), op("ToPlanConfirm"), op("UnDoToPlan"), op("ToPlanConfirm"),
                     op("ToRelease"), op("UnDoToPlanConfirm")], watch=(NEW,))  # fmt: skip


# -- changes on each status ---------------------------------------------------------------------------
CHANGES = {
    "qty": {"qty": 180.0},
    "finish": {"plan_finish": date(2025, 4, 9)},
    "work-center": {"work_center": "WC-03"},
    "all-three": {"qty": 90.0, "plan_finish": date(2025, 4, 7), "work_center": "WC-02"},
    "finish-before-start": {"plan_finish": date(2025, 4, 1)},
    "unknown-work-center": {"work_center": "WC-77"},
    "nothing": {},
}


@pytest.mark.parametrize("status", list(TO_STATUS), ids=lambda s: s.name)
@pytest.mark.parametrize("change", list(CHANGES))
def test_change_on_each_status(sides, status, change):
    values = CHANGES[change]
    steps = [*TO_STATUS[status], (f"change {change}", lambda s: s.k3.change_order(NEW, **values))]
    run_both(sides, steps, watch=(NEW,))


def test_change_below_reported_and_on_an_unknown_order(sides):
    steps = [
        ("P20250401 below reported", lambda s: s.k3.change_order("P20250401", qty=100.0)),
        ("P20250401 to exactly reported", lambda s: s.k3.change_order("P20250401", qty=124.0)),
        ("MO000123 finished, below reported", lambda s: s.k3.change_order("MO000123", qty=10.0)),
        ("MO000123 finished", lambda s: s.k3.change_order("MO000123", qty=250.0)),
        ("unknown order", lambda s: s.k3.change_order("MO999999", qty=10.0)),
    ]
    run_both(sides, steps, watch=("P20250401", "MO000123"))


# -- reports: push on each status, over-report, reverse (UnAudit + Delete) -----------------------------
@pytest.mark.parametrize("status", list(TO_STATUS), ids=lambda s: s.name)
def test_report_on_each_status(sides, status):
    steps = [*TO_STATUS[status], ("report 10+1", lambda s: s.k3.report_output(NEW, good=10, scrap=1, request_key="r1")),
             ("reports", lambda s: s.k3.list_reports(NEW))]  # fmt: skip
    run_both(sides, steps, watch=(NEW,))


def test_over_report_and_reverse(sides):
    steps = [
        *TO_STATUS[OrderStatus.STARTED],
        ("report 60", lambda s: s.k3.report_output(NEW, good=58, scrap=2, request_key="r1")),
        ("same request key again", lambda s: s.k3.report_output(NEW, good=58, scrap=2, request_key="r1")),
        ("over by one", lambda s: s.k3.report_output(NEW, good=41, scrap=0, request_key="r2")),
        ("the rest", lambda s: s.k3.report_output(NEW, good=40, scrap=0, request_key="r3")),
        ("nothing left", lambda s: s.k3.report_output(NEW, good=1, scrap=0, request_key="r4")),
        ("nothing at all", lambda s: s.k3.report_output(NEW, good=0, scrap=0, request_key="r5")),
        ("change below reported", lambda s: s.k3.change_order(NEW, qty=90.0)),
        ("reports", lambda s: s.k3.list_reports(NEW)),
        ("reverse the first", lambda s: s.k3.reverse_report(s.k3.list_reports(NEW)[0].bill_no)),
        ("reverse it again", lambda s: s.k3.reverse_report("SCHB00082570")),
        ("reports after", lambda s: s.k3.list_reports(NEW)),
        ("report again", lambda s: s.k3.report_output(NEW, good=60, scrap=0, request_key="r6")),
    ]
    run_both(sides, steps, watch=(NEW,))


def test_over_report_within_the_tolerance(tolerant_sides):
    steps = [
        *TO_STATUS[OrderStatus.STARTED],
        ("6 % over at once", lambda s: s.k3.report_output(NEW, good=106, scrap=0, request_key="r0")),
        ("all of it", lambda s: s.k3.report_output(NEW, good=100, scrap=0, request_key="r1")),
        ("5 % more", lambda s: s.k3.report_output(NEW, good=4, scrap=1, request_key="r2")),
        ("beyond 5 %", lambda s: s.k3.report_output(NEW, good=0.5, scrap=0, request_key="r3")),
    ]
    run_both(tolerant_sides, steps, watch=(NEW,))


def test_a_released_order_taken_back_to_reaudit(sides):
    steps = [
        *TO_STATUS[OrderStatus.RELEASED],
        ("unaudit", lambda s: s.unaudit(NEW)),
        ("report on D", lambda s: s.k3.report_output(NEW, good=5, scrap=0, request_key="r1")),
        op("ToStart"),
        ("change on D", lambda s: s.k3.change_order(NEW, qty=80.0, work_center="WC-05")),
        ("delete a released order", lambda s: s.delete(NEW)),
        ("create with its key finishes the approval", lambda s: s.k3.create_order(draft())),
        ("report", lambda s: s.k3.report_output(NEW, good=5, scrap=0, request_key="r1")),
        op("UnDoToPlanConfirm"),  # a report exists downstream
        op("ToStart"),
    ]
    run_both(sides, steps, watch=(NEW,))


def test_fixture_reports_are_the_same(sides):
    steps = [(f"reports {b}", lambda s, b=b: s.k3.list_reports(b)) for b in ("P20250401", "P20250402", "MO000123")]
    steps.append(("reverse a seeded report", lambda s: s.k3.reverse_report("SCHB00082561")))
    run_both(sides, steps, watch=("MO000123", "P20250401"))


# -- UnAudit and Delete on each document status ---------------------------------------------------------
def test_unaudit_and_delete_follow_the_document_states(sides):
    steps = [
        ("save A", lambda s: s.save_order(draft("doc-1"))),
        ("unaudit A", lambda s: s.unaudit(NEW)),
        ("submit", lambda s: s.submit(NEW)),
        ("delete B", lambda s: s.delete(NEW)),
        ("unaudit B", lambda s: s.unaudit(NEW)),
        ("audit", lambda s: s.audit(NEW)),
        ("delete C", lambda s: s.delete(NEW)),
        ("unaudit C", lambda s: s.unaudit(NEW)),
        ("unaudit D", lambda s: s.unaudit(NEW)),
        op("ToRelease"),  # needs an audited bill
        op("ToPlanConfirm"),  # does not
        op("UnDoToPlan"),
        ("change on D", lambda s: s.k3.change_order(NEW, qty=120.0)),
        ("delete D", lambda s: s.delete(NEW)),
        ("delete again", lambda s: s.delete(NEW)),
        ("unaudit a finished order", lambda s: s.unaudit("MO000123")),
        ("unaudit a started order", lambda s: s.unaudit("P20250401")),
        ("delete a started order", lambda s: s.delete("P20250401")),
    ]
    run_both(sides, steps, watch=(NEW, "MO000123", "P20250401"))


# -- lookups ------------------------------------------------------------------------------------------
def test_lookups_agree(sides):
    factory = load_factory(FIXTURE)
    numbers = [m.number for m in factory.materials] + ["1.09.9999"]
    boms = [m.bom_number for m in factory.materials if m.bom_number] + ["1.01.2099_V0", "BOM-9999_V1"]
    orders = [o.bill_no for o in factory.orders] + ["MO999999"]
    steps = [
        *[(f"material {n}", lambda s, n=n: s.k3.find_material(n)) for n in numbers],
        *[(f"bom {b}", lambda s, b=b: s.k3.find_bom(b)) for b in boms],
        *[(f"audited bom of {n}", lambda s, n=n: s.k3.find_audited_bom(n)) for n in numbers],
        *[(f"order {b}", lambda s, b=b: s.k3.get_order(b)) for b in orders],
        ("stock", lambda s: s.k3.stock_of(numbers + numbers[:1])),
        ("stock of nothing", lambda s: s.k3.stock_of([])),
        ("all orders", lambda s: s.k3.list_orders()),
        ("WC-04 orders", lambda s: s.k3.list_orders(work_center="WC-04")),
        ("open orders of two materials", lambda s: s.k3.list_orders(
            material_numbers=["1.01.2050", "1.04.5200"], statuses=[OrderStatus.PLANNED, OrderStatus.STARTED])),
        ("no materials", lambda s: s.k3.list_orders(material_numbers=[])),
        ("window", lambda s: s.k3.list_orders(finish_from=date(2025, 4, 3), start_to=date(2025, 4, 1))),
        ("unknown request key", lambda s: s.k3.find_order_by_request_key("never-used")),
        ("blank request key", lambda s: s.k3.find_order_by_request_key(" ")),
        *[(f"reports {b}", lambda s, b=b: s.k3.list_reports(b)) for b in orders],
    ]
    run_both(sides, steps, watch=())
