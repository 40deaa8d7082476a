"""What every attack class gets: the running system's addresses, a signer (the suite plays DingTalk
and holds the app secret, as anyone does who captured a callback), attacker webhook servers on
three loopback addresses, and one honest tally per class."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
from typing_extensions import Self

from devtools.security.listener import WebhookListener
from devtools.security.wire import Signer, encode, robot_body

DONE, PENDING = "done", "pending"


@dataclass
class Result:
    name: str
    title: str
    status: str = DONE
    tried: int = 0
    accepted: int = 0
    errors: int = 0  # 5xx, timeouts, internal-error answers: not accepted, but not clean either
    outcomes: Counter = field(default_factory=Counter)  # how each attempt was answered
    accepted_examples: list[str] = field(default_factory=list)
    note: str = ""

    def count(self, outcome: str, *, accepted: bool = False, error: bool = False, example: str = "") -> None:
        self.tried += 1
        self.outcomes[outcome] += 1
        if accepted:
            self.accepted += 1
            if len(self.accepted_examples) < 5:
                self.accepted_examples.append(example or outcome)
        if error:
            self.errors += 1

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "status": self.status, "tried": self.tried,
                "accepted": self.accepted, "errors": self.errors, "outcomes": dict(self.outcomes),
                "accepted_examples": self.accepted_examples, "note": self.note}


class Context:
    def __init__(self, settings, attempts: int) -> None:
        self.settings = settings
        self.attempts = attempts
        self.rasa = f"http://127.0.0.1:{settings.rasa_port}"
        self.webhook_url = f"{self.rasa}/webhooks/dingtalk/webhook"
        self.card_url = f"{self.rasa}/webhooks/dingtalk/card"
        self.actions = f"http://127.0.0.1:{settings.action_port}"
        self.sim = f"http://127.0.0.1:{settings.dingtalk_sim_port}"
        self.signer = Signer(settings.dingtalk_app_secret.get_secret_value())
        self.http = httpx.Client(timeout=30.0)
        self.listeners = {h: WebhookListener(h) for h in ("127.0.0.1", "127.0.0.2", "::1")}

    def __enter__(self) -> Self:
        for listener in self.listeners.values():
            listener.start()
        return self

    def __exit__(self, *exc) -> None:
        for listener in self.listeners.values():
            listener.stop()
        self.http.close()

    @property
    def hook(self) -> WebhookListener:
        """The attacker's (and the harness's) webhook server on 127.0.0.1: an allowed demo origin."""
        return self.listeners["127.0.0.1"]

    def hits(self, prefix: str) -> int:
        return sum(len(listener.hits_for(prefix)) for listener in self.listeners.values())

    # requests
    def send(self, method: str, url: str, **kwargs) -> tuple[int | str, str]:
        try:
            r = self.http.request(method, url, **kwargs)
        except httpx.TimeoutException:
            return "timeout", ""
        except httpx.HTTPError as exc:
            return type(exc).__name__, ""
        return r.status_code, r.text

    def post_signed(self, url: str, body, *, headers: dict | None = None) -> tuple[int | str, str]:
        raw = body if isinstance(body, bytes) else encode(body)
        return self.send("POST", url, content=raw, headers=headers or self.signer.headers())

    def body(self, staff_id: str | None, text: str, *, conversation_id: str = "cidPMC0001", hook_path: str,
             **extra) -> dict:
        """A robot message whose replies come to ``hook_path`` on the harness's webhook server."""
        s = self.settings
        return robot_body(robot_code=s.dingtalk_robot_code, corp_id=s.dingtalk_corp_id,
                          conversation_id=conversation_id, staff_id=staff_id, text=text,
                          session_webhook=f"{self.hook.origin}{hook_path}", **extra)

    def wait_replies(self, prefix: str, *, timeout_s: float = 45.0, settle_s: float = 0.4) -> list[dict]:
        """The replies posted to ``prefix``, once at least one came (or the deadline passed)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            got = self.hook.hits_for(prefix)
            if got:
                end = time.monotonic() + settle_s
                while time.monotonic() < end:  # a turn's trailing messages
                    time.sleep(0.05)
                return self.hook.hits_for(prefix)
            time.sleep(0.05)
        return []

    def chat(self, staff_id: str, text: str, conversation_id: str | None = "cidPMC0001") -> dict:
        """An ordinary message through the DingTalk simulator (it signs and delivers it)."""
        r = self.http.post(f"{self.sim}/_sim/chat", json={"conversation_id": conversation_id, "staff_id": staff_id,
                                                          "text": text})
        r.raise_for_status()
        return r.json()

    def sim_messages(self, **params) -> list[dict]:
        return self.http.get(f"{self.sim}/_sim/messages", params=params).json()["messages"]


def status_class(status) -> str:
    return str(status) if isinstance(status, int) else f"error:{status}"


@dataclass
class Attempt:
    label: str
    status: int | str
    msg_id: str | None = None  # a turn audited with this message id means it ran
    hook: str | None = None  # a request to this webhook path means the bot sent something for it
    accepted: bool = False  # judged from the answer alone (e.g. a 2xx where a refusal was due)
    outcome: str | None = None  # how it was answered, for the report (default: the status)

    @property
    def is_error(self) -> bool:
        return not isinstance(self.status, int) or self.status >= 500


QUIET_S = 3.0  # after a class, how long effects (a late turn, a reply) are given to show up


def settle(ctx: Context, result: Result, attempts: list[Attempt], *, quiet_s: float = QUIET_S) -> Result:
    """Count each attempt: accepted if its answer says so, if a turn ran for it, or if the bot sent
    anything to its webhook path."""
    from devtools.security.checks import turns_of

    deadline = time.monotonic() + quiet_s
    while time.monotonic() < deadline:  # a bounded quiet period: what must not happen has no event to wait for
        time.sleep(0.1)
    ran = turns_of(ctx.settings, [a.msg_id for a in attempts if a.msg_id])
    for a in attempts:
        hits = ctx.hits(a.hook) if a.hook else 0
        accepted = a.accepted or (a.msg_id in ran) or hits > 0
        why = a.label + (" (a turn ran)" if a.msg_id in ran else "") + (f" ({hits} requests sent)" if hits else "")
        result.count(a.outcome or status_class(a.status), accepted=accepted, error=a.is_error,
                     example=f"{why} -> {a.status}")
    return result
