"""Exactly-once processing of DingTalk messages: a "first seen?" store with a TTL, and the turns
it accepted kept until they are done.

DingTalk redelivers a callback (same ``msgId``) or a Stream frame (same ``messageId``) when it
did not get a timely ack; the channel asks ``admit(key, payload)`` and drops repeats. SQLite (a
file under ``var_dir``) serves one process; Redis serves several.

The channel acknowledges a message before its Rasa turn runs (DingTalk wants its answer within
seconds), so once a message is admitted, DingTalk will not deliver it again: a process killed
while the turn runs would lose it. ``admit`` therefore also records the turn (the decoded message)
with a **lease**: the process running it renews the lease (``renew``) and removes the record when
the turn is over (``finish``). A record whose lease ran out belongs to a process that died: any
channel's sweeper takes it back (``reclaim``, which re-leases it atomically, so one process gets
it) and runs the turn again, unless the tracker store shows the turn already ran. After
``max_reruns`` reruns a turn is given up (logged), so a message that kills its process cannot loop.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rasa_project.sqlite_tx import immediate


@dataclass(frozen=True)
class Reclaimed:
    key: str
    payload: str | None  # None: given up after max_reruns (the record is gone)
    reruns: int


class DedupeStore(Protocol):
    def first_seen(self, key: str) -> bool:
        """True exactly once per key within the TTL (and records the key)."""

    def admit(self, key: str, payload: str, lease_s: float) -> bool:
        """``first_seen``, and when True the turn ``payload`` is recorded, leased for ``lease_s``."""

    # optional: ``admit_many`` (below) falls back to one ``admit`` after the other

    def renew(self, key: str, lease_s: float) -> None:
        """The turn is still running here: its lease runs ``lease_s`` from now."""

    def finish(self, key: str) -> None:
        """The turn is over (answered, or refused for good): forget its record."""

    def reclaim(self, lease_s: float, limit: int, max_reruns: int) -> list[Reclaimed]:
        """Turns whose lease ran out, now leased to the caller for ``lease_s``."""


def admit_many(store: DedupeStore, items: list[tuple[str, str, float]]) -> list[bool]:
    """``admit`` for each ``(key, payload, lease_s)`` in order, as one write where the store can (one
    transaction, one pipeline): what the channel's acknowledgement does for a batch of callbacks."""
    many = getattr(type(store), "admit_many", None)
    if many is not None:
        return many(store, items)
    return [store.admit(key, payload, lease_s) for key, payload, lease_s in items]


class SQLiteDedupe:
    def __init__(self, path: Path, ttl_s: int, *, clock: Callable[[], float] = time.time) -> None:
        self.path, self.ttl_s, self._clock = Path(path), ttl_s, clock
        self._inserts = 0
        # this process's writers queue here, woken at once, instead of in SQLite's busy handler
        # (which sleeps up to 100 ms between tries); other processes still meet at the file's lock
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            # WAL (kept in the file): a commit is one synced append to the log instead of a rollback
            # journal written, synced and deleted; synchronous=FULL keeps every commit durable
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, expires_at REAL NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS turns (key TEXT PRIMARY KEY, payload TEXT NOT NULL, "
                       "lease_until REAL NOT NULL, reruns INTEGER NOT NULL DEFAULT 0)")

    def _connect(self) -> sqlite3.Connection:
        # One short connection per call: the channel calls this from worker threads.
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")
        return db

    def _write(self, work):
        with self._lock:
            return immediate(self._connect(), work)

    def _first_seen(self, db: sqlite3.Connection, key: str, now: float) -> bool:
        cursor = db.execute(
            "INSERT INTO seen (key, expires_at) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at WHERE seen.expires_at <= ?",
            (key, now + self.ttl_s, now),
        )
        is_new = cursor.rowcount == 1
        self._inserts += is_new
        if is_new and self._inserts % 256 == 0:  # prune now and then, not on every message
            db.execute("DELETE FROM seen WHERE expires_at <= ?", (now,))
        return is_new

    def first_seen(self, key: str) -> bool:
        return self._write(lambda db: self._first_seen(db, key, self._clock()))

    def admit(self, key: str, payload: str, lease_s: float) -> bool:
        return self.admit_many([(key, payload, lease_s)])[0]

    def admit_many(self, items: list[tuple[str, str, float]]) -> list[bool]:
        """One transaction (one synced commit) for all of them; a key twice in ``items`` is the
        first's, as one call after the other would have it."""
        def work(db):
            now = self._clock()
            keys = list(dict.fromkeys(key for key, _, _ in items))
            seen = {k for (k,) in db.execute(
                f"SELECT key FROM seen WHERE expires_at > ? AND key IN ({','.join('?' * len(keys))})",
                (now, *keys))}
            out, rows = [], []
            for key, payload, lease_s in items:
                out.append(key not in seen)
                if key not in seen:
                    seen.add(key)
                    rows.append((key, payload, now + lease_s))
            # the write lock is held since BEGIN IMMEDIATE: nobody recorded these keys meanwhile
            db.executemany("INSERT OR REPLACE INTO seen (key, expires_at) VALUES (?, ?)",
                           [(key, now + self.ttl_s) for key, _, _ in rows])
            db.executemany("INSERT OR REPLACE INTO turns (key, payload, lease_until, reruns) VALUES (?, ?, ?, 0)",
                           rows)
            before, self._inserts = self._inserts, self._inserts + len(rows)
            if before // 256 != self._inserts // 256:  # prune now and then, not on every message
                db.execute("DELETE FROM seen WHERE expires_at <= ?", (now,))
            return out

        return self._write(work)

    def renew(self, key: str, lease_s: float) -> None:
        self._write(lambda db: db.execute("UPDATE turns SET lease_until = ? WHERE key = ?",
                                          (self._clock() + lease_s, key)))

    def finish(self, key: str) -> None:
        self._write(lambda db: db.execute("DELETE FROM turns WHERE key = ?", (key,)))

    def reclaim(self, lease_s: float, limit: int, max_reruns: int) -> list[Reclaimed]:
        def work(db):
            now = self._clock()
            due = db.execute("SELECT key, payload, reruns FROM turns WHERE lease_until <= ? "
                             "ORDER BY lease_until LIMIT ?", (now, limit)).fetchall()
            out = []
            for key, payload, reruns in due:
                if reruns >= max_reruns:
                    db.execute("DELETE FROM turns WHERE key = ?", (key,))
                    out.append(Reclaimed(key, None, reruns))
                    continue
                db.execute("UPDATE turns SET lease_until = ?, reruns = reruns + 1 WHERE key = ?",
                           (now + lease_s, key))
                out.append(Reclaimed(key, payload, reruns + 1))
            return out

        return self._write(work)

    def pending(self) -> int:
        db = self._connect()
        try:
            return db.execute("SELECT COUNT(*) FROM turns").fetchone()[0]
        finally:
            db.close()


