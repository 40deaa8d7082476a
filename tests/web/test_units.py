"""The dashboard's pure parts: the read model, list operations, sessions, CSRF, throttle, xlsx."""

from __future__ import annotations

from datetime import date

from k3_client.models import DatedReport, Order, OrderStatus
from rasa_project.mapping import get_mapping
from rasa_project.settings import PROJECT_ROOT
from rasa_project.web.board import build_view, page_of, select
from rasa_project.web.security import LoginThrottle, SessionSigner
from rasa_project.web.xlsx import column_name, read_rows, workbook

TODAY = date(2025, 4, 1)


def order(bill, material="1.01.2050", qty=300, wc="WC-01", start=date(2025, 3, 28), finish=date(2025, 4, 3),
          status=OrderStatus.STARTED, good=0.0, scrap=0.0):
    return Order(bill, 1, 1, material, "BOM-2050_V1", qty, "Pcs", wc, start, finish, status, "C", "SCDD01_SYS",
                 good, scrap)


def view(orders, reports=()):
    return build_view(list(orders), list(reports), [], get_mapping(PROJECT_ROOT / "data" / "mapping"), TODAY)


def test_rows_carry_material_code_completion_and_risk_with_reason():
    v = view([order("P1", good=120, scrap=4), order("P2", status=OrderStatus.FINISHED, good=300)],
             [DatedReport("R1", "P1", date(2025, 3, 31), 120, 4)])
    p1 = v.by_bill["P1"]
    assert p1.material_code == "BOM-2050" and p1.completion == 40.0
    assert p1.level in ("late", "at_risk", "on_track") and p1.reason("en")
    assert v.by_bill["P2"].level is None  # finished: no delay risk
    stats = v.overview(None)
    assert stats["open"] == 1


def test_load_is_calendar_aware_and_marks_overloads():
    # 4000 pieces over 04-01..04-03 on WC-01 (800/day): over capacity; 04-04..04-06 is Qingming + Sunday
    v = view([order("P1", qty=4000, start=date(2025, 4, 1), finish=date(2025, 4, 3))])
    days = v.load["WC-01"]
    assert len(days) == 14
    assert date(2025, 4, 4) not in [d.day for d in days] and date(2025, 4, 6) not in [d.day for d in days]
    assert [d.over for d in days[:3]] == [True, True, True] and not any(d.over for d in days[3:])
    assert "WC-01" in v.overview(None)["over_capacity"]


def test_production_staff_see_their_work_centers_only():
    v = view([order("P1", wc="WC-01"), order("P2", wc="WC-03")])
    assert [r.bill_no for r in v.visible(frozenset({"WC-03"}))] == ["P2"]
    assert v.overview(frozenset({"WC-03"}))["open"] == 1


def test_select_filters_searches_sorts_and_pages():
    rows = view([order(f"P{i:02d}", qty=100 + i, wc="WC-01" if i % 2 else "WC-02") for i in range(30)]).rows
    assert len(select(rows, work_center="WC-01")) == 15
    assert [r.bill_no for r in select(rows, q="p07")] == ["P07"]
    assert [r.bill_no for r in select(rows, q="bom-2050")][:1] == ["P00"]
    assert select(rows, sort="qty", desc=True)[0].bill_no == "P29"
    shown, page, pages = page_of(select(rows), 9, 10)
    assert (page, pages, shown[0].bill_no) == (3, 3, "P20")


def test_session_cookie_is_signed_expires_and_can_be_revoked():
    clock = [1000.0]
    signer = SessionSigner("k", ttl_s=60, now=lambda: clock[0])
    session, cookie = signer.issue(staff_id="manager0001", name="王丽", roles={"managers"}, work_centers=None,
                                   lang="zh", via="ldap")
    assert signer.load(cookie) == session
    body, mac = cookie.rsplit(".", 1)
    assert signer.load(body[:-2] + "xx." + mac) is None  # tampered
    assert SessionSigner("other", ttl_s=60, now=lambda: clock[0]).load(cookie) is None  # foreign key
    clock[0] += 61
    assert signer.load(cookie) is None  # expired
    clock[0] -= 61
    signer.revoke(session)
    assert signer.load(cookie) is None
    assert signer.csrf_ok(session.sid, signer.csrf(session.sid)) and not signer.csrf_ok(session.sid, "x")


