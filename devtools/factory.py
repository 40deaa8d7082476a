"""The demo factory (data/demo_factory.yaml, a copy of shared/fixtures/demo_factory.yaml).

Typed, read-only view of the fixture that the simulators, the LDAP loader, the tests and
the demo start from. Chat-side mapping tables live in data/mapping/ (see mapping.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml


@dataclass(frozen=True)
class FixtureMaterial:
    number: str  # K/3 material number, e.g. 1.01.2050
    chat_code: str  # BOM-2050
    bom_number: str | None  # audited BOM, None = no audited BOM
    name: dict  # {"zh": ..., "en": ..., "id": ...}
    aliases: tuple
    unit: str
    work_center: str
    safety_stock: float
    stock: float
    components: tuple = ()  # ((chat_code, qty_per), ...)


@dataclass(frozen=True)
class FixtureWorkCenter:
    number: str
    name: dict
    aliases: tuple
    daily_capacity: float


@dataclass(frozen=True)
class FixtureProductionType:
    bill_type: str
    name: dict
    is_default: bool


@dataclass(frozen=True)
class FixtureOrder:
    bill_no: str
    material: str  # chat code
    qty: float
    work_center: str
    plan_start: date
    plan_finish: date
    status: str
    reported_good: float
    reported_scrap: float


@dataclass(frozen=True)
class FixtureReport:
    """One dated production report (PRD_MORPT) behind an order's reported quantities."""

    bill_no: str
    date: date
    good: float
    scrap: float


@dataclass(frozen=True)
class FixtureCalendar:
    working_weekdays: tuple  # ISO weekdays, Monday = 1
    holidays: tuple  # dates
    overtime_capacity_pct: float


@dataclass(frozen=True)
class FixturePerson:
    uid: str
    cn: str
    dingtalk_staff_id: str
    mail: str
    groups: tuple
    password: str | None = None  # demo LDAP password (userPassword)
    work_centers: tuple = ()  # the work centers the person works in (LDAP departmentNumber)


@dataclass(frozen=True)
class FixtureGroup:
    open_conversation_id: str
    title: str
    members: tuple


