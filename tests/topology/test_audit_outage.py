"""The audit trail rides out a database outage: a turn's record waits for the database instead of
failing the turn (issue 17, seen in prod-faults: "确认" answered "internal error" because its
first audit record met the PostgreSQL cut). On a real throwaway PostgreSQL database: cut
(backends ended, connections refused) while records are appended, back after 1.5 s."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import sessionmaker

from devtools.topology.prod_local import cut_database, restore_database
from rasa_project import db
from rasa_project.audit.trail import AuditTrail
from tests.pg import throwaway_database

pytestmark = pytest.mark.postgres


def test_records_appended_during_a_database_cut_land_once_each_and_the_chain_holds():
    with throwaway_database("dingk3_audit") as url:
        engine = db.make_engine(url)
        try:
            trail = AuditTrail(sessionmaker(bind=engine, future=True), secrets=(), outage_s=30)
            trail.record("nlu", actor="pmc0001", conversation_id="cidPMC0001", text="before")
            cut_database(url)
            threading.Timer(1.5, restore_database, args=(url,)).start()
            records = [trail.record("nlu", actor="pmc0001", conversation_id="cidPMC0001", text=f"during {i}")
                       for i in range(3)]
            assert [r.id for r in records] == [2, 3, 4]
            result = trail.verify()
            assert result.ok and result.checked == 4, result
        finally:
            engine.dispose()
