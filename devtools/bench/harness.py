"""Drive the running system as DingTalk does, and read K/3 as an outsider (benchmark + reliability).

Everything here talks to 127.0.0.1 only: the whole stack (``devtools.stack.demo_stack``) on free
ports, the DingTalk simulator's admin API to chat (``POST /_sim/chat``) and read what the bot
sent (``GET /_sim/messages``), the official K/3 SDK to read orders, and the fault APIs of both
simulators. Every wait is bounded by a deadline.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devtools.stack import DEMO_ANCHOR, demo_stack
from rasa_project.runner import Stack
from rasa_project.settings import Settings

BILL_NO = re.compile(r"MO\d{6}")
REQUEST_KEY = re.compile(r"\[dingk3:([^\]]+)\]")
POLL_S = 0.05


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack_settings(var_dir: Path, **overrides) -> Settings:
    """Settings for a private stack: free loopback ports, the demo clock, K/3 faults enabled."""
    ports = {name: free_port() for name in ("k3", "dt", "ldap", "rasa", "actions", "web", "ingress")}
    values = {
        "env": "test",
        "var_dir": var_dir,
        "clock_anchor": DEMO_ANCHOR,
        "k3_sim_port": ports["k3"],
        "k3_base_url": f"http://127.0.0.1:{ports['k3']}/k3cloud/",
        "dingtalk_sim_port": ports["dt"],
        "dingtalk_openapi_url": f"http://127.0.0.1:{ports['dt']}",
        "ldap_url": f"ldap://127.0.0.1:{ports['ldap']}",
        "rasa_port": ports["rasa"],
        "action_port": ports["actions"],
        "web_port": ports["web"],
        "ingress_port": ports["ingress"],
        "k3_sim_faults_enabled": True,
        # the bench and the reliability runs measure the confirmed write path (Save+Submit+Audit);
        # the OA approval loop of new orders has its own tests (tests/closed_loop, tests/e2e)
        "new_order_approval": "none",
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def running_stack(var_dir: Path, model: Path, **overrides) -> Iterator[tuple[Stack, Settings]]:
    """Start every service on a fresh ``var_dir``; always stop them."""
    import shutil

    shutil.rmtree(var_dir, ignore_errors=True)
    settings = stack_settings(var_dir, **overrides)
    stack = demo_stack(settings, model)
    with stack:
        yield stack, settings


# -- chat ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Slot:
    """One person in one conversation (``conversation_id`` None: their 1:1 chat with the robot)."""

    staff_id: str
    conversation_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.staff_id}@{self.conversation_id or 'dm'}"


@dataclass
class Sent:
    msg_id: str
    conversation_id: str
    sent_ms: int  # wall clock just before the POST (the simulator stamps replies on the same clock)
    after: int  # every message with a higher seq was recorded after we sent
    text: str
    status: object = None


@dataclass
class Turn:
    sent: Sent
    replies: list[dict] = field(default_factory=list)

    @property
    def latency_s(self) -> float | None:
        if not self.replies:
            return None
        return max(0.0, (self.replies[0]["time_ms"] - self.sent.sent_ms) / 1000.0)

    @property
    def text(self) -> str:
        return "\n".join(r.get("text") or "" for r in self.replies)

    @property
    def bill_numbers(self) -> list[str]:
        return BILL_NO.findall(self.text)

    @property
    def has_buttons(self) -> bool:
        return any(r.get("buttons") for r in self.replies)


class ChatDriver:
    """Talk to the bot through the DingTalk simulator; safe to share between threads."""

    def __init__(self, settings: Settings, *, poll_s: float = POLL_S) -> None:
        self.sim = f"http://{settings.dingtalk_sim_host}:{settings.dingtalk_sim_port}"
        self.poll_s = poll_s
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()
        self._high_water = 0

    def _http(self) -> httpx.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(timeout=30.0)
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()

    def messages(self, *, conversation_id: str | None = None, after: int = 0) -> list[dict]:
        params: dict = {"after": after}
        if conversation_id:
            params["conversation_id"] = conversation_id
        found = self._http().get(f"{self.sim}/_sim/messages", params=params).json()["messages"]
        if found:
            with self._lock:
                self._high_water = max(self._high_water, max(m["seq"] for m in found))
        return found

    def high_water(self) -> int:
        """A seq every later reply is above (refreshed from the simulator)."""
        self.messages(after=self._high_water)
        return self._high_water

    def send(self, slot: Slot, text: str, *, msg_id: str | None = None, after: int | None = None) -> Sent:
        after = self._high_water if after is None else after
        sent_ms = int(time.time() * 1000)
        body = {"conversation_id": slot.conversation_id, "staff_id": slot.staff_id, "text": text}
        if msg_id:
            body["msg_id"] = msg_id
        r = self._http().post(f"{self.sim}/_sim/chat", json=body)
        r.raise_for_status()
        answer = r.json()
        return Sent(answer["msgId"], answer["conversation_id"], sent_ms, after, text, answer.get("status"))

    def replies_to(self, sent: Sent, *, by_conversation: bool = False) -> list[dict]:
        """Bot messages answering ``sent``: those recorded as its webhook replies, or (``by_conversation``,
        for replies that came through the OpenAPI) every bot message in its conversation since."""
        found = self.messages(conversation_id=sent.conversation_id, after=sent.after)
        if by_conversation:
            return found
        return [m for m in found if m.get("in_reply_to") == sent.msg_id]

    def wait(
        self,
        sent: Sent,
        *,
        timeout_s: float,
        until: Callable[[list[dict]], bool] = bool,
        settle_s: float = 0.0,
        by_conversation: bool = False,
    ) -> Turn:
        """Poll until ``until(replies)`` (default: any reply) or the deadline; ``settle_s`` then waits
        that much longer for a turn's trailing messages."""
        deadline = time.monotonic() + timeout_s
        replies = self.replies_to(sent, by_conversation=by_conversation)
        while not until(replies) and time.monotonic() < deadline:
            time.sleep(self.poll_s)
            replies = self.replies_to(sent, by_conversation=by_conversation)
        if settle_s and until(replies):
            time.sleep(settle_s)
            replies = self.replies_to(sent, by_conversation=by_conversation)
        return Turn(sent, replies)

    def ask(self, slot: Slot, text: str, *, timeout_s: float = 60.0, **kw) -> Turn:
        return self.wait(self.send(slot, text), timeout_s=timeout_s, **kw)

    # DingTalk fault rules (spec §7.14): replaced as a whole; [] clears them
    def set_faults(self, rules: list[dict]) -> None:
        self._http().post(f"{self.sim}/_sim/faults", json={"rules": rules}).raise_for_status()

    def requests(self) -> list[dict]:
        return self._http().get(f"{self.sim}/_sim/requests").json()["requests"]


