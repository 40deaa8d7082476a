"""The live factory as the planning core sees it: a :class:`Snapshot` built from the SAME factory
state the change checks read (``rasa_project.ordering.factory_state``), pure.

    state = FactoryStateReader(k3, mapping, clock).read_planning()   # a handful of bulk K/3 reads
    snapshot = snapshot_from(state, mapping)
    board = risk_board(snapshot)        # every open order's Risk, worst first (chat, warnings, dashboard)

Materials are named by their chat code ("BOM-2050") when the mapping knows them, else by their
K/3 number; capacities and alternate work centers come from the mapping tables, the calendar
(working weekdays, holidays, overtime %) from ``data/mapping/calendar.yml`` via the state. Component
shortages are the stock on hand allocated to the open orders in due-date order
(``shortages_from_stock``); the safety stock is left untouched by that allocation only in the
change checks, not here: a factory may dig into its safety stock to finish an order on time.
"""

from __future__ import annotations

from rasa_project.mapping import MappingTables
from rasa_project.ordering.factory_state import FactoryState
from rasa_project.planning.model import Level, OrderPlan, Report, Risk, Snapshot, WorkCenter
from rasa_project.planning.risk import RiskParams, assess, shortages_from_stock


def material_code(mapping: MappingTables, k3_number: str) -> str:
    mapped = mapping.material_by_k3_number(k3_number)
    return mapped.chat_code if mapped else k3_number


def snapshot_from(state: FactoryState, mapping: MappingTables) -> Snapshot:
    """The planning snapshot of one factory-state read (business today = ``state.today``)."""

    def plan(order) -> OrderPlan:
        mapped = mapping.material_by_k3_number(order.material_number)
        return OrderPlan(
            order.bill_no,
            mapped.chat_code if mapped else order.material_number,
            order.work_center,
            float(order.qty),
            order.plan_start,
            order.plan_finish,
            status=int(order.status),
            good=float(order.reported_good),
            scrap=float(order.reported_scrap),
            alternates=tuple(mapped.alternate_work_centers) if mapped else (),
        )

    open_plans = tuple(plan(o) for o in state.open_orders)
    known = {p.bill_no for p in open_plans}
    finished = tuple(plan(o) for o in state.finished_orders if o.bill_no not in known)
    centers = tuple(WorkCenter(w.number, float(w.daily_capacity)) for w in mapping.work_centers)
    reports = tuple(
        Report(line.order_bill_no, line.date, line.good, line.scrap)
        for line in state.report_lines
        if line.date < state.today
    )
    bom: dict[str, list[tuple[str, float]]] = {}
    for order, planned in zip(state.open_orders, open_plans):
        found = state.bom_of(order)
        if found is not None:
            bom.setdefault(planned.material, [(line.material_number, line.qty_per) for line in found.lines])
    stock = {number: component.stock for number, component in state.components.items()}
    shortages = tuple(shortages_from_stock(open_plans, bom, stock)) if bom else ()
    return Snapshot(state.today, state.calendar, centers, open_plans + finished, reports, shortages)


def risk_board(snapshot: Snapshot, params: RiskParams | None = None) -> list[Risk]:
    """Every open order's risk, worst first: late, then at risk, then on track; within a level the
    least slack first, then the earliest due date (what the chat list and the dashboard show)."""
    risks = assess(snapshot, params or RiskParams())

    def key(risk: Risk):
        slack = risk.slack_working_days if risk.slack_working_days is not None else -10_000
        return (-risk.level.severity, slack, risk.due, risk.bill_no)

    return sorted(risks, key=key)


def warned(board: list[Risk]) -> list[Risk]:
    return [r for r in board if r.level is not Level.ON_TRACK]
