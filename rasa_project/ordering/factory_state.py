"""The live state of the factory, read from K/3 in one go: what the change checks see (and what
delay risk and the dashboard will see).

``FactoryStateReader(k3, mapping, clock).read(...)`` is one consistent read per evaluation, each
K/3 list read once, never one call per row:

=================================  =============================================================
open orders (status 1-4)           one ``list_orders`` query
their BOMs                         one ``find_boms`` query by BOM number, plus one
                                   ``find_audited_boms`` query by material for orders whose BOM
                                   number is missing or unknown (only when there are such orders)
stock and safety stock             one ``stock_of`` and one ``find_materials`` query, for the
                                   components asked for (``components_of``)
=================================  =============================================================

``read_planning()`` is the same read for delay risk (``rasa_project.planning.live``): the open
orders, their BOMs and the stock / safety stock of every component they use, plus the orders
finished in the last ``history_days`` (one more ``list_orders``: the track record priors come from)
and the dated report lines of all of them (one ``list_report_lines``).

It returns a ``FactoryState``: plain frozen dataclasses (K/3's ``Order`` / ``Bom`` / ``Material``,
our ``Component``), the business day and the factory calendar (``mapping.calendar``: working
weekdays and holidays). Everything else is computed from it without K/3, by pure methods:

- ``needs(order, qty)``: the components ``qty`` pieces of ``order`` still need (what is left to
  make x quantity per parent);
- ``other_needs(components, except_bill_no)``: what the other open orders still need of them;
- ``order_load(order, qty, plan_finish)``: an order's remaining quantity spread evenly over its
  working days from business today on (``rules.spread_load``);
- ``load(work_center, except_bill_no)``: the planned load per working day of a work center.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from k3_client.api import ProductionK3
from k3_client.models import Bom, Material, Order, OrderStatus, ReportLine
from rasa_project.clock import BusinessClock
from rasa_project.mapping import MappingTables
from rasa_project.ordering import rules
from rasa_project.workdays import FactoryCalendar

OPEN_STATUSES = tuple(s for s in OrderStatus if s.is_open)
DONE_STATUSES = tuple(s for s in OrderStatus if not s.is_open)


@dataclass(frozen=True)
class Component:
    """A component material: stock on hand (all stocks) and its safety stock."""

    material_number: str
    stock: float
    safety_stock: float
    material: Material | None  # None when K/3 does not know the number


def bom_key(order: Order) -> str:
    """Orders share a BOM by its number; an order without one by its material's audited BOM."""
    return order.bom_number or f"material:{order.material_number}"


@dataclass(frozen=True)
class FactoryState:
    today: date  # business today: loads start here
    calendar: FactoryCalendar
    open_orders: tuple[Order, ...]
    boms: Mapping[str, Bom | None]  # bom_key(order) -> the BOM its components come from
    components: Mapping[str, Component]  # the components read (``components_of``), by material number
    finished_orders: tuple[Order, ...] = ()  # read_planning(): orders finished recently (track record)
    report_lines: tuple[ReportLine, ...] = ()  # read_planning(): dated reports of open + finished orders

    def bom_of(self, order: Order) -> Bom | None:
        return self.boms.get(bom_key(order))

    def needs(self, order: Order, qty: float | None = None) -> dict[str, float]:
        """Components still needed for ``qty`` pieces of ``order`` (default: its quantity now)."""
        bom = self.bom_of(order)
        lines = [(line.material_number, line.qty_per) for line in (bom.lines if bom else ())]
        remaining = rules.remaining_qty(order.qty if qty is None else qty, order.reported_total)
        return rules.component_needs(lines, remaining)

    def other_needs(self, components: Iterable[str], *, except_bill_no: str | None = None) -> dict[str, float]:
        """What the other open orders still need of ``components`` (remaining quantity x per parent)."""
        needs = {number: 0.0 for number in components}
        for other in self.open_orders:
            if other.bill_no == except_bill_no:
                continue
            bom = self.bom_of(other)
            remaining = rules.remaining_qty(other.qty, other.reported_total)
            for line in bom.lines if bom else ():
                if line.material_number in needs:
                    needs[line.material_number] += remaining * line.qty_per
        return needs

    def orders_on(self, work_center: str, *, except_bill_no: str | None = None) -> list[Order]:
        return [o for o in self.open_orders if o.work_center == work_center and o.bill_no != except_bill_no]

    def order_load(
        self, order: Order, *, qty: float | None = None, plan_finish: date | None = None
    ) -> dict[date, float]:
        """Pieces per working day ``order`` puts on its work center (with ``qty`` / ``plan_finish`` if given)."""
        return rules.spread_load(
            rules.remaining_qty(order.qty if qty is None else qty, order.reported_total),
            plan_start=order.plan_start,
            plan_finish=plan_finish or order.plan_finish,
            today=self.today,
            weekdays=self.calendar,
        )

    def load(self, work_center: str, *, except_bill_no: str | None = None) -> dict[date, float]:
        """Planned pieces per working day on ``work_center`` from its open orders."""
        return rules.add_loads(*(self.order_load(o) for o in self.orders_on(work_center, except_bill_no=except_bill_no)))


