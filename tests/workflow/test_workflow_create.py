"""Order creation through the service, against FixtureK3 (in-memory K/3 built from the fixture)."""

import dataclasses
from datetime import datetime, timedelta

import pytest

from rasa_project.ordering.states import Draft

VALUES = {
    "material": "风扇叶轮",
    "qty": "500",
    "plan_finish": "2025-04-04",
    "work_center": "注塑",
    "production_type": "标准",
}


@pytest.mark.parametrize(
    "text", ["BOM-2050", "bom2050", "Bom 2050", "电机外壳", "motor housing", "1.01.2050"]
)
def test_material_resolves_through_mapping_and_k3(service, text):
    outcome = service.check_material(text)
    assert outcome.ok, outcome.key
    assert outcome.value.material.number == "1.01.2050"
    assert outcome.value.bom.number == "BOM-2050_V1"


def test_unknown_material_is_named_in_the_refusal(service):
    outcome = service.check_material("BOM-9999")
    assert (outcome.ok, outcome.key) == (False, "workflow.material_unknown")
    assert outcome.text("en").startswith("BOM-9999 is not in the mapping table")


def test_material_without_audited_bom_is_refused(service):
    outcome = service.check_material("BOM-2099")
    assert (outcome.ok, outcome.key) == (False, "workflow.material_no_bom")
    assert "BOM-2099" in outcome.text("en") and "no audited BOM" in outcome.text("en")


def test_forbidden_material_is_refused(service, k3):
    k3.materials["1.01.2051"] = dataclasses.replace(k3.materials["1.01.2051"], is_forbidden=True)
    assert service.check_material("BOM-2051").key == "workflow.material_forbidden"


def test_mapped_material_missing_in_k3_is_refused(service, k3):
    del k3.materials["1.01.2051"]
    assert service.check_material("BOM-2051").key == "workflow.material_not_in_k3"


def test_mapping_bom_not_audited_falls_back_to_the_audited_one(service, k3):
    old = k3.boms.pop("BOM-2050_V1")
    k3.boms["BOM-2050_V1"] = dataclasses.replace(old, is_audited=False)
    k3.boms["BOM-2050_V2"] = dataclasses.replace(old, number="BOM-2050_V2")
    outcome = service.check_material("BOM-2050")
    assert outcome.ok and outcome.value.bom.number == "BOM-2050_V2"


def test_mapping_bom_of_another_material_is_not_used(service, k3):
    k3.boms["BOM-2050_V1"] = dataclasses.replace(k3.boms["BOM-2050_V1"], material_number="1.01.2051")
    assert service.check_material("BOM-2050").key == "workflow.material_no_bom"


def test_suggestions_offer_usual_work_center_and_default_type(service):
    material = service.check_material("BOM-3100").value
    offered = service.suggestions(material)
    assert offered.work_center.number == "WC-02"
    assert offered.production_type.bill_type == "SCDD01_SYS"


@pytest.mark.parametrize(
    "value,key",
    [
        ("300", "workflow.check_quantity_ok"),
        ("0", "workflow.qty_not_positive"),
        ("lots", "workflow.qty_unreadable"),
    ],
)
def test_check_quantity_uses_settings_limit(service, value, key):
    assert service.check_quantity(value).key == key
    assert service.check_quantity(service.settings.max_order_qty + 1).key == "workflow.qty_too_large"


def test_check_finish_date_against_business_today(service):
    assert service.check_finish_date("2025-03-31").key == "workflow.date_in_past"
    assert service.check_finish_date("2025-04-01").ok
    assert service.check_finish_date("someday").key == "workflow.date_unreadable"


@pytest.mark.parametrize(
    "text,expected",
    [("WC-01", "WC-01"), ("wc1", None), ("冲压", "WC-01"), ("line 1", "WC-04"), ("WC-09", None)],
)
def test_check_work_center(service, text, expected):
    outcome = service.check_work_center(text)
    assert (outcome.value.number if outcome.ok else None) == expected


def test_check_production_type(service):
    assert service.check_production_type("直接入库").value.bill_type == "SCDD03_SYS"
    assert service.check_production_type("urgent").key == "workflow.production_type_unknown"


def test_draft_summary_is_in_k3_terms(service):
    outcome = service.prepare_draft("pmc0001", "cidPMC0001", VALUES)
    assert outcome.ok and outcome.key == "workflow.draft_summary"
    v = outcome.values
    assert (v["material_number"], v["bom_number"], v["qty"], v["unit"]) == (
        "1.02.3100",
        "BOM-3100_V2",
        500,
        "Pcs",
    )
    assert (v["plan_start"], v["plan_finish"], v["bill_type"], v["work_center"]) == (
        "2025-04-01",
        "2025-04-04",
        "SCDD01_SYS",
        "WC-02",
    )
    for lang in ("zh", "id", "en"):
        assert "BOM-3100_V2" in outcome.text(lang)
    assert outcome.value.state is Draft.DRAFT