# KEYS: seen key, leases (zset), payloads (hash), reruns (hash)   ARGV: key, ttl_s, lease_ms, payload
_ADMIT = """
if not redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[2]) then
  return 0
end
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('ZADD', KEYS[2], ms + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
redis.call('HDEL', KEYS[4], ARGV[1])
return 1
"""

# KEYS: leases   ARGV: key, lease_ms
_RENEW = """
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
return redis.call('ZADD', KEYS[1], 'XX', ms + tonumber(ARGV[2]), ARGV[1])
"""

# KEYS: leases, payloads, reruns   ARGV: lease_ms, limit, max_reruns  -> {key, payload or '', reruns, ...}
_RECLAIM = """
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ms, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, key in ipairs(due) do
  local payload = redis.call('HGET', KEYS[2], key)
  local reruns = tonumber(redis.call('HGET', KEYS[3], key) or '0')
  if (not payload) or reruns >= tonumber(ARGV[3]) then
    redis.call('ZREM', KEYS[1], key)
    redis.call('HDEL', KEYS[2], key)
    redis.call('HDEL', KEYS[3], key)
    table.insert(out, key)
    table.insert(out, '')
    table.insert(out, reruns)
  else
    redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[1]), key)
    reruns = redis.call('HINCRBY', KEYS[3], key, 1)
    table.insert(out, key)
    table.insert(out, payload)
    table.insert(out, reruns)
  end
end
return out
"""


class RedisDedupe:
    """``SET NX EX`` per key; the admitted turns in one sorted set of lease deadlines (Redis's own
    clock, so replicas agree) with their payloads and rerun counts in two hashes. Each step is one
    Lua script, so two sweepers never take the same turn."""

    def __init__(self, url: str, ttl_s: int, *, prefix: str = "dingk3:dingtalk:seen:", client=None,
                 turns_prefix: str = "dingk3:dingtalk:turns:") -> None:
        import redis

        self.ttl_s, self.prefix = ttl_s, prefix
        self._redis = client or redis.Redis.from_url(url)
        self._turn_keys = [turns_prefix + k for k in ("leases", "payloads", "reruns")]
        self._admit = self._redis.register_script(_ADMIT)
        self._renew = self._redis.register_script(_RENEW)
        self._reclaim = self._redis.register_script(_RECLAIM)

    def first_seen(self, key: str) -> bool:
        return bool(self._redis.set(self.prefix + key, 1, nx=True, ex=self.ttl_s))

    def admit(self, key: str, payload: str, lease_s: float) -> bool:
        return bool(self._admit(keys=[self.prefix + key, *self._turn_keys],
                                args=[key, self.ttl_s, int(lease_s * 1000), payload]))

    def admit_many(self, items: list[tuple[str, str, float]]) -> list[bool]:
        """The admit script for each, in order, in one pipeline (each script still atomic)."""
        pipe = self._redis.pipeline(transaction=False)
        for key, payload, lease_s in items:
            self._admit(keys=[self.prefix + key, *self._turn_keys],
                        args=[key, self.ttl_s, int(lease_s * 1000), payload], client=pipe)
        return [bool(first) for first in pipe.execute()]

    def renew(self, key: str, lease_s: float) -> None:
        self._renew(keys=self._turn_keys[:1], args=[key, int(lease_s * 1000)])

    def finish(self, key: str) -> None:
        leases, payloads, reruns = self._turn_keys
        pipe = self._redis.pipeline(transaction=True)
        pipe.zrem(leases, key)
        pipe.hdel(payloads, key)
        pipe.hdel(reruns, key)
        pipe.execute()

    def reclaim(self, lease_s: float, limit: int, max_reruns: int) -> list[Reclaimed]:
        flat = self._reclaim(keys=self._turn_keys, args=[int(lease_s * 1000), limit, max_reruns])
        out = []
        for i in range(0, len(flat), 3):
            key, payload, reruns = flat[i:i + 3]
            key = key.decode() if isinstance(key, bytes) else key
            payload = payload.decode() if isinstance(payload, bytes) else payload
            out.append(Reclaimed(key, payload or None, int(reruns)))
        return out

    def pending(self) -> int:
        return int(self._redis.zcard(self._turn_keys[0]))


def make_dedupe_store(settings) -> DedupeStore:
    if settings.redis_url:
        return RedisDedupe(settings.redis_url, settings.dedupe_ttl_s)
    return SQLiteDedupe(Path(settings.var_dir) / "dingtalk_dedupe.db", settings.dedupe_ttl_s)
