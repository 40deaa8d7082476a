"""The OA inbox: one row per OA state change, leases that two workers never share."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from rasa_project.db import make_engine
from rasa_project.oa.inbox import DONE, InboundEvent, Inbox
from tests.pg import throwaway_database


def instance_event(instance_id: str, kind: str, channel: str = "stream", event_id: str | None = None,
                   **extra) -> InboundEvent:
    return InboundEvent("bpms_instance_change", {"processInstanceId": instance_id, "type": kind, **extra}, channel,
                        event_id=event_id)


def test_the_same_change_is_stored_once_whatever_channel_or_event_id(inbox):
    assert inbox.put(instance_event("p1", "finish", "stream", "ev-1", result="agree"))
    assert not inbox.put(instance_event("p1", "finish", "stream", "ev-1", result="agree"))  # redelivery
    assert not inbox.put(instance_event("p1", "finish", "http", None, result="agree"))  # same change over HTTP
    assert inbox.put(instance_event("p1", "start"))
    task = InboundEvent("bpms_task_change", {"processInstanceId": "p1", "taskId": 7, "type": "finish"}, "http")
    assert inbox.put(task) and not inbox.put(task)
    other = InboundEvent("chat_update_title", {"chatId": "c1"}, "stream", event_id="ev-9")
    assert inbox.put(other) and not inbox.put(InboundEvent("chat_update_title", {"chatId": "c1"}, "stream", "ev-9"))
    assert inbox.count() == 4
    assert inbox.events(instance_id="p1")[0]["deliveries"] == 3


def test_claim_done_and_release(inbox):
    inbox.put(instance_event("p1", "start"))
    inbox.put(instance_event("p1", "finish", result="agree"))
    first = inbox.claim_next("w1")
    assert first.event.data["type"] == "start" and first.attempts == 1
    second = inbox.claim_next("w2")
    assert second.event.data["type"] == "finish"
    assert inbox.claim_next("w3") is None  # both leased
    assert inbox.release(second, error="K/3 unavailable", retry_after_s=0)
    again = inbox.claim_next("w3")
    assert again.row_id == second.row_id and again.attempts == 2
    assert not inbox.mark_done(second)  # w2's lease was given back: its token no longer counts
    assert inbox.mark_done(first) and inbox.mark_done(again)
    assert inbox.count(state=DONE) == 2 and inbox.claim_next("w1") is None


def test_an_expired_lease_goes_to_another_worker_and_the_old_one_cannot_finish(inbox):
    clock = {"now": datetime(2025, 4, 1, 1, 0)}
    timed = Inbox(inbox.engine, lease_s=30, now=lambda: clock["now"])
    timed.put(instance_event("p1", "finish", result="refuse"))
    stuck = timed.claim_next("w1")
    clock["now"] += timedelta(seconds=29)
    assert timed.claim_next("w2") is None
    renewed = timed.extend(stuck)
    clock["now"] += timedelta(seconds=29)
    assert timed.claim_next("w2") is None  # renewed lease still holds
    clock["now"] += timedelta(seconds=2)
    taken = timed.claim_next("w2")
    assert taken is not None and taken.worker == "w2"
    assert not timed.mark_done(renewed) and timed.extend(renewed) is None
    assert timed.mark_done(taken)


@pytest.fixture
def pg_inbox():
    with throwaway_database("oa_inbox", "oa@head") as url:
        engine = make_engine(url)
        yield Inbox(engine, lease_s=30)
        engine.dispose()


@pytest.mark.postgres
def test_on_postgresql_too_the_change_is_stored_once_and_racing_workers_share_nothing(pg_inbox):
    assert pg_inbox.put(instance_event("p1", "finish", "stream", "ev-1", result="agree"))
    assert not pg_inbox.put(instance_event("p1", "finish", "http", result="agree"))
    assert pg_inbox.events()[0]["deliveries"] == 2 and pg_inbox.events()[0]["payload"]["result"] == "agree"
    pg_inbox.mark_done(pg_inbox.claim_next("w0"))
    test_two_workers_racing_never_claim_the_same_event(pg_inbox)


def test_two_workers_racing_never_claim_the_same_event(inbox):
    done_before = inbox.count(state=DONE)
    for n in range(40):
        inbox.put(instance_event(f"race{n}", "finish", result="agree"))
    claimed: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    barrier = threading.Barrier(3)

    def work(name: str) -> None:
        barrier.wait()
        while (claim := inbox.claim_next(name)) is not None:
            claimed[name].append(claim.row_id)
            assert inbox.mark_done(claim)

    threads = [threading.Thread(target=work, args=(n,)) for n in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    everything = [row for rows in claimed.values() for row in rows]
    assert sorted(everything) == sorted(set(everything)) and len(everything) == 40
    assert inbox.count(state=DONE) == done_before + 40
