"""db.move_row: the one conditional transition. Of callers that saw the same row in the same
state (and version), exactly one moves it; an ORM class and a Core table alike."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import declarative_base, sessionmaker

from rasa_project.db import make_engine, move_row

metadata = MetaData()
Base = declarative_base(metadata=metadata)


class Thing(Base):
    __tablename__ = "things"
    id = Column(Integer, primary_key=True)
    state = Column(String(16), nullable=False)
    version = Column(Integer, nullable=False)
    owner = Column(String(16), nullable=True)


events = Table("events", metadata, Column("id", Integer, primary_key=True), Column("state", String(16)),
               Column("token", String(16)))  # fmt: skip


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'rows.db'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(Thing.__table__).values(id=1, state="draft", version=1))
        conn.execute(insert(events).values(id=1, state="pending", token="t1"))
    yield engine
    engine.dispose()


def test_a_row_moves_once_from_the_state_and_version_it_was_seen_in(engine):
    Session = sessionmaker(bind=engine, future=True)
    moved = {"state": "confirmed", "version": Thing.version + 1}
    with Session.begin() as s:
        assert move_row(s, Thing, 1, moved, state="draft", version=1)
    with Session.begin() as s:
        assert not move_row(s, Thing, 1, moved, state="draft", version=1)  # it is no longer there
        assert not move_row(s, Thing, 1, {"state": "written"}, state="confirmed", version=1)  # stale version
        assert not move_row(s, Thing, 1, {"owner": "x"}, state=("written", "cancelled"))
        assert not move_row(s, Thing, 1, {"owner": "x"}, state="confirmed", also=[Thing.owner == "pmc0001"])
        assert move_row(s, Thing, 1, {"owner": "pmc0001"}, state=("confirmed", "written"))
    with Session() as s:
        row = s.get(Thing, 1)
        assert (row.state, row.version, row.owner) == ("confirmed", 2, "pmc0001")


def test_a_core_table_and_a_connection_work_alike(engine):
    with engine.begin() as conn:
        assert not move_row(conn, events, 1, {"state": "done"}, state="pending", also=[events.c.token == "t2"])
        assert move_row(conn, events, 1, {"state": "done"}, state="pending", also=[events.c.token == "t1"])
        assert conn.execute(select(events.c.state)).scalar() == "done"


def test_of_many_racing_callers_exactly_one_wins(engine):
    Session = sessionmaker(bind=engine, future=True)
    start = threading.Barrier(8)
    wins: list[bool] = []

    def decide(who: str) -> None:
        start.wait()
        with Session.begin() as s:
            wins.append(move_row(s, Thing, 1, {"state": "approved", "owner": who}, state="draft", version=1))

    threads = [threading.Thread(target=decide, args=(f"m{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(wins) == [False] * 7 + [True]
