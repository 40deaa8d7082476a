"""The channel's reply queue, durable and shared: per-conversation order, leased claims, shared pacing.

A reply is stored before anything tries to send it, so a crashed process loses nothing; any
process holding the same store can send it. The rules every store keeps:

- **order**: only the oldest reply of a conversation can be claimed, and only while no one holds
  that conversation's lease; the next one becomes claimable when the holder marks it ``done``.
- **once**: a claim is a lease (``lease_s``) renewed while the send runs; ``done`` removes the
  reply only for the lease's holder. A process that dies holding a lease stops renewing it and the
  reply is claimed again by another sender after the lease ends. (The one case left is a crash
  between DingTalk accepting the HTTP call and ``done``: the taker sends that reply again — DingTalk
  has no idempotency key to ask; ``docs/TOPOLOGY.md``.)
- **pacing**: ``pace(conversation, limit, period_s)`` takes a slot of a sliding window kept in the
  store, so DingTalk's per-conversation limit holds across replicas (Redis: one Lua script on
  Redis' own clock; SQLite: one ``BEGIN IMMEDIATE`` transaction).

Stores: ``RedisReplyStore`` (``DINGK3_REDIS_URL``; replicas), ``SQLiteReplyStore`` (a file under
``var_dir``; the processes of one host), ``MemoryReplyStore`` (one process; unit tests).
The payload is an opaque string (``connectors.outbox`` stores the destination and the message).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rasa_project.sqlite_tx import immediate


@dataclass(frozen=True)
class Claim:
    """One reply handed to one sender: the head of its conversation, under ``token``'s lease."""

    item_id: str
    conversation_id: str
    payload: str
    token: str
    enqueued_at: float  # store clock, seconds


class ReplyStore(Protocol):
    def push(self, conversation_id: str, payload: str, key: str | None = None) -> str | None:
        """Append a reply to its conversation's queue; returns its id. With ``key`` (the turn's
        message and the reply's place in it) a reply pushed before under the same key is not
        pushed again (None): a turn run again after its process died does not say it twice."""

    def claim(self, owner: str, lease_s: float) -> Claim | None:
        """The head of a conversation that is due and not leased, now leased to ``owner``; else None."""

    def renew(self, claim: Claim, lease_s: float) -> bool:
        """Extend the lease; False when it was lost (ended and taken over)."""

    def done(self, claim: Claim) -> bool:
        """Remove the reply (only for the lease's holder); False when the lease was lost."""

    def release(self, claim: Claim, retry_in_s: float = 0.0) -> bool:
        """Give the lease back, the reply stays at the head (claimable again after ``retry_in_s``)."""

    def pace(self, conversation_id: str, limit: int, period_s: float, now: float) -> float:
        """Take a send slot: 0.0 when taken, else the seconds until one frees (``now`` is the
        caller's clock for the memory store; SQLite reads the host's monotonic clock inside its
        write lock, Redis its own clock inside the script)."""

    def pending(self, item_ids: Iterable[str]) -> set[str]:
        """Which of these replies are still queued."""

    def stats(self) -> tuple[int, float]:
        """(replies queued, age in seconds of the oldest one)."""


KEY_TTL_S = 24 * 3600.0  # how long a pushed reply's key is remembered (reruns come within minutes)


def new_token(owner: str) -> str:
    return f"{owner}:{uuid.uuid4().hex[:12]}"


