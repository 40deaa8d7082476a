"""Several processes take one conversation's Rasa lock at once: ``python -m devtools.topology.lockrace``.

Each process plays a Rasa server: ``turns`` asyncio tasks enter ``store.lock(conversation)`` at
once, count themselves in and out of a Redis counter shared by all processes (more than one inside
= two turns of one conversation interleaved) and record their ticket. A turn that waits longer
than ``wait_s`` is counted as stuck. ``kind`` is ``atomic`` (ours) or ``stock`` (Rasa's
RedisLockStore). Bounded in turns and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import time
import uuid


def _store(kind: str, url: str, prefix: str):
    if kind == "stock":
        from rasa.core.lock_store import RedisLockStore
        from redis.connection import parse_url

        parts = parse_url(url)
        return RedisLockStore(host=parts.get("host", "127.0.0.1"), port=parts.get("port", 6379),
                              db=parts.get("db", 0), key_prefix=prefix)
    from rasa_project.lock_store import AtomicRedisLockStore

    return AtomicRedisLockStore(url=url, lifetime_s=10, max_wait_s=60, key_prefix=prefix)


def _server(kind: str, url: str, prefix: str, turns: int, wait_s: float, out) -> None:
    import redis

    async def main() -> dict:
        store = _store(kind, url, prefix)
        shared = redis.Redis.from_url(url)
        worst, stuck, entered = 0, 0, []

        async def turn() -> None:
            nonlocal worst
            async with store.lock("conversation", wait_time_in_seconds=0.01) as lock:
                inside = shared.incr(prefix + "inside")
                worst = max(worst, inside)
                shared.rpush(prefix + "order", lock.tickets[0].number if lock.tickets else -1)
                entered.append(1)
                await asyncio.sleep(0.003)
                shared.decr(prefix + "inside")

        async def bounded() -> None:
            nonlocal stuck
            try:
                await asyncio.wait_for(turn(), wait_s)
            except Exception:  # noqa: BLE001 - asyncio.TimeoutError or the store's LockError: not served
                stuck += 1

        await asyncio.gather(*(bounded() for _ in range(turns)))
        return {"worst_inside": worst, "stuck": stuck, "served": len(entered)}

    out.put(asyncio.run(main()))


def race(kind: str, *, url: str = "redis://127.0.0.1:6379/1", servers: int = 2, turns: int = 30,
         wait_s: float = 5.0) -> dict:
    """Run the race; returns the worst overlap, turns served and stuck, and the order tickets entered."""
    import redis

    prefix = f"dingk3race{uuid.uuid4().hex[:10]}"
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_server, args=(kind, url, prefix, turns, wait_s, out)) for _ in range(servers)]
    started = time.monotonic()
    for p in procs:
        p.start()
    results = [out.get(timeout=wait_s * turns + 120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    shared = redis.Redis.from_url(url)
    order = [int(x) for x in shared.lrange(prefix + "order", 0, -1)]
    for key in shared.scan_iter(match=f"{prefix}*"):
        shared.delete(key)
    return {
        "kind": kind, "servers": servers, "turns": servers * turns,
        "worst_inside": max(r["worst_inside"] for r in results),
        "served": sum(r["served"] for r in results), "stuck": sum(r["stuck"] for r in results),
        "order": order, "seconds": round(time.monotonic() - started, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=("atomic", "stock"))
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--servers", type=int, default=2)
    args = parser.parse_args()
    result = race(args.kind, turns=args.turns, servers=args.servers)
    result.pop("order")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
