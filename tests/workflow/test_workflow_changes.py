"""Change requests through the service against FixtureK3 (business today 2025-04-01)."""

import dataclasses

import pytest

from k3_client.errors import K3Unavailable
from k3_client.models import OrderDraft, OrderStatus
from rasa_project.ordering.rules import Verdict
from rasa_project.ordering.states import Change

LANGS = ("zh", "id", "en")


def rendered(outcome):
    """Every outcome must read in all three languages (no missing placeholder)."""
    return {lang: outcome.text(lang) for lang in LANGS}


def qty_of(k3, bill_no):
    return k3.get_order(bill_no).qty


def change_writes(k3):
    return [w for w in k3.writes if w[0] == "change_order"]


# -- the four demo examples ----------------------------------------------------------------------------


def test_demo_started_order_cannot_go_below_reported(service, k3):
    outcome = service.request_change("P20250401", "pmc0001", "cidPMC0001", qty=100)
    assert (outcome.ok, outcome.key) == (False, "workflow.qty_below_reported")
    assert {k: outcome.values[k] for k in ("qty", "good", "scrap", "reported")} == {
        "qty": 100,
        "good": 120,
        "scrap": 4,
        "reported": 124,
    }
    assert "124" in rendered(outcome)["en"]
    assert outcome.value.state is Change.REFUSED
    assert qty_of(k3, "P20250401") == 300 and change_writes(k3) == []


def test_demo_started_order_raised_to_200_is_applied_after_confirm(service, k3):
    outcome = service.request_change("P20250401", "pmc0001", "cidPMC0001", qty=200)
    assert (outcome.ok, outcome.key, outcome.value.state) == (True, "workflow.change_checked", Change.CHECKED)
    assert qty_of(k3, "P20250401") == 300  # nothing is written before the requester confirms
    applied = service.confirm_change(outcome.value.ref, "pmc0001")
    assert (applied.ok, applied.key, applied.value.state) == (True, "workflow.change_applied", Change.APPLIED)
    assert [(d.key, d.values["old"], d.values["new"]) for d in applied.details] == [
        ("workflow.field_qty", 300, 200)
    ]
    assert "300 → 200" in rendered(applied)["zh"]
    assert qty_of(k3, "P20250401") == 200
    assert change_writes(k3) == [("change_order", "P20250401", {"qty": 200.0})]


@pytest.mark.parametrize(
    "change",
    [
        {"qty": 250},
        {"plan_finish": "2025-04-10"},
        {"work_center": "WC-03"},
        {"qty": 100, "work_center": "WC-03"},
    ],
)
def test_demo_finished_order_refuses_any_change(service, k3, change):
    outcome = service.request_change("MO000123", "pmc0001", "cidPMC0001", **change)
    assert (outcome.ok, outcome.key) == (False, "workflow.order_closed")
    assert rendered(outcome)["zh"] == "生产订单 MO000123 状态为「完工」，不能再修改。"
    assert "finished" in rendered(outcome)["en"]
    assert k3.get_order("MO000123").qty == 200 and change_writes(k3) == []


def test_demo_component_shortage_needs_approval(service, k3):
    outcome = service.request_change("MO000124", "pmc0001", "cidPMC0001", qty=400)
    assert (outcome.ok, outcome.key, outcome.value.state) == (
        True,
        "workflow.change_needs_approval",
        Change.PENDING_APPROVAL,
    )
    [risk] = outcome.value.risks
    assert risk.key == "workflow.risk_stock"
    assert {
        k: risk.values[k] for k in ("component_code", "stock", "projected", "safety_stock", "shortfall")
    } == {
        "component_code": "BOM-4100",
        "stock": 420,
        "projected": 20,
        "safety_stock": 300,
        "shortfall": 280,
    }
    texts = rendered(outcome)
    assert (
        "BOM-4100" in texts["en"]
        and "safety stock of 300" in texts["en"]
        and "manager was asked" in texts["en"]
    )
    assert qty_of(k3, "MO000124") == 150 and change_writes(k3) == []