# --- one process --------------------------------------------------------------------------------
class MemoryReplyStore:
    """The same rules inside one process (no durability); time from ``clock``."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._queues: dict[str, deque[tuple[str, str, float]]] = {}
        self._leases: dict[str, tuple[str, float]] = {}  # conversation -> (token, until)
        self._due: dict[str, float] = {}
        self._sent: dict[str, deque[float]] = {}
        self._seq = 0
        self._keys: dict[str, float] = {}

    def push(self, conversation_id: str, payload: str, key: str | None = None) -> str | None:
        if key is not None:
            now = self._clock()
            if self._keys.get(key, float("-inf")) > now - KEY_TTL_S:
                return None
            self._keys[key] = now
        self._seq += 1
        item_id = str(self._seq)
        self._queues.setdefault(conversation_id, deque()).append((item_id, payload, self._clock()))
        return item_id

    def claim(self, owner: str, lease_s: float) -> Claim | None:
        now = self._clock()
        for conversation_id, queue in self._queues.items():
            lease = self._leases.get(conversation_id)
            if not queue or (lease and lease[1] > now) or self._due.get(conversation_id, 0) > now:
                continue
            token = new_token(owner)
            self._leases[conversation_id] = (token, now + lease_s)
            item_id, payload, enqueued = queue[0]
            return Claim(item_id, conversation_id, payload, token, enqueued)
        return None

    def _holds(self, claim: Claim) -> bool:
        lease = self._leases.get(claim.conversation_id)
        return bool(lease and lease[0] == claim.token and lease[1] > self._clock())

    def renew(self, claim: Claim, lease_s: float) -> bool:
        if not self._holds(claim):
            return False
        self._leases[claim.conversation_id] = (claim.token, self._clock() + lease_s)
        return True

    def done(self, claim: Claim) -> bool:
        if not self._holds(claim):
            return False
        queue = self._queues[claim.conversation_id]
        if queue and queue[0][0] == claim.item_id:
            queue.popleft()
        if not queue:
            del self._queues[claim.conversation_id]
        del self._leases[claim.conversation_id]
        return True

    def release(self, claim: Claim, retry_in_s: float = 0.0) -> bool:
        if not self._holds(claim):
            return False
        del self._leases[claim.conversation_id]
        self._due[claim.conversation_id] = self._clock() + retry_in_s
        return True

    def pace(self, conversation_id: str, limit: int, period_s: float, now: float) -> float:
        sent = self._sent.setdefault(conversation_id, deque())
        while sent and sent[0] <= now - period_s:
            sent.popleft()
        if len(sent) < max(1, limit):
            sent.append(now)
            return 0.0
        return sent[0] + period_s - now

    def pending(self, item_ids: Iterable[str]) -> set[str]:
        queued = {item_id for queue in self._queues.values() for item_id, _, _ in queue}
        return set(item_ids) & queued

    def stats(self) -> tuple[int, float]:
        heads = [queue[0][2] for queue in self._queues.values() if queue]
        depth = sum(len(queue) for queue in self._queues.values())
        return depth, (self._clock() - min(heads)) if heads else 0.0


# --- the processes of one host --------------------------------------------------------------------
class SQLiteReplyStore:
    """A file under ``var_dir``; every step one short ``BEGIN IMMEDIATE`` transaction (wall clock)."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time,
                 pace_clock: Callable[[], float] = time.monotonic) -> None:
        self.path, self._clock, self._pace_clock = Path(path), clock, pace_clock
        self.last_pace_at: float | None = None  # the store's time of the last slot granted (tests read it)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = self._connect()
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("BEGIN IMMEDIATE")
            db.execute("CREATE TABLE IF NOT EXISTS replies (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                       "conversation_id TEXT NOT NULL, payload TEXT NOT NULL, enqueued_at REAL NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS ix_replies_conversation ON replies (conversation_id, id)")
            db.execute("CREATE TABLE IF NOT EXISTS leases (conversation_id TEXT PRIMARY KEY, "
                       "token TEXT, until REAL NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS sends (conversation_id TEXT NOT NULL, at REAL NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS ix_sends_conversation ON sends (conversation_id, at)")
            db.execute("CREATE TABLE IF NOT EXISTS pushed (key TEXT PRIMARY KEY, at REAL NOT NULL)")
            db.execute("COMMIT")
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        # one short connection per call: senders call this from worker threads and several processes
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: a committed reply survives a process crash
        return db

    def _tx(self, work):
        return immediate(self._connect(), work)

    def push(self, conversation_id: str, payload: str, key: str | None = None) -> str | None:
        now = self._clock()

        def work(db: sqlite3.Connection) -> str | None:
            if key is not None:
                db.execute("DELETE FROM pushed WHERE key = ? AND at <= ?", (key, now - KEY_TTL_S))
                if db.execute("INSERT OR IGNORE INTO pushed (key, at) VALUES (?, ?)", (key, now)).rowcount == 0:
                    return None
            item = db.execute("INSERT INTO replies (conversation_id, payload, enqueued_at) VALUES (?, ?, ?)",
                              (conversation_id, payload, now)).lastrowid
            if item % 256 == 0:  # forget old keys now and then
                db.execute("DELETE FROM pushed WHERE at <= ?", (now - KEY_TTL_S,))
            return str(item)

        return self._tx(work)

    def claim(self, owner: str, lease_s: float) -> Claim | None:
        now = self._clock()

        def work(db: sqlite3.Connection) -> Claim | None:
            row = db.execute(
                "SELECT r.id, r.conversation_id, r.payload, r.enqueued_at FROM replies r "
                "LEFT JOIN leases l ON l.conversation_id = r.conversation_id "
                "WHERE r.id = (SELECT MIN(id) FROM replies h WHERE h.conversation_id = r.conversation_id) "
                "AND (l.until IS NULL OR l.until <= ?) ORDER BY r.id LIMIT 1", (now,)).fetchone()
            if row is None:
                return None
            token = new_token(owner)
            db.execute("INSERT OR REPLACE INTO leases (conversation_id, token, until) VALUES (?, ?, ?)",
                       (row[1], token, now + lease_s))
            return Claim(str(row[0]), row[1], row[2], token, row[3])

        return self._tx(work)

    def renew(self, claim: Claim, lease_s: float) -> bool:
        now = self._clock()
        return self._tx(lambda db: db.execute(
            "UPDATE leases SET until = ? WHERE conversation_id = ? AND token = ? AND until > ?",
            (now + lease_s, claim.conversation_id, claim.token, now)).rowcount == 1)

    def done(self, claim: Claim) -> bool:
        now = self._clock()

        def work(db: sqlite3.Connection) -> bool:
            held = db.execute("DELETE FROM leases WHERE conversation_id = ? AND token = ? AND until > ?",
                              (claim.conversation_id, claim.token, now)).rowcount == 1
            if held:
                db.execute("DELETE FROM replies WHERE id = ?", (int(claim.item_id),))
                if int(claim.item_id) % 64 == 0:  # prune the pacing log now and then
                    # the log holds pace-clock (monotonic) times: pruning by the wall clock would wipe
                    # every conversation's window and so lift DingTalk's per-minute budget
                    clock = self._pace_clock()  # (times beyond the clock: from before a reboot)
                    db.execute("DELETE FROM sends WHERE at < ? OR at > ?", (clock - 3600, clock + 3600))
            return held

        return self._tx(work)

    def release(self, claim: Claim, retry_in_s: float = 0.0) -> bool:
        now = self._clock()
        # keeping the row with no token and a future "until" makes the conversation due later
        return self._tx(lambda db: db.execute(
            "UPDATE leases SET token = NULL, until = ? WHERE conversation_id = ? AND token = ? AND until > ?",
            (now + retry_in_s, claim.conversation_id, claim.token, now)).rowcount == 1)

    def pace(self, conversation_id: str, limit: int, period_s: float, now: float) -> float:
        # The time is read inside the write lock, not the caller's: a caller that waited for the lock
        # with an older time would count against a window another process already moved on.
        # CLOCK_MONOTONIC is one clock for all processes of the host (the file's only users).
        def work(db: sqlite3.Connection) -> float:
            # Recorded times never go back in lock order, so a clock that reads a hair behind the
            # last grant (another process's read) cannot open a slot inside that grant's window.
            clock = self._pace_clock()
            latest = db.execute("SELECT MAX(at) FROM sends WHERE conversation_id = ?", (conversation_id,)).fetchone()[0]
            if latest is not None and latest > clock + period_s:
                # the host's monotonic clock started again (a reboot; the file outlived it): the
                # recorded times belong to the old clock and no longer say anything
                db.execute("DELETE FROM sends WHERE conversation_id = ?", (conversation_id,))
                latest = None
            now = max(clock, latest) if latest is not None else clock
            db.execute("DELETE FROM sends WHERE conversation_id = ? AND at <= ?", (conversation_id, now - period_s))
            times = [t for (t,) in db.execute("SELECT at FROM sends WHERE conversation_id = ? ORDER BY at",
                                              (conversation_id,))]
            if len(times) < max(1, limit):
                db.execute("INSERT INTO sends (conversation_id, at) VALUES (?, ?)", (conversation_id, now))
                self.last_pace_at = now
                return 0.0
            return times[len(times) - max(1, limit)] + period_s - now

        return self._tx(work)

    def pending(self, item_ids: Iterable[str]) -> set[str]:
        ids = [int(i) for i in item_ids]
        if not ids:
            return set()
        db = self._connect()
        try:
            found = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                found |= {str(i) for (i,) in db.execute(f"SELECT id FROM replies WHERE id IN ({marks})", chunk)}
            return found
        finally:
            db.close()

    def stats(self) -> tuple[int, float]:
        db = self._connect()
        try:
            depth, oldest = db.execute("SELECT COUNT(*), MIN(enqueued_at) FROM replies").fetchone()
        finally:
            db.close()
        return depth, (self._clock() - oldest) if oldest is not None else 0.0


# --- replicas ------------------------------------------------------------------------------------
# Keys (prefix P): P seq (INCR), P items (hash id -> conversation \n payload), P enq (zset id -> ms),
# P q:<conversation> (list of ids, oldest first), P ready (zset conversation -> ms it is due),
# P lease:<conversation> (token, PX lease), P pace:<conversation> (zset of send times).
# KEYS: seq, items, enq, queue, ready, once:<key>; ARGV: conversation, payload, key ttl ms (0: no key)
_PUSH = """
if tonumber(ARGV[3]) > 0 and not redis.call('SET', KEYS[6], '1', 'NX', 'PX', tonumber(ARGV[3])) then
  return 0
end
local id = redis.call('INCR', KEYS[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[2], id, ARGV[1] .. '\\n' .. now .. '\\n' .. ARGV[2])
redis.call('ZADD', KEYS[3], now, id)
redis.call('RPUSH', KEYS[4], id)
redis.call('ZADD', KEYS[5], 'NX', now, ARGV[1])
return id
"""

# KEYS: ready, items; ARGV: prefix, token, lease ms, how many due conversations to look at
_CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
for _, conv in ipairs(due) do
  local lease = ARGV[1] .. 'lease:' .. conv
  if redis.call('EXISTS', lease) == 0 then
    local head = redis.call('LINDEX', ARGV[1] .. 'q:' .. conv, 0)
    if not head then
      redis.call('ZREM', KEYS[1], conv)
    else
      redis.call('SET', lease, ARGV[2], 'PX', tonumber(ARGV[3]))
      redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), conv)
      return {conv, head, redis.call('HGET', KEYS[2], head)}
    end
  end
