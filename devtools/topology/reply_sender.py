"""A reply sender on its own: what a channel replica runs for the shared reply queue, without Rasa.

    python -m devtools.topology.reply_sender --store redis://127.0.0.1:6379/2 --prefix P \\
        --dingtalk http://127.0.0.1:8802 [--rate 20 --period 60 --lease 30]
    python -m devtools.topology.reply_sender --store sqlite:/path/replies.db ...
    python -m devtools.topology.reply_sender pace --store ... --conversation C --count 40 --limit 5 --period 1

The first form sends what is queued until killed (tests kill it with SIGKILL mid-send and start
another); ``pace`` asks the store for ``count`` send slots of one conversation and prints the
store's clock at each slot granted, one per line, after printing ``ready`` and reading a line from
stdin (two of them started together show the pacing is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from connectors import reply_queue
from connectors.outbox import Outbox
from dingtalk_client.openapi import AsyncDingTalkOpenAPI
from rasa_project.settings import Settings
from rasa_project.wiring import dingtalk_config


def open_store(spec: str, prefix: str) -> reply_queue.ReplyStore:
    if spec.startswith("redis://"):
        return reply_queue.RedisReplyStore(spec, prefix=prefix)
    if spec.startswith("sqlite:"):
        return reply_queue.SQLiteReplyStore(Path(spec.removeprefix("sqlite:")))
    raise SystemExit(f"unknown store {spec!r} (redis://… or sqlite:/path)")


async def send(args) -> None:
    store = open_store(args.store, args.prefix)
    settings = Settings(dingtalk_openapi_url=args.dingtalk, redis_url=None)
    api = AsyncDingTalkOpenAPI(dingtalk_config(settings))
    outbox = Outbox(api, store=store, owner=args.name, rate_per_minute=args.rate, rate_period_s=args.period,
                    lease_s=args.lease, poll_s=0.1)
    outbox.start()
    print("ready", flush=True)
    await asyncio.Event().wait()  # until killed


def pace(args) -> None:
    store = open_store(args.store, args.prefix)
    print("ready", flush=True)
    sys.stdin.readline()  # "go": both processes start asking at once
    granted = 0
    while granted < args.count:
        wait = store.pace(args.conversation, args.limit, args.period, time.monotonic())
        if wait > 0:
            time.sleep(min(wait, 0.05))  # the store says when; wake a little early and ask again
            continue
        granted += 1
        at = store.last_pace_ms / 1000 if isinstance(store, reply_queue.RedisReplyStore) else store.last_pace_at
        print(f"{at:.6f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reply_sender")
    parser.add_argument("mode", nargs="?", default="send", choices=["send", "pace"])
    parser.add_argument("--store", required=True)
    parser.add_argument("--prefix", default="dingk3:replies:")
    parser.add_argument("--dingtalk", default="http://127.0.0.1:8802")
    parser.add_argument("--name", default="sender")
    parser.add_argument("--rate", type=int, default=20)
    parser.add_argument("--period", type=float, default=60.0)
    parser.add_argument("--lease", type=float, default=30.0)
    parser.add_argument("--conversation", default="c")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--limit", type=int, default=5)
    args = parser.parse_args(argv)
    if args.mode == "pace":
        pace(args)
    else:
        asyncio.run(send(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
