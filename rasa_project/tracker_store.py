"""Rasa's SQL tracker store with fencing (endpoints.production.yml, issue 17 item 2).

A lock lease can lapse under a holder that stalled (a long GC pause, a frozen VM) while the next
turn of the conversation already holds the lock; the stalled holder must then not write its stale
tracker. ``FencedSQLTrackerStore.save`` writes the new events and the conversation's fence (the
ticket number of the lock this turn holds, ``rasa_project.lock_store.current_fence``) in one
transaction: ``INSERT ... ON CONFLICT DO UPDATE ... WHERE fence <= new``. PostgreSQL locks the
fence row until commit, so saves of one conversation are serialised, and a save with an older
fence than the last one committed writes nothing and fails (``StaleFenceError``).

A database outage (PostgreSQL restarted, connections cut) does not lose a turn: Rasa wraps every
tracker store in its ``FailSafeTrackerStore``, which on an error *retrieves an empty tracker* and
*saves into memory* (rasa/core/tracker_store.py) -- the conversation's context is gone for that
turn and the turn never reaches the database. Reads and saves here wait instead: an error on which
the connection is gone is retried with backoff for ``store_outage_s`` (setting) while the turn
keeps its conversation's lock; only then does it fail. A retried save writes only the events the
database lacks (Rasa's ``_additional_events``), so a commit whose answer was lost is not doubled.

Everything else is Rasa's ``SQLTrackerStore`` (events table, ``ix_events_sender_id`` on
``sender_id``); without a fence (e.g. Rasa's HTTP API used without our lock store) it saves as
Rasa does.
"""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from rasa_project import metrics, outage
from rasa_project.lock_store import current_fence
from rasa_project.outage import connection_lost

log = logging.getLogger(__name__)

FENCES = "dingk3_tracker_fences"


class StaleFenceError(RuntimeError):
    """A turn whose lock lease lapsed tried to save its tracker after a newer turn did."""


def through_outage(what: str, call, outage_s: float):
    """``await call()``, tried again while the database is away, for at most ``outage_s``."""
    return outage.through_outage("tracker", what, call, transient=connection_lost, outage_s=outage_s,
                                 first_pause_s=0.1, max_pause_s=2.0)


class FencedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args, outage_s: float | None = None, **kwargs) -> None:
        if outage_s is None:
            from rasa_project.settings import get_settings

            outage_s = get_settings().store_outage_s
        self.outage_s = float(outage_s)
        super().__init__(*args, **kwargs)
        with self.engine.begin() as conn:
            conn.execute(sa.text(
                f"CREATE TABLE IF NOT EXISTS {FENCES} (sender_id VARCHAR(255) PRIMARY KEY, fence BIGINT NOT NULL)"
            ))
        self.stale_saves = 0

    async def _retrieve(self, sender_id, fetch_events_from_all_sessions):
        return await through_outage(f"reading {sender_id}",
                                    lambda: super(FencedSQLTrackerStore, self)._retrieve(
                                        sender_id, fetch_events_from_all_sessions), self.outage_s)

    async def save(self, tracker) -> None:
        await through_outage(f"saving {tracker.sender_id}", lambda: self._save(tracker), self.outage_s)

    async def _save(self, tracker) -> None:
        fence = current_fence.get()
        if fence is None or fence[0] != tracker.sender_id:
            await super().save(tracker)
            return
        await self.stream_events(tracker)
        with self.session_scope() as session:
            moved = session.execute(
                sa.text(
                    f"INSERT INTO {FENCES} (sender_id, fence) VALUES (:s, :f) "
                    f"ON CONFLICT (sender_id) DO UPDATE SET fence = excluded.fence "
                    f"WHERE {FENCES}.fence <= excluded.fence"
                ),
                {"s": tracker.sender_id, "f": fence[1]},
            ).rowcount
            if moved != 1:
                session.rollback()
                self.stale_saves += 1
                metrics.STALE_SAVES.inc()
                log.error("tracker of %s not saved: fence %s is older than the last save", tracker.sender_id,
                          fence[1])
                raise StaleFenceError(f"stale fence {fence[1]} for conversation {tracker.sender_id}")
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
