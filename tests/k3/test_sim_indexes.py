"""The K/3 simulator answers ExecuteBillQuery from indexes and keeps a paged query's result for its
next pages (like a database would), and its answers are exactly those of a plain scan of every bill,
also right after a write (a cursor of a changed form is never reused)."""

from __future__ import annotations

import random
from datetime import date, datetime

import pytest

from devtools.bench.web import seed_scale
from devtools.simulators.k3cloud.service import K3Service
from devtools.simulators.k3cloud.store import Store
from k3_client import filters as f
from k3_client.facade import DATED_REPORT_KEYS, ORDER_KEYS

QUERIES = [
    ("PRD_MO", ORDER_KEYS, "", "FBillNo,FTreeEntity_FSeq"),
    ("PRD_MO", ORDER_KEYS, f.in_("FBillNo", ["PB000007", "pb000042", "PB999999", "P20250401"]), "FBillNo"),
    ("PRD_MO", ORDER_KEYS, f.all_of(f.eq("FWorkShopID.FNumber", "WC-03"), f.in_("FStatus", ["3", "4"])), "FBillNo"),
    ("PRD_MO", ORDER_KEYS, f.eq("FMaterialId.FNumber", "1.01.2050"), "FPlanFinishDate desc,FBillNo"),
    ("PRD_MORPT", DATED_REPORT_KEYS, f.all_of(f.eq("FDocumentStatus", "C"), f.ge("FDate", date(2025, 3, 1))), "FBillNo"),
    ("PRD_MORPT", DATED_REPORT_KEYS, f.all_of(f.eq("FDocumentStatus", "C"), f.in_("FMoBillNo", ["PB000010", "PB000011"])),
     "FBillNo"),
    ("PRD_MORPT", DATED_REPORT_KEYS, "(" + f.eq("FMoBillNo", "PB000012") + ") OR (" + f.eq("FBillNo", "SCHB00082570") + ")", "FBillNo"),
]


class PlainScan(K3Service):
    """The reference: every bill, every time (no index, no cursor)."""

    def _candidates(self, meta, tree, per_entry):
        return self.store.all(meta.form_id)

    def query(self, data):
        self._cursors.clear()
        return super().query(data)


def pages(svc: K3Service, form: str, keys, flt: str, order: str, size: int = 97) -> list:
    rows: list = []
    while True:
        batch, _ = svc.query({"FormId": form, "FieldKeys": ",".join(keys), "FilterString": flt, "OrderString": order,
                              "StartRow": len(rows), "Limit": size})
        rows += batch
        if len(batch) < size:
            return rows


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("k3idx") / "k3.db"
    seed_scale(path, 400, 4000, rng=random.Random(3))
    store = Store(path)
    yield store
    store.close()


def today() -> datetime:
    return datetime(2025, 4, 1, 9)


def test_indexed_and_paged_answers_equal_a_plain_scan_also_after_writes(store):
    fast, plain = K3Service(store, today=today), PlainScan(store, today=today)
    for form, keys, flt, order in QUERIES:
        expected = pages(plain, form, keys, flt, order)
        assert pages(fast, form, keys, flt, order) == expected, flt
        assert pages(fast, form, keys, flt, order, size=1000) == expected, flt  # the cursor, other page size
    assert any(pages(plain, *q) for q in QUERIES[1:3]) and pages(plain, *QUERIES[5])  # the queries find rows

    report_filter = QUERIES[5][2]
    first = pages(fast, "PRD_MORPT", DATED_REPORT_KEYS, report_filter, "FBillNo")
    number = first[0][0]
    with store.unit():
        undone = fast.unaudit("PRD_MORPT", {"Numbers": [number]})  # the report leaves the audited set
    assert undone["Result"]["ResponseStatus"]["IsSuccess"] is True
    after = pages(fast, "PRD_MORPT", DATED_REPORT_KEYS, report_filter, "FBillNo")
    assert number not in [r[0] for r in after] and len(after) == len(first) - 1
    assert after == pages(plain, "PRD_MORPT", DATED_REPORT_KEYS, report_filter, "FBillNo")
    # the order's reported quantities were written back: its row changed, and the cursor shows it
    order_filter = f.in_("FBillNo", ["PB000010", "PB000011"])
    assert pages(fast, "PRD_MO", ORDER_KEYS, order_filter, "FBillNo") == pages(plain, "PRD_MO", ORDER_KEYS, order_filter,
                                                                                 "FBillNo")
    with store.unit():
        for step in (fast.submit, fast.audit):  # back: submitted, then audited again
            assert step("PRD_MORPT", {"Numbers": [number]})["Result"]["ResponseStatus"]["IsSuccess"] is True
    assert pages(fast, "PRD_MORPT", DATED_REPORT_KEYS, report_filter, "FBillNo") == first


def test_a_failed_unit_of_work_drops_the_indexes_with_the_changes(store):
    fast = K3Service(store, today=today)
    flt = f.eq("FBillNo", "PB000020")
    before = pages(fast, "PRD_MO", ORDER_KEYS, flt, "FBillNo")
    bill = store.by_number("PRD_MO", "FBillNo", "PB000020")
    with pytest.raises(RuntimeError), store.unit():
        store.put("PRD_MO", "FID", {**bill, "FBillNo": "PB-RENAMED"})
        assert store.by_number("PRD_MO", "FBillNo", "pb-renamed") is not None
        raise RuntimeError("the request failed")
    assert store.by_number("PRD_MO", "FBillNo", "PB-RENAMED") is None
    assert pages(fast, "PRD_MO", ORDER_KEYS, flt, "FBillNo") == before
