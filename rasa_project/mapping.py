"""Mapping tables (data/mapping/*.yml): chat codes and names -> K/3 numbers.

"BOM-2050", "bom2050", "BOM 2050", "电机外壳" and "1.01.2050" all resolve to one
``MaterialMapping``; work centers and production types likewise. Trainers edit the YAML;
nothing here knows a specific material. Resolution is exact (after normalisation):
fuzzy guesses would turn a typo into the wrong order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from rasa_project.workdays import FactoryCalendar

LANGS = ("zh", "id", "en")
_CODE = re.compile(r"^\s*([A-Za-z]{2,6})[\s_\-－—]*(\d{2,8})\s*$")


def fold(text: str) -> str:
    """Case-, width- and space-insensitive key for alias lookup."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s\-_·.]+", "", text)


def canonical_code(text: str) -> str | None:
    """'bom2050', 'BOM 2050', 'Bom-2050' -> 'BOM-2050'; None if it is not PREFIX+DIGITS."""
    m = _CODE.match(unicodedata.normalize("NFKC", text))
    return f"{m.group(1).upper()}-{m.group(2)}" if m else None


@dataclass(frozen=True)
class MaterialMapping:
    chat_code: str
    k3_number: str
    bom_number: str | None
    unit: str
    default_work_center: str | None
    name: dict
    aliases: tuple
    alternate_work_centers: tuple = ()  # where else it can be made (rescheduling may move work there)

    def display_name(self, lang: str) -> str:
        return self.name.get(lang) or self.name.get("en") or self.chat_code


@dataclass(frozen=True)
class WorkCenterMapping:
    number: str
    name: dict
    aliases: tuple
    daily_capacity: float

    def display_name(self, lang: str) -> str:
        return self.name.get(lang) or self.name.get("en") or self.number


@dataclass(frozen=True)
class ProductionTypeMapping:
    bill_type: str
    name: dict
    aliases: tuple
    is_default: bool

    def display_name(self, lang: str) -> str:
        return self.name.get(lang) or self.name.get("en") or self.bill_type


@dataclass(frozen=True)
class MappingTables:
    materials: tuple
    work_centers: tuple
    production_types: tuple
    calendar: FactoryCalendar = field(default_factory=FactoryCalendar)

    # -- materials ---------------------------------------------------------------------
    def material(self, text: str) -> MaterialMapping | None:
        """Resolve a chat code, K/3 number, name or alias; None if unknown."""
        if not text:
            return None
        code = canonical_code(text)
        key = fold(text)
        for m in self.materials:
            if code and code == m.chat_code:
                return m
            if text.strip() == m.k3_number:
                return m
        for m in self.materials:
            names = [m.chat_code, *m.name.values(), *m.aliases]
            if any(fold(n) == key for n in names):
                return m
        return None

    def material_by_k3_number(self, number: str) -> MaterialMapping | None:
        return next((m for m in self.materials if m.k3_number == number), None)

    # -- work centers ------------------------------------------------------------------
    def work_center(self, text: str) -> WorkCenterMapping | None:
        if not text:
            return None
        code = canonical_code(text)
        key = fold(text)
        for w in self.work_centers:
            if (code and code == w.number) or any(fold(n) == key for n in (w.number, *w.name.values(), *w.aliases)):
                return w
        return None

    # -- production types --------------------------------------------------------------
    def production_type(self, text: str) -> ProductionTypeMapping | None:
        if not text:
            return None
        key = fold(text)
        for t in self.production_types:
            if any(fold(n) == key for n in (t.bill_type, *t.name.values(), *t.aliases)):
                return t
        return None

    def default_production_type(self) -> ProductionTypeMapping:
        return next((t for t in self.production_types if t.is_default), self.production_types[0])


def _read(path: Path, key: str) -> list:
    with open(path, encoding="utf-8") as fh:
        return (yaml.safe_load(fh) or {}).get(key) or []


def load_mapping(mapping_dir: Path) -> MappingTables:
    materials = tuple(
        MaterialMapping(
            chat_code=m["chat_code"],
            k3_number=str(m["k3_number"]),
            bom_number=m.get("bom_number"),
            unit=m.get("unit", "Pcs"),
            default_work_center=m.get("default_work_center"),
            name=dict(m.get("name") or {}),
            aliases=tuple(m.get("aliases") or ()),
            alternate_work_centers=tuple(m.get("alternate_work_centers") or ()),
        )
        for m in _read(mapping_dir / "materials.yml", "materials")
    )
    work_centers = tuple(
        WorkCenterMapping(w["number"], dict(w.get("name") or {}), tuple(w.get("aliases") or ()), float(w["daily_capacity"]))
        for w in _read(mapping_dir / "work_centers.yml", "work_centers")
    )
    types = tuple(
        ProductionTypeMapping(t["bill_type"], dict(t.get("name") or {}), tuple(t.get("aliases") or ()), bool(t.get("default")))
        for t in _read(mapping_dir / "production_types.yml", "production_types")
    )
    return MappingTables(materials, work_centers, types, _calendar(mapping_dir / "calendar.yml"))


def _calendar(path: Path) -> FactoryCalendar:
    if not path.exists():
        return FactoryCalendar()
    with open(path, encoding="utf-8") as fh:
        raw = (yaml.safe_load(fh) or {}).get("calendar") or {}
    return FactoryCalendar.from_iso(
        raw.get("working_weekdays") or (1, 2, 3, 4, 5, 6),
        (d if isinstance(d, date) else date.fromisoformat(str(d)) for d in raw.get("holidays") or ()),
        raw.get("overtime_capacity_pct") or 0,
    )


@lru_cache(maxsize=4)
def _cached(path: str, stamp: tuple) -> MappingTables:
    return load_mapping(Path(path))


def get_mapping(mapping_dir: Path | None = None) -> MappingTables:
    from rasa_project.settings import get_settings

    d = Path(mapping_dir or get_settings().mapping_dir)
    stamp = tuple(sorted((p.name, p.stat().st_mtime) for p in d.glob("*.yml")))
    return _cached(str(d), stamp)