def test_demo_capacity_overload_needs_approval(service, k3):
    outcome = service.request_change("P20250402", "pmc0001", "cidPMC0001", qty=5000)
    assert outcome.value.state is Change.PENDING_APPROVAL
    [risk] = outcome.value.risks
    assert risk.key == "workflow.risk_capacity"
    assert {k: risk.values[k] for k in ("work_center", "day", "load", "capacity", "overload_pct")} == {
        "work_center": "WC-02",
        "day": "2025-04-01",
        "load": 2195,  # (5000 - 610 reported) over the two working days left
        "capacity": 1200,
        "overload_pct": 82.9,
    }
    assert "WC-02" in rendered(outcome)["id"]
    assert qty_of(k3, "P20250402") == 2000 and change_writes(k3) == []


def test_every_check_is_recorded_in_order_with_figures(service):
    change = service.request_change("MO000124", "pmc0001", "c", qty=400).value
    checks = [(r.check, r.verdict) for r in change.reasons]
    assert checks == [
        ("order_status", Verdict.OK),
        ("nothing_changes", Verdict.OK),
        ("reported_minimum", Verdict.OK),
        ("component_stock", Verdict.OK),  # BOM-2050
        ("component_stock", Verdict.OK),  # BOM-3100
        ("component_stock", Verdict.NEEDS_APPROVAL),  # BOM-4100
        ("capacity", Verdict.OK),
    ]
    stored = service.get_change(change.ref)
    assert stored.reasons == change.reasons
    assert (stored.old_qty, stored.new_qty, stored.material_number) == (150, 400, "1.04.5200")


# -- the checks in more detail ----------------------------------------------------------------------------


def test_unknown_order_is_refused(service):
    outcome = service.request_change("MO999999", "pmc0001", "c", qty=10)
    assert (outcome.ok, outcome.key, outcome.value.state) == (False, "workflow.order_unknown", Change.REFUSED)


def test_other_open_orders_needs_count_against_stock(service, k3):
    k3.stock["1.03.4100"] = 1000
    assert service.request_change("MO000124", "pmc0001", "c", qty=300).value.state is Change.CHECKED
    service.cancel_change(service.list_changes(bill_no="MO000124")[-1].ref, "pmc0001")
    mo = k3.get_order("MO000124")
    k3.create_order(
        OrderDraft(
            material_number="1.04.5200",
            bom_number="BOM-5200_V3",
            qty=500,
            unit="Pcs",
            work_center="WC-04",
            plan_start=mo.plan_start,
            plan_finish=mo.plan_finish,
            bill_type="SCDD01_SYS",
            request_key="other-order",
        )
    )
    outcome = service.request_change("MO000124", "pmc0001", "c", qty=300)
    assert outcome.value.state is Change.PENDING_APPROVAL
    [risk] = outcome.value.risks
    assert (risk.values["other_needs"], risk.values["need"], risk.values["projected"]) == (500, 300, 200)


def test_lowering_quantity_skips_the_stock_check(service):
    change = service.request_change("MO000124", "pmc0001", "c", qty=100).value
    assert change.state is Change.CHECKED
    assert [r.verdict for r in change.reasons if r.check == "component_stock"] == [Verdict.SKIPPED]


def test_moving_to_another_work_center_loads_the_target(service, k3):
    # P20250403 (WC-03, 500 pcs, 04-02..04-04) joins P20250402 on WC-02 (695/day on 04-01 and 04-02);
    # 04-04 is a Qingming holiday in the factory calendar, so its 500 pcs fall on 04-02 and 04-03
    ok = service.request_change("P20250403", "pmc0001", "c", work_center="注塑")
    assert ok.value.state is Change.CHECKED
    capacity = next(r for r in ok.value.reasons if r.check == "capacity")
    assert (capacity.values["work_center"], capacity.values["day"], capacity.values["load"]) == (
        "WC-02",
        "2025-04-02",
        945,
    )
    service.cancel_change(ok.value.ref, "pmc0001")
    risky = service.request_change("P20250403", "pmc0001", "c", work_center="WC-02", qty=2000)
    [risk] = [r for r in risky.value.risks if r.check == "capacity"]
    assert (risk.values["day"], risk.values["load"]) == ("2025-04-02", 1695)
    assert [d.key for d in risky.details][:2] == ["workflow.field_qty", "workflow.field_work_center"]
    assert k3.get_order("P20250403").work_center == "WC-03"


