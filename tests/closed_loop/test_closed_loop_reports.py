"""Shop-floor output reports -> K/3 PRD_MORPT (over the K/3 simulator), corrections, completion."""

from __future__ import annotations

from k3_client.models import OrderStatus

PROD = "cidPROD0001"


def _report_nos(k3, bill_no):
    return {r.bill_no: (r.good, r.scrap) for r in k3.list_reports(bill_no)}


def test_report_is_pushed_to_k3_with_its_quantities(reports, k3, audit):
    before = _report_nos(k3, "P20250401")

    outcome = reports.report("P20250401", "120", "4", "prod0001", PROD, message_id="msg-1")

    assert outcome.key == "report.recorded"
    new = {no: q for no, q in _report_nos(k3, "P20250401").items() if no not in before}
    assert list(new.values()) == [(120, 4)]
    assert outcome.values["report_no"] in new
    order = k3.get_order("P20250401")
    assert (order.reported_good, order.reported_scrap) == (240, 8)
    [progress] = outcome.details
    assert (progress.values["total_good"], progress.values["total_scrap"], progress.values["pct"]) == (240, 8, 82.7)
    assert "累计合格 240，报废 8" in outcome.text("zh")
    assert any('"report_output"' in r.payload for r in audit.history("P20250401"))


def test_redelivered_message_reports_once(reports, k3):
    first = reports.report("P20250401", 120, 4, "prod0001", PROD, message_id="msg-dup")
    again = reports.report("P20250401", 120, 4, "prod0001", PROD, message_id="msg-dup")

    assert (first.key, again.key) == ("report.recorded", "report.already_recorded")
    assert again.values["report_no"] == first.values["report_no"]
    order = k3.get_order("P20250401")
    assert (order.reported_good, order.reported_scrap) == (240, 8)


def test_over_report_and_negative_numbers_are_refused(reports, k3):
    before = _report_nos(k3, "P20250401")

    over = reports.report("P20250401", 170, 7, "prod0001", PROD, message_id="m-over")  # 176 left
    negative = reports.report("P20250401", -5, 0, "prod0001", PROD, message_id="m-neg")
    nothing = reports.report("P20250401", 0, None, "prod0001", PROD, message_id="m-zero")

    assert over.key == "report.over_remaining"
    assert (over.values["remaining"], over.values["this"]) == (176, 177)
    assert (negative.key, nothing.key) == ("report.negative", "report.nothing")
    assert _report_nos(k3, "P20250401") == before


def test_orders_outside_released_or_started_take_no_reports(reports):
    assert reports.report("MO000124", 10, 0, "prod0001", PROD).key == "report.order_not_released"
    assert reports.report("MO000123", 10, 0, "prod0001", PROD).key == "report.order_finished"
    assert reports.report("P20259999", 10, 0, "prod0001", PROD).key == "report.order_unknown"
    assert reports.report(None, 10, 0, "prod0001", PROD).key == "report.which_order"


def test_reporter_corrects_last_report_within_the_window(reports, k3, audit):
    first = reports.report("P20250401", 120, 4, "prod0001", PROD, message_id="m1")
    old_no = first.values["report_no"]

    corrected = reports.correct_last("prod0001", "110", conversation_id=PROD, message_id="m2")

    assert corrected.key == "report.corrected"
    assert (corrected.values["old_good"], corrected.values["good"], corrected.values["scrap"]) == (120, 110, 4)
    numbers = _report_nos(k3, "P20250401")
    assert old_no not in numbers and numbers[corrected.values["report_no"]] == (110, 4)
    order = k3.get_order("P20250401")
    assert (order.reported_good, order.reported_scrap) == (230, 8)
    assert any('"report_reversed"' in r.payload for r in audit.history("P20250401"))
    # the same correction message delivered again changes nothing
    assert reports.correct_last("prod0001", "110", conversation_id=PROD, message_id="m2").key == "report.already_recorded"
    assert k3.get_order("P20250401").reported_good == 230


def test_correction_is_refused_for_someone_else_and_after_the_window(reports, k3, wall):
    reports.report("P20250401", 120, 4, "prod0001", PROD, message_id="m1")

    other = reports.correct_last("prod0002", 110, conversation_id=PROD)
    assert (other.key, other.values["reporter"]) == ("report.correction_not_yours", "prod0001")

    wall.advance(seconds=1801)
    late = reports.correct_last("prod0001", 110, conversation_id=PROD)
    assert late.key == "report.correction_too_late"
    order = k3.get_order("P20250401")
    assert (order.reported_good, order.reported_scrap) == (240, 8)


def test_reaching_the_quantity_tells_production_group_and_pmc_can_finish(reports, k3, dingtalk_sim):
    outcome = reports.report("P20250403", 495, 5, "prod0002", PROD, message_id="m-full")

    assert outcome.key == "report.recorded"
    assert [d.key for d in outcome.details] == ["report.progress", "report.complete_offer"]
    [notice] = dingtalk_sim.texts(conversation_id=PROD)
    assert "P20250403" in notice and "合格 495" in notice and "确认" in notice
    assert reports.open_finish_offer(PROD) == "P20250403"

    finished = reports.finish_order("P20250403", "pmc0001", PROD)
    assert finished.key == "report.finished"
    assert k3.get_order("P20250403").status is OrderStatus.FINISHED
    assert reports.open_finish_offer(PROD) is None
    assert reports.finish_order("P20250403", "pmc0001", PROD).key == "report.already_finished"
    assert reports.report("P20250403", 1, 0, "prod0002", PROD).key == "report.order_finished"
    assert len(dingtalk_sim.messages(conversation_id=PROD)) == 2


def test_report_figures_are_read_by_the_one_quantity_reader(reports, k3):
    before = _report_nos(k3, "P20250401")
    unreadable = reports.report("P20250401", "lots", None, "prod0001", PROD, message_id="m-lots")
    negative = reports.report("P20250401", "10", "-2", "prod0001", PROD, message_id="m-minus")
    nothing = reports.report("P20250401", "", "0", "prod0001", PROD, message_id="m-empty")

    assert (unreadable.key, unreadable.values["text"]) == ("report.qty_unreadable", "lots")
    assert (negative.key, negative.values["scrap"]) == ("report.negative", -2)
    assert nothing.key == "report.nothing"
    assert _report_nos(k3, "P20250401") == before