@dataclass(frozen=True)
class Factory:
    organization: dict
    timezone: str
    acct_id: str
    k3_users: tuple
    k3_apps: tuple
    dingtalk: dict
    groups: tuple
    materials: tuple
    work_centers: tuple
    production_types: tuple
    orders: tuple
    directory_base_dn: str
    directory_groups: dict  # role -> group DN
    people: tuple
    calendar: FixtureCalendar | None = None
    alternate_work_centers: dict = field(default_factory=dict)  # chat code -> (work center, ...)
    report_history: tuple = ()  # FixtureReport, in file order
    raw: dict = field(repr=False, compare=False, default_factory=dict)

    def material_by_code(self, chat_code: str) -> FixtureMaterial | None:
        return next((m for m in self.materials if m.chat_code == chat_code), None)

    def material_by_number(self, number: str) -> FixtureMaterial | None:
        return next((m for m in self.materials if m.number == number), None)

    def person_by_staff_id(self, staff_id: str) -> FixturePerson | None:
        return next((p for p in self.people if p.dingtalk_staff_id == staff_id), None)

    def reports_of(self, bill_no: str) -> tuple:
        return tuple(r for r in self.report_history if r.bill_no == bill_no)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def parse_factory(raw: dict) -> Factory:
    materials = tuple(
        FixtureMaterial(
            number=str(m["number"]),
            chat_code=m["chat_code"],
            bom_number=m.get("bom_number"),
            name=dict(m["name"]),
            aliases=tuple(m.get("aliases") or ()),
            unit=m.get("unit", "Pcs"),
            work_center=m["work_center"],
            safety_stock=float(m.get("safety_stock", 0)),
            stock=float(m.get("stock", 0)),
            components=tuple((c["material"], float(c["qty"])) for c in m.get("components") or ()),
        )
        for m in raw["materials"]
    )
    work_centers = tuple(
        FixtureWorkCenter(w["number"], dict(w["name"]), tuple(w.get("aliases") or ()), float(w["daily_capacity"]))
        for w in raw["work_centers"]
    )
    types = tuple(
        FixtureProductionType(t["bill_type"], dict(t["name"]), bool(t.get("default"))) for t in raw["production_types"]
    )
    orders = tuple(
        FixtureOrder(
            bill_no=o["bill_no"],
            material=o["material"],
            qty=float(o["qty"]),
            work_center=o["work_center"],
            plan_start=_as_date(o["plan_start"]),
            plan_finish=_as_date(o["plan_finish"]),
            status=str(o["status"]),
            reported_good=float(o.get("reported_good", 0)),
            reported_scrap=float(o.get("reported_scrap", 0)),
        )
        for o in raw["orders"]
    )
    directory = raw["directory"]
    people = tuple(
        FixturePerson(
            p["uid"], p["cn"], p["dingtalk_staff_id"], p["mail"], tuple(p.get("groups") or ()), p.get("password"),
            tuple(p.get("work_centers") or ()),
        )
        for p in directory["people"]
    )
    cal = raw.get("calendar")
    calendar = (
        FixtureCalendar(
            tuple(int(d) for d in cal.get("working_weekdays") or ()),
            tuple(_as_date(d) for d in cal.get("holidays") or ()),
            float(cal.get("overtime_capacity_pct") or 0),
        )
        if cal
        else None
    )
    alternates = {a["material"]: tuple(a.get("work_centers") or ()) for a in raw.get("alternate_work_centers") or ()}
    history = tuple(
        FixtureReport(r["bill_no"], _as_date(r["date"]), float(r.get("good", 0)), float(r.get("scrap", 0)))
        for r in raw.get("report_history") or ()
    )
    dingtalk = dict(raw["dingtalk"])
    groups = tuple(
        FixtureGroup(g["open_conversation_id"], g["title"], tuple(g["members"])) for g in dingtalk.get("groups", ())
    )
    return Factory(
        organization=dict(raw["organization"]),
        timezone=raw.get("timezone", "Asia/Shanghai"),
        acct_id=str(raw["acct_id"]),
        k3_users=tuple(raw.get("k3_users") or ()),
        k3_apps=tuple(raw.get("k3_apps") or ()),
        dingtalk=dingtalk,
        groups=groups,
        materials=materials,
        work_centers=work_centers,
        production_types=types,
        orders=orders,
        directory_base_dn=directory["base_dn"],
        directory_groups=dict(directory["groups"]),
        people=people,
        calendar=calendar,
        alternate_work_centers=alternates,
        report_history=history,
        raw=raw,
    )


LOCAL_DIRECTORY = "directory_local.yaml"


def merge_local_directory(raw: dict, local: dict) -> dict:
    """The fixture's directory plus this repository's own additions (``data/directory_local.yaml``:
    the escalation chain's ``plant_directors``, the work centers of the shop-floor people, which the
    slapd loader writes as LDAP ``departmentNumber``); the shared fixture itself stays untouched, and a
    person's own ``work_centers`` there win."""
    directory = dict(raw["directory"])
    directory["groups"] = {**directory.get("groups", {}), **(local.get("groups") or {})}
    known = {p["uid"] for p in directory.get("people", ())}
    people = [*directory.get("people", ()), *(p for p in local.get("people") or () if p["uid"] not in known)]
    centers = local.get("work_centers") or {}
    directory["people"] = [
        {**p, "work_centers": list(centers[p["uid"]])} if p["uid"] in centers and not p.get("work_centers") else p
        for p in people
    ]
    return {**raw, "directory": directory}


def load_factory(path: Path) -> Factory:
    """The fixture at ``path``; a ``directory_local.yaml`` next to it adds groups and people."""
    path = Path(path)
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    local = path.with_name(LOCAL_DIRECTORY)
    if local.exists():
        with open(local, encoding="utf-8") as fh:
            raw = merge_local_directory(raw, yaml.safe_load(fh) or {})
    return parse_factory(raw)


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float, local_mtime: float = 0.0) -> Factory:
    return load_factory(Path(path))


def get_factory(path: Path | None = None) -> Factory:
    from rasa_project.settings import get_settings

    p = Path(path or get_settings().fixture_path)
    local = p.with_name(LOCAL_DIRECTORY)
    return _cached(str(p), p.stat().st_mtime, local.stat().st_mtime if local.exists() else 0.0)
