"""Two (or more) real Rasa servers on one PostgreSQL tracker store and one Redis lock store, and
concurrent turns of one conversation sent to them alternately (issue 17 item 2).

A "turn" here is what a turn does to a conversation's tracker, through Rasa's own HTTP API
(``POST /conversations/<id>/tracker/events``: take the conversation's lock, load the tracker, append
the user's message and the bot's reply, save): the read-modify-write a lock store has to protect.
``check`` reads the conversation back and counts turns lost, doubled, or interleaved (a turn's
two events not next to each other).
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from rasa_project.runner import Service, Stack, child_env
from rasa_project.settings import Settings

STOCK_ENDPOINTS = """\
action_endpoint:
  url: ${DINGK3_ACTION_URL}
tracker_store:
  type: SQL
  dialect: postgresql
  url: ${DINGK3_TRACKER_PG_HOST}
  port: ${DINGK3_TRACKER_PG_PORT}
  db: ${DINGK3_TRACKER_PG_DB}
  username: ${DINGK3_TRACKER_PG_USER}
  password: ${DINGK3_TRACKER_PG_PASSWORD}
lock_store:
  type: redis
  url: 127.0.0.1
  port: 6379
  db: 1
  key_prefix: dingk3stock
"""


def rasa_servers(settings: Settings, model: Path, ports: list[int], *, endpoints: Path | None = None) -> Stack:
    services = []
    for i, port in enumerate(ports):
        argv = [sys.executable, "-m", "rasa_project.rasa_server", "--model", str(model), "--port", str(port),
                "--interface", "127.0.0.1", "--credentials", str(settings.project_root / "credentials.yml")]
        if endpoints:
            argv += ["--endpoints", str(endpoints)]
        services.append(Service(f"rasa{i + 1}", argv, ready_url=f"http://127.0.0.1:{port}/"))
    return Stack(settings, services, env=child_env(settings))


@dataclass
class Outcome:
    sent: int
    accepted: int  # answered 200
    refused: list[int]  # other status codes
    lost: int
    doubled: int
    interleaved: int

    @property
    def clean(self) -> bool:
        return self.accepted == self.sent and not (self.lost or self.doubled or self.interleaved)


async def drive(ports: list[int], token: str, conversation: str, turns: int, in_flight: int) -> list[int]:
    gate = asyncio.Semaphore(in_flight)
    async with httpx.AsyncClient(timeout=120) as client:
        async def turn(i: int) -> int:
            port = ports[i % len(ports)]
            events = [{"event": "user", "text": f"m{i}", "parse_data": {"intent": {"name": "greet"}}},
                      {"event": "bot", "text": f"r{i}"}]
            async with gate:
                r = await client.post(f"http://127.0.0.1:{port}/conversations/{conversation}/tracker/events",
                                      params={"token": token}, json=events)
            return r.status_code

        return await asyncio.gather(*(turn(i) for i in range(turns)))


def check(port: int, token: str, conversation: str, statuses: list[int]) -> Outcome:
    tracker = httpx.get(f"http://127.0.0.1:{port}/conversations/{conversation}/tracker",
                        params={"token": token, "include_events": "ALL"}, timeout=60).json()
    texts = [e.get("text") for e in tracker["events"] if e.get("event") in ("user", "bot")]
    turns = len(statuses)
    lost = sum(1 for i in range(turns) if f"m{i}" not in texts)
    doubled = sum(max(texts.count(f"m{i}") - 1, 0) for i in range(turns))
    interleaved = sum(1 for j, t in enumerate(texts)
                      if t and t.startswith("m") and (j + 1 >= len(texts) or texts[j + 1] != "r" + t[1:]))
    return Outcome(turns, statuses.count(200), [s for s in statuses if s != 200], lost, doubled, interleaved)


def race(ports: list[int], token: str, *, turns: int = 40, in_flight: int = 20) -> Outcome:
    conversation = f"race-{uuid.uuid4().hex[:10]}"
    statuses = asyncio.run(drive(ports, token, conversation, turns, in_flight))
    return check(ports[0], token, conversation, list(statuses))