class FactoryStateReader:
    def __init__(self, k3: ProductionK3, mapping: MappingTables, clock: BusinessClock) -> None:
        self.k3 = k3
        self.mapping = mapping
        self.clock = clock

    def read(self, *, include: Iterable[Order] = (), components_of: Iterable[Order] = ()) -> FactoryState:
        """The open orders with their BOMs (and those of ``include``, e.g. an order just read), and the
        stock of every component of ``components_of``."""
        orders = tuple(self.k3.list_orders(statuses=OPEN_STATUSES))
        return self._with_stock(orders, include, components_of)

    def read_planning(self, *, history_days: int = 60) -> FactoryState:
        """What delay risk needs, in five or six bulk reads: open orders, BOMs, component stock and
        safety stock, recently finished orders, and every dated report line of both."""
        orders = tuple(self.k3.list_orders(statuses=OPEN_STATUSES))
        state = self._with_stock(orders, (), orders)
        since = self.clock.today() - timedelta(days=max(1, int(history_days)))
        finished = tuple(self.k3.list_orders(statuses=DONE_STATUSES, finish_from=since))
        bill_nos = [o.bill_no for o in orders + finished]
        lines = tuple(self.k3.list_report_lines(bill_nos)) if bill_nos else ()
        return replace(state, finished_orders=finished, report_lines=lines)

    def _with_stock(self, orders: tuple[Order, ...], include: Iterable[Order], components_of: Iterable[Order]) -> FactoryState:
        components_of = tuple(components_of)
        extra = tuple(include) + tuple(components_of)
        boms = self._boms(orders + extra)
        state = FactoryState(self.clock.today(), self.mapping.calendar, orders, boms, {})
        wanted = sorted({number for order in components_of for number in state.needs(order)})
        if not wanted:
            return state
        stock = self.k3.stock_of(wanted)
        materials = self.k3.find_materials(wanted)
        components = {}
        for number in wanted:
            level, material = stock.get(number), materials.get(number)
            components[number] = Component(
                number, level.qty if level else 0.0, material.safety_stock if material else 0.0, material
            )
        return FactoryState(state.today, state.calendar, orders, boms, components)

    def _boms(self, orders: Iterable[Order]) -> dict[str, Bom | None]:
        orders = list(orders)
        numbers = {o.bom_number for o in orders if o.bom_number}
        by_number = self.k3.find_boms(numbers) if numbers else {}
        # no BOM number, or one K/3 does not know: the material's audited BOM, as K/3 would pick it
        fallback = {o.material_number for o in orders if by_number.get(o.bom_number or "") is None}
        by_material = self.k3.find_audited_boms(fallback) if fallback else {}
        return {
            bom_key(o): by_number.get(o.bom_number or "") or by_material.get(o.material_number) for o in orders
        }
