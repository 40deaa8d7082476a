"""A race-free Redis lock store for several Rasa servers (endpoints.production.yml, issue 17 item 2).

Rasa 3.6's open-source ``RedisLockStore`` keeps each conversation's ticket queue as one JSON
value and changes it by GET, change in Python, SET (rasa/core/lock_store.py ``issue_ticket``,
``finish_serving``, ``update_lock``). Two servers issuing a ticket at the same moment both read
the same queue, both write their own version, and one ticket is lost: both servers then believe
they are served and run the same conversation's turns at once (RasaHQ/rasa#11256, #9213). The
stock store also polls once a second.

This store makes every step one atomic Redis operation (Lua scripts, run by Redis as one
command) on per-conversation keys (``<prefix>{<conversation>}:...``; the braces keep a
conversation's keys in one Redis Cluster slot):

- ``n``  counter: ``INCR`` issues tickets in arrival order. A ticket number is also the
  conversation's **fencing token**: it only ever grows.
- ``q``  sorted set of waiting tickets (score = ticket number): first come, first served.
- ``e``  sorted set of ticket deadlines (ms): a waiter refreshes its own on every poll, a holder
  on every renewal; a ticket whose process died lapses after ``lock_lifetime_s``.
- ``h``  the holder (``SET h <ticket> PX lifetime``, only by the head of the queue and only if
  ``h`` is free or already its own); renewed by compare-and-``PEXPIRE``, released by
  compare-and-``DEL``; a lost lease is never extended or released by its old holder.

While a turn runs, a background task renews the lease every third of its lifetime, so a slow
K/3 call does not let the next turn in; a holder that learns it lost the lease (it stalled longer
than the lifetime) logs it and counts it (``lost_leases``). The fence of the lock a turn holds is
in ``current_fence`` (a context variable) for stores that check it.

Redis unreachable (restarted, a network blip) delays a turn instead of failing it: issuing and
polling are tried again with backoff for ``store_outage_s`` (setting).

Registered by module path: ``lock_store: {type: rasa_project.lock_store.AtomicRedisLockStore,
url: redis://...}``; the lifetime and the longest wait come from settings
(``DINGK3_LOCK_LIFETIME_S``, ``DINGK3_LOCK_MAX_WAIT_S``).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LockError, LockStore

from rasa_project import metrics, outage

log = logging.getLogger(__name__)

current_fence: contextvars.ContextVar[tuple[str, int] | None] = contextvars.ContextVar(
    "dingk3_lock_fence", default=None
)

# KEYS: n, q, e   ARGV: lifetime_ms, counter_ttl_ms
_ISSUE = """
local t = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('ZADD', KEYS[2], t, t)
redis.call('ZADD', KEYS[3], ms + tonumber(ARGV[1]), t)
return t
"""

# KEYS: q, e, h   ARGV: ticket, lifetime_ms  -> 1 acquired, 0 wait, -1 the ticket lapsed
_TRY = """
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ms)
for _, t in ipairs(lapsed) do
  redis.call('ZREM', KEYS[1], t)
  redis.call('ZREM', KEYS[2], t)
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return -1
end
redis.call('ZADD', KEYS[2], ms + tonumber(ARGV[2]), ARGV[1])
local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
if head ~= ARGV[1] then
  return 0
end
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
return 1
"""

# KEYS: e, h   ARGV: ticket, lifetime_ms -> 1 renewed, 0 the lease is not ours any more
_RENEW = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', ms + tonumber(ARGV[2]), ARGV[1])
return 1
"""

# KEYS: q, e, h   ARGV: ticket -> 1 it held the lease, 0 it did not
_RELEASE = """
local held = 0
if redis.call('GET', KEYS[3]) == ARGV[1] then
  redis.call('DEL', KEYS[3])
  held = 1
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return held
"""

COUNTER_TTL_MS = 7 * 24 * 3600 * 1000  # fences stay monotonic across a week of silence