def test_finish_date_change_is_checked(service, k3):
    assert (
        service.request_change("MO000124", "pmc0001", "c", plan_finish="2025-03-31").key
        == "workflow.date_in_past"
    )
    outcome = service.request_change("MO000124", "pmc0001", "c", plan_finish="2025-04-10")
    assert outcome.value.state is Change.CHECKED
    service.confirm_change(outcome.value.ref, "pmc0001")
    assert k3.get_order("MO000124").plan_finish.isoformat() == "2025-04-10"


def test_shorter_window_can_overload(service):
    # P20250402 finishing today instead of tomorrow: 1390 left in one day on WC-02 (1200/day)
    outcome = service.request_change("P20250402", "pmc0001", "c", plan_finish="2025-04-01")
    assert [r.key for r in outcome.value.risks] == ["workflow.risk_capacity"]


def test_same_values_are_nothing_to_change(service):
    outcome = service.request_change("MO000124", "pmc0001", "c", qty=150, work_center="WC-04")
    assert (outcome.ok, outcome.key) == (False, "workflow.change_nothing")


def test_invalid_inputs_are_refused_before_anything_is_stored(service):
    assert service.request_change("MO000124", "pmc0001", "c").key == "workflow.change_nothing"
    assert service.request_change("MO000124", "pmc0001", "c", qty="-3").key == "workflow.qty_not_positive"
    assert (
        service.request_change("MO000124", "pmc0001", "c", work_center="WC-77").key
        == "workflow.work_center_unknown"
    )
    assert service.list_changes() == []


# -- confirmation and cancellation ------------------------------------------------------------------------


def test_only_the_requester_confirms(service, k3):
    ref = service.request_change("P20250401", "pmc0001", "c", qty=200).value.ref
    assert service.confirm_change(ref, "pmc0002").key == "workflow.change_not_yours"
    assert change_writes(k3) == []


def test_confirm_twice_applies_once(service, k3):
    ref = service.request_change("P20250401", "pmc0001", "c", qty=200).value.ref
    first = service.confirm_change(ref, "pmc0001")
    second = service.confirm_change(ref, "pmc0001")
    assert first.key == second.key == "workflow.change_applied"
    assert len(change_writes(k3)) == 1


def test_confirm_rechecks_the_order_live(service, k3):
    ref = service.request_change("P20250401", "pmc0001", "c", qty=200).value.ref
    k3.orders["P20250401"] = dataclasses.replace(k3.orders["P20250401"], status=OrderStatus.FINISHED)
    outcome = service.confirm_change(ref, "pmc0001")
    assert (outcome.ok, outcome.key, outcome.value.state) == (
        False,
        "workflow.change_world_changed",
        Change.REFUSED,
    )
    assert [d.key for d in outcome.details] == ["workflow.order_closed"]
    assert rendered(outcome)
    assert change_writes(k3) == []


def test_pending_change_cannot_be_confirmed_by_its_requester(service, k3):
    ref = service.request_change("MO000124", "pmc0001", "c", qty=400).value.ref
    assert service.confirm_change(ref, "pmc0001").key == "workflow.change_awaiting_approval"
    assert change_writes(k3) == []


def test_cancelled_change_is_final(service, k3):
    ref = service.request_change("P20250401", "pmc0001", "c", qty=200).value.ref
    assert service.cancel_change(ref, "pmc0002").key == "workflow.change_not_yours"
    assert service.cancel_change(ref, "pmc0001").key == "workflow.change_cancelled"
    outcome = service.confirm_change(ref, "pmc0001")
    assert (outcome.key, outcome.values["state_name"]["en"]) == ("workflow.change_is_final", "cancelled")
    assert change_writes(k3) == []


def test_open_request_blocks_another_but_a_new_ask_supersedes_an_unconfirmed_one(service):
    pending = service.request_change("MO000124", "pmc0001", "c", qty=400).value
    blocked = service.request_change("MO000124", "pmc0002", "c", qty=160)
    assert (blocked.key, blocked.values["ref"]) == ("workflow.change_already_open", pending.ref)
    first = service.request_change("P20250401", "pmc0001", "c", qty=200).value
    second = service.request_change("P20250401", "pmc0001", "c", qty=250).value
    assert service.get_change(first.ref).state is Change.CANCELLED
    assert second.state is Change.CHECKED


