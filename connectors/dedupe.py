"""Exactly-once processing of redelivered DingTalk messages: a "first seen?" store with a TTL.

DingTalk redelivers a callback (same ``msgId``) or a Stream frame (same ``messageId``) when it
did not get a timely ack; the channel asks ``first_seen(key)`` and drops repeats. SQLite (a
file under ``var_dir``) serves one process; Redis ``SET NX EX`` serves several.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol


class DedupeStore(Protocol):
    def first_seen(self, key: str) -> bool:
        """True exactly once per key within the TTL (and records the key)."""


class SQLiteDedupe:
    def __init__(self, path: Path, ttl_s: int, *, clock: Callable[[], float] = time.time) -> None:
        self.path, self.ttl_s, self._clock = Path(path), ttl_s, clock
        self._inserts = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            # WAL (kept in the file): a commit is one synced append to the log instead of a rollback
            # journal written, synced and deleted; synchronous=FULL keeps every commit durable
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, expires_at REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        # One short connection per call: the channel calls this from worker threads.
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")
        return db

    def first_seen(self, key: str) -> bool:
        now = self._clock()
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            cursor = db.execute(
                "INSERT INTO seen (key, expires_at) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at WHERE seen.expires_at <= ?",
                (key, now + self.ttl_s, now),
            )
            is_new = cursor.rowcount == 1
            self._inserts += is_new
            if is_new and self._inserts % 256 == 0:  # prune now and then, not on every message
                db.execute("DELETE FROM seen WHERE expires_at <= ?", (now,))
            db.execute("COMMIT")
            return is_new
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.close()


class RedisDedupe:
    def __init__(self, url: str, ttl_s: int, *, prefix: str = "dingk3:dingtalk:seen:", client=None) -> None:
        import redis

        self.ttl_s, self.prefix = ttl_s, prefix
        self._redis = client or redis.Redis.from_url(url)

    def first_seen(self, key: str) -> bool:
        return bool(self._redis.set(self.prefix + key, 1, nx=True, ex=self.ttl_s))


def make_dedupe_store(settings) -> DedupeStore:
    if settings.redis_url:
        return RedisDedupe(settings.redis_url, settings.dedupe_ttl_s)
    return SQLiteDedupe(Path(settings.var_dir) / "dingtalk_dedupe.db", settings.dedupe_ttl_s)