class ConversationBudget:
    """At most ``per_minute`` turns per conversation in any minute, so latencies measure the bot and
    not DingTalk's 20-messages-a-minute pacing (which the outbox honours on purpose)."""

    def __init__(self, per_minute: int, period_s: float = 60.0) -> None:
        self.per_minute, self.period_s = per_minute, period_s
        self._sent: dict[str, deque] = {}
        self._lock = threading.Lock()
        self.waited_s = 0.0

    def acquire(self, conversation_key: str, deadline: float) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                window = self._sent.setdefault(conversation_key, deque())
                while window and window[0] <= now - self.period_s:
                    window.popleft()
                if len(window) < self.per_minute:
                    window.append(now)
                    return
                wait = window[0] + self.period_s - now
            if time.monotonic() + wait > deadline:
                raise TimeoutError(f"conversation {conversation_key} over budget past the deadline")
            with self._lock:
                self.waited_s += wait
            time.sleep(wait)


# -- K/3, read as an outsider ------------------------------------------------------------------------
@dataclass(frozen=True)
class K3Order:
    bill_no: str
    document_status: str
    request_key: str | None


class K3Reader:
    """Orders as K/3 has them, read with the official SDK (not our client)."""

    def __init__(self, settings: Settings) -> None:
        from k3cloud_webapi_sdk.main import K3CloudApiSdk

        from devtools.factory import get_factory

        factory = get_factory()
        app = factory.k3_apps[0]
        url = f"http://{settings.k3_sim_host}:{settings.k3_sim_port}/k3cloud/"
        self.sdk = K3CloudApiSdk(url)
        self.sdk.InitConfig(factory.acct_id, app["user_name"], app["app_id"], app["app_secret"], url, 2052, 0)
        self.base = url
        self._lock = threading.Lock()

    def orders(self) -> list[K3Order]:
        with self._lock:  # the SDK object keeps per-call state
            raw = self.sdk.ExecuteBillQuery(
                {"FormId": "PRD_MO", "FieldKeys": "FBillNo,FDocumentStatus,FDescription", "OrderString": "FBillNo"}
            )
        rows = json.loads(raw)
        if not isinstance(rows, list) or (rows and not isinstance(rows[0], list)):
            raise RuntimeError(f"K/3 order query failed: {str(rows)[:300]}")
        out: dict[str, K3Order] = {}
        for bill_no, status, description in rows:  # one row per entry: keep the first
            key = REQUEST_KEY.search(description or "")
            out.setdefault(bill_no, K3Order(bill_no, status or "", key.group(1) if key else None))
        return list(out.values())

    def add_faults(self, faults: list[dict]) -> None:
        httpx.post(f"{self.base}_sim/faults", json=faults, timeout=10.0).raise_for_status()

    def clear_faults(self) -> list[dict]:
        left = httpx.get(f"{self.base}_sim/faults", timeout=10.0).json()["faults"]
        httpx.delete(f"{self.base}_sim/faults", timeout=10.0).raise_for_status()
        return left


@dataclass(frozen=True)
class DraftRecord:
    id: int
    request_key: str
    requester: str
    state: str
    bill_no: str | None


def drafts(settings: Settings, *, after_id: int = 0) -> list[DraftRecord]:
    """Order drafts the workflow persisted (read-only; the action server owns them)."""
    from sqlalchemy import inspect, select

    from rasa_project.db import make_engine
    from rasa_project.ordering.tables import OrderDraftRow

    engine = make_engine(settings.sqlalchemy_url)
    try:
        t = OrderDraftRow.__table__
        if not inspect(engine).has_table(t.name):  # no turn has reached the workflow yet
            return []
        with engine.connect() as conn:
            rows = conn.execute(select(t.c.id, t.c.request_key, t.c.requester, t.c.state, t.c.bill_no)
                                .where(t.c.id > after_id).order_by(t.c.id)).all()
    finally:
        engine.dispose()
    return [DraftRecord(*row) for row in rows]


def last_draft_id(settings: Settings) -> int:
    found = drafts(settings)
    return found[-1].id if found else 0
