"""The durable inbox of verified DingTalk OA events (table ``oa_events``, migration o001_oa_inbox).

The channel writes every verified ``bpms_instance_change`` / ``bpms_task_change`` (and any other
subscribed event) here and acks DingTalk at once; workers process them later::

    inbox = Inbox(get_engine(), lease_s=60)
    inbox.put(InboundEvent(...))            # True: new; False: a redelivery, stored once
    claim = inbox.claim_next("worker-1")    # None when nothing is due
    ...process claim.event...
    inbox.mark_done(claim)                  # False if the lease was lost (someone else has it now)
    inbox.release(claim, error="K/3 down", retry_after_s=30)   # try again later

Dedupe: one row per OA state change. ``event_key`` is the change's natural identity
(instance + type for ``bpms_instance_change``, instance + task + type for ``bpms_task_change``),
so a redelivery, a retry with new headers, or the same change over Stream *and* HTTP is stored
once; other events use DingTalk's eventId (Stream) or a hash of the plaintext (HTTP).

Leases: ``claim_next`` sets ``claimed_by``/``claim_token``/``lease_until`` with a compare-and-set
UPDATE, so two workers (threads or processes, SQLite or PostgreSQL) never hold one event at once;
an event whose worker died is claimable again when its lease runs out. Times are naive UTC from
the wall clock (leases are durations, not business dates).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from rasa_project.db import metadata

PENDING, DONE = "pending", "done"
INSTANCE_CHANGE, TASK_CHANGE = "bpms_instance_change", "bpms_task_change"

oa_events = Table(
    "oa_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_key", String(200), nullable=False, unique=True),
    Column("event_id", String(64), nullable=True),
    Column("event_type", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("corp_id", String(64), nullable=True),
    Column("instance_id", String(64), nullable=True, index=True),
    Column("payload", JSON, nullable=False),
    Column("received_at", DateTime(timezone=False), nullable=False),
    Column("deliveries", Integer, nullable=False, server_default="1"),
    Column("state", String(16), nullable=False, server_default=PENDING),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(64), nullable=True),
    Column("claim_token", String(36), nullable=True),
    Column("lease_until", DateTime(timezone=False), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("done_at", DateTime(timezone=False), nullable=True),
)


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class InboundEvent:
    """A verified event, as either channel received it. ``data`` has no ``EventType`` key."""

    event_type: str
    data: dict
    channel: str  # "stream" | "http"
    event_id: str | None = None  # Stream's eventId header
    corp_id: str | None = None

    @property
    def instance_id(self) -> str | None:
        value = self.data.get("processInstanceId")
        return str(value) if value else None

    @property
    def key(self) -> str:
        kind = self.data.get("type")
        if self.event_type == INSTANCE_CHANGE and self.instance_id and kind:
            return f"{INSTANCE_CHANGE}:{self.instance_id}:{kind}"
        if self.event_type == TASK_CHANGE and self.instance_id and kind and self.data.get("taskId") is not None:
            return f"{TASK_CHANGE}:{self.instance_id}:{self.data['taskId']}:{kind}"
        if self.event_id:
            return f"{self.event_type}:id:{self.event_id}"
        canonical = json.dumps(self.data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return f"{self.event_type}:sha256:{hashlib.sha256(canonical.encode()).hexdigest()}"


@dataclass(frozen=True)
class Claim:
    row_id: int
    token: str
    worker: str
    lease_until: datetime
    attempts: int
    event: InboundEvent


class Inbox:
    def __init__(self, engine: Engine, *, lease_s: float = 60.0, now: Callable[[], datetime] = utc_now) -> None:
        self.engine, self.lease_s, self._now = engine, lease_s, now

    def put(self, event: InboundEvent) -> bool:
        """Store a verified event; False when it was already there (then only its delivery count grows)."""
        row = {"event_key": event.key, "event_id": event.event_id, "event_type": event.event_type,
               "channel": event.channel, "corp_id": event.corp_id, "instance_id": event.instance_id,
               "payload": event.data, "received_at": self._now(), "deliveries": 1, "state": PENDING,
               "attempts": 0}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(oa_events).values(**row))
            return True
        except IntegrityError:
            with self.engine.begin() as conn:
                conn.execute(update(oa_events).where(oa_events.c.event_key == event.key)
                             .values(deliveries=oa_events.c.deliveries + 1))
            return False

    def claim_next(self, worker: str, *, types: tuple[str, ...] | None = None) -> Claim | None:
        """Lease the oldest due event to ``worker``; None when nothing is due."""
        now = self._now()
        due = and_(oa_events.c.state == PENDING,
                   or_(oa_events.c.lease_until.is_(None), oa_events.c.lease_until <= now))
        query = select(oa_events.c.id).where(due).order_by(oa_events.c.id).limit(8)
        if types:
            query = query.where(oa_events.c.event_type.in_(types))
        while True:  # every round that finds candidates and loses them all means others progressed
            with self.engine.begin() as conn:
                candidates = [r.id for r in conn.execute(query)]
            if not candidates:
                return None
            for row_id in candidates:
                token, lease_until = str(uuid.uuid4()), now + timedelta(seconds=self.lease_s)
                with self.engine.begin() as conn:
                    taken = conn.execute(
                        update(oa_events).where(and_(oa_events.c.id == row_id, due))
                        .values(claimed_by=worker, claim_token=token, lease_until=lease_until,
                                attempts=oa_events.c.attempts + 1)).rowcount
                    if taken != 1:
                        continue  # another worker won this one
                    row = conn.execute(select(oa_events).where(oa_events.c.id == row_id)).one()
                return Claim(row.id, token, worker, lease_until, row.attempts, _event(row))

    def _settle(self, claim: Claim, values: dict[str, Any]) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(
                update(oa_events).where(and_(oa_events.c.id == claim.row_id, oa_events.c.claim_token == claim.token,
                                             oa_events.c.state == PENDING))
                .values(**values)).rowcount == 1

    def mark_done(self, claim: Claim) -> bool:
        """Finish a claimed event; False when the lease was lost (the event is someone else's now)."""
        return self._settle(claim, {"state": DONE, "done_at": self._now(), "lease_until": None, "last_error": None})

    def release(self, claim: Claim, *, error: str | None = None, retry_after_s: float = 0.0) -> bool:
        """Give a claimed event back, to be retried after ``retry_after_s``."""
        return self._settle(claim, {"claimed_by": None, "claim_token": None, "last_error": error,
                                    "lease_until": self._now() + timedelta(seconds=retry_after_s)})

    def extend(self, claim: Claim) -> Claim | None:
        """Renew a lease for long work; None when it was lost."""
        lease_until = self._now() + timedelta(seconds=self.lease_s)
        if not self._settle(claim, {"lease_until": lease_until}):
            return None
        return Claim(claim.row_id, claim.token, claim.worker, lease_until, claim.attempts, claim.event)

    # reading (diagnostics, tests, the later processing step)
    def count(self, *, state: str | None = None) -> int:
        query = select(func.count()).select_from(oa_events)
        if state:
            query = query.where(oa_events.c.state == state)
        with self.engine.begin() as conn:
            return int(conn.execute(query).scalar_one())

    def events(self, *, instance_id: str | None = None) -> list[dict]:
        query = select(oa_events).order_by(oa_events.c.id)
        if instance_id:
            query = query.where(oa_events.c.instance_id == instance_id)
        with self.engine.begin() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def _event(row) -> InboundEvent:
    return InboundEvent(row.event_type, dict(row.payload), row.channel, row.event_id, row.corp_id)
