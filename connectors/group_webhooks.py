"""The channel remembers each group's newest sessionWebhook for the worker's notices (issue 14):
DingTalk's OpenAPI group send cannot @ anybody, a sessionWebhook can (``at.atUserIds``) while it is
valid. Only URLs under an allowed origin (``dingtalk_client.origins``) are kept; a group's webhook is
written at most once per ``REMEMBER_EVERY_S`` (in-memory gate), off the event loop. See
``rasa_project/notify/session_webhooks.py``."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from rasa_project.notify.session_webhooks import REMEMBER_EVERY_S, SessionWebhooks

log = logging.getLogger(__name__)


class GroupWebhookMemory:
    def __init__(self, settings, allows: Callable[[str], bool], *, store: SessionWebhooks | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings, self.allows, self._store, self.clock = settings, allows, store, clock
        self._written: dict[str, float] = {}

    @property
    def store(self) -> SessionWebhooks:
        if self._store is None:
            from rasa_project.db import get_sessionmaker

            self._store = SessionWebhooks(get_sessionmaker(self.settings.sqlalchemy_url))
        return self._store

    def note(self, meta: dict) -> Awaitable[None] | None:
        """The write to do for this message's webhook, or None (not a group, none given, not due)."""
        url, expires, conversation = meta.get("session_webhook"), meta.get("session_webhook_expires_ms"), \
            meta.get("conversation_id")
        if not meta.get("is_group") or not url or not expires or not conversation or not self.allows(url):
            return None
        now = self.clock()
        if now - self._written.get(conversation, -REMEMBER_EVERY_S) < REMEMBER_EVERY_S:
            return None
        self._written[conversation] = now
        return self._write(conversation, url, int(expires))

    async def _write(self, conversation: str, url: str, expires: int) -> None:
        try:
            await asyncio.to_thread(self.store.remember, conversation, url, expires)
        except Exception:  # a notice then falls back to OpenAPI; the turn goes on
            self._written.pop(conversation, None)
            log.warning("dingtalk: could not remember the sessionWebhook of %s", conversation, exc_info=True)
