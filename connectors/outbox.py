"""Replies leave through one queue per conversation: paced, retried, in order, never dropped.

The queue is a shared, durable store (``connectors/reply_queue.py``: Redis for replicas, SQLite
under var_dir for one host): a crashed process loses nothing, and order and pacing hold across
every process sending for the bot.

DingTalk throttles a robot at 20 messages per minute per conversation (errcode 130101), and a
sessionWebhook expires. So each conversation gets a worker that (1) waits for a free slot in a
sliding one-minute window, (2) uses the sessionWebhook while it is valid, (3) falls back to the
OpenAPI when the webhook is expired or fails, and (4) retries throttled or failed sends with
backoff. Only a message DingTalk can never accept (invalid parameter) is given up, and logged.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from connectors import reply_queue
from dingtalk_client.messages import ActionCard, InvalidMessage, Markdown, Message, Text
from dingtalk_client.openapi import (
    AsyncDingTalkOpenAPI,
    DingTalkError,
    DingTalkInvalidParameter,
    DingTalkThrottled,
    SessionWebhookError,
)
from rasa_project import logs

log = logging.getLogger(__name__)

WEBHOOK_MARGIN_MS = 5_000  # do not start a webhook send in its last seconds of validity


@dataclass
class Destination:
    """Where replies for one conversation go."""

    conversation_id: str
    is_group: bool
    staff_id: str | None = None  # 1:1 recipient (OpenAPI path)
    session_webhook: str | None = None
    session_webhook_expires_ms: int | None = None

    def webhook_usable(self, now_ms: int) -> bool:
        return bool(self.session_webhook) and (self.session_webhook_expires_ms or 0) - WEBHOOK_MARGIN_MS > now_ms


class RateWindow:
    """At most ``limit`` sends in any ``period_s`` (pure: the caller passes the time)."""

    def __init__(self, limit: int, period_s: float = 60.0) -> None:
        self.limit, self.period_s = max(1, limit), period_s
        self._sent: deque[float] = deque()

    def wait_s(self, now: float) -> float:
        while self._sent and self._sent[0] <= now - self.period_s:
            self._sent.popleft()
        if len(self._sent) < self.limit:
            return 0.0
        return self._sent[0] + self.period_s - now

    def record(self, now: float) -> None:
        self._sent.append(now)


def backoff_s(attempt: int, *, base_s: float = 1.0, cap_s: float = 60.0) -> float:
    return min(cap_s, base_s * (2 ** max(0, attempt - 1)))


def encode(destination: Destination, message: Message) -> str:
    """What a stored reply holds: the destination and the message, field by field."""
    return reply_queue.dumps(dataclasses.asdict(destination),
                             {"type": message.msgtype, **dataclasses.asdict(message)}, logs.REQUEST_ID.get())


def decode(payload: str) -> tuple[Destination, Message]:
    to, body = reply_queue.loads(payload)
    kind = body.pop("type")
    message_class = {"text": Text, "markdown": Markdown, "actionCard": ActionCard}[kind]
    if "buttons" in body:
        body["buttons"] = tuple(tuple(pair) for pair in body["buttons"])
    return Destination(**to), message_class(**body)


class Outbox:
    """Replies are stored in a ``ReplyStore`` (connectors/reply_queue.py) and sent by any process
    sharing it: one conversation's replies one after another in order, each claimed under a
    renewed lease, paced per conversation through the store."""

    def __init__(
        self,
        api: AsyncDingTalkOpenAPI,
        *,
        rate_per_minute: int = 20,
        monotonic: Callable[[], float] = time.monotonic,
        wall_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        throttle_wait_s: float = 3.0,
        max_backoff_s: float = 60.0,
        allow_webhook: Callable[[str], bool] | None = None,
        store: reply_queue.ReplyStore | None = None,
        owner: str | None = None,
        lease_s: float = 30.0,
        poll_s: float = 0.5,
        max_inflight: int = 64,
        rate_period_s: float = 60.0,
    ) -> None:
        self.api = api
        # a second look at the sessionWebhook right before sending (the channel checked it on arrival)
        self._allow_webhook = allow_webhook
        self.rate_per_minute, self.rate_period_s = rate_per_minute, rate_period_s
        self._monotonic, self._wall_ms, self._sleep = monotonic, wall_ms, sleep
        self.throttle_wait_s, self.max_backoff_s = throttle_wait_s, max_backoff_s
        self.store = store if store is not None else reply_queue.MemoryReplyStore()  # leases on real time
        # the memory store is cheap enough for the event loop; the shared ones go to a thread
        self._inline = isinstance(self.store, reply_queue.MemoryReplyStore)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.lease_s, self.poll_s, self.max_inflight = lease_s, poll_s, max_inflight
        self._mine: set[str] = set()  # replies this process queued (join waits for them)
        # not yet in the store (it was unreachable): (conversation, payload, key)
        self._unstored: deque[tuple[str, str, str | None]] = deque()
        self._store_down = False
        self._inflight: set[asyncio.Task] = set()
        self._dispatcher: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None
        self._closing = False  # close() was called: the dispatcher ends at its next turn
        self.delivered: list[tuple[str, str]] = []  # (conversation_id, path) for diagnostics, bounded
        self.given_up = 0
        self.lost_leases = 0
        self._refused_webhooks: set[str] = set()  # the later replies of a conversation skip them too

    def _refuse_webhook(self, destination: Destination) -> None:
        if destination.session_webhook:
            if len(self._refused_webhooks) > 1000:
                self._refused_webhooks.clear()
            self._refused_webhooks.add(destination.session_webhook)
        destination.session_webhook = None

    async def _call(self, fn, *args):
        return fn(*args) if self._inline else await asyncio.to_thread(fn, *args)

    def enqueue(self, destination: Destination, message: Message, key: str | None = None) -> None:
        """Store the reply and make sure a sender runs. While the store is unreachable (Redis down)
        replies wait in this process, in order, and are stored as soon as it answers again. A
        ``key`` already stored (a turn run again) is not stored twice (``ReplyStore.push``)."""
        self._unstored.append((destination.conversation_id, encode(destination, message), key))
        self._store_waiting()
        self.start()
        self._wake.set()

    def _store_waiting(self) -> None:
        while self._unstored:
            conversation_id, payload, key = self._unstored[0]
            try:
                item_id = self.store.push(conversation_id, payload, key)
                if item_id is None:
                    log.info("dingtalk outbox: reply %s for %s was queued before (a turn run again); not again",
                             key, conversation_id)
                else:
                    self._mine.add(item_id)
            except Exception:  # any store failure: keep the reply here and retry
                if not self._store_down:
                    log.warning("dingtalk outbox: reply store unavailable; %d replies wait in this process",
                                len(self._unstored), exc_info=True)
                self._store_down = True
                return
            self._unstored.popleft()
            self._store_down = False

    def start(self) -> None:
        """Start sending (also replies other processes left behind); needs a running loop."""
        if self._wake is None:
            self._wake = asyncio.Event()
        if self._dispatcher is None or self._dispatcher.done():
            self._closing = False
            self._dispatcher = asyncio.create_task(self._dispatch(), name="dingtalk-outbox")

    async def join(self) -> None:
        """Wait until every reply this process queued has been delivered (or given up), by anyone."""
        while self._mine or self._unstored:
            if self._mine:
                try:
                    self._mine &= await self._call(self.store.pending, list(self._mine))
                except Exception:  # the store is down: ask again
                    log.debug("dingtalk outbox: reply store unavailable while waiting", exc_info=True)
            if self._mine or self._unstored:
                await asyncio.sleep(0.02)

    async def close(self) -> None:
        """Stop sending; a reply being sent gives its lease back so another sender takes it at once.

        The dispatcher also ends by the flag, not by the cancellation alone: Python 3.10's
        ``asyncio.wait_for`` returns normally when it is cancelled in the same loop pass as its
        inner wait completes (a cancelled send's done-callback wakes the dispatcher), and a
        dispatcher that lost its cancellation would keep a shutting-down server waiting forever."""
        self._closing = True
        if self._wake is not None:
            self._wake.set()
        tasks = [t for t in (self._dispatcher, *self._inflight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._dispatcher = None
        self._inflight.clear()

    async def _dispatch(self) -> None:
        while not self._closing:
            self._wake.clear()
            self._store_waiting()
            try:
                while not self._closing and len(self._inflight) < self.max_inflight:
                    claim = await self._call(self.store.claim, self.owner, self.lease_s)
                    if claim is None:
                        break
                    if self._closing:  # closed while claiming: give it back for another sender
                        await self._call(self.store.release, claim, 0.0)
                        break
                    task = asyncio.create_task(self._run(claim), name=f"dingtalk-outbox-{claim.conversation_id}")
                    self._inflight.add(task)
                    task.add_done_callback(self._finished)
            except asyncio.CancelledError:
                raise
            except Exception:  # the store is unreachable: replies wait there, try again later
                log.exception("dingtalk outbox: reply store unavailable")
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_s)
            except asyncio.TimeoutError:
                pass

    def _finished(self, task: asyncio.Task) -> None:
        self._inflight.discard(task)
        if self._wake is not None:
            self._wake.set()  # the conversation may have a next reply

    async def _renew(self, claim: reply_queue.Claim, lost: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            try:
                if not await self._call(self.store.renew, claim, self.lease_s):
                    self.lost_leases += 1
                    lost.set()  # another sender has it now: send no further attempt
                    log.error("dingtalk outbox: lease on a reply for %s lost", claim.conversation_id)
                    return
            except Exception:
                log.exception("dingtalk outbox: renewing a lease failed")

    async def _run(self, claim: reply_queue.Claim) -> None:
        key = claim.conversation_id
        logs.REQUEST_ID.set(reply_queue.request_id_of(claim.payload))  # this task's own context
        lost = asyncio.Event()
        renewal = asyncio.create_task(self._renew(claim, lost))
        try:
            try:
                destination, message = decode(claim.payload)
            except (ValueError, KeyError, TypeError):
                self.given_up += 1
                log.error("dingtalk outbox: a stored reply for %s cannot be read; dropped", key)
            else:
                await self._deliver(key, destination, message, lost)
        except asyncio.CancelledError:
            renewal.cancel()
            try:
                await asyncio.shield(self._call(self.store.release, claim, 0.0))
            except Exception:
                log.warning("dingtalk outbox: could not give back a lease for %s (it ends by itself)", key,
                            exc_info=True)
            raise
        except Exception:  # a bug must not strand the conversation's queue
            log.exception("dingtalk outbox: unexpected error for conversation %s", key)
        renewal.cancel()
        await self._mark_done(claim)

    async def _mark_done(self, claim: reply_queue.Claim) -> None:
        """Remove the sent reply, trying again while the store is unreachable (a Redis blip): the
        lease is still ours for ``lease_s``, and a reply left in the store after its lease ends is
        sent a second time by another sender. Past that, at least once: it is logged."""
        deadline = time.monotonic() + self.lease_s * 2 / 3
        pause, failed = 0.1, 0
        while True:
            try:
                await self._call(self.store.done, claim)
                if failed:
                    log.info("dingtalk outbox: reply for %s marked sent after %d tries", claim.conversation_id,
                             failed + 1)
                return
            except Exception:
                failed += 1
                if time.monotonic() + pause > deadline:  # another sender will send it again
                    log.exception("dingtalk outbox: could not mark a reply for %s sent", claim.conversation_id)
                    return
                if failed == 1:
                    log.warning("dingtalk outbox: marking a reply for %s sent failed; trying again",
                                claim.conversation_id, exc_info=True)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 1.0)

    async def _deliver(self, key: str, destination: Destination, message: Message,
                       lost: asyncio.Event | None = None) -> None:
        attempt = 0
        pending_staff: tuple[str, ...] | None = None
        if destination.session_webhook in self._refused_webhooks:
            destination.session_webhook = None
        store_down = 0
        while lost is None or not lost.is_set():
            try:
                wait = await self._call(self.store.pace, key, self.rate_per_minute, self.rate_period_s,
                                        self._monotonic())
            except Exception:  # the store is unreachable (a Redis blip): the reply waits for it
                # (sending unpaced could break DingTalk's limit; giving up would lose the reply).
                # The lease is renewed meanwhile; once lost, another sender has the reply.
                store_down += 1
                if store_down == 1:
                    log.warning("dingtalk outbox: reply store unavailable for pacing in %s; waiting", key,
                                exc_info=True)
                await self._sleep(backoff_s(store_down, base_s=0.2, cap_s=2.0))
                continue
            store_down = 0
            if wait > 0:
                await self._sleep(wait)
                continue
            attempt += 1
            try:
                path = await self._send_once(destination, message, pending_staff)
                log.info("dingtalk outbox: reply to %s sent via %s", key, path)
                self.delivered.append((key, path))
                del self.delivered[:-200]
                return
            except DingTalkThrottled as exc:
                pending_staff = exc.staff_ids or pending_staff
                delay = backoff_s(attempt, base_s=self.throttle_wait_s, cap_s=self.max_backoff_s)
                log.warning("dingtalk outbox: throttled in %s, retrying in %.0fs", key, delay)
            except SessionWebhookError as exc:
                # Expired, revoked or refused session: the OpenAPI path stays available.
                log.warning("dingtalk outbox: sessionWebhook errcode %s in %s, using OpenAPI", exc.errcode, key)
                self._refuse_webhook(destination)
                continue
            except (DingTalkInvalidParameter, InvalidMessage) as exc:
                self.given_up += 1
                log.error("dingtalk outbox: a %s message for %s cannot be sent (%s); not retried",
                          message.msgtype, key, getattr(exc, "code", None) or exc)
                return
            except DingTalkError as exc:
                delay = backoff_s(attempt, cap_s=self.max_backoff_s)
                log.warning("dingtalk outbox: %s in %s, retry %d in %.0fs", type(exc).__name__, key, attempt, delay)
                destination.session_webhook = None  # retry through the OpenAPI path
            await self._sleep(delay)

    async def _send_once(self, destination: Destination, message: Message,
                         pending_staff: tuple[str, ...] | None) -> str:
        if destination.webhook_usable(self._wall_ms()):
            if self._allow_webhook is None or self._allow_webhook(destination.session_webhook):
                await self.api.post_session_webhook(destination.session_webhook, message)
                return "webhook"
            log.error("dingtalk outbox: sessionWebhook outside the allowed origins for %s; using OpenAPI",
                      destination.conversation_id)
            destination.session_webhook = None
        if destination.is_group:
            await self.api.send_group(destination.conversation_id, message)
            return "openapi"
        staff_ids = pending_staff or (destination.staff_id,)
        if not staff_ids or not staff_ids[0]:
            raise DingTalkInvalidParameter(400, "invalidParameter.userIds.empty", "no staff id for a 1:1 reply")
        result = await self.api.send_to_users(staff_ids, message)
        if result.throttled_staff_ids:
            raise DingTalkThrottled("flow controlled", result.throttled_staff_ids)
        return "openapi"