def test_throttle_slows_down_then_locks_out():
    clock = [0.0]
    throttle = LoginThrottle(delay_after=2, lockout_after=4, lockout_s=60, now=lambda: clock[0])
    delays = []
    for _ in range(3):
        delays.append(throttle.delay_s("Wang.Li"))
        assert not throttle.failed("wang.li")
    assert delays == [0.0, 0.0, 1.0]
    assert throttle.failed("wang.li") and throttle.locked("WANG.LI")
    clock[0] += 61
    assert not throttle.locked("wang.li")


def test_xlsx_round_trip():
    data = workbook([["单号", "qty"], ["P1", "1,200"], ["<&>", "3"]], numeric_columns={1})
    assert read_rows(data) == [["单号", "qty"], ["P1", "1200.0"], ["<&>", "3.0"]]
    assert (column_name(0), column_name(25), column_name(26)) == ("A", "Z", "AA")


def test_shop_floor_work_centers_come_from_the_local_directory_into_ldap():
    import yaml

    from devtools.factory import load_factory, parse_factory
    from devtools.slapd import directory_ldif
    from rasa_project.settings import PROJECT_ROOT

    fixture = PROJECT_ROOT / "data" / "demo_factory.yaml"
    bare = parse_factory(yaml.safe_load(fixture.read_text(encoding="utf-8")))
    assert all(not p.work_centers for p in bare.people)  # the shared fixture names none
    merged = {p.uid: p.work_centers for p in load_factory(fixture).people}
    assert merged["li.qiang"] == ("WC-01", "WC-05") and merged["budi.santoso"] == ("WC-03", "WC-04")
    assert merged["wang.li"] == ()
    ldif = directory_ldif(load_factory(fixture))
    li = ldif.split("dn: uid=li.qiang,", 1)[1].split("\n\n", 1)[0]
    assert "departmentNumber: WC-01" in li and "departmentNumber: WC-05" in li


def test_an_incremental_update_equals_a_full_build_of_the_merged_read():
    from rasa_project.ordering.states import Change
    from rasa_project.web.board import update_view

    mapping = get_mapping(PROJECT_ROOT / "data" / "mapping")
    before = [order("P1", good=120, scrap=4), order("P2", wc="WC-02", material="1.01.2051", qty=500),
              order("P3", wc="WC-03", qty=100, good=20), order("P4", wc="WC-04", start=date(2025, 4, 2))]
    reports = [DatedReport("R1", "P1", date(2025, 3, 31), 120, 4), DatedReport("R2", "P3", date(2025, 3, 30), 20, 0)]

    class Change_:  # the fields of a change request the board reads
        def __init__(self, bill_no, state, ref):
            self.bill_no, self.state, self.ref = bill_no, state, ref

    changes = [Change_("P4", Change.PENDING_APPROVAL, "CR-000001")]
    first = build_view(before, reports, changes, mapping, TODAY)
    # news: a report on P2, P3's report unaudited, P1 finished, P4's change approved, P5 new, P3 deleted
    after = [order("P1", good=300, status=OrderStatus.FINISHED), order("P2", wc="WC-02", material="1.01.2051", qty=500,
             good=50), order("P4", wc="WC-04", start=date(2025, 4, 2)), order("P5", wc="WC-03", qty=900)]
    new_reports = [DatedReport("R1", "P1", date(2025, 3, 31), 120, 4), DatedReport("R3", "P2", TODAY, 50, 0)]
    changes = [Change_("P4", Change.APPLIED, "CR-000001")]
    risks = {r.bill_no: r.risk for r in first.rows if r.risk is not None}
    updated = update_view(first, [after[0], after[1], after[3]], {"P3"}, {"R2", "R3", "SCHB-unknown"},
                          [new_reports[1]], changes, mapping, version=7, risks=risks)
    full = build_view(after, new_reports, changes, mapping, TODAY, version=7, risks=risks, assess_now=False)

    def same(v):
        return (sorted(v.rows, key=lambda r: r.bill_no), v.load, v.reports_today, sorted(v.reports, key=str),
                {k: sorted(x, key=str) for k, x in v.reports_by_order.items()}, [c.ref for c in v.pending],
                sorted(v.snapshot.orders, key=lambda p: p.bill_no), sorted(v.snapshot.reports, key=str), v.version,
                sorted(v.orders, key=lambda o: o.bill_no))

    assert same(updated) == same(full)
    assert updated.by_bill["P4"].approval == "applied" and "P3" not in updated.by_bill
    assert updated.by_bill["P2"].good == 50 and updated.reports_today == (50, 0)
    assert updated.overview(None)["pending"] == 0
