"""The factory-state reader: one read of K/3 per evaluation (each list once, never a call per row),
and the needs and loads computed from it (demo factory, business today 2025-04-01, a Tuesday;
Qingming 04-04..04-06 is not worked)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date

import pytest

from rasa_project.clock import clock_from
from rasa_project.ordering.factory_state import FactoryState, FactoryStateReader
from tests.workflow.conftest import WorkflowK3

READS = ("find_material", "find_materials", "find_bom", "find_boms", "find_audited_bom", "find_audited_boms",
         "get_order", "list_orders", "stock_of")  # fmt: skip


class CountingK3(WorkflowK3):
    """The in-memory K/3, counting every read the product makes of it."""

    def __init__(self, factory) -> None:
        super().__init__(factory)
        self.reads: Counter[str] = Counter()

    def __getattribute__(self, name):
        if name in READS:
            object.__getattribute__(self, "reads")[name] += 1
        return object.__getattribute__(self, name)


@pytest.fixture
def counting_k3(factory) -> CountingK3:
    return CountingK3(factory)


@pytest.fixture
def reader(counting_k3, mapping, settings) -> FactoryStateReader:
    return FactoryStateReader(counting_k3, mapping, clock_from(settings))


def _more_open_orders(k3: CountingK3, n: int) -> None:
    """n more released orders of the fan (BOM-5200: three components each)."""
    template = k3.orders["MO000124"]
    for i in range(n):
        bill_no = f"MO9{i:05d}"
        k3.orders[bill_no] = dataclasses.replace(template, bill_no=bill_no, id=900000 + i, entry_id=950000 + i)


@pytest.mark.parametrize("extra_orders", [0, 40])
def test_one_read_of_each_list_however_many_orders_and_components(reader, counting_k3, extra_orders):
    _more_open_orders(counting_k3, extra_orders)
    order = counting_k3.get_order("MO000124")
    counting_k3.reads.clear()

    state = reader.read(include=[order], components_of=[order])

    assert len(state.open_orders) == 4 + extra_orders
    assert counting_k3.reads == Counter(list_orders=1, find_boms=1, stock_of=1, find_materials=1)


def test_no_stock_is_read_when_no_components_are_asked_for(reader, counting_k3):
    reader.read()
    assert "stock_of" not in counting_k3.reads and "find_materials" not in counting_k3.reads


def test_a_change_request_reads_k3_a_fixed_number_of_times(make_service, counting_k3):
    service = make_service(counting_k3)
    _more_open_orders(counting_k3, 25)
    counting_k3.reads.clear()

    outcome = service.request_change("MO000124", "pmc0001", "c", qty=400)  # more fans: stock and capacity

    assert outcome.key == "workflow.change_needs_approval"
    assert counting_k3.reads == Counter(get_order=1, list_orders=1, find_boms=1, stock_of=1, find_materials=1)


def test_needs_stock_and_loads_of_the_demo_factory(reader, counting_k3):
    fan = counting_k3.get_order("MO000124")  # 150 fans, nothing reported, 04-01..04-08 on WC-04
    state = reader.read(include=[fan], components_of=[fan])

    assert isinstance(state, FactoryState) and state.today == date(2025, 4, 1)
    assert {o.bill_no for o in state.open_orders} == {"P20250401", "P20250402", "P20250403", "MO000124"}
    parts = {"1.01.2050": 150.0, "1.02.3100": 150.0, "1.03.4100": 150.0}
    assert state.needs(fan) == parts
    assert state.needs(fan, 400) == {k: 400.0 for k in parts}
    assert state.other_needs(parts, except_bill_no="MO000124") == {k: 0.0 for k in parts}
    assert state.other_needs(parts) == parts  # nobody else builds fans
    stock = {n: (c.stock, c.safety_stock) for n, c in state.components.items()}
    assert stock == {"1.01.2050": (1500.0, 200.0), "1.02.3100": (2600.0, 500.0), "1.03.4100": (420.0, 300.0)}

    # 1390 impellers left on WC-02 in two working days; 150 fans over five (Qingming is off)
    assert state.load("WC-02") == {date(2025, 4, 1): 695.0, date(2025, 4, 2): 695.0}
    assert state.order_load(fan) == {d: 30.0 for d in (date(2025, 4, 1), date(2025, 4, 2), date(2025, 4, 3),
                                                      date(2025, 4, 7), date(2025, 4, 8))}  # fmt: skip
    assert state.order_load(fan, qty=400, plan_finish=date(2025, 4, 2)) == {date(2025, 4, 1): 200.0,
                                                                           date(2025, 4, 2): 200.0}  # fmt: skip
    assert state.load("WC-04", except_bill_no="MO000124") == {}
    assert sum(state.load("WC-01").values()) == pytest.approx(300 - 120 - 4)


def test_an_order_without_bom_number_uses_its_materials_audited_bom(reader, counting_k3):
    fan = dataclasses.replace(counting_k3.get_order("MO000124"), bom_number=None)
    counting_k3.reads.clear()
    state = reader.read(include=[fan], components_of=[fan])
    assert state.needs(fan) == {"1.01.2050": 150.0, "1.02.3100": 150.0, "1.03.4100": 150.0}
    assert counting_k3.reads["find_audited_boms"] == 1 and counting_k3.reads["find_audited_bom"] == 0
