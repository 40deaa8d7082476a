"""The DingTalk simulator's state: clock, directory, tokens, sessions, throttles, cards, timeline.

Everything lives in memory and is touched from the simulator's event loop only. Expiries
(tokens, sessionWebhooks, tickets, throttling) follow ``SimClock``, which tests can advance.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from devtools.simulators.dingtalk import wire

TOKEN_TTL_S = 7200
THROTTLE_LIMIT = 20  # messages per minute per robot per conversation
THROTTLE_PERIOD_MS = 60_000
THROTTLE_PENALTY_MS = 60_000  # once over the limit, refused for a while (spec §2)

# Card templates "registered in the card builder" for the demo. The approval template has two
# buttons whose params are {"decision": <button>} plus the bound cardParamMap keys present.
CARD_TEMPLATES: dict[str, dict] = {
    "dingk3_approval": {
        "buttons": (("approve", "同意 Setuju Approve"), ("reject", "拒绝 Tolak Reject")),
        "bound_params": ("approval_id", "order_no", "change_id"),
        "open_status": "pending",
    },
}


class SimClock:
    """Wall clock plus an offset that tests move forward."""

    def __init__(self) -> None:
        self.offset_ms = 0

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.offset_ms

    def advance(self, seconds: float) -> int:
        self.offset_ms += int(seconds * 1000)
        return self.now_ms()


@dataclass
class Person:
    staff_id: str
    name: str
    uid: str | None
    roles: tuple[str, ...]

    @property
    def dm_conversation_id(self) -> str:
        return wire.dm_conversation_id(self.staff_id)


@dataclass
class Group:
    conversation_id: str
    title: str
    members: list[str]


@dataclass
class Session:
    """A sessionWebhook issued with one incoming message."""

    conversation_id: str
    is_group: bool
    staff_id: str | None
    msg_id: str
    expires_ms: int


@dataclass
class Card:
    out_track_id: str
    template_id: str
    params: dict
    private: dict  # staffId -> cardParamMap
    space_type: str  # IM_GROUP | IM_ROBOT
    space_id: str  # group conversation id or staff id
    conversation_id: str
    to_staff_ids: list[str]
    callback_type: str
    route_key: str | None
    is_robot_card: bool = False  # sent with the robot interactiveCards API (cardBizId)
    seq: int | None = None
    presses: list = field(default_factory=list)

    def buttons(self) -> list[dict]:
        template = CARD_TEMPLATES.get(self.template_id)
        if not template or self.params.get("status", template["open_status"]) != template["open_status"]:
            return []
        bound = {k: self.params[k] for k in template["bound_params"] if k in self.params}
        return [{"title": title, "content": None, "action": action, "params": {"decision": action, **bound}}
                for action, title in template["buttons"]]

    def view(self) -> dict:
        return {"out_track_id": self.out_track_id, "template_id": self.template_id, "params": dict(self.params),
                "private": dict(self.private), "status": self.params.get("status"),
                "buttons": self.buttons(), "conversation_id": self.conversation_id,
                "to_staff_ids": list(self.to_staff_ids), "callback_type": self.callback_type,
                "presses": list(self.presses)}


class SimState:
    def __init__(self, *, app_key: str, app_secret: str, robot_code: str, corp_id: str, robot_name: str,
                 people: list[Person], groups: list[Group], throttle_limit: int = THROTTLE_LIMIT) -> None:
        self.app_key, self.app_secret, self.robot_code = app_key, app_secret, robot_code
        self.throttle_limit = throttle_limit
        self.corp_id, self.robot_name = corp_id, robot_name
        self.clock = SimClock()
        self.people = {p.staff_id: p for p in people}
        self.groups = {g.conversation_id: g for g in groups}
        self.dm_owner = {p.dm_conversation_id: p.staff_id for p in people}
        self.reset()

    def reset(self) -> None:
        self.clock.offset_ms = 0
        self.tokens: dict[str, int] = {}  # token -> expires_ms
        self.current_token: str | None = None
        self.sessions: dict[str, Session] = {}
        self.sent_at: dict[str, deque] = {}  # conversation -> send times (ms)
        self.throttled_until: dict[str, int] = {}
        self.timeline: list[dict] = []
        self.cards: dict[str, Card] = {}
        self.requests: deque = deque(maxlen=2000)
        self.faults: list[dict] = []
        self.route_keys: dict[str, str] = {}  # callbackRouteKey -> callback URL
        self._seq = 0

    # people and conversations
    def person(self, staff_id: str) -> Person | None:
        return self.people.get(staff_id)

    def conversation_of_dm(self, staff_id: str) -> str:
        conversation_id = wire.dm_conversation_id(staff_id)
        self.dm_owner.setdefault(conversation_id, staff_id)
        return conversation_id

    # tokens
    def issue_token(self) -> tuple[str, int]:
        """The same token is returned while it is valid (spec §3, unconfirmed but common)."""
        now = self.clock.now_ms()
        token = self.current_token
        if token is None or self.tokens.get(token, 0) <= now:
            token = secrets.token_hex(16)
            self.tokens[token] = now + TOKEN_TTL_S * 1000
            self.current_token = token
        return token, (self.tokens[token] - now) // 1000

    def token_is_valid(self, token: str | None) -> bool:
        return bool(token) and self.tokens.get(token, 0) > self.clock.now_ms()

    # sessions
    def open_session(self, session: Session) -> str:
        token = secrets.token_hex(12)
        self.sessions[token] = session
        return token

    # throttling: 20 per minute per conversation (DingTalk's limit; configurable so functional
    # end-to-end suites are not paced by it), then refused for THROTTLE_PENALTY_MS
    def throttle(self, conversation_id: str) -> bool:
        """Count one send; True when it must be refused."""
        now = self.clock.now_ms()
        if self.throttled_until.get(conversation_id, 0) > now:
            return True
        window = self.sent_at.setdefault(conversation_id, deque())
        while window and window[0] <= now - THROTTLE_PERIOD_MS:
            window.popleft()
        if len(window) >= self.throttle_limit:
            self.throttled_until[conversation_id] = now + THROTTLE_PENALTY_MS
            return True
        window.append(now)
        return False

    # timeline
    def record(self, **entry: Any) -> dict:
        self._seq += 1
        base = {"seq": self._seq, "time_ms": self.clock.now_ms(), "conversation_id": None, "to_staff_ids": [],
                "msgtype": None, "title": None, "text": None, "buttons": [], "raw": None, "via": None,
                "in_reply_to": None, "from_staff_id": None, "from_nick": self.robot_name, "card": None}
        base.update(entry)
        self.timeline.append(base)
        return base

    def card_views(self) -> dict:
        return {k: c.view() for k, c in self.cards.items()}

    def messages(self, *, conversation_id: str | None = None, staff_id: str | None = None,
                 after: int = 0, include_user: bool = False) -> list[dict]:
        out = []
        for entry in self.timeline:
            if entry["seq"] <= after or (entry["via"] == "user" and not include_user):
                continue
            if conversation_id and entry["conversation_id"] != conversation_id:
                continue
            if staff_id and staff_id not in entry["to_staff_ids"] and entry.get("from_staff_id") != staff_id:
                continue
            if entry["card"] is not None:
                entry = {**entry, "card": self.cards[entry["card"]["out_track_id"]].view()}
                entry["buttons"] = entry["card"]["buttons"]
            out.append(entry)
        return out

    # faults
    def take_fault(self, path: str) -> dict | None:
        for rule in self.faults:
            if path.startswith(rule.get("path_prefix", "\0")) and rule.get("count", 1) > 0:
                rule["count"] = rule.get("count", 1) - 1
                return rule
        return None
