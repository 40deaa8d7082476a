"""DingTalk event intake for the channel: OA approval events (and any other subscribed event) over
the encrypted HTTP event subscription (spec §6) and over Stream EVENT frames (spec §4), written
into the durable inbox (``rasa_project.oa.inbox``) and acknowledged at once.

HTTP: ``POST /webhooks/dingtalk/events?msg_signature=&timestamp=&nonce=`` with ``{"encrypt": ...}``.
In order: size and JSON, signature (sha1 over token/timestamp/nonce/encrypt), freshness
(``dingtalk_event_window_s`` against the wall clock), decryption, ownerKey (our appKey), then
``check_url`` is answered and every other event is stored. The answer to everything accepted is
the encrypted ``success``; a forged, stale or undecryptable post gets 403 with the reason, is
logged, and changes nothing (DingTalk retries it a few times and gives up). A post we could not
store gets 503, so DingTalk delivers it again.

Stream: EVENT frames (headers eventId, eventBornTime, eventCorpId, eventType, eventUnifiedAppId;
``data`` the event body) are stored and acked ``{"status": "SUCCESS"}``; one for another corp is
acked and dropped; one we could not store is acked 500 ``LATER`` so the platform redelivers it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from dingtalk_client.event_crypto import EventCrypto, EventRefused, SignedPost
from rasa_project.oa.inbox import InboundEvent, Inbox

log = logging.getLogger(__name__)

CHECK_URL = "check_url"


class EventIntake:
    def __init__(self, settings, *, inbox: Inbox | None = None,
                 wall_ms: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.settings = settings
        self.crypto = EventCrypto(settings.dingtalk_event_token, settings.dingtalk_event_aes_key.get_secret_value(),
                                  settings.dingtalk_app_key)
        self._inbox = inbox
        self._wall_ms = wall_ms
        self.refused: list[str] = []  # reasons of refused posts, bounded, for diagnostics

    @property
    def inbox(self) -> Inbox:
        if self._inbox is None:
            from rasa_project.db import get_engine

            self._inbox = Inbox(get_engine(self.settings.sqlalchemy_url), lease_s=self.settings.oa_inbox_lease_s)
        return self._inbox

    def _refuse(self, reason: str, status: int = 403) -> HTTPResponse:
        log.warning("dingtalk events: post refused (%s)", reason)
        self.refused.append(reason)
        del self.refused[:-200]
        return response.json({"error": reason}, status=status)

    async def store(self, event: InboundEvent) -> bool:
        """Write to the inbox off the event loop; True when new, False for a redelivery."""
        stored = await asyncio.to_thread(self.inbox.put, event)
        log.info("dingtalk events: %s %s %s", event.event_type, event.key, "stored" if stored else "already stored")
        return stored

    # HTTP subscription
    async def on_http(self, request: Request) -> HTTPResponse:
        raw = await _read_bounded(request, self.settings.dingtalk_max_body_bytes)
        if raw is None:
            return self._refuse("too large", 413)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nested too deep
            return self._refuse("malformed", 400)
        try:
            post = SignedPost.from_request(dict(request.args), body)
            event = self.crypto.open(post, now_ms=self._wall_ms(), window_s=self.settings.dingtalk_event_window_s)
        except EventRefused as exc:
            return self._refuse(exc.reason, 400 if exc.reason == "malformed" else 403)
        event_type = event.pop("EventType")
        if event_type != CHECK_URL:
            corp = event.get("corpId")
            if corp and corp != self.settings.dingtalk_corp_id:
                return self._refuse("corp")
            try:
                await self.store(InboundEvent(event_type, event, "http", corp_id=corp or None))
            except Exception:
                log.exception("dingtalk events: inbox unavailable; DingTalk will deliver again")
                return response.json({"error": "try again"}, status=503)
        return response.json(self.crypto.reply("success", now_ms=self._wall_ms()))

    def register(self, bp: Blueprint) -> None:
        @bp.route("/events", methods=["POST"], stream=True)  # read bounded, not buffered whole by Sanic
        async def events(request: Request) -> HTTPResponse:
            return await self.on_http(request)

    # Stream EVENT frames
    async def on_stream(self, data: Any, headers: dict) -> tuple[int, dict]:
        """(ack code, ack data) for one EVENT frame."""
        event_type = headers.get("eventType")
        corp = headers.get("eventCorpId")
        if not isinstance(data, dict) or not event_type:
            log.warning("dingtalk events: EVENT frame without eventType or data dropped")
            return 200, {"status": "SUCCESS"}  # redelivering a malformed frame cannot help
        if corp and corp != self.settings.dingtalk_corp_id:
            log.warning("dingtalk events: event for corp %s dropped", corp)
            return 200, {"status": "SUCCESS"}
        try:
            await self.store(InboundEvent(event_type, dict(data), "stream", event_id=headers.get("eventId"),
                                          corp_id=corp or data.get("corpId")))
        except Exception:
            log.exception("dingtalk events: inbox unavailable; asking for redelivery")
            return 500, {"status": "LATER"}
        return 200, {"status": "SUCCESS"}


async def _read_bounded(request: Request, limit: int) -> bytes | None:
    """The body, or None once more than ``limit`` bytes were announced or have arrived."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        return None
    if request.stream is None:  # not a streamed route (Sanic read it already)
        return None if len(request.body or b"") > limit else (request.body or b"")
    chunks, size = [], 0
    async for chunk in request.stream:
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