def test_k3_refusal_at_apply_fails_the_request(service, k3):
    ref = service.request_change("P20250401", "pmc0001", "c", qty=200).value.ref
    k3.fail_next["change_order"] = "reject"
    outcome = service.confirm_change(ref, "pmc0001")
    assert (outcome.ok, outcome.key, outcome.value.state) == (
        False,
        "workflow.change_k3_rejected",
        Change.FAILED,
    )
    assert outcome.values["field"] == "FQty"
    assert qty_of(k3, "P20250401") == 300


# -- approvals ------------------------------------------------------------------------------------------


def test_manager_approval_applies_the_change(service, k3):
    ref = service.request_change("MO000124", "pmc0001", "c", qty=400).value.ref
    outcome = service.approve(ref, "manager0001", is_manager=True)
    assert (outcome.ok, outcome.key, outcome.value.state) == (True, "workflow.change_applied", Change.APPLIED)
    assert outcome.value.approver == "manager0001"
    assert qty_of(k3, "MO000124") == 400
    assert [(e.from_state, e.to_state) for e in service.history(ref)] == [
        (None, Change.REQUESTED),
        (Change.REQUESTED, Change.CHECKED),
        (Change.CHECKED, Change.PENDING_APPROVAL),
        (Change.PENDING_APPROVAL, Change.APPROVED),
        (Change.APPROVED, Change.APPLYING),
        (Change.APPLYING, Change.APPLIED),
    ]


def test_requester_cannot_approve_own_request_even_as_manager(service, k3):
    ref = service.request_change("MO000124", "manager0001", "c", qty=400).value.ref
    assert service.approve(ref, "manager0001", is_manager=True).key == "workflow.approval_own_request"
    assert service.reject(ref, "manager0001", "no", is_manager=True).key == "workflow.approval_own_request"
    assert service.get_change(ref).state is Change.PENDING_APPROVAL and change_writes(k3) == []


def test_non_manager_cannot_decide(service, k3):
    ref = service.request_change("MO000124", "pmc0001", "c", qty=400).value.ref
    assert service.approve(ref, "pmc0002", is_manager=False).key == "workflow.approval_not_manager"
    assert change_writes(k3) == []


def test_decided_once_names_who_and_when(service, wall):
    ref = service.request_change("MO000124", "pmc0001", "c", qty=400).value.ref
    wall.advance(minutes=5)
    service.approve(ref, "manager0001", is_manager=True)
    wall.advance(minutes=1)
    for again in (
        service.approve(ref, "manager0002", is_manager=True),
        service.reject(ref, "manager0002", "too late", is_manager=True),
    ):
        assert again.key == "workflow.already_decided"
        assert (again.values["approver"], again.values["decided_at"]) == ("manager0001", "2025-04-01 09:05")
        assert again.values["decision"]["en"] == "approved"


def test_rejection_leaves_k3_alone(service, k3):
    ref = service.request_change("P20250402", "pmc0001", "c", qty=5000).value.ref
    outcome = service.reject(ref, "manager0001", "WC-02 is full this week", is_manager=True)
    assert (outcome.key, outcome.value.state, outcome.value.decision_note) == (
        "workflow.change_rejected",
        Change.REJECTED,
        "WC-02 is full this week",
    )
    assert "WC-02 is full this week" in rendered(outcome)["en"]
    assert qty_of(k3, "P20250402") == 2000 and change_writes(k3) == []


@pytest.mark.parametrize(
    "world,detail",
    [
        ({"status": OrderStatus.FINISHED}, "workflow.order_closed"),
        ({"qty": 180.0}, "workflow.field_qty"),  # someone else changed the order meanwhile
    ],
)
def test_approval_rechecks_the_order_before_applying(service, k3, world, detail):
    ref = service.request_change("MO000124", "pmc0001", "c", qty=400).value.ref
    k3.orders["MO000124"] = dataclasses.replace(k3.orders["MO000124"], **world)
    outcome = service.approve(ref, "manager0001", is_manager=True)
    assert (outcome.ok, outcome.key, outcome.value.state) == (
        False,
        "workflow.change_world_changed",
        Change.REFUSED,
    )
    assert [d.key for d in outcome.details] == [detail]
    assert outcome.value.approver == "manager0001"  # the decision is kept on record
    assert rendered(outcome) and change_writes(k3) == []


