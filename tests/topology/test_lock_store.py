"""Our Redis lock store against real Redis: one turn per conversation at a time across processes,
first come first served, a dead holder's lease lapses, a stalled holder cannot extend or release a
lease it lost; Rasa's stock RedisLockStore, raced the same way, loses turns."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from devtools.topology.lockrace import race
from rasa_project.lock_store import AtomicRedisLockStore, LockError, current_fence

pytestmark = pytest.mark.redis
URL = "redis://127.0.0.1:6379/1"


def store(**kw) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(url=URL, key_prefix=f"t{uuid.uuid4().hex[:10]}",
                                **{"lifetime_s": 5, "max_wait_s": 20, **kw})


def test_two_processes_never_hold_one_conversation_at_once_and_serve_in_ticket_order():
    result = race("atomic", servers=2, turns=25, wait_s=30)
    assert result["worst_inside"] == 1
    assert (result["served"], result["stuck"]) == (50, 0)
    assert result["order"] == sorted(result["order"]) and len(set(result["order"])) == 50


def test_rasas_stock_redis_lock_store_loses_turns_under_the_same_race():
    """RasaHQ/rasa#11256: GET-modify-SET of the ticket queue drops tickets; their turns never get in."""
    result = race("stock", servers=2, turns=25, wait_s=3)
    assert result["stuck"] > 0 or result["worst_inside"] > 1, result


async def test_a_dead_holders_lease_lapses_and_it_cannot_renew_or_release_it_afterwards():
    a = store(lifetime_s=1)
    b = AtomicRedisLockStore(url=URL, key_prefix=a.prefix.split(":")[0], lifetime_s=1, max_wait_s=20)
    dead = a.issue("c")
    assert a.try_acquire("c", dead) == 1 and a.holder("c") == dead  # ...and its process dies here
    async with b.lock("c") as lock:
        fence = lock.tickets[0].number
        assert fence > dead  # fencing token: newer holder, larger number
        assert current_fence.get() == ("c", fence)
        assert not a.renew("c", dead) and not a.release("c", dead)
        assert b.holder("c") == fence  # the stale release did not free the new holder's lock
    assert current_fence.get() is None and b.holder("c") is None


async def test_a_slow_turn_keeps_its_lease_by_renewal():
    s = store(lifetime_s=1)
    other = AtomicRedisLockStore(url=URL, key_prefix=s.prefix.split(":")[0], lifetime_s=1, max_wait_s=20)
    entered = []

    async def slow():
        async with s.lock("c"):
            entered.append("slow-in")
            await asyncio.sleep(2.5)  # longer than the lifetime: renewed every third of it
            entered.append("slow-out")

    async def next_turn():
        await asyncio.sleep(0.2)
        async with other.lock("c"):
            entered.append("next")

    await asyncio.gather(slow(), next_turn())
    assert entered == ["slow-in", "slow-out", "next"]
    assert s.lost_leases == 0 and other.lock_waits == 1


async def test_redis_unreachable_is_a_lock_error_not_a_turn_without_a_lock():
    s = AtomicRedisLockStore(url="redis://127.0.0.1:1/0", lifetime_s=5, max_wait_s=5, outage_s=0.5)
    with pytest.raises(LockError):
        async with s.lock("c"):
            pytest.fail("ran without the lock")


async def test_waiting_longer_than_the_limit_fails_and_leaves_no_ticket_behind():
    s = store(max_wait_s=0.5)
    held = s.issue("c")
    assert s.try_acquire("c", held) == 1
    with pytest.raises(LockError):
        async with s.lock("c"):
            pytest.fail("got a held lock")
    lock = s.get_lock("c")
    assert [t.number for t in lock.tickets] == [held]
    s.release("c", held)
    assert s.get_lock("c") is None


async def test_a_redis_outage_shorter_than_the_limit_delays_the_turn_instead_of_failing_it():
    """Redis cut at a TCP proxy for 1 s while a turn asks for its lock: the turn gets the lock when
    Redis is back (Rasa's stock store fails the turn: the message would be lost)."""
    from devtools.topology.tcp_proxy import TcpProxy

    proxy = TcpProxy(6379)
    try:
        s = AtomicRedisLockStore(url=f"redis://127.0.0.1:{proxy.port}/1", key_prefix=f"t{uuid.uuid4().hex[:10]}",
                                 lifetime_s=5, max_wait_s=20, outage_s=10)
        async with s.lock("c"):
            pass  # connected once
        proxy.cut()
        loop = asyncio.get_running_loop()
        loop.call_later(1.0, proxy.restore)
        started = loop.time()
        async with s.lock("c") as held:
            assert loop.time() - started >= 0.9 and current_fence.get() == ("c", held.last_issued)
        assert s.holder("c") is None
    finally:
        proxy.close()
