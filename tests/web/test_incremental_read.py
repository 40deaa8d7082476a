"""A rebuild after news reads only what the news names: the audit trail says which bills our K/3
writes touched, the dashboard reads those orders and reports again (by bill number, a few K/3 calls
however many orders there are) and merges them into the last read — the same view a full read gives."""

from __future__ import annotations

import uuid

import pytest

from rasa_project.web.dashboard import Dashboard
from rasa_project.wiring import Wiring

pytestmark = pytest.mark.slapd

BILL = "P20250401"  # started, WC-01


class CallLog:
    """The K/3 WebAPI calls of this process (the web server of the stack reads K/3 too, into the
    same audit trail: counting records there would count its calls)."""

    def __init__(self, k3) -> None:
        self.calls: list[str] = []
        inner = k3.observer

        def observe(record) -> None:
            self.calls.append(record.operation)
            if inner is not None:
                inner(record)

        k3.observer = observe

    def take(self) -> list[str]:
        calls, self.calls = self.calls, []
        return calls


def shown(view) -> tuple:
    rows = tuple((r.bill_no, r.good, r.scrap, r.status, r.qty, r.plan_finish, r.work_center, r.approval) for r in view.rows)
    return tuple(sorted(rows)), tuple(sorted((p.bill_no, p.order_bill_no, p.date, p.good, p.scrap) for p in view.reports))


def test_news_is_read_incrementally_and_gives_the_view_of_a_full_read(web_settings):
    wiring = Wiring(web_settings)
    dash = Dashboard(wiring)
    try:
        first = dash._read(0, None)
        wiring.k3.report_output(BILL, good=7, scrap=1, request_key=f"incremental-{uuid.uuid4().hex}")
        position = dash.audit_position()
        log = CallLog(wiring.k3)
        again = dash._read_changed(first, 0, None)
        assert again is not None
        calls = log.take()
        assert calls and set(calls) == {"ExecuteBillQuery"} and len(calls) <= 3, calls  # reports, then orders
        assert again.by_bill[BILL].good == first.by_bill[BILL].good + 7
        assert again.by_bill[BILL].scrap == first.by_bill[BILL].scrap + 1
        assert again.version >= position and again.full_at == first.full_at
        assert shown(again) == shown(dash._read(0, None))
        # nothing new since (only reads): no K/3 call at all
        log.take()
        assert shown(dash._read_changed(again, 0, None)) == shown(again)
        assert log.take() == []
        # a K/3 write the trail cannot pin to a bill: a full read instead
        wiring.audit.record("k3_call", actor="system", operation="Save", form_id="PRD_MO", bill_nos=[], ok=True)
        assert dash._read_changed(again, 0, None) is None
    finally:
        dash.close()
        wiring.close()