def test_unanswered_approval_expires(service, k3, wall, settings):
    ref = service.request_change("MO000124", "pmc0001", "c", qty=400).value.ref
    wall.advance(seconds=settings.approval_expire_after_s - 1)
    assert service.expire_due() == []
    wall.advance(seconds=1)
    assert [c.ref for c in service.expire_due()] == [ref]
    assert service.approve(ref, "manager0001", is_manager=True).key == "workflow.change_expired"
    assert change_writes(k3) == []


def test_reminders_fall_due_each_interval(service, wall, settings):
    ref = service.request_change("MO000124", "pmc0001", "c", qty=400).value.ref
    assert service.due_reminders() == []
    wall.advance(seconds=settings.approval_remind_after_s)
    assert [c.ref for c in service.due_reminders()] == [ref]
    service.mark_reminded(ref)
    assert service.due_reminders() == []
    wall.advance(seconds=settings.approval_remind_after_s)
    assert [c.ref for c in service.due_reminders()] == [ref]
    service.approve(ref, "manager0001", is_manager=True)
    assert service.due_reminders() == []


# -- crashes and restarts --------------------------------------------------------------------------------


def test_write_that_landed_before_a_timeout_is_not_repeated(service, k3, wall):
    ref = service.request_change("P20250401", "pmc0001", "c", qty=200).value.ref
    k3.fail_next["change_order"] = "after"  # K/3 commits, the answer is lost
    lost = service.confirm_change(ref, "pmc0001")
    assert (lost.key, service.get_change(ref).state) == ("workflow.change_apply_unknown", Change.APPLYING)
    assert service.resume(ref).key == "workflow.change_in_progress"  # the writer may still be running
    wall.advance(minutes=5)
    outcome = service.resume(ref)
    assert (outcome.key, outcome.value.state) == ("workflow.change_applied", Change.APPLIED)
    assert len(change_writes(k3)) == 1
    assert service.history(ref)[-1].details["recovered"] is True


def test_write_that_never_reached_k3_is_made_on_recovery(service, make_service, k3, wall):
    ref = service.request_change("P20250401", "pmc0001", "c", qty=200).value.ref
    k3.fail_next["change_order"] = "before"
    assert service.confirm_change(ref, "pmc0001").key == "workflow.change_apply_unknown"
    assert qty_of(k3, "P20250401") == 300
    wall.advance(minutes=5)
    restarted = make_service(k3)
    [outcome] = restarted.resume_all()
    assert (outcome.key, outcome.value.state) == ("workflow.change_applied", Change.APPLIED)
    assert qty_of(k3, "P20250401") == 200 and len(change_writes(k3)) == 1


def test_request_interrupted_before_its_checks_is_resumed(service, make_service, k3):
    class Down:
        def get_order(self, bill_no):
            raise K3Unavailable("down")

    crashed = make_service(Down())
    with pytest.raises(K3Unavailable):  # the edge (action) turns this into a catalog message
        crashed.request_change("MO000124", "pmc0001", "c", qty=400)
    [stuck] = service.list_changes()
    assert stuck.state is Change.REQUESTED
    [outcome] = make_service(k3).resume_all()
    assert outcome.value.state is Change.PENDING_APPROVAL


def test_expiry_holds_even_before_the_expiry_job_runs(service, k3, wall, settings):
    pending = service.request_change("MO000124", "pmc0001", "c", qty=400).value.ref
    checked = service.request_change("P20250401", "pmc0001", "c", qty=200).value.ref
    wall.advance(seconds=settings.approval_expire_after_s)
    assert service.approve(pending, "manager0001", is_manager=True).key == "workflow.change_expired"
    assert service.confirm_change(checked, "pmc0001").key == "workflow.change_expired"
    assert service.expire_due() == []  # already expired on touch; nobody is told twice
    assert change_writes(k3) == []
