"""One-use callback signatures, and the small "first claim wins" store behind them.

DingTalk's robot signature covers only the timestamp (spec §1.1), so a captured ``timestamp`` +
``sign`` pair would otherwise authenticate any body for the whole window. ``ReplayGuard``
remembers, for each pair it accepted, which message it came with (the message id and a digest
of the body): the same pair with the same message is DingTalk delivering again (the msgId dedupe
then decides it is not processed twice); with anything else it is a replay, refused.

``ClaimStore.claim(key, value, ttl_s)`` stores ``value`` under ``key`` unless the key already
holds one, and returns the value that was there (None when this call claimed it). SQLite (a file
under ``var_dir``) survives restarts of one host; Redis (``SET NX EX``) is shared by replicas.
The channel also keeps its 1:1 conversation owners in the same store (connectors/speakers.py).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol


class ClaimStore(Protocol):
    def claim(self, key: str, value: str, ttl_s: int) -> str | None:
        """Store ``value`` under ``key`` if the key is free (or expired); return the value already held."""


class SQLiteClaims:
    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path, self._clock = Path(path), clock
        self._writes = 0
        self._lock = threading.Lock()  # this process's claims queue here, not in SQLite's busy handler
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")  # one synced log append per claim (FULL: still durable)
            db.execute("CREATE TABLE IF NOT EXISTS claims "
                       "(key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        # one short connection per call: the channel calls this from worker threads
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")
        return db

    def claim(self, key: str, value: str, ttl_s: int) -> str | None:
        with self._lock:
            now = self._clock()
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                row = db.execute("SELECT value FROM claims WHERE key = ? AND expires_at > ?",
                                 (key, now)).fetchone()
                if row is None:
                    db.execute("INSERT OR REPLACE INTO claims (key, value, expires_at) VALUES (?, ?, ?)",
                               (key, value, now + ttl_s))
                    self._writes += 1
                    if self._writes % 256 == 0:  # prune now and then, not on every message
                        db.execute("DELETE FROM claims WHERE expires_at <= ?", (now,))
                db.execute("COMMIT")
                return None if row is None else row[0]
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            finally:
                db.close()


class RedisClaims:
    def __init__(self, url: str, *, prefix: str = "dingk3:dingtalk:claim:", client=None) -> None:
        import redis

        self.prefix = prefix
        self._redis = client or redis.Redis.from_url(url)

    def claim(self, key: str, value: str, ttl_s: int) -> str | None:
        for _ in range(3):  # the holder may expire between SET NX and GET: then claim again
            if self._redis.set(self.prefix + key, value, nx=True, ex=max(1, int(ttl_s))):
                return None
            held = self._redis.get(self.prefix + key)
            if held is not None:
                return held.decode("utf-8") if isinstance(held, bytes) else str(held)
        raise RuntimeError(f"claim {key!r} kept expiring")


def make_claim_store(settings) -> ClaimStore:
    if settings.redis_url:
        return RedisClaims(settings.redis_url)
    return SQLiteClaims(Path(settings.var_dir) / "dingtalk_claims.db")


# --- one-use signatures --------------------------------------------------------------------------
class Verdict(str, enum.Enum):
    FIRST = "first"  # the pair was never used: this message owns it now
    REDELIVERY = "redelivery"  # the pair came with this very message before
    REPLAY = "replay"  # the pair belongs to another message: refuse


def body_digest(body: Any) -> str:
    """A digest of the decoded body, independent of key order and whitespace."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ReplayGuard:
    def __init__(self, claims: ClaimStore, window_s: int) -> None:
        self.claims = claims
        # a timestamp up to window_s in the future stays valid until window_s after it
        self.ttl_s = 2 * window_s + 60

    @staticmethod
    def _key(timestamp: str, signature: str) -> str:
        return "sig:" + hashlib.sha256(f"{timestamp}\n{signature}".encode()).hexdigest()

    def check(self, timestamp: str, signature: str, message_id: str, digest: str) -> Verdict:
        """Record the first use of a valid (timestamp, sign) pair and judge every later one."""
        identity = f"{message_id}\n{digest}"
        held = self.claims.claim(self._key(timestamp, signature), identity, self.ttl_s)
        if held is None:
            return Verdict.FIRST
        return Verdict.REDELIVERY if hmac.compare_digest(held, identity) else Verdict.REPLAY
