"""Read-only answers for chat: an order's progress, a material's stock, as ``Outcome``s.

Pure functions: every value a sentence needs, names in every chat language (``Message.text(lang)``
picks one), figures through the one quantity formatter.
"""

from __future__ import annotations

from k3_client.models import Material, Order, StockLevel
from rasa_project import catalog
from rasa_project.mapping import MappingTables
from rasa_project.outcomes import Outcome, ok
from rasa_project.values import figure, iso


def _in_every_language(say) -> dict[str, str]:
    return {lang: say(lang) for lang in catalog.LANGS}


def order_progress(order: Order, mapping: MappingTables) -> Outcome[Order]:
    material = mapping.material_by_k3_number(order.material_number)
    center = mapping.work_center(order.work_center)
    percent = 0.0 if order.qty <= 0 else 100.0 * order.reported_good / order.qty
    return ok(
        "order.status_line",
        order,
        bill_no=order.bill_no,
        material=_in_every_language(material.display_name) if material else order.material_number,
        material_number=order.material_number,
        status=dict(catalog.MESSAGES[f"order.status.{int(order.status)}"]),
        qty=figure(order.qty),
        unit=order.unit,
        good=figure(order.reported_good),
        scrap=figure(order.reported_scrap),
        percent=f"{percent:.1f}".rstrip("0").rstrip("."),
        plan_start=iso(order.plan_start),
        plan_finish=iso(order.plan_finish),
        work_center=(
            _in_every_language(lambda lang: f"{center.display_name(lang)} ({center.number})")
            if center
            else order.work_center
        ),
    )


def stock_line(
    material_number: str, level: StockLevel | None, material: Material | None, mapping: MappingTables
) -> Outcome[StockLevel]:
    mapped = mapping.material_by_k3_number(material_number)
    on_hand = level.qty if level else 0.0
    safety = material.safety_stock if material else 0.0
    warning = dict(catalog.MESSAGES["stock.below_safety"]) if on_hand < safety else ""
    return ok(
        "stock.line",
        level,
        code=mapped.chat_code if mapped else "",
        material=_in_every_language(mapped.display_name) if mapped else material_number,
        material_number=material_number,
        qty=figure(on_hand),
        unit=(material.unit if material else (mapped.unit if mapped else "")),
        safety=figure(safety),
        warning=warning,
    )
