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
