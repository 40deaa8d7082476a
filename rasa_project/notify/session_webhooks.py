"""The latest sessionWebhook of each group, so that a notice sent later (by the worker, not as the
answer to a message) can still @-mention people for real.

Why: DingTalk's robot OpenAPI group send (``POST /v1.0/robot/groupMessages/send``: robotCode,
openConversationId, msgKey, msgParam, coolAppCode) has no field for @-mentions — a name in the
text is only text, nobody is notified. A message's ``sessionWebhook`` takes the webhook body, whose
``at.atUserIds`` does notify, but only while it is valid (``sessionWebhookExpiredTime``, about
1.5 h after the message that brought it). So the channel remembers the newest one per group
(``remember``; only URLs that passed ``dingtalk_client.origins``, at most once per
``REMEMBER_EVERY_S`` per group), and the outbox uses it for a notice that @-mentions someone while
it is fresh (``fresh``), else the OpenAPI send with the names in the text.

Table ``session_webhooks`` (migrations/versions/o003_session_webhooks.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, String, Text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from rasa_project.clock import utc_now
from rasa_project.db import Base

log = logging.getLogger(__name__)

REMEMBER_EVERY_S = 600  # the channel writes a group's newest webhook at most this often
MARGIN_MS = 60_000  # a webhook expiring within a minute is not used


class SessionWebhookRow(Base):
    __tablename__ = "session_webhooks"
    conversation_id = Column(String(128), primary_key=True)
    url = Column(Text, nullable=False)
    expires_ms = Column(BigInteger, nullable=False)
    seen_at = Column(DateTime(timezone=True), nullable=False)


class SessionWebhooks:
    def __init__(self, Session: sessionmaker, *, now: Callable[[], datetime] = utc_now) -> None:
        self.Session, self.now = Session, now

    def remember(self, conversation_id: str, url: str, expires_ms: int) -> None:
        """Keep the webhook that expires last (a message answered late does not replace a newer one)."""
        with self.Session.begin() as s:
            row = s.get(SessionWebhookRow, conversation_id)
            if row is None:
                s.add(SessionWebhookRow(conversation_id=conversation_id, url=url, expires_ms=int(expires_ms),
                                        seen_at=self.now()))
            elif int(expires_ms) > row.expires_ms:
                row.url, row.expires_ms, row.seen_at = url, int(expires_ms), self.now()

    def fresh(self, conversation_id: str, now_ms: int | None = None) -> str | None:
        """The group's webhook if it is valid for at least ``MARGIN_MS`` more, else None."""
        now_ms = int(self.now().timestamp() * 1000) if now_ms is None else now_ms
        try:
            with self.Session() as s:
                row = s.get(SessionWebhookRow, conversation_id)
                if row is None or row.expires_ms - MARGIN_MS <= now_ms:
                    return None
                return row.url
        except SQLAlchemyError:  # the store unreadable: the notice goes through OpenAPI, without a real @
            log.warning("session webhooks unreadable; %s gets its notice without a real @", conversation_id)
            return None
