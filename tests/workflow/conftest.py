from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import sessionmaker

from devtools.factory import load_factory
from k3_client.models import Bom, Material
from rasa_project.clock import clock_from
from rasa_project.db import make_engine, migrate
from rasa_project.mapping import load_mapping
from rasa_project.ordering.service import WorkflowService
from rasa_project.settings import PROJECT_ROOT, Settings
from tests.workflow.workflow_fixture_k3 import FixtureK3

ANCHOR = datetime(2025, 4, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class WorkflowK3(FixtureK3):
    """FixtureK3 with the batch reads of ``ProductionK3`` (one K/3 query each in ``K3Client``);
    in memory they are the single lookups, so both answer alike."""

    def find_materials(self, numbers: Iterable[str]) -> dict[str, Material]:
        return {n: m for n in numbers if (m := FixtureK3.find_material(self, n)) is not None}

    def find_boms(self, numbers: Iterable[str]) -> dict[str, Bom]:
        return {n: b for n in numbers if (b := FixtureK3.find_bom(self, n)) is not None}

    def find_audited_boms(self, material_numbers: Iterable[str]) -> dict[str, Bom]:
        return {n: b for n in material_numbers if (b := FixtureK3.find_audited_bom(self, n)) is not None}


class WallClock:
    """The injected wall clock (UTC): tests move it instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        env="test",
        var_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'workflow.db'}",
        clock_anchor=ANCHOR,
        k3_timeout_s=1.0,
        k3_retries=0,
    )


@pytest.fixture
def factory():
    return load_factory(PROJECT_ROOT / "data" / "demo_factory.yaml")


@pytest.fixture
def mapping():
    return load_mapping(PROJECT_ROOT / "data" / "mapping")


@pytest.fixture
def k3(factory, settings) -> WorkflowK3:
    return WorkflowK3(factory, report_tolerance_pct=settings.report_tolerance_pct)


@pytest.fixture
def wall() -> WallClock:
    return WallClock(ANCHOR.astimezone(timezone.utc))


@pytest.fixture
def db_sessionmaker(settings):
    migrate(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    yield sessionmaker(bind=engine, future=True, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def make_service(mapping, settings, db_sessionmaker, wall):
    """Build a service; several instances over one database stand for restarts / other workers."""

    def _make(k3, *, Session=None, now=None) -> WorkflowService:
        return WorkflowService(
            k3=k3,
            mapping=mapping,
            clock=clock_from(settings),
            sessionmaker=Session or db_sessionmaker,
            settings=settings,
            now=now or wall,
        )

    return _make


@pytest.fixture
def service(make_service, k3) -> WorkflowService:
    return make_service(k3)
