"""Replies leave through one queue per conversation: paced, retried, in order, never dropped.

DingTalk throttles a robot at 20 messages per minute per conversation (errcode 130101), and a
sessionWebhook expires. So each conversation gets a worker that (1) waits for a free slot in a
sliding one-minute window, (2) uses the sessionWebhook while it is valid, (3) falls back to the
OpenAPI when the webhook is expired or fails, and (4) retries throttled or failed sends with
backoff. Only a message DingTalk can never accept (invalid parameter) is given up, and logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from dingtalk_client.messages import InvalidMessage, Message
from dingtalk_client.openapi import (
    AsyncDingTalkOpenAPI,
    DingTalkError,
    DingTalkInvalidParameter,
    DingTalkThrottled,
    SessionWebhookError,
)

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


class Outbox:
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
    ) -> None:
        self.api = api
        # a second look at the sessionWebhook right before sending (the channel checked it on arrival)
        self._allow_webhook = allow_webhook
        self.rate_per_minute = rate_per_minute
        self._monotonic, self._wall_ms, self._sleep = monotonic, wall_ms, sleep
        self.throttle_wait_s, self.max_backoff_s = throttle_wait_s, max_backoff_s
        self._queues: dict[str, asyncio.Queue] = {}
        self._workers: dict[str, asyncio.Task] = {}
        self._windows: dict[str, RateWindow] = {}
        self.delivered: list[tuple[str, str]] = []  # (conversation_id, path) for diagnostics, bounded
        self.given_up = 0

    def enqueue(self, destination: Destination, message: Message) -> None:
        key = destination.conversation_id
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = asyncio.Queue()
            self._windows[key] = RateWindow(self.rate_per_minute)
        queue.put_nowait((destination, message))
        worker = self._workers.get(key)
        if worker is None or worker.done():
            self._workers[key] = asyncio.create_task(self._work(key), name=f"dingtalk-outbox-{key}")

    async def join(self) -> None:
        """Wait until every queued message has been delivered (or given up)."""
        for queue in list(self._queues.values()):
            await queue.join()

    async def close(self) -> None:
        for task in self._workers.values():
            task.cancel()
        await asyncio.gather(*self._workers.values(), return_exceptions=True)
        self._workers.clear()

    async def _work(self, key: str) -> None:
        queue = self._queues[key]
        while True:
            destination, message = await queue.get()
            try:
                await self._deliver(key, destination, message)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not kill the worker and strand the queue
                log.exception("dingtalk outbox: unexpected error for conversation %s", key)
            finally:
                queue.task_done()

    async def _deliver(self, key: str, destination: Destination, message: Message) -> None:
        window = self._windows[key]
        attempt = 0
        pending_staff: tuple[str, ...] | None = None
        while True:
            wait = window.wait_s(self._monotonic())
            if wait > 0:
                await self._sleep(wait)
                continue
            window.record(self._monotonic())
            attempt += 1
            try:
                path = await self._send_once(destination, message, pending_staff)
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
                destination.session_webhook = None
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
