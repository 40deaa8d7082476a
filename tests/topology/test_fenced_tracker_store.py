"""The fenced SQL tracker store on PostgreSQL: Rasa's events table with its sender-id index, and
a save under an older lock fence than the last one writes nothing."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_project.lock_store import current_fence
from rasa_project.tracker_store import FencedSQLTrackerStore, StaleFenceError
from tests.pg import throwaway_database

pytestmark = pytest.mark.postgres


def _store(url: str) -> FencedSQLTrackerStore:
    u = sa.engine.make_url(url)
    return FencedSQLTrackerStore(dialect="postgresql", host=u.host, port=u.port, db=u.database, username=u.username,
                                 password=u.password or "")


async def _save(store, tracker, fence):
    token = current_fence.set(("cid:p1", fence)) if fence is not None else None
    try:
        await store.save(tracker)
    finally:
        if token is not None:
            current_fence.reset(token)


def test_saves_keep_the_fence_order_and_the_sender_index_exists():
    with throwaway_database("dingk3_fence", target="base") as url:
        store = _store(url)
        try:
            indexes = {i["name"] for i in sa.inspect(store.engine).get_indexes("events")}
            assert "ix_events_sender_id" in indexes
            tracker = DialogueStateTracker("cid:p1", slots=[])
            tracker.update(UserUttered("one"))
            asyncio.run(_save(store, tracker, 5))
            tracker.update(ActionExecuted("action_listen"))
            asyncio.run(_save(store, tracker, 5))  # the same turn saves again: allowed
            stale = DialogueStateTracker("cid:p1", slots=[])
            for e in (UserUttered("one"), ActionExecuted("action_listen"), UserUttered("stale")):
                stale.update(e)
            with pytest.raises(StaleFenceError):
                asyncio.run(_save(store, stale, 3))
            assert store.stale_saves == 1
            events = asyncio.run(store.retrieve("cid:p1")).events
            assert [getattr(e, "text", None) for e in events] == ["one", None]
            tracker.update(UserUttered("two"))
            asyncio.run(_save(store, tracker, 6))
            assert [getattr(e, "text", None) for e in asyncio.run(store.retrieve("cid:p1")).events] == [
                "one", None, "two"]
        finally:
            store.engine.dispose()


def test_a_database_outage_delays_reads_and_saves_instead_of_losing_the_turn():
    """Every connection ended and new ones refused for 1.5 s (devtools' cut_database): a save and
    a read made meanwhile wait and succeed, and nothing is written twice. Rasa's fail-safe wrapper
    would have saved the turn into memory and read an empty tracker."""
    import threading

    from devtools.topology.prod_local import cut_database, restore_database

    with throwaway_database("dingk3_outage", target="base") as url:
        store = _store(url)
        try:
            store.outage_s = 15
            tracker = DialogueStateTracker("cid:p1", slots=[])
            tracker.update(UserUttered("one"))
            asyncio.run(_save(store, tracker, 1))
            cut_database(url)
            timer = threading.Timer(1.5, restore_database, args=(url,))
            timer.start()
            tracker.update(UserUttered("two"))
            asyncio.run(_save(store, tracker, 2))  # during the outage
            timer.join()
            cut_database(url)
            threading.Timer(1.5, restore_database, args=(url,)).start()
            texts = [getattr(e, "text", None) for e in asyncio.run(store.retrieve("cid:p1")).events]
            assert texts == ["one", "two"]
            store.outage_s = 0.3
            cut_database(url)
            try:
                with pytest.raises(sa.exc.OperationalError):  # longer than store_outage_s: the turn fails
                    asyncio.run(store.retrieve("cid:p1"))
            finally:
                restore_database(url)
        finally:
            store.engine.dispose()