end
return false
"""

# KEYS: lease, ready; ARGV: token, lease ms, conversation
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])
return 1
"""

# KEYS: lease, ready, queue, items, enq; ARGV: token, conversation, item id, retry ms (-1 = done)
_FINISH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('DEL', KEYS[1])
local retry = tonumber(ARGV[4])
if retry < 0 then
  if redis.call('LINDEX', KEYS[3], 0) == ARGV[3] then redis.call('LPOP', KEYS[3]) end
  redis.call('HDEL', KEYS[4], ARGV[3])
  redis.call('ZREM', KEYS[5], ARGV[3])
  retry = 0
end
if redis.call('LLEN', KEYS[3]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[2])
else
  redis.call('ZADD', KEYS[2], now + retry, ARGV[2])
end
return 1
"""

# KEYS: pace zset; ARGV: limit, period ms, unique member suffix
_PACE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local limit = tonumber(ARGV[1])
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], period)
  return {0, now}
end
local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return {tonumber(oldest[2]) + period - now, now}
"""


class RedisReplyStore:
    def __init__(self, url: str, *, prefix: str = "dingk3:replies:", client=None, scan: int = 64) -> None:
        import redis

        self.prefix, self.scan = prefix, scan
        self.red = client or redis.Redis.from_url(url)
        self._push = self.red.register_script(_PUSH)
        self._claim = self.red.register_script(_CLAIM)
        self._renew = self.red.register_script(_RENEW)
        self._finish = self.red.register_script(_FINISH)
        self._pace = self.red.register_script(_PACE)
        self.last_pace_ms: int | None = None  # Redis' clock at the last granted slot (tests read it)

    def _k(self, *parts: str) -> str:
        return self.prefix + "".join(parts)

    def push(self, conversation_id: str, payload: str, key: str | None = None) -> str | None:
        if "\n" in conversation_id:
            raise ValueError("a conversation id has no newline")
        item_id = self._push(keys=[self._k("seq"), self._k("items"), self._k("enq"), self._k("q:", conversation_id),
                                   self._k("ready"), self._k("once:", key or "")],
                             args=[conversation_id, payload, int(KEY_TTL_S * 1000) if key is not None else 0])
        return str(int(item_id)) if int(item_id) else None

    def claim(self, owner: str, lease_s: float) -> Claim | None:
        token = new_token(owner)
        found = self._claim(keys=[self._k("ready"), self._k("items")],
                            args=[self.prefix, token, max(1, int(lease_s * 1000)), self.scan])
        if not found:
            return None
        conversation_id, item_id, stored = (v.decode("utf-8") if isinstance(v, bytes) else v for v in found)
        _conv, enqueued_ms, payload = stored.split("\n", 2)
        return Claim(item_id, conversation_id, payload, token, int(enqueued_ms) / 1000)

    def renew(self, claim: Claim, lease_s: float) -> bool:
        return bool(self._renew(keys=[self._k("lease:", claim.conversation_id), self._k("ready")],
                                args=[claim.token, max(1, int(lease_s * 1000)), claim.conversation_id]))

    def _end(self, claim: Claim, retry_ms: int) -> bool:
        conv = claim.conversation_id
        return bool(self._finish(
            keys=[self._k("lease:", conv), self._k("ready"), self._k("q:", conv), self._k("items"), self._k("enq")],
            args=[claim.token, conv, claim.item_id, retry_ms]))

    def done(self, claim: Claim) -> bool:
        return self._end(claim, -1)

    def release(self, claim: Claim, retry_in_s: float = 0.0) -> bool:
        return self._end(claim, max(0, int(retry_in_s * 1000)))

    def pace(self, conversation_id: str, limit: int, period_s: float, now: float) -> float:
        wait_ms, redis_now = self._pace(keys=[self._k("pace:", conversation_id)],
                                        args=[max(1, limit), max(1, int(period_s * 1000)), uuid.uuid4().hex[:8]])
        if int(wait_ms) <= 0:
            self.last_pace_ms = int(redis_now)
            return 0.0
        return int(wait_ms) / 1000

    def pending(self, item_ids: Iterable[str]) -> set[str]:
        ids = list(item_ids)
        if not ids:
            return set()
        scores = self.red.zmscore(self._k("enq"), ids)
        return {i for i, score in zip(ids, scores, strict=True) if score is not None}

    def stats(self) -> tuple[int, float]:
        pipe = self.red.pipeline()
        pipe.zcard(self._k("enq"))
        pipe.zrange(self._k("enq"), 0, 0, withscores=True)
        pipe.time()
        depth, oldest, (sec, usec) = pipe.execute()
        if not oldest:
            return int(depth), 0.0
        return int(depth), max(0.0, sec + usec / 1e6 - oldest[0][1] / 1000)


def make_reply_store(settings) -> ReplyStore:
    if settings.redis_url:
        return RedisReplyStore(settings.redis_url)
    return SQLiteReplyStore(Path(settings.var_dir) / "dingtalk_replies.db")


# --- what a stored reply holds ---------------------------------------------------------------------
def dumps(destination: dict, message: dict, request_id: str | None = None) -> str:
    body = {"to": destination, "message": message}
    if request_id:
        body["rid"] = request_id  # the chat message's request id: the send is logged under it
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def loads(payload: str) -> tuple[dict, dict]:
    body = json.loads(payload)
    return body["to"], body["message"]


def request_id_of(payload: str) -> str | None:
    try:
        return json.loads(payload).get("rid")
    except ValueError:
        return None
