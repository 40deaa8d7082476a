"""Limits in the channel: how often one person / one conversation is heard, and how big a field may be.

``FloodGate`` keeps a token bucket per sender and per conversation. A sender's own bucket is
drawn first, so a flood from one person empties their bucket and, at most, their share of the
conversation's: the others keep talking. The first refused message of a run is answered once
(politely, from the catalog); the rest are dropped unread. During a run the sender is still heard
at the refill rate; the run ends when their bucket has filled up again (they paused), and only
then would a new flood be answered again.
Buckets live in the process (per replica); DingTalk's own limits come on top.

The size limits bound every field of what DingTalk sends (robot messages, card callbacks), so
nothing unbounded reaches Rasa, the logs or the stores.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from typing import Any

MAX_ID_CHARS = 128  # msgId, conversationId, staff ids, robotCode, corp ids, encrypted ids
MAX_NAME_CHARS = 256  # senderNick, conversationTitle
MAX_AT_USERS = 100
MAX_RICH_TEXT_PARTS = 200
MAX_CARD_CONTENT_CHARS = 8_192  # the card's ``content`` JSON string
MAX_CARD_PARAMS = 20
MAX_CARD_PARAM_CHARS = 256
ROBOT_ID_FIELDS = ("msgId", "conversationId", "senderStaffId", "senderId", "robotCode", "chatbotCorpId",
                   "senderCorpId", "chatbotUserId", "conversationType", "msgtype")
CARD_ID_FIELDS = ("outTrackId", "userId", "corpId", "spaceType", "spaceId", "type")


def _too_long(value: Any, limit: int) -> bool:
    return isinstance(value, str) and len(value) > limit


def oversized_robot_field(body: dict) -> str | None:
    """The first robot-message field beyond its bound (the text itself is judged later), or None."""
    for key in ROBOT_ID_FIELDS:
        if _too_long(body.get(key), MAX_ID_CHARS):
            return key
    for key in ("senderNick", "conversationTitle"):
        if _too_long(body.get(key), MAX_NAME_CHARS):
            return key
    at_users = body.get("atUsers")
    if isinstance(at_users, list):
        if len(at_users) > MAX_AT_USERS:
            return "atUsers"
        for user in at_users:
            if isinstance(user, dict) and any(_too_long(v, MAX_ID_CHARS) for v in user.values()):
                return "atUsers"
    content = body.get("content")
    if isinstance(content, dict) and isinstance(content.get("richText"), list) \
            and len(content["richText"]) > MAX_RICH_TEXT_PARTS:
        return "content.richText"
    return None


def oversized_card_field(data: dict) -> str | None:
    for key in CARD_ID_FIELDS:
        if _too_long(data.get(key), MAX_ID_CHARS):
            return key
    if _too_long(data.get("content"), MAX_CARD_CONTENT_CHARS) or _too_long(data.get("extension"),
                                                                            MAX_CARD_CONTENT_CHARS):
        return "content"
    return None


def oversized_card_params(params: dict) -> bool:
    return len(params) > MAX_CARD_PARAMS or any(
        _too_long(k, MAX_ID_CHARS) or len(str(v)) > MAX_CARD_PARAM_CHARS for k, v in params.items()
    )


# --- rates ---------------------------------------------------------------------------------------
class TokenBucket:
    """``capacity`` tokens, refilled at ``per_minute``; pure: the caller passes the time."""

    __slots__ = ("capacity", "rate_per_s", "tokens", "updated")

    def __init__(self, capacity: int, per_minute: float, now: float) -> None:
        self.capacity = max(1, capacity)
        self.rate_per_s = max(per_minute, 0.0) / 60.0
        self.tokens = float(self.capacity)
        self.updated = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate_per_s)
        self.updated = now

    def available(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= 1.0

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0

    def is_full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity


class Admission(str, enum.Enum):
    ADMIT = "admit"
    WARN = "warn"  # refused; answer this one politely
    DROP = "drop"  # refused; already answered for this run


class FloodGate:
    def __init__(self, *, sender_burst: int, sender_per_minute: float, conversation_burst: int,
                 conversation_per_minute: float, clock: Callable[[], float] = time.monotonic,
                 max_buckets: int = 10_000) -> None:
        self._sender = (sender_burst, sender_per_minute)
        self._conversation = (conversation_burst, conversation_per_minute)
        self._clock, self._max = clock, max_buckets
        self._buckets: dict[str, TokenBucket] = {}
        self._warned: set[str] = set()

    @classmethod
    def from_settings(cls, settings, **kwargs) -> FloodGate:
        return cls(sender_burst=settings.dingtalk_sender_burst,
                   sender_per_minute=settings.dingtalk_sender_rate_per_minute,
                   conversation_burst=settings.dingtalk_conversation_burst,
                   conversation_per_minute=settings.dingtalk_conversation_rate_per_minute, **kwargs)

    def _bucket(self, key: str, shape: tuple[int, float], now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max:  # a full bucket is the same as none: forget those
                for k in [k for k, b in self._buckets.items() if b.is_full(now)]:
                    del self._buckets[k]
                    self._warned.discard(k)
            bucket = self._buckets[key] = TokenBucket(shape[0], shape[1], now)
        return bucket

    def admit(self, sender: str, conversation: str) -> Admission:
        now = self._clock()
        keys = (f"s:{sender}", f"c:{conversation}")
        buckets = (self._bucket(keys[0], self._sender, now), self._bucket(keys[1], self._conversation, now))
        for key, bucket in zip(keys, buckets):
            if not bucket.available(now):
                if key in self._warned:
                    return Admission.DROP
                self._warned.add(key)
                return Admission.WARN
        for key, bucket in zip(keys, buckets):
            if bucket.is_full(now):  # a run ends once the bucket has filled up again: warn afresh then
                self._warned.discard(key)
            bucket.take(now)
        return Admission.ADMIT
