"""Read-only answers phrased for chat: an order's progress, a material's stock. Pure functions."""

from __future__ import annotations

from k3_client.models import Material, Order, StockLevel
from rasa_project import catalog
from rasa_project.mapping import MappingTables


def qty(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def order_progress(order: Order, mapping: MappingTables, lang: str) -> str:
    material = mapping.material_by_k3_number(order.material_number)
    center = mapping.work_center(order.work_center)
    percent = 0.0 if order.qty <= 0 else 100.0 * order.reported_good / order.qty
    return catalog.text(
        "order.status_line",
        lang,
        bill_no=order.bill_no,
        material=material.display_name(lang) if material else order.material_number,
        material_number=order.material_number,
        status=catalog.text(f"order.status.{int(order.status)}", lang),
        qty=qty(order.qty),
        unit=order.unit,
        good=qty(order.reported_good),
        scrap=qty(order.reported_scrap),
        percent=f"{percent:.1f}".rstrip("0").rstrip("."),
        plan_start=order.plan_start.isoformat(),
        plan_finish=order.plan_finish.isoformat(),
        work_center=f"{center.display_name(lang)} ({center.number})" if center else order.work_center,
    )


def stock_line(
    material_number: str, level: StockLevel | None, material: Material | None, mapping: MappingTables, lang: str
) -> str:
    mapped = mapping.material_by_k3_number(material_number)
    on_hand = level.qty if level else 0.0
    safety = material.safety_stock if material else 0.0
    warning = catalog.text("stock.below_safety", lang) if on_hand < safety else ""
    return catalog.text(
        "stock.line",
        lang,
        code=mapped.chat_code if mapped else "",
        material=mapped.display_name(lang) if mapped else material_number,
        material_number=material_number,
        qty=qty(on_hand),
        unit=(material.unit if material else (mapped.unit if mapped else "")),
        safety=qty(safety),
        warning=warning,
    )