def test_defaults_are_not_applied_silently(service):
    outcome = service.prepare_draft("pmc0001", "c", {**VALUES, "work_center": None})
    assert (outcome.ok, outcome.key, outcome.values["slot"]) == (
        False,
        "workflow.slot_missing",
        "work_center",
    )


def test_draft_refuses_a_finish_before_today(service):
    assert (
        service.prepare_draft("pmc0001", "c", {**VALUES, "plan_finish": "2025-03-30"}).key
        == "workflow.date_in_past"
    )


def test_confirm_writes_exactly_once(service, k3):
    draft = service.prepare_draft("pmc0001", "c", VALUES).value
    first = service.confirm_draft(draft.id, "pmc0001")
    assert first.ok and first.key == "workflow.order_created"
    order = k3.get_order(first.values["bill_no"])
    assert (order.material_number, order.qty, order.work_center, order.bom_number) == (
        "1.02.3100",
        500,
        "WC-02",
        "BOM-3100_V2",
    )
    again = service.confirm_draft(draft.id, "pmc0001")
    assert again.ok and again.key == "workflow.order_already_created"
    assert again.values["bill_no"] == first.values["bill_no"]
    assert [w for w in k3.writes if w[0] == "create_order"] == [
        ("create_order", order.bill_no, draft.request_key)
    ]
    assert service.get_draft(draft.id).state is Draft.WRITTEN


def test_only_the_requester_may_confirm(service, k3):
    draft = service.prepare_draft("pmc0001", "c", VALUES).value
    assert service.confirm_draft(draft.id, "pmc0002").key == "workflow.draft_not_yours"
    assert k3.writes == []


def test_retry_after_timeout_finds_the_committed_order(service, k3):
    draft = service.prepare_draft("pmc0001", "c", VALUES).value
    k3.fail_next["create_order"] = "after"  # K/3 commits, then the answer is lost
    lost = service.confirm_draft(draft.id, "pmc0001")
    assert (lost.ok, lost.key) == (False, "workflow.order_write_unknown")
    retry = service.confirm_draft(draft.id, "pmc0001")
    assert retry.ok and retry.values["bill_no"] == k3.request_keys[draft.request_key]
    assert len([w for w in k3.writes if w[0] == "create_order"]) == 1


def test_retry_after_lease_when_k3_never_got_the_write(service, k3, wall):
    draft = service.prepare_draft("pmc0001", "c", VALUES).value
    k3.fail_next["create_order"] = "before"
    assert service.confirm_draft(draft.id, "pmc0001").key == "workflow.order_write_unknown"
    # right away a retry may collide with a write still in flight: wait for the lease
    assert service.confirm_draft(draft.id, "pmc0001").key == "workflow.draft_in_progress"
    wall.advance(minutes=5)
    done = service.confirm_draft(draft.id, "pmc0001")
    assert (done.ok, done.key) == (True, "workflow.order_created")
    assert len([w for w in k3.writes if w[0] == "create_order"]) == 1


def test_k3_rejection_returns_the_draft(service, k3):
    draft = service.prepare_draft("pmc0001", "c", VALUES).value
    bom = k3.boms["BOM-3100_V2"]
    k3.boms["BOM-3100_V2"] = dataclasses.replace(bom, is_audited=False)  # unaudited between draft and confirm
    outcome = service.confirm_draft(draft.id, "pmc0001")
    assert (outcome.ok, outcome.key, outcome.values["field"]) == (False, "workflow.order_rejected", "FBomId")
    assert service.get_draft(draft.id).state is Draft.DRAFT
    assert k3.writes == []


def test_cancelled_draft_cannot_be_confirmed(service, k3):
    draft = service.prepare_draft("pmc0001", "c", VALUES).value
    assert service.cancel_draft(draft.id, "pmc0002").key == "workflow.draft_not_yours"
    assert service.cancel_draft(draft.id, "pmc0001").key == "workflow.draft_cancelled"
    assert service.confirm_draft(draft.id, "pmc0001").key == "workflow.draft_cancelled"
    assert k3.writes == []


def test_written_draft_cannot_be_cancelled(service):
    draft = service.prepare_draft("pmc0001", "c", VALUES).value
    bill_no = service.confirm_draft(draft.id, "pmc0001").values["bill_no"]
    outcome = service.cancel_draft(draft.id, "pmc0001")
    assert (outcome.key, outcome.values["bill_no"]) == ("workflow.draft_already_written", bill_no)


def test_draft_left_overnight_is_stale(service, make_service, k3, settings):
    draft = service.prepare_draft("pmc0001", "c", VALUES).value
    later = dataclasses.replace(service.clock, anchor=datetime.fromisoformat("2025-04-02T09:00:00+08:00"))
    tomorrow = make_service(k3)
    tomorrow.clock = later
    assert later.today() - service.clock.today() == timedelta(days=1)
    assert tomorrow.confirm_draft(draft.id, "pmc0001").key == "workflow.draft_stale"
    assert k3.writes == []
