"""The checks a change request goes through: pure functions over the order and the factory state.

``hard_rules`` first (order status, something changes, not below what was reported, a finish date
that can still be met); a broken rule stops the list, later figures would mean nothing. Then the
risks, which need the live ``FactoryState``: component stock (only when the change adds to what
the order still needs) and the capacity of the target work center per working day. ``recheck``
is what must still hold right before the K/3 write (the risks were accepted already).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from k3_client.models import Order
from rasa_project.mapping import MappingTables
from rasa_project.ordering import rules
from rasa_project.ordering.base import material_label
from rasa_project.ordering.change_requests import ChangeRequest, fields_of
from rasa_project.ordering.factory_state import FactoryState
from rasa_project.ordering.rules import CheckResult, Verdict


def is_broken(results: list[CheckResult]) -> bool:
    return any(r.verdict is Verdict.REFUSE for r in results)


def hard_rules(change: ChangeRequest, order: Order | None, *, today: date) -> list[CheckResult]:
    """Status, something changes, reported minimum, finish date; stops at the first broken rule."""
    status = rules.check_order_status(change.bill_no, order.status if order else None)
    if status.verdict is Verdict.REFUSE:
        return [status]
    results = [status]
    for result in (
        rules.check_something_changes(fields_of(order), change.target),
        rules.check_reported_minimum(
            change.bill_no, change.new_qty, good=order.reported_good, scrap=order.reported_scrap
        ),
    ):
        results.append(result)
        if result.verdict is Verdict.REFUSE:
            return results
    if change.new_plan_finish is not None:
        results.append(rules.check_finish_date(change.new_plan_finish, today=today, plan_start=order.plan_start))
    return results


def adds_to_needs(change: ChangeRequest, order: Order) -> bool:
    """Only a larger quantity takes more components (and so needs the stock read)."""
    return change.new_qty is not None and change.new_qty > order.qty


def risks(change: ChangeRequest, order: Order, state: FactoryState, mapping: MappingTables) -> list[CheckResult]:
    return [*stock_checks(change, order, state, mapping), capacity_check(change, order, state, mapping)]


def stock_checks(change: ChangeRequest, order: Order, state: FactoryState, mapping: MappingTables) -> list[CheckResult]:
    """Components of the order's BOM: live stock minus other open orders' remaining needs."""
    if not adds_to_needs(change, order):
        return [_skipped("component_stock", reason="qty_not_increased")]
    need_before = state.needs(order)
    need_after = state.needs(order, change.new_qty)
    if not need_after:
        return [_skipped("component_stock", reason="no_components")]
    components = sorted(need_after)
    others = state.other_needs(components, except_bill_no=order.bill_no)
    results = []
    for number in components:
        component = state.components[number]
        position = rules.ComponentPosition(
            material_number=number,
            stock=component.stock,
            safety_stock=component.safety_stock,
            other_needs=others[number],
            need_before=need_before.get(number, 0.0),
            need_after=need_after[number],
        )
        label = material_label(mapping, number, component.material)
        results.append(
            rules.check_component(position).with_values(component_code=label["code"], component_name=label["name"])
        )
    return results


def capacity_check(change: ChangeRequest, order: Order, state: FactoryState, mapping: MappingTables) -> CheckResult:
    """Planned load per working day on the target work center, from business today on."""
    target = change.new_work_center or order.work_center
    wc = mapping.work_center(target)
    if wc is None:
        return _skipped("capacity", reason="no_capacity", work_center=target)
    others = state.load(wc.number, except_bill_no=order.bill_no)
    this_before = state.order_load(order) if order.work_center == wc.number else {}
    this_after = state.order_load(order, qty=change.new_qty, plan_finish=change.new_plan_finish)
    result = rules.check_capacity(
        wc.number,
        wc.daily_capacity,
        before=rules.add_loads(others, this_before),
        after=rules.add_loads(others, this_after),
    )
    return result.with_values(work_center_name=dict(wc.name))


def recheck(change: ChangeRequest, order: Order | None) -> list[CheckResult] | None:
    """Live re-verification before a write: the hard rules only (risks were accepted). None = all hold."""
    status = rules.check_order_status(change.bill_no, order.status if order else None)
    if status.verdict is Verdict.REFUSE:
        return [status]
    checks = [
        rules.check_unchanged_since(change.bill_no, change.recorded, fields_of(order)),
        rules.check_reported_minimum(change.bill_no, change.new_qty, good=order.reported_good, scrap=order.reported_scrap),
    ]
    broken = [c for c in checks if c.verdict is Verdict.REFUSE]
    return broken or None


def _skipped(check: str, **values: Any) -> CheckResult:
    return CheckResult(check, Verdict.SKIPPED, "workflow.check_skipped", values)


def new_order_risks(order: Order, state: FactoryState, mapping: MappingTables) -> list[CheckResult]:
    """The risks of a new order as it stands in K/3 (submitted, waiting for approval): each BOM
    component against its safety stock once this order takes what it needs, and its work center's
    load per working day with this order added. ``state`` was read with the order included."""
    results = []
    needs = state.needs(order)
    others = state.other_needs(sorted(needs), except_bill_no=order.bill_no) if needs else {}
    for number in sorted(needs):
        component = state.components.get(number)
        if component is None:
            continue
        position = rules.ComponentPosition(number, component.stock, component.safety_stock, others[number], 0.0,
                                           needs[number])
        label = material_label(mapping, number, component.material)
        results.append(rules.check_component(position).with_values(component_code=label["code"],
                                                                    component_name=label["name"]))
    wc = mapping.work_center(order.work_center)
    if wc is not None:
        load = state.load(wc.number, except_bill_no=order.bill_no)
        result = rules.check_capacity(wc.number, wc.daily_capacity, before=load,
                                      after=rules.add_loads(load, state.order_load(order)))
        results.append(result.with_values(work_center_name=dict(wc.name)))
    return results
