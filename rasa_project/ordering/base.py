"""Collaborators shared by the workflow services, passed in explicitly (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import sessionmaker

from k3_client.api import ProductionK3
from k3_client.models import Material
from rasa_project.clock import BusinessClock, utc_now
from rasa_project.mapping import MappingTables
from rasa_project.values import iso


def k3_refusal(exc: Exception) -> dict:
    """The data of a K/3 refusal worth keeping (K/3's own wording stays out of the chat)."""
    return {
        "field": getattr(exc, "field", None) or "",
        "msg_code": getattr(exc, "msg_code", None),
        "reason": getattr(exc, "reason", None) or "permission",
    }


class ServiceBase:
    def __init__(
        self,
        k3: ProductionK3,
        mapping: MappingTables,
        clock: BusinessClock,
        sessionmaker: sessionmaker,
        settings: Any,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.k3 = k3
        self.mapping = mapping
        self.clock = clock
        self.Session = sessionmaker
        self.settings = settings
        self.now = now  # wall clock (UTC): timestamps, approval reminders and expiry

    def today(self) -> date:
        """Business today (anchored in demo and tests)."""
        return self.clock.today()

    def local_time(self, value: datetime | None) -> str | None:
        """A stored UTC timestamp as the factory reads it ("2025-04-01 10:05")."""
        if value is None:
            return None
        return iso(self.clock.stamp(value))

    def material_label(self, number: str, k3_material: Material | None = None) -> dict:
        return material_label(self.mapping, number, k3_material)

    def work_center_name(self, number: str | None) -> Any:
        return work_center_name(self.mapping, number)


def material_label(mapping: MappingTables, number: str, k3_material: Material | None = None) -> dict:
    """Chat code and name of a K/3 material in every language (K/3's own name as fallback)."""
    m = mapping.material_by_k3_number(number)
    if m is not None:
        return {"code": m.chat_code, "name": dict(m.name)}
    return {"code": number, "name": (k3_material.name if k3_material else number)}


def work_center_name(mapping: MappingTables, number: str | None) -> Any:
    """A work center's name in every language (its number if the mapping does not know it)."""
    wc = mapping.work_center(number) if number else None
    return dict(wc.name) if wc else (number or "")
