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

from rasa_project.sqlite_tx import immediate


class ClaimStore(Protocol):
    def claim(self, key: str, value: str, ttl_s: int) -> str | None:
        """Store ``value`` under ``key`` if the key is free (or expired); return the value already held."""

    # optional: ``claim_many`` (below) falls back to one ``claim`` after the other


def claim_many(store: ClaimStore, items: list[tuple[str, str, int]]) -> list[str | None]:
    """``claim`` for each ``(key, value, ttl_s)`` in order, as one write where the store can (one
    transaction, one pipeline): what the channel's acknowledgement does for a batch of callbacks."""
    many = getattr(type(store), "claim_many", None)
    if many is not None:
        return many(store, items)
    return [store.claim(key, value, ttl_s) for key, value, ttl_s in items]


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
        return self.claim_many([(key, value, ttl_s)])[0]

    def claim_many(self, items: list[tuple[str, str, int]]) -> list[str | None]:
        """One transaction (one synced commit) for all of them; a key twice in ``items`` is claimed
        by the first, as one call after the other would."""
        with self._lock:
            now = self._clock()

            def work(db: sqlite3.Connection) -> list[str | None]:
                keys = list(dict.fromkeys(key for key, _, _ in items))
                held = dict(db.execute(
                    f"SELECT key, value FROM claims WHERE expires_at > ? AND key IN ({','.join('?' * len(keys))})",
                    (now, *keys)).fetchall())
                out, rows = [], []
                for key, value, ttl_s in items:
                    out.append(held.get(key))
                    if key not in held:
                        held[key] = value
                        rows.append((key, value, now + ttl_s))
                db.executemany("INSERT OR REPLACE INTO claims (key, value, expires_at) VALUES (?, ?, ?)", rows)
                before, self._writes = self._writes, self._writes + len(rows)
                if before // 256 != self._writes // 256:  # prune now and then, not on every message
                    db.execute("DELETE FROM claims WHERE expires_at <= ?", (now,))
                return out

            return immediate(self._connect(), work)


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

    def claim_many(self, items: list[tuple[str, str, int]]) -> list[str | None]:
        """``SET NX EX`` for all in one pipeline (in order: a key twice is the first's), then one
        ``GET`` pipeline for those already held."""
        pipe = self._redis.pipeline(transaction=False)
        for key, value, ttl_s in items:
            pipe.set(self.prefix + key, value, nx=True, ex=max(1, int(ttl_s)))
        claimed = pipe.execute()
        lost = [i for i, ok in enumerate(claimed) if not ok]
        out: list[str | None] = [None] * len(items)
        if lost:
            pipe = self._redis.pipeline(transaction=False)
            for i in lost:
                pipe.get(self.prefix + items[i][0])
            for i, held in zip(lost, pipe.execute()):
                if held is None:  # expired in between: claim it on its own
                    out[i] = self.claim(*items[i])
                else:
                    out[i] = held.decode("utf-8") if isinstance(held, bytes) else str(held)
        return out


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
        return self.check_many([(timestamp, signature, message_id, digest)])[0]

    def check_many(self, uses: list[tuple[str, str, str, str]]) -> list[Verdict]:
        """``check`` for each ``(timestamp, signature, message_id, digest)``, in order, in one write."""
        identities = [f"{message_id}\n{digest}" for _, _, message_id, digest in uses]
        held = claim_many(self.claims, [(self._key(ts, sig), identity, self.ttl_s)
                                        for (ts, sig, _, _), identity in zip(uses, identities)])
        return [Verdict.FIRST if h is None else Verdict.REDELIVERY if hmac.compare_digest(h, identity)
                else Verdict.REPLAY for h, identity in zip(held, identities)]