class AtomicRedisLockStore(LockStore):
    """Per-conversation FIFO ticket lock in Redis, every step atomic; see the module docstring."""

    def __init__(self, endpoint_config=None, *, url: str | None = None, client=None,
                 lifetime_s: float | None = None, max_wait_s: float | None = None,
                 key_prefix: str | None = None, outage_s: float | None = None) -> None:
        import redis

        kwargs = dict(getattr(endpoint_config, "kwargs", None) or {})
        url = url or getattr(endpoint_config, "url", None)
        if lifetime_s is None or max_wait_s is None:
            from rasa_project.settings import get_settings

            settings = get_settings()
            lifetime_s = settings.lock_lifetime_s if lifetime_s is None else lifetime_s
            max_wait_s = settings.lock_max_wait_s if max_wait_s is None else max_wait_s
        if outage_s is None:
            from rasa_project.settings import get_settings

            outage_s = get_settings().store_outage_s
        self.outage_s = float(outage_s)
        if client is None and not url:
            raise ValueError("AtomicRedisLockStore needs url: redis://host:port/db (DINGK3_REDIS_URL)")
        self.red = client or redis.Redis.from_url(url, socket_timeout=10)
        self.prefix = f"{key_prefix or kwargs.get('key_prefix') or 'dingk3'}:lock:"
        self.lifetime_ms = max(int(lifetime_s * 1000), 1000)
        self.max_wait_s = float(max_wait_s)
        self._issue = self.red.register_script(_ISSUE)
        self._try = self.red.register_script(_TRY)
        self._renew = self.red.register_script(_RENEW)
        self._release = self.red.register_script(_RELEASE)
        self.lost_leases = 0
        self.lock_waits = 0  # turns that had to wait for another turn of their conversation
        super().__init__()

    def _keys(self, conversation_id: str) -> dict[str, str]:
        base = f"{self.prefix}{{{conversation_id}}}:"
        return {k: base + k for k in ("n", "q", "e", "h")}

    # The atomic steps, also used by tests and diagnostics.
    def issue(self, conversation_id: str) -> int:
        k = self._keys(conversation_id)
        return int(self._issue(keys=[k["n"], k["q"], k["e"]], args=[self.lifetime_ms, COUNTER_TTL_MS]))

    def try_acquire(self, conversation_id: str, ticket: int) -> int:
        k = self._keys(conversation_id)
        return int(self._try(keys=[k["q"], k["e"], k["h"]], args=[ticket, self.lifetime_ms]))

    def renew(self, conversation_id: str, ticket: int) -> bool:
        k = self._keys(conversation_id)
        return bool(self._renew(keys=[k["e"], k["h"]], args=[ticket, self.lifetime_ms]))

    def release(self, conversation_id: str, ticket: int) -> bool:
        k = self._keys(conversation_id)
        return bool(self._release(keys=[k["q"], k["e"], k["h"]], args=[ticket]))

    def holder(self, conversation_id: str) -> int | None:
        value = self.red.get(self._keys(conversation_id)["h"])
        return int(value) if value is not None else None

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = 0,
                   wait_time_in_seconds: float = 0) -> AsyncGenerator[TicketLock, None]:
        """Hold ``conversation_id``'s lock for the body (Rasa's own lifetime/wait arguments are
        replaced by the settings: renewal makes the lifetime a failure-detection time only)."""
        try:
            ticket = await self._through_outage(f"a ticket for {conversation_id}", lambda: self.issue(conversation_id))
        except Exception as error:  # Redis away longer than store_outage_s: Rasa answers the turn with an error
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        renewer: asyncio.Task | None = None
        token = None
        try:
            await self._wait_for(conversation_id, ticket)
            renewer = asyncio.ensure_future(self._keep(conversation_id, ticket))
            token = current_fence.set((conversation_id, ticket))
            yield TicketLock(conversation_id, deque([Ticket(ticket, time.time() + self.lifetime_ms / 1000)]))
        finally:
            if token is not None:
                current_fence.reset(token)
            if renewer is not None:
                renewer.cancel()
            try:
                held = self.release(conversation_id, ticket)
                if renewer is not None and not held:
                    self.lost_leases += 1
                    metrics.LOST_LEASES.inc()
                    log.error("lock of conversation %s: ticket %s had lost its lease before the turn ended",
                              conversation_id, ticket)
            except Exception:  # the lease lapses by itself after lock_lifetime_s
                log.exception("lock of conversation %s: release of ticket %s failed", conversation_id, ticket)

    async def _wait_for(self, conversation_id: str, ticket: int) -> None:
        started = time.monotonic()
        deadline = started + self.max_wait_s
        pause, waited = 0.002, False
        while True:
            state = await self._through_outage(f"acquiring {conversation_id}",
                                              lambda: self.try_acquire(conversation_id, ticket))
            if state == 1:
                if waited:
                    metrics.LOCK_WAIT_SECONDS.observe(time.monotonic() - started)
                return
            if state == -1:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}': ticket lapsed.")
            if not waited:
                waited = True
                self.lock_waits += 1
                metrics.LOCK_WAITS.inc()
            if time.monotonic() > deadline:
                self.release(conversation_id, ticket)
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}' "
                                f"within {self.max_wait_s:.0f}s.")
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 0.025)  # contention is rare (one conversation), so poll briskly

    def _through_outage(self, what: str, step):
        """``step()``, tried again while Redis is unreachable, for at most ``outage_s``: a Redis
        restart or a network blip delays the turn instead of failing it."""
        import redis

        return outage.through_outage(
            "lock", what, step,
            transient=lambda error: isinstance(error, (redis.ConnectionError, redis.TimeoutError)),
            outage_s=self.outage_s, first_pause_s=0.05, max_pause_s=1.0)

    async def _keep(self, conversation_id: str, ticket: int) -> None:
        interval = self.lifetime_ms / 3000
        while True:
            await asyncio.sleep(interval)
            try:
                if not self.renew(conversation_id, ticket):
                    self.lost_leases += 1
                    metrics.LOST_LEASES.inc()
                    log.error("lock of conversation %s: ticket %s lost its lease (stalled > %.0fs)",
                              conversation_id, ticket, self.lifetime_ms / 1000)
                    return
            except Exception:
                log.exception("lock of conversation %s: renewal failed; retrying", conversation_id)

    # LockStore's storage interface, for Rasa code that inspects a lock (not used to lock).
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        k = self._keys(conversation_id)
        entries = self.red.zrange(k["e"], 0, -1, withscores=True)
        if not entries:
            return None
        tickets = sorted((int(m), s / 1000) for m, s in entries)
        return TicketLock(conversation_id, deque(Ticket(n, exp) for n, exp in tickets))

    def delete_lock(self, conversation_id: str) -> None:
        k = self._keys(conversation_id)
        self.red.delete(k["q"], k["e"], k["h"])

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("AtomicRedisLockStore changes locks only by its atomic steps")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = 0) -> int:
        return self.issue(conversation_id)
