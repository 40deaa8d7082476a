"""What the dashboard must remember across its own restarts: revoked sessions and sign-in lockouts.

A signed cookie is valid until it expires, so "logged out" and "this name is locked" have to be
kept outside the process, or a restart would revive a logged-out session and unlock a name being
guessed. Like the channel's one-use signatures (connectors/replay.py): SQLite under ``var_dir``
(``web_state.db``; survives restarts of one host) by default, Redis when ``DINGK3_REDIS_URL`` is set
(shared by replicas). Both store wall-clock expiry times and forget an entry once it expired:

- ``revoke(sid, expires)`` / ``revoked(sid)``: a logged-out session id, kept until its cookie expires;
- ``tries(name)`` -> (failures, locked_until); ``fail(name, lockout_after, lockout_s, now)`` counts a
  wrong password atomically and locks the name for ``lockout_s`` when it reaches ``lockout_after``
  (failures are forgotten ``lockout_s`` after the last one); ``clear(name)`` after a good password.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

from rasa_project import sqlite_tx


class WebState(Protocol):
    def revoke(self, sid: str, expires: float) -> None: ...

    def revoked(self, sid: str) -> bool: ...

    def tries(self, name: str) -> tuple[int, float]: ...

    def fail(self, name: str, lockout_after: int, lockout_s: int, now: float) -> bool: ...

    def clear(self, name: str) -> None: ...


class MemoryWebState:
    """In this process only (unit tests; never what the app uses)."""

    def __init__(self, clock=time.time) -> None:
        self._clock = clock
        self._revoked: dict[str, float] = {}
        self._tries: dict[str, tuple[int, float, float]] = {}  # name -> failures, locked_until, forget_at
        self._lock = threading.Lock()

    def revoke(self, sid: str, expires: float) -> None:
        with self._lock:
            now = self._clock()
            self._revoked = {s: e for s, e in self._revoked.items() if e > now}
            self._revoked[sid] = expires

    def revoked(self, sid: str) -> bool:
        with self._lock:
            return self._revoked.get(sid, 0.0) > self._clock()

    def tries(self, name: str) -> tuple[int, float]:
        with self._lock:
            failures, locked_until, forget_at = self._tries.get(name, (0, 0.0, 0.0))
            return (failures, locked_until) if forget_at > self._clock() else (0, 0.0)

    def fail(self, name: str, lockout_after: int, lockout_s: int, now: float) -> bool:
        with self._lock:
            failures, locked_until, forget_at = self._tries.get(name, (0, 0.0, 0.0))
            if forget_at <= now:
                failures, locked_until = 0, 0.0
            failures += 1
            locked = failures >= lockout_after
            if locked:
                failures, locked_until = 0, now + lockout_s
            self._tries[name] = (failures, locked_until, now + lockout_s)
            return locked

    def clear(self, name: str) -> None:
        with self._lock:
            self._tries.pop(name, None)


class SQLiteWebState:
    def __init__(self, path: Path, *, clock=time.time) -> None:
        self.path, self._clock = Path(path), clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = self._connect()
        try:
            db.execute("CREATE TABLE IF NOT EXISTS revoked (sid TEXT PRIMARY KEY, expires_at REAL NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS login_tries (name TEXT PRIMARY KEY, failures INTEGER NOT NULL, "
                       "locked_until REAL NOT NULL, forget_at REAL NOT NULL)")
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        # one short connection per call: the app calls this from worker threads
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    def revoke(self, sid: str, expires: float) -> None:
        def work(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM revoked WHERE expires_at <= ?", (self._clock(),))
            db.execute("INSERT OR REPLACE INTO revoked (sid, expires_at) VALUES (?, ?)", (sid, float(expires)))

        sqlite_tx.immediate(self._connect(), work)

    def revoked(self, sid: str) -> bool:
        db = self._connect()
        try:
            row = db.execute("SELECT 1 FROM revoked WHERE sid = ? AND expires_at > ?", (sid, self._clock())).fetchone()
        finally:
            db.close()
        return row is not None

    def tries(self, name: str) -> tuple[int, float]:
        db = self._connect()
        try:
            row = db.execute("SELECT failures, locked_until FROM login_tries WHERE name = ? AND forget_at > ?",
                             (name, self._clock())).fetchone()
        finally:
            db.close()
        return (int(row[0]), float(row[1])) if row else (0, 0.0)

    def fail(self, name: str, lockout_after: int, lockout_s: int, now: float) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT failures, locked_until FROM login_tries WHERE name = ? AND forget_at > ?",
                             (name, now)).fetchone()
            failures, locked_until = (int(row[0]), float(row[1])) if row else (0, 0.0)
            failures += 1
            locked = failures >= lockout_after
            if locked:
                failures, locked_until = 0, now + lockout_s
            db.execute("INSERT OR REPLACE INTO login_tries (name, failures, locked_until, forget_at) "
                       "VALUES (?, ?, ?, ?)", (name, failures, locked_until, now + lockout_s))
            db.execute("DELETE FROM login_tries WHERE forget_at <= ?", (now,))
            return locked

        return sqlite_tx.immediate(self._connect(), work)

    def clear(self, name: str) -> None:
        db = self._connect()
        try:
            db.execute("DELETE FROM login_tries WHERE name = ?", (name,))
        finally:
            db.close()


# one failure, atomically: KEYS[1] the name's hash; ARGV lockout_after, now, lockout_s
_FAIL = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local locked = 0
if failures >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'failures', 0, 'locked_until', tonumber(ARGV[2]) + tonumber(ARGV[3]))
  locked = 1
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return locked
"""


class RedisWebState:
    def __init__(self, url: str, *, prefix: str = "dingk3:web:", client=None, clock=time.time) -> None:
        import redis

        self.prefix, self._clock = prefix, clock
        self._redis = client or redis.Redis.from_url(url)
        self._fail = self._redis.register_script(_FAIL)

    def revoke(self, sid: str, expires: float) -> None:
        ttl = int(expires - self._clock()) + 1
        if ttl > 0:
            self._redis.set(f"{self.prefix}revoked:{sid}", "1", ex=ttl)

    def revoked(self, sid: str) -> bool:
        return bool(self._redis.exists(f"{self.prefix}revoked:{sid}"))

    def tries(self, name: str) -> tuple[int, float]:
        values = self._redis.hmget(f"{self.prefix}login:{name}", "failures", "locked_until")
        return int(values[0] or 0), float(values[1] or 0.0)

    def fail(self, name: str, lockout_after: int, lockout_s: int, now: float) -> bool:
        return bool(self._fail(keys=[f"{self.prefix}login:{name}"], args=[int(lockout_after), float(now), int(lockout_s)]))

    def clear(self, name: str) -> None:
        self._redis.delete(f"{self.prefix}login:{name}")


def make_web_state(settings) -> WebState:
    if settings.redis_url:
        return RedisWebState(settings.redis_url)
    return SQLiteWebState(Path(settings.var_dir) / "web_state.db")
