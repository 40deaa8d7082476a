"""Audit trail fixtures on SQLite (a file per test) and PostgreSQL (one throwaway database per run)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from rasa_project import db
from rasa_project.audit.redaction import secrets_of
from rasa_project.audit.trail import AuditTrail
from rasa_project.settings import Settings
from tests.pg import throwaway_database


def upgrade_audit(url: str) -> None:
    """Apply only the audit branch, so this suite does not depend on the workflow migrations."""
    db.migrate(url, "audit@head")


@pytest.fixture(scope="session")
def postgres_url():
    with throwaway_database("dingk3_audit_test", "audit@head") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def audit_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.db'}"
        upgrade_audit(url)
        return url
    url = request.getfixturevalue("postgres_url")
    engine = db.make_engine(url)
    with engine.begin() as conn:  # a fresh, empty chain for every test
        conn.execute(text("DELETE FROM audit_log"))
        conn.execute(text("UPDATE audit_chain_head SET last_id = 0, last_hash = :g"), {"g": "0" * 64})
    engine.dispose()
    return url


@pytest.fixture
def make_trail(audit_url):
    """AuditTrail instances on the test database, each with its own engine (like separate processes)."""
    engines = []

    def _make() -> AuditTrail:
        engine = db.make_engine(audit_url)
        engines.append(engine)
        return AuditTrail(sessionmaker(bind=engine, future=True), secrets=secrets_of(Settings()))

    yield _make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def trail(make_trail) -> AuditTrail:
    return make_trail()


@pytest.fixture
def raw_sql(audit_url):
    """Run SQL straight at the database, as someone tampering with it would."""
    engine = db.make_engine(audit_url)

    def _run(sql: str, **params):
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return [dict(row) for row in result.mappings()] if result.returns_rows else result.rowcount

    yield _run
    engine.dispose()
