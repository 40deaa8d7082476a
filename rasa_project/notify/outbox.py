"""Proactive DingTalk sends that must not be lost: a SQL outbox in front of the OpenAPI.

Approval cards, reminders and notices to the production group are written to the
``notifications`` table first (one row per recipient, keyed by a caller-chosen ``dedupe_key``),
then sent. A send DingTalk could not take (network, 5xx, throttling, token trouble) stays
pending with a backoff and is retried by ``flush()``, which the approval worker calls. A repeated
dedupe key is never sent twice, so callers may announce the same event again after a crash.

``person_language`` decides which language a person is written to in.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, String, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from dingtalk_client.messages import InteractiveCard, InvalidMessage, Message, from_webhook_body
from dingtalk_client.openapi import DingTalkError, DingTalkInvalidParameter, DingTalkOpenAPI
from rasa_project.clock import utc_now
from rasa_project.db import Base, move_row
from rasa_project.ordering.tables import as_utc
from rasa_project.outage import connection_lost, through_outage_sync

log = logging.getLogger(__name__)

LANGS = ("zh", "id", "en")
SENDING_LEASE_S = 120  # a row left "sending" by a crashed process is retried after this
_CJK = re.compile(r"[\u3400-\u9fff]")


class NotificationRow(Base):
    __tablename__ = "notifications"

    id = Column(Integer, primary_key=True, autoincrement=True)
    dedupe_key = Column(String(191), nullable=False, unique=True)
    kind = Column(String(32), nullable=False)
    ref = Column(String(32), nullable=True, index=True)
    target_kind = Column(String(8), nullable=False)  # group | user
    target = Column(String(128), nullable=False)
    body = Column(JSON, nullable=False)  # the DingTalk webhook body of the message
    state = Column(String(12), nullable=False, index=True)  # pending | sending | sent | given_up
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime(timezone=True), nullable=False)
    claimed_at = Column(DateTime(timezone=True), nullable=True)
    last_error = Column(String(200), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    sent_at = Column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class Notification:
    id: int
    dedupe_key: str
    kind: str
    ref: str | None
    target_kind: str
    target: str
    state: str
    attempts: int
    last_error: str | None


def _view(row: NotificationRow) -> Notification:
    return Notification(row.id, row.dedupe_key, row.kind, row.ref, row.target_kind, row.target, row.state,
                        row.attempts, row.last_error)


class NotificationOutbox:
    """``send()`` records then delivers; ``flush()`` retries what is due. Safe across threads and
    processes: a row is claimed by a conditional UPDATE before it is sent."""

    def __init__(
        self,
        sessionmaker: sessionmaker,
        openapi: DingTalkOpenAPI,
        *,
        now: Callable[[], datetime] = utc_now,
        retry_max_s: int = 600,
        webhooks=None,
        allow_webhook: Callable[[str], bool] | None = None,
        outage_s: float = 30.0,
    ) -> None:
        self.Session = sessionmaker
        self.openapi = openapi
        self.allow_webhook = allow_webhook
        self.now = now
        self.retry_max_s = retry_max_s
        # a send DingTalk took is marked sent through a database outage of up to this long (a row
        # left "sending" would be sent again after SENDING_LEASE_S: a doubled card or notice)
        self.outage_s = outage_s
        # issue 14: a group notice that @-mentions someone goes through the group's fresh
        # sessionWebhook (notify/session_webhooks.py): the OpenAPI group send cannot @ anybody
        self.webhooks = webhooks

    def send(
        self,
        dedupe_key: str,
        message: Message | InteractiveCard,
        *,
        kind: str,
        group: str | None = None,
        staff_id: str | None = None,
        ref: str | None = None,
    ) -> bool:
        """Queue ``message`` for a group or one person and try to deliver it now.

        Returns True if a new notification was queued, False if ``dedupe_key`` was already used."""
        if bool(group) == bool(staff_id):
            raise ValueError("give exactly one of group or staff_id")
        now = self.now()
        try:
            with self.Session.begin() as s:
                row = NotificationRow(
                    dedupe_key=dedupe_key[:191],
                    kind=kind,
                    ref=ref,
                    target_kind="group" if group else "user",
                    target=group or staff_id,
                    body=message.to_stored_body() if isinstance(message, InteractiveCard) else message.to_webhook_body(),
                    state="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                s.add(row)
                s.flush()
                row_id = row.id
        except IntegrityError:
            return False
        try:
            self._deliver(row_id, now)
        except Exception:  # recorded: the worker's flush delivers it; the caller's work stands
            log.warning("notification %s to %s recorded, not delivered now (left to the worker)", kind,
                        group or staff_id, exc_info=True)
        return True

    def flush(self, now: datetime | None = None) -> int:
        """Deliver every due notification; returns how many went out."""
        now = now or self.now()
        with self.Session() as s:
            ids = list(s.execute(select(NotificationRow.id).where(_due(now)).order_by(NotificationRow.id)).scalars())
        return sum(1 for row_id in ids if self._deliver(row_id, now))

    def list(self, *, ref: str | None = None, state: str | None = None) -> list[Notification]:
        q = select(NotificationRow).order_by(NotificationRow.id)
        if ref:
            q = q.where(NotificationRow.ref == ref)
        if state:
            q = q.where(NotificationRow.state == state)
        with self.Session() as s:
            return [_view(r) for r in s.execute(q).scalars()]

    def recipients(self, ref: str, kinds: tuple[str, ...]) -> set[str]:
        """The people a notification of one of ``kinds`` about ``ref`` was addressed to (sent or not)."""
        with self.Session() as s:
            return set(s.execute(
                select(NotificationRow.target).where(NotificationRow.ref == ref, NotificationRow.kind.in_(kinds),
                                                     NotificationRow.target_kind == "user")
            ).scalars())

    def update_cards(self, ref: str, kinds: tuple[str, ...], params_for: Callable[[str], Mapping[str, Any]]) -> int:
        """Every interactive card about ``ref`` of one of ``kinds`` gets ``params_for(its addressee)``:
        a delivered copy is updated in DingTalk (by its outTrackId), a copy not delivered yet is
        stored with them, so it goes out already updated. Returns how many copies were updated."""
        with self.Session() as s:
            rows = list(s.execute(
                select(NotificationRow.id, NotificationRow.target, NotificationRow.state, NotificationRow.body)
                .where(NotificationRow.ref == ref, NotificationRow.kind.in_(kinds))
                .order_by(NotificationRow.id)
            ))
        updated = 0
        for row_id, target, state, body in rows:
            if (body or {}).get("msgtype") != "interactiveCard" or state == "given_up":
                continue
            params = dict(params_for(target))
            if state != "sent":
                with self.Session.begin() as s:
                    row = s.get(NotificationRow, row_id)
                    if row is not None and row.state != "sent":
                        card = InteractiveCard.from_stored_body(row.body)
                        row.body = replace(card, params=tuple({**dict(card.params), **params}.items())).to_stored_body()
                        updated += 1
                        continue
            try:
                self.openapi.update_card(InteractiveCard.from_stored_body(body).out_track_id, params)
                updated += 1
            except DingTalkError:  # what was decided stands; a press on a stale copy is told who decided
                log.warning("could not update the %s card of %s for %s", ref, kinds, target)
        return updated

    # -- delivery -----------------------------------------------------------------------------
    def _claim(self, row_id: int, now: datetime) -> NotificationRow | None:
        with self.Session.begin() as s:
            claimed = move_row(
                s, NotificationRow, row_id,
                {"state": "sending", "claimed_at": now, "attempts": NotificationRow.attempts + 1},
                state=("pending", "sending"), also=[_due(now)],
            )
            return s.get(NotificationRow, row_id) if claimed else None

    def _finish(self, row_id: int, **values) -> None:
        def finish() -> None:
            with self.Session.begin() as s:
                move_row(s, NotificationRow, row_id, values, state="sending")

        through_outage_sync("notifications", f"marking notification {row_id} {values.get('state')}", finish,
                            transient=connection_lost, outage_s=self.outage_s)

    def _send_with_at(self, conversation_id: str, message: Message) -> bool:
        """True when sent through the group's fresh sessionWebhook with its ``at.atUserIds`` (real
        @-mentions); False when there is nobody to @ or no fresh webhook (the caller uses OpenAPI)."""
        if self.webhooks is None or not getattr(message, "at_staff_ids", ()):
            return False
        url = self.webhooks.fresh(conversation_id, _wall_ms())
        if url is None:
            return False
        if self.allow_webhook is None or not self.allow_webhook(url):  # checked again at the moment of sending
            log.warning("notification to %s: stored sessionWebhook outside the allowed origins; using OpenAPI",
                        conversation_id)
            return False
        try:
            self.openapi.post_session_webhook(url, message)
        except DingTalkError as exc:
            log.warning("notification to %s: sessionWebhook failed (%s); using OpenAPI", conversation_id,
                        type(exc).__name__)
            return False
        return True

    def _deliver(self, row_id: int, now: datetime) -> bool:
        row = self._claim(row_id, now)
        if row is None:  # sent already, not due yet, or another worker has it
            return False
        try:
            if row.body.get("msgtype") == "interactiveCard":
                card = InteractiveCard.from_stored_body(row.body)
                where = {"conversation_id": row.target} if row.target_kind == "group" else {"staff_id": row.target}
                self.openapi.send_card(card.out_track_id, card.template_id, dict(card.params), **where)
                self._finish(row_id, state="sent", sent_at=self.now(), last_error=None)
                return True
            message = from_webhook_body(row.body)
            if row.target_kind == "group":
                if not self._send_with_at(row.target, message):
                    self.openapi.send_group(row.target, message)
            else:
                result = self.openapi.send_to_users([row.target], message)
                if result.invalid_staff_ids:
                    raise DingTalkInvalidParameter(400, "invalidStaffIdList", row.target)
                if result.throttled_staff_ids:
                    raise DingTalkError("flow controlled")
        except (DingTalkInvalidParameter, InvalidMessage) as exc:
            log.error("notification %s to %s cannot be sent (%s); given up", row.kind, row.target, type(exc).__name__)
            self._finish(row_id, state="given_up", last_error=_short(exc))
            return False
        except DingTalkError as exc:
            delay = min(self.retry_max_s, 5 * 2 ** max(0, row.attempts - 1))
            log.warning("notification %s to %s failed (%s); retry in %ss", row.kind, row.target,
                        type(exc).__name__, delay)
            self._finish(row_id, state="pending", last_error=_short(exc),
                         next_attempt_at=as_utc(now) + timedelta(seconds=delay))
            return False
        self._finish(row_id, state="sent", sent_at=self.now(), last_error=None)
        return True


def _wall_ms() -> int:
    return int(time.time() * 1000)  # sessionWebhookExpiredTime is DingTalk's wall clock


def _due(now: datetime):
    """Rows to (re)send at ``now``: pending and due, or left "sending" by a process that died."""
    lease_cutoff = now - timedelta(seconds=SENDING_LEASE_S)
    return or_(
        (NotificationRow.state == "pending") & (NotificationRow.next_attempt_at <= now),
        (NotificationRow.state == "sending") & (NotificationRow.claimed_at <= lease_cutoff),
    )


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


# -- whom to write in which language ---------------------------------------------------------
def last_chat_language(Session: sessionmaker, staff_id: str) -> str | None:
    """The language ``staff_id`` last wrote to the assistant in (from the audit trail's NLU records)."""
    from rasa_project.audit.models import AuditRecord

    with Session() as s:
        payload = s.execute(
            select(AuditRecord.payload)
            .where(AuditRecord.kind == "nlu", AuditRecord.actor == staff_id)
            .order_by(AuditRecord.id.desc())
            .limit(1)
        ).scalar()
    if not payload:
        return None
    try:
        lang = json.loads(payload).get("language")
    except (ValueError, AttributeError):
        return None
    return lang if lang in LANGS else None


def person_language(
    Session: sessionmaker, staff_id: str, name: str | None = None, preferred: str | None = None
) -> str:
    """A person's language: the directory's preferredLanguage, else the language they last chatted
    in, else Chinese for a Chinese name, else English."""
    if preferred:
        tag = preferred.strip().lower()[:2]
        if tag in LANGS:
            return tag
    lang = last_chat_language(Session, staff_id)
    if lang:
        return lang
    return "zh" if name and _CJK.search(name) else "en"
