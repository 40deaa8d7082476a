"""Rasa input/output channel for a DingTalk enterprise-internal robot (HTTP callback or Stream mode).

credentials.yml::

    connectors.dingtalk.DingTalkInput:   # every key optional; defaults come from Settings
      mode: http                         # or stream

Routes (under /webhooks/dingtalk/): ``GET /`` health, ``POST /webhook`` robot messages,
``POST /card`` interactive-card callbacks with callbackType HTTP, ``POST /internal/turn`` the
callback ingress's hand-off (connectors/ingress.py: the ingress, a process of its own, runs the
acknowledgement below and hands the admitted message over; taken only with ``ingress_secret``).

Every callback is checked before it is acknowledged, in this order (docs/SECURITY.md): signature
and timestamp against the real wall clock (the current or, while rotating, the previous app
secret); size and JSON; field sizes (``connectors.limits``); robotCode and corp; the
``sessionWebhook`` under an allowed origin (``dingtalk_client.origins``, else 400 before anything
is processed or sent); then, in one hop to the channel's own worker thread (``ack_pool``, not
asyncio's default pool, which turns share; the callbacks queued meanwhile are written together),
the signature used once (``connectors.replay``: the same headers with another body are a replay,
401, nothing admitted) and the ``msgId`` recorded (``connectors.dedupe``: a repeat is acknowledged
and dropped; the admitted message is kept, decoded and leased, until its turn is over). A body refused before the
hop still has its signature claimed (as when the claim came first): it answers 401 ``replayed`` if
the signature belongs to another message. A store that is down answers 503 and admits nothing.
That is the whole acknowledgement: no Rasa work and no call to DingTalk stand before it.

The admitted message's turn then runs in a background task: first the sender must be a member of
the conversation (``connectors.speakers``, an OpenAPI call for a group not yet cached). A sender
who is not gets no turn and no answer (logged; the record is finished). When DingTalk cannot say,
the check is tried again with backoff for up to one lease (``turn_lease_s``, renewed meanwhile);
after that the turn lets its lease lapse and the sweeper runs it again (``turn_max_reruns``), as
for a process that died. Then the per-sender and per-conversation rate limit, and the Rasa turn. A
turn whose process died is run by another channel (``connectors.dedupe``, ``DingTalkInput.sweep``).
Replies go through ``connectors.outbox``. Stream frames skip only the signature steps: they arrive
over our own connection, authenticated with the app's credentials.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import dataclasses
import enum
import hmac
import itertools
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.dedupe import DedupeStore, admit_many, make_dedupe_store
from connectors.events import EventIntake
from connectors.group_webhooks import GroupWebhookMemory
from connectors.limits import (
    Admission,
    FloodGate,
    oversized_card_field,
    oversized_card_params,
    oversized_robot_field,
)
from connectors.outbox import Destination, Outbox, backoff_s
from connectors.replay import ClaimStore, ReplayGuard, Verdict, body_digest, make_claim_store
from connectors.reply_queue import make_reply_store
from connectors.speakers import SpeakerCheck
from dingtalk_client import messages as dt_messages
from dingtalk_client.messages import ActionCard, InvalidMessage, Markdown, Message
from dingtalk_client.messages import Text as TextMessage
from dingtalk_client.openapi import AsyncDingTalkOpenAPI
from dingtalk_client.origins import ReplyOrigins
from dingtalk_client.signing import SignatureProblem, check_signature
from rasa_project import catalog, logs, metrics
from rasa_project.nlu.language import detect_or
from rasa_project.wiring import dingtalk_config, observe_stage

log = logging.getLogger(__name__)

CHANNEL = "dingtalk"

# The output of the turn running in this task: its replies are held until the turn's tracker is
# about to be saved (``install_reply_commit``) or the turn is over, whichever comes first.
TURN_OUTPUT: contextvars.ContextVar[DingTalkOutput | None] = contextvars.ContextVar("dingk3_turn_output",
                                                                                    default=None)
TOPIC_ROBOT = "/v1.0/im/bot/messages/get"
TOPIC_CARD = "/v1.0/card/instances/callback"
READABLE_MSGTYPES = ("text", "richText", "audio")
SUPPORTED_MSGTYPES = READABLE_MSGTYPES + ("picture",)
_ACTION = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
# The acknowledgement's store hop (replay claim + msgId record) runs on one thread of its own, in
# batches: the callbacks queued meanwhile share one claim write and one record write (one synced
# commit each with SQLite), since under load every commit's thread also waits for the GIL.
ACK_THREADS = 1
ACK_BATCH = 64
# the ingress's hand-off route (connectors/ingress.py): the header carrying the internal secret, and
# how many handed-over message ids a process remembers (a hand-off repeated runs once)
HANDOFF_HEADER = "x-dingk3-ingress-secret"
HANDED_KEPT = 10_000

# credentials.yml key -> Settings field
CREDENTIAL_KEYS = {
    "app_key": "dingtalk_app_key",
    "app_secret": "dingtalk_app_secret",
    "robot_code": "dingtalk_robot_code",
    "corp_id": "dingtalk_corp_id",
    "mode": "dingtalk_mode",
    "openapi_url": "dingtalk_openapi_url",
    "max_body_bytes": "dingtalk_max_body_bytes",
    "sign_window_s": "dingtalk_sign_window_s",
    "rate_per_minute": "dingtalk_rate_per_minute",
    "robot_name": "dingtalk_robot_name",
    "redis_url": "redis_url",
    "dedupe_ttl_s": "dedupe_ttl_s",
}


class InvalidCallback(ValueError):
    """A callback body we refuse; ``field`` names what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class Inbound:
    """One user turn, decoded from a robot message or a card button press."""

    text: str
    sender_id: str
    dedupe_key: str
    message_id: str
    metadata: dict
    is_readable: bool = True  # False: a picture (or empty) message Rasa cannot read
    is_too_long: bool = False  # longer than settings.dingtalk_max_text_chars: answered, not read


@dataclass(frozen=True)
class Signed:
    """The signature an HTTP callback came with and the message it carried (``connectors.replay``)."""

    timestamp: str
    sign: str
    body: Any  # the decoded JSON body: its message id and digest are what the signature is kept for

    @property
    def message_id(self) -> str:
        ident = (self.body.get("msgId") or self.body.get("outTrackId")) if isinstance(self.body, dict) else None
        return str(ident or "")


class Ack(enum.Enum):
    """What the acknowledgement's store hop decided."""

    STARTED = "started"  # admitted and recorded: its turn runs in the background
    REPEAT = "repeat"  # the msgId was admitted before (a redelivery): acknowledged, nothing started
    REPLAYED = "replayed"  # the signature belongs to another message: refused, nothing admitted
    CLAIMED = "claimed"  # nothing to admit (a body refused after its signature was claimed)


def _settle(future: asyncio.Future, result: Any) -> None:
    if not future.done():
        future.set_result(result)  # an exception is handed over as a value and raised by its waiter


class StoreUnavailable(Exception):
    """The replay-claim or the dedupe store failed during the acknowledgement (``store`` names it)."""

    def __init__(self, store: str) -> None:
        super().__init__(f"{store} store unavailable")
        self.store = store


def _payload(inbound: Inbound) -> str:
    """The admitted turn as the dedupe store keeps it (``Inbound(**json.loads(...))`` again)."""
    return json.dumps(dataclasses.asdict(inbound), ensure_ascii=False)


# --- decoding (pure) ---------------------------------------------------------------------------
def strip_mention(content: str, robot_name: str) -> str:
    """Drop leading spaces and a leading "@<robot name>" (DingTalk usually removes it already)."""
    text = content.lstrip()
    mention = f"@{robot_name}" if robot_name else None
    while mention and text.startswith(mention):
        text = text[len(mention):].lstrip()
    return text.strip()


def message_text(body: dict) -> str:
    msgtype = body.get("msgtype")
    content = body.get("content") if isinstance(body.get("content"), dict) else {}
    if msgtype == "text":
        text = (body.get("text") or {}).get("content")
        if not isinstance(text, str):
            raise InvalidCallback("text.content", "missing")
        return text
    if msgtype == "audio":
        return str(content.get("recognition") or "")
    if msgtype == "richText":
        parts = content.get("richText") or []
        return "".join(str(p["text"]) for p in parts if isinstance(p, dict) and "text" in p)
    return ""


def _epoch_ms(value: Any) -> int | None:
    """DingTalk's epoch-millisecond fields (a number or a string of digits); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**16 else None
    if isinstance(value, str) and value.isdigit() and len(value) <= 16:
        return int(value)
    return None


def decode_robot_message(body: dict, *, robot_name: str, max_text_chars: int | None = None) -> Inbound:
    """Decode a robot message (spec §1.2, same shape in HTTP and Stream mode)."""
    if not isinstance(body, dict):
        raise InvalidCallback("body", "must be an object")
    oversized = oversized_robot_field(body)
    if oversized:
        raise InvalidCallback(oversized, "too long")
    for key in ("msgId", "conversationId", "conversationType", "msgtype"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise InvalidCallback(key, "missing")
    conversation_type = body["conversationType"]
    if conversation_type not in ("1", "2"):
        raise InvalidCallback("conversationType", "must be '1' or '2'")
    staff_id = body.get("senderStaffId") or None
    sender = staff_id or body.get("senderId")
    if not sender:
        raise InvalidCallback("senderId", "missing")
    msgtype = body["msgtype"]
    text = strip_mention(message_text(body), robot_name) if msgtype in SUPPORTED_MSGTYPES else ""
    robot_user = body.get("chatbotUserId")
    at_staff_ids = [
        u["staffId"]
        for u in body.get("atUsers") or []
        if isinstance(u, dict) and u.get("staffId") and u.get("dingtalkId") != robot_user
    ]
    expires = body.get("sessionWebhookExpiredTime")
    if expires not in (None, "") and (isinstance(expires, bool) or not str(expires).isdigit() or len(str(expires)) > 16):
        raise InvalidCallback("sessionWebhookExpiredTime", "not epoch milliseconds")
    webhook = body.get("sessionWebhook")
    if webhook is not None and not isinstance(webhook, str):
        raise InvalidCallback("sessionWebhook", "must be a string")
    too_long = max_text_chars is not None and len(text) > max_text_chars
    metadata = {
        "conversation_id": body["conversationId"],
        "conversation_type": conversation_type,
        "conversation_title": body.get("conversationTitle"),
        "staff_id": staff_id,
        "sender_nick": body.get("senderNick"),
        "msg_id": body["msgId"],
        "session_webhook": webhook or None,
        "session_webhook_expires_ms": int(expires) if expires not in (None, "") else None,
        # when the person sent it (DingTalk's clock): a message delivered late is not acted on
        # behind a later one (actions/base.py)
        "created_ms": _epoch_ms(body.get("createAt")),
        "at_staff_ids": at_staff_ids,
        "robot_code": body.get("robotCode"),
        "is_group": conversation_type == "2",
    }
    return Inbound(
        text=text,
        sender_id=f"{body['conversationId']}:{sender}",
        dedupe_key=f"msg:{body['msgId']}",
        message_id=body["msgId"],
        metadata=metadata,
        is_readable=msgtype in READABLE_MSGTYPES and bool(text) and not too_long,
        is_too_long=too_long,
    )


class RerunState(enum.Enum):
    DONE = "done"  # the turn reached the tracker store before its process stopped
    SUPERSEDED = "superseded"  # it did not, but a message that arrived after it did
    DUE = "due"  # neither: run it now


def rerun_state(inbound: Inbound, user_events) -> RerunState:
    """Judge a left-behind turn against the user events of its tracker (same person, same chat)."""
    if any(getattr(e, "message_id", None) == inbound.message_id for e in user_events):
        return RerunState.DONE
    received = inbound.metadata.get("received_ms")
    if received is None:  # stored before arrival times were recorded
        return RerunState.DUE
    for e in user_events:
        later = (getattr(e, "metadata", None) or {}).get("received_ms")
        if later is None:  # a turn stored before arrival times were recorded: its processing time
            later = int(e.timestamp * 1000)
        if later > received:
            return RerunState.SUPERSEDED
    return RerunState.DUE


def decode_card_callback(data: dict) -> Inbound:
    """A card button press -> ``/<action>{params}`` (Rasa's intent payload syntax), spec §5."""
    if not isinstance(data, dict):
        raise InvalidCallback("body", "must be an object")
    for key in ("outTrackId", "userId", "content"):
        if not data.get(key):
            raise InvalidCallback(key, "missing")
    try:
        content = json.loads(data["content"]) if isinstance(data["content"], str) else data["content"]
    except ValueError:
        raise InvalidCallback("content", "not JSON") from None
    private = content.get("cardPrivateData") if isinstance(content, dict) else None
    private = private or {}
    if not isinstance(private, dict) or not isinstance(private.get("params") or {}, dict) \
            or not isinstance(private.get("actionIds") or [], list):
        raise InvalidCallback("cardPrivateData", "must be an object")
    params = dict(private.get("params") or {})
    if oversized_card_params(params):
        raise InvalidCallback("cardPrivateData.params", "too many or too long")
    action = params.pop("decision", None) or next(iter(private.get("actionIds") or []), None)
    if not isinstance(action, str) or not _ACTION.match(action):
        raise InvalidCallback("cardPrivateData", "no usable action")
    text = f"/{action}{json.dumps(params, ensure_ascii=False, sort_keys=True)}" if params else f"/{action}"
    space_type = data.get("spaceType") or "IM_GROUP"
    is_group = space_type == "IM_GROUP"
    space_id = data.get("spaceId") or data["outTrackId"]
    user_id = data["userId"]
    key = f"card:{data['outTrackId']}:{user_id}:{action}"
    metadata = {
        "conversation_id": space_id,
        "conversation_type": "2" if is_group else "1",
        "conversation_title": None,
        "staff_id": user_id,
        "sender_nick": None,
        "msg_id": key,
        "session_webhook": None,
        "session_webhook_expires_ms": None,
        "created_ms": None,  # a card press carries no createAt: never judged "delivered late"
        "at_staff_ids": [],
        "robot_code": None,
        "is_group": is_group,
    }
    return Inbound(text, f"{space_id}:{user_id}", key, key, metadata)


def settings_from_credentials(credentials: dict[str, Any] | None, base=None):
    """Settings with credentials.yml values laid over ``get_settings()`` (empty values ignored)."""
    from rasa_project.settings import get_settings

    base = base or get_settings()
    update = {}
    for key, value in (credentials or {}).items():
        if key not in CREDENTIAL_KEYS:
            raise ValueError(f"unknown dingtalk credential key {key!r}")
        if value not in (None, ""):
            update[CREDENTIAL_KEYS[key]] = value
    # Build through the model so types (SecretStr, int) are coerced like environment values.
    return type(base)(**{**base.dict(), **update})


# --- output -------------------------------------------------------------------------------------
def _card_title(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), text)
    return first.strip().lstrip("#>*- ").strip()[:30] or text[:30]


class DingTalkOutput(OutputChannel):
    """Sends Rasa's responses to one DingTalk conversation (or resolves it from the recipient id)."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(
        self,
        outbox: Outbox,
        destination: Destination | None = None,
        *,
        lang: str = "zh",
        resolve: Callable[[str], Destination] | None = None,
        turn_key: str | None = None,
    ) -> None:
        self.outbox, self.destination, self.lang, self._resolve = outbox, destination, lang, resolve
        # a turn's replies are keyed by its message and their place in it: run again after its
        # process died, the turn does not say again what the first run had queued
        self._turn_key, self._replies = turn_key, 0
        # A turn's replies are held, in order, until ``flush``: just before Rasa saves the turn's
        # tracker (``install_reply_commit``), else when the turn is over. Rasa sends a turn's
        # messages while it runs and saves the tracker at its end; a process killed in between
        # had shown the person answers of a turn the tracker store never got (the rerun then acts
        # on a conversation without it, and the person's next message meets a state they were
        # not shown). Held, nothing of a turn is seen before its tracker is being saved.
        self._held: list[tuple[Destination, Message, str | None]] | None = None

    def hold(self) -> None:
        """From now on, replies wait for ``flush``."""
        if self._held is None:
            self._held = []

    def flush(self) -> None:
        """Queue the held replies (durably, in order); later ones go straight out."""
        held, self._held = self._held, None
        for destination, message, key in held or ():
            self.outbox.enqueue(destination, message, key=key)

    def _destination(self, recipient_id: str) -> Destination:
        if self.destination is not None:
            return self.destination
        if self._resolve is None:
            raise ValueError("no destination for a DingTalk reply")
        return self._resolve(recipient_id)

    def _mentions(self, destination: Destination) -> tuple[str, ...]:
        # Like the SDK's reply_text: tag the asker in a group so the reply is theirs.
        return (destination.staff_id,) if destination.is_group and destination.staff_id else ()

    async def send(self, recipient_id: str, message: Message) -> None:
        key = None
        if self._turn_key is not None:
            key, self._replies = f"{self._turn_key}#{self._replies}", self._replies + 1
        if self._held is not None:
            self._held.append((self._destination(recipient_id), message, key))
            return
        self.outbox.enqueue(self._destination(recipient_id), message, key=key)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        if text and text.strip():
            dest = self._destination(recipient_id)
            await self.send(recipient_id, TextMessage(text.strip(), self._mentions(dest)))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        pairs = tuple((str(b.get("title")), str(b.get("payload") or b.get("title"))) for b in buttons)
        if len(pairs) <= dt_messages.MAX_BUTTONS:
            await self.send(recipient_id, ActionCard(_card_title(text), text, pairs, is_horizontal=len(pairs) == 2))
            return
        # More buttons than an actionCard holds: dtmd:// links also work inside markdown.
        links = "\n".join(f"- [{title}]({dt_messages.dtmd_send_url(chat)})" for title, chat in pairs)
        await self.send(recipient_id, Markdown(_card_title(text), f"{text}\n\n{links}"))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        try:
            message = dt_messages.from_webhook_body(json_message)
        except InvalidMessage as exc:
            log.error("dingtalk: custom message refused (%s: %s); not sent", exc.field, exc.reason)
            return
        await self.send(recipient_id, message)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send(recipient_id, Markdown(catalog.text("dingtalk.image_title", self.lang), f"![]({image})"))


# --- input ----------------------------------------------------------------------------------------
class DingTalkInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> DingTalkInput:
        return cls(settings_from_credentials(credentials))

    def __init__(
        self,
        settings=None,
        *,
        dedupe: DedupeStore | None = None,
        openapi: AsyncDingTalkOpenAPI | None = None,
        outbox_factory: Callable[[AsyncDingTalkOpenAPI], Outbox] | None = None,
        wall_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        inbox=None,  # rasa_project.oa.inbox.Inbox for DingTalk events (default: on the settings' database)
        claims: ClaimStore | None = None,
        speakers: SpeakerCheck | None = None,
        flood: FloodGate | None = None,
        handled: Callable[[Inbound], Awaitable[bool]] | None = None,  # default: the agent's tracker store
        member_retry_s: float = 0.5,  # first wait before asking DingTalk about a sender again (it doubles)
    ) -> None:
        if settings is None:
            from rasa_project.settings import get_settings

            settings = get_settings()
        self.settings = settings
        self._secrets = settings.dingtalk_callback_secrets  # current first, then the previous one
        self.reply_origins = ReplyOrigins(settings.dingtalk_reply_origins)
        self._claims = claims
        self._replay: ReplayGuard | None = None
        self._speakers = speakers
        self.flood = flood or FloodGate.from_settings(settings)
        self._dedupe = dedupe
        self._openapi = openapi
        self._outbox_factory = outbox_factory
        self._outbox: Outbox | None = None
        self._wall_ms = wall_ms
        self._member_retry_s = member_retry_s
        self._ack_pool: ThreadPoolExecutor | None = None  # the acknowledgement's store hop (ACK_THREADS)
        self._ack_queue: collections.deque = collections.deque()  # (signed, inbound, future, loop, queued at)
        self._handed: collections.OrderedDict[str, None] = collections.OrderedDict()  # ingress hand-offs taken
        self._tasks: set[asyncio.Task] = set()
        self._handled_check = handled
        self._app = None  # the Sanic app once serving (its agent's tracker store answers _handled)
        self._sweep_task: asyncio.Task | None = None
        self._conversations: dict[str, bool] = {}  # conversation id -> is group (for proactive sends)
        self._langs: dict[str, str] = {}  # sender id -> language of their last readable message
        self.stream = None  # connectors.stream.StreamClient in stream mode
        self.events = EventIntake(settings, inbox=inbox, wall_ms=wall_ms)  # POST /events + Stream EVENT frames
        self.group_webhooks = GroupWebhookMemory(settings, self.reply_origins.allows)  # notices that @ (issue 14)

    # shared services, created lazily inside the running event loop
    @property
    def dedupe(self) -> DedupeStore:
        if self._dedupe is None:
            self._dedupe = make_dedupe_store(self.settings)
        return self._dedupe

    @property
    def claims(self) -> ClaimStore:
        if self._claims is None:
            self._claims = make_claim_store(self.settings)
        return self._claims

    @property
    def replay(self) -> ReplayGuard:
        if self._replay is None:
            self._replay = ReplayGuard(self.claims, self.settings.dingtalk_sign_window_s)
        return self._replay

    @property
    def openapi(self) -> AsyncDingTalkOpenAPI:
        if self._openapi is None:
            self._openapi = AsyncDingTalkOpenAPI(dingtalk_config(self.settings))
        return self._openapi

    @property
    def speakers(self) -> SpeakerCheck:
        if self._speakers is None:
            self._speakers = SpeakerCheck.from_settings(self.settings, self.openapi, self.claims)
        return self._speakers

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            factory = self._outbox_factory or (
                lambda api: Outbox(api, rate_per_minute=self.settings.dingtalk_rate_per_minute,
                                   allow_webhook=self.reply_origins.allows,
                                   store=make_reply_store(self.settings))
            )
            self._outbox = factory(self.openapi)
            metrics.watch_reply_queue(self._outbox.store)  # depth and age on this process's /metrics
        return self._outbox

    @property
    def ack_pool(self) -> ThreadPoolExecutor:
        if self._ack_pool is None:
            self._ack_pool = ThreadPoolExecutor(ACK_THREADS, thread_name_prefix="dingtalk-ack")
        return self._ack_pool

    def get_output_channel(self) -> OutputChannel | None:
        return DingTalkOutput(self.outbox, resolve=self._destination_for_recipient)

    def _destination_for_recipient(self, recipient_id: str) -> Destination:
        """Proactive send to a tracker ``<conversationId>:<staffId>``: group if we know it is one."""
        conversation_id, _, staff_id = recipient_id.rpartition(":")
        conversation_id = conversation_id or recipient_id
        known_groups = {self.settings.dingtalk_pmc_group, self.settings.dingtalk_production_group}
        is_group = self._conversations.get(conversation_id, conversation_id in known_groups)
        return Destination(conversation_id, is_group, staff_id or None)

    # tasks
    def _spawn(self, coro: Awaitable[Any], what: str) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("dingtalk: %s failed", what, exc_info=t.exception())

        task.add_done_callback(done)

    async def wait_idle(self) -> None:
        """Wait for running turns and queued replies (tests and graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._outbox is not None:
            await self._outbox.join()

    # the acknowledgement
    def _drain_acks(self) -> None:
        """In the ``ack_pool`` thread: settle every queued acknowledgement, a batch at a time."""
        while self._ack_queue:
            batch = []
            while self._ack_queue and len(batch) < ACK_BATCH:
                batch.append(self._ack_queue.popleft())
            try:
                results = self._record([(signed, inbound) for signed, inbound, *_ in batch],
                                       [queued for *_, queued in batch])
            except BaseException as exc:  # noqa: BLE001 - handed to every waiter, none left hanging
                results = [exc] * len(batch)
            for (_, _, future, loop, _), result in zip(batch, results):
                loop.call_soon_threadsafe(_settle, future, result)

    def _record(self, hops: list[tuple[Signed | None, Inbound | None]], queued: list[float]) -> list:
        """The signatures' one use (in order), then the msgId records of those that are no replay:
        an Ack or a StoreUnavailable for each."""
        results: list = [None] * len(hops)
        signed_at = [i for i, (signed, _) in enumerate(hops) if signed is not None]
        marks = list(queued)  # the first stage includes the wait for the thread
        if signed_at:
            try:
                verdicts = self.replay.check_many([
                    (hops[i][0].timestamp, hops[i][0].sign, hops[i][0].message_id, body_digest(hops[i][0].body))
                    for i in signed_at])
            except Exception as exc:  # noqa: BLE001 - every claim of the batch refused, nothing admitted
                for i in signed_at:
                    results[i] = StoreUnavailable("replay")
                    results[i].__cause__ = exc
            else:
                claimed = time.monotonic()
                for i, verdict in zip(signed_at, verdicts):
                    observe_stage("ack_replay", claimed - marks[i])
                    marks[i] = claimed
                    if verdict is Verdict.REPLAY:
                        results[i] = Ack.REPLAYED
        admit_at = []
        for i, (_, inbound) in enumerate(hops):
            if results[i] is None:
                if inbound is None:
                    results[i] = Ack.CLAIMED
                else:
                    admit_at.append(i)
        if admit_at:
            try:
                firsts = admit_many(self.dedupe, [(hops[i][1].dedupe_key, _payload(hops[i][1]),
                                                   self.settings.turn_lease_s) for i in admit_at])
            except Exception as exc:  # noqa: BLE001 - nothing of the batch admitted
                for i in admit_at:
                    results[i] = StoreUnavailable("dedupe")
                    results[i].__cause__ = exc
            else:
                recorded = time.monotonic()
                for i, first in zip(admit_at, firsts):
                    observe_stage("ack_dedupe", recorded - marks[i])
                    results[i] = Ack.STARTED if first else Ack.REPEAT
        return results

    async def accept(self, inbound: Inbound | None, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     signed: Signed | None = None) -> Ack:
        """Claim the signature (HTTP mode) and record the msgId, in one hop to ``ack_pool`` (with
        the batch queued meanwhile); an admitted message's turn then starts in the background. The
        admitted turn stays in the dedupe store, leased, until it is over (``connectors.dedupe``):
        a process killed meanwhile does not lose it. Raises StoreUnavailable (nothing admitted)."""
        rid = logs.REQUEST_ID.get() or logs.new_id()  # nginx's X-Request-Id on HTTP callbacks
        logs.REQUEST_ID.set(rid)  # the turn's task copies it: Rasa's and our log lines carry it
        if inbound is not None:
            inbound.metadata["request_id"] = rid  # to the action server through the tracker
            # when it arrived (our clock): a rerun after a crash must not be applied behind later messages
            inbound.metadata.setdefault("received_ms", int(time.time() * 1000))
            self.dedupe  # noqa: B018 - built here, on the loop, not in a pool thread
        if signed is not None:
            self.replay  # noqa: B018
        loop = asyncio.get_running_loop()
        settled = loop.create_future()
        self._ack_queue.append((signed, inbound, settled, loop, time.monotonic()))
        self.ack_pool.submit(self._drain_acks)  # one hop: queued, written with its batch, answered
        ack = await settled
        if isinstance(ack, BaseException):
            raise ack
        if ack is Ack.REPEAT:
            log.info("dingtalk: redelivered %s ignored", inbound.message_id)
        elif ack is Ack.STARTED:
            log.info("dingtalk: message %s accepted", inbound.message_id)
            self._start(inbound, on_new_message)
        return ack

    def _start(self, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """An admitted message's turn, in the background, under its lease (the ingress hands the
        message to a Rasa server instead: ``connectors.ingress``)."""
        self._spawn(self._leased(inbound, self._admitted(inbound, on_new_message)), f"turn {inbound.message_id}")

    # the ingress's hand-off (connectors/ingress.py)
    async def take_handoff(self, secret: str | None, raw: bytes,
                           on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> tuple[int, dict]:
        """A message the ingress admitted (recorded and leased in the dedupe store, acknowledged to
        DingTalk), handed over to run its turn here: (status, json). Taken only with the internal
        secret (``ingress_secret``; never logged) and only while the ingress is on; a hand-off older
        than half a lease is refused (the sweeper may be about to run it: it is left to the lease);
        the same message handed over twice runs once."""
        if not self.settings.ingress_enabled:
            return 404, {"error": "not found"}
        expected = self.settings.ingress_secret.get_secret_value().encode("utf-8")
        if not secret or not hmac.compare_digest(secret.encode("utf-8", "surrogateescape"), expected):
            log.warning("dingtalk: hand-off refused: internal secret %s", "missing" if not secret else "wrong")
            return 401, {"error": "unauthorized"}
        try:
            data = json.loads(raw)
            inbound = Inbound(**data)
            if not (isinstance(inbound.message_id, str) and isinstance(inbound.sender_id, str)
                    and isinstance(inbound.dedupe_key, str) and isinstance(inbound.text, str)
                    and isinstance(inbound.metadata, dict)):
                raise TypeError("fields")
            received = int(inbound.metadata["received_ms"])
        except (ValueError, TypeError, KeyError):
            log.warning("dingtalk: hand-off refused: not an admitted turn")
            return 400, {"error": "not an admitted turn"}
        age_s = (self._wall_ms() - received) / 1000.0
        if age_s > self.settings.turn_lease_s / 2:
            log.warning("dingtalk: hand-off of %s refused: admitted %.1f s ago, left to its lease",
                        inbound.message_id, age_s)
            return 409, {"error": "stale", "reason": "left to the lease"}
        if inbound.dedupe_key in self._handed:
            return 200, {"status": "already started"}
        self._handed[inbound.dedupe_key] = None
        while len(self._handed) > HANDED_KEPT:
            self._handed.popitem(last=False)
        logs.REQUEST_ID.set(logs.clean(inbound.metadata.get("request_id")) or logs.new_id())
        log.info("dingtalk: message %s handed over by the ingress", inbound.message_id)
        self._start(inbound, on_new_message)
        return 202, {"status": "started"}

    # the turn
    async def _admitted(self, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]], *,
                        rerun: bool = False) -> bool:
        """An admitted message, from its sender's membership check to the end of its turn. True when
        it is over (the record is then finished); False when the check could not be made within the
        lease: the record stays, its lease lapses and the sweeper runs it again."""
        belongs = await self._speaker_belongs(inbound)
        if belongs is None:
            return False
        meta = inbound.metadata
        if not belongs:  # no turn, no answer: nothing reaches Rasa or the chat
            log.warning("dingtalk: %s refused: sender %s is not in conversation %s", inbound.message_id,
                        meta["staff_id"], meta["conversation_id"])
            metrics.TURNS.labels("not_a_member").inc()
            return True
        self._conversations[meta["conversation_id"]] = meta["is_group"]
        if rerun:
            return await self._rerun(inbound, on_new_message)
        remember = self.group_webhooks.note(meta)
        if remember is not None:
            self._spawn(remember, f"webhook {meta['conversation_id']}")
        admission = self.flood.admit(inbound.sender_id.rpartition(":")[2], meta["conversation_id"])
        if admission is Admission.DROP:
            log.info("dingtalk: %s dropped (rate limit)", inbound.message_id)
            return True
        if admission is Admission.WARN:
            log.warning("dingtalk: rate limit reached in %s; answered once, then dropping", meta["conversation_id"])
            await self._answer(inbound, "dingtalk.slow_down")
            return True
        metrics.TURNS.labels("message").inc()
        await self._turn(inbound, on_new_message)
        return True

    async def _speaker_belongs(self, inbound: Inbound) -> bool | None:
        """May the sender speak in the conversation (``connectors.speakers``)? None when DingTalk (or
        the claim store) could not say, tried again with backoff for up to one lease."""
        if not self.settings.dingtalk_verify_speakers:
            return True
        meta = inbound.metadata
        deadline = time.monotonic() + self.settings.turn_lease_s
        for attempt in itertools.count(1):
            started = time.monotonic()
            try:
                belongs = await self.speakers.belongs(meta["conversation_id"], meta["is_group"], meta["staff_id"])
            except Exception as exc:  # noqa: BLE001 - DingTalk's OpenAPI (or the claim store) cannot say now
                wait = backoff_s(attempt, base_s=self._member_retry_s, cap_s=self.settings.turn_lease_s / 3)
                if time.monotonic() + wait >= deadline:
                    log.warning("dingtalk: membership check for %s still unavailable after %d tries (%s); "
                                "turn %s left to its lease, the sweeper runs it again", meta["conversation_id"],
                                attempt, type(exc).__name__, inbound.message_id)
                    return None
                log.warning("dingtalk: membership check unavailable for %s (%s: %s); try %d again in %.1f s",
                            meta["conversation_id"], type(exc).__name__, exc, attempt + 1, wait)
                await asyncio.sleep(wait)
                continue
            observe_stage("members", time.monotonic() - started)
            return belongs
        raise AssertionError("unreachable")

    # the admitted turn's lease (connectors.dedupe)
    async def _leased(self, inbound: Inbound, work: Awaitable[bool | None]) -> None:
        """Run ``work`` while renewing the turn's lease; forget the turn when it is over (``work``
        answers False: not over, the lease is left to lapse). A turn that fails is answered by
        ``_turn`` and over all the same: only a dead process's turns run again."""
        keeper = asyncio.ensure_future(self._keep_lease(inbound.dedupe_key))
        try:
            over = await work
        finally:
            keeper.cancel()
        if over is not False:
            await self._finish(inbound)

    async def _keep_lease(self, key: str) -> None:
        lease = self.settings.turn_lease_s
        while True:
            await asyncio.sleep(lease / 3)
            try:
                await asyncio.to_thread(self.dedupe.renew, key, lease)
            except Exception:  # the store is down: the lease may lapse and the turn be checked again
                log.warning("dingtalk: lease of %s not renewed (dedupe store unavailable)", key, exc_info=True)

    async def _finish(self, inbound: Inbound) -> None:
        try:
            await asyncio.to_thread(self.dedupe.finish, inbound.dedupe_key)
        except Exception:  # its lease lapses; the sweeper then finds the turn in the tracker store
            log.warning("dingtalk: turn %s not marked done (dedupe store unavailable)", inbound.message_id,
                        exc_info=True)

    async def sweep(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> int:
        """Take back the turns of processes that died (lease run out) and run those that did not
        reach the tracker store; the number of turns started again."""
        s = self.settings
        due = await asyncio.to_thread(self.dedupe.reclaim, s.turn_lease_s, 20, s.turn_max_reruns)
        rerun = 0
        for turn in due:
            if turn.payload is None:
                log.error("dingtalk: turn %s given up after %d reruns", turn.key, turn.reruns)
                metrics.TURNS.labels("given_up").inc()
                continue
            inbound = Inbound(**json.loads(turn.payload))
            logs.REQUEST_ID.set(inbound.metadata.get("request_id") or logs.new_id())
            if await self._settled(inbound, await self._rerun_state(inbound)):
                await self._finish(inbound)
                continue
            log.warning("dingtalk: turn %s of a stopped process runs again (rerun %d)", inbound.message_id,
                        turn.reruns)
            metrics.TURNS.labels("rerun").inc()
            self._spawn(self._leased(inbound, self._admitted(inbound, on_new_message, rerun=True)),
                        f"rerun {inbound.message_id}")
            rerun += 1
        return rerun

    async def _settled(self, inbound: Inbound, state: RerunState) -> bool:
        """Deal with a left-behind turn the tracker store already accounts for: DONE (finished
        before its process stopped: forget it) or SUPERSEDED (the person's later messages were
        answered meanwhile: run now, it would act on a conversation that moved on — an old "yes"
        confirming a newer summary —, so it is not run and the person is told). False: DUE. The
        caller finishes the turn's record."""
        if state is RerunState.DONE:
            log.info("dingtalk: turn %s of a stopped process had finished", inbound.message_id)
            return True
        if state is RerunState.SUPERSEDED:
            log.error("dingtalk: turn %s of a stopped process not run: later messages of %s were handled",
                      inbound.message_id, inbound.sender_id)
            metrics.TURNS.labels("superseded").inc()
            self._conversations[inbound.metadata["conversation_id"]] = inbound.metadata["is_group"]
            short = inbound.text if len(inbound.text) <= 40 else inbound.text[:39] + "…"
            await self._answer(inbound, "dingtalk.stale_rerun", text=short)
            return True
        return False

    async def _rerun(self, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> bool:
        """A swept turn, judged again once it holds its conversation's lock. The sweep's look at
        the tracker store comes before the lock: a later message of the person may be in its turn
        at that moment, holding the lock, and reach the store only after the look. Run behind it,
        the old message would be stored after the newer one (and its actions refused as
        out of order): so it runs as Rasa's own handler does (``Agent.handle_message``: lock, then
        ``processor.handle_message``) with the look repeated inside the lock. True: over."""
        agent = getattr(getattr(self._app, "ctx", None), "agent", None)
        if agent is None or agent.processor is None or agent.lock_store is None:  # no Rasa agent: no lock
            await self._turn(inbound, on_new_message)
            return True
        async with agent.lock_store.lock(inbound.sender_id):
            try:
                state = await self._rerun_state(inbound)
            except Exception:  # the store cannot tell now; the sweep's look said due
                log.warning("dingtalk: rerun %s not re-checked under its lock (tracker store unavailable)",
                            inbound.message_id, exc_info=True)
                state = RerunState.DUE
            if await self._settled(inbound, state):
                return True
            await self._turn(inbound, agent.processor.handle_message)
        return True

    async def _rerun_state(self, inbound: Inbound) -> RerunState:
        """What the tracker store says of a turn a stopped process left: it got there (DONE: a user
        event with its message id), a later message of the same person and conversation got there
        (SUPERSEDED), or neither (DUE). Raises when the store cannot tell (the turn stays leased
        and is looked at again)."""
        if self._handled_check is not None:
            found = await self._handled_check(inbound)
            return found if isinstance(found, RerunState) else RerunState.DONE if found else RerunState.DUE
        agent = getattr(getattr(self._app, "ctx", None), "agent", None)
        if agent is None or agent.tracker_store is None:
            return RerunState.DUE
        store = getattr(agent.tracker_store, "_tracker_store", agent.tracker_store)  # past Rasa's fail-safe
        tracker = await store.retrieve_full_tracker(inbound.sender_id)  # wrapper: it answers None on errors
        if tracker is None:
            return RerunState.DUE
        return rerun_state(inbound, [e for e in tracker.events if e.type_name == "user"])

    async def _sweeper(self, on_new_message) -> None:
        while True:
            await asyncio.sleep(self.settings.turn_sweep_s)
            try:
                await self.sweep(on_new_message)
            except Exception:
                log.warning("dingtalk: sweep for stopped turns failed; next in %ss", self.settings.turn_sweep_s,
                            exc_info=True)

    def _lang_of(self, inbound: Inbound) -> str:
        if inbound.is_readable and not inbound.text.startswith("/"):
            self._langs[inbound.sender_id] = detect_or(inbound.text, self._langs.get(inbound.sender_id), default="zh")
        return self._langs.get(inbound.sender_id, "zh")

    async def _answer(self, inbound: Inbound, key: str, **values: Any) -> None:
        """One catalog sentence instead of a turn."""
        lang = self._lang_of(inbound)
        output = DingTalkOutput(self.outbox, self._destination(inbound), lang=lang)
        await output.send_text_message(inbound.sender_id, catalog.text(key, lang, **values))

    def _destination(self, inbound: Inbound) -> Destination:
        meta = inbound.metadata
        return Destination(
            conversation_id=meta["conversation_id"],
            is_group=meta["is_group"],
            staff_id=meta["staff_id"],
            session_webhook=meta["session_webhook"],
            session_webhook_expires_ms=meta["session_webhook_expires_ms"],
        )

    async def _turn(self, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        if inbound.is_too_long:
            await self._answer(inbound, "dingtalk.too_long", max=self.settings.dingtalk_max_text_chars)
            return
        lang = self._lang_of(inbound)
        output = DingTalkOutput(self.outbox, self._destination(inbound), lang=lang, turn_key=inbound.dedupe_key)
        if not inbound.is_readable:
            await output.send_text_message(inbound.sender_id, catalog.text("dingtalk.unsupported_message", lang))
            return
        message = UserMessage(
            inbound.text,
            output,
            inbound.sender_id,
            input_channel=CHANNEL,
            message_id=inbound.message_id,
            metadata=inbound.metadata,
        )
        output.hold()
        holding = TURN_OUTPUT.set(output)
        try:
            await on_new_message(message)
        except Exception:
            log.exception("dingtalk: turn %s failed", inbound.message_id)
            await output.send_text_message(inbound.sender_id, catalog.text("general.internal_error", lang))
        finally:
            TURN_OUTPUT.reset(holding)
            output.flush()

    async def _accept_to_the_end(self, inbound: Inbound | None, on_new_message, signed: Signed | None) -> Ack:
        """``accept``, finished even when DingTalk hangs up first: once the dedupe store has
        recorded the msgId, a redelivery is dropped as a repeat, so this delivery's turn is the only
        one there will be (the server cancels a request's handler when its client goes away, e.g.
        DingTalk's ack timeout on a busy replica; nginx passes the hang-up on)."""
        accepting = asyncio.ensure_future(self.accept(inbound, on_new_message, signed))
        try:
            return await asyncio.shield(accepting)
        except asyncio.CancelledError:
            accepting.add_done_callback(
                lambda t: t.cancelled() or t.exception() is None
                or log.error("dingtalk: %s not accepted", inbound and inbound.message_id, exc_info=t.exception()))
            raise

    async def _acknowledge(self, inbound: Inbound | None, refused: tuple[int, dict] | None, on_new_message,
                           signed: Signed | None) -> tuple[int, dict]:
        """(status, json) for a decoded callback: ``refused`` it (after claiming its signature, so
        that a refused body still uses it up), or admitted."""
        if refused is not None and signed is None:
            return refused
        try:
            ack = await self._accept_to_the_end(None if refused else inbound, on_new_message, signed)
        except StoreUnavailable as exc:  # refuse, so DingTalk delivers again later
            log.error("dingtalk: %s store unavailable", exc.store, exc_info=exc.__cause__)
            return 503, {"error": "try again"}
        if ack is Ack.REPLAYED:
            log.warning("dingtalk: callback refused, signature replayed with another body (claims msgId %s)",
                        signed.message_id[:64] or "-")
            return 401, {"error": "signature", "reason": "replayed"}
        return refused or (200, {})

    # HTTP mode
    async def http_callback(self, request: Request, kind: str,
                            on_new_message: Callable[[UserMessage], Awaitable[Any]] | None) -> HTTPResponse:
        """One signed HTTP callback (``kind`` "robot" or "card") from arrival to its answer:
        signature, then size and JSON, before anything else (and so Rasa) sees it; then the
        decoding, the one-use signature and the msgId record. Served by the channel's routes and
        by the ingress (connectors/ingress.py), which runs the very same checks."""
        logs.REQUEST_ID.set(logs.clean(request.headers.get("x-request-id")) or logs.new_id())
        handle = self._handle_robot_body if kind == "robot" else self._handle_card_data
        started = time.monotonic()
        try:
            refused = self._refuse_signature(request)
            if refused:
                return refused
            body, refused = await self._read_json(request)
            if refused:
                return refused
            signed = Signed(request.headers["timestamp"], request.headers["sign"], body)
            status, payload = await handle(body, on_new_message, signed)
            return response.json(payload, status=status)
        finally:
            observe_stage("ack", time.monotonic() - started)

    def _refuse_signature(self, request: Request) -> HTTPResponse | None:
        now_ms = self._wall_ms()
        for secret in self._secrets:  # during a rotation the previous secret still signs
            problem = check_signature(
                secret,
                request.headers.get("timestamp"),
                request.headers.get("sign"),
                now_ms=now_ms,
                window_s=self.settings.dingtalk_sign_window_s,
            )
            if problem is not SignatureProblem.MISMATCH:
                break
        if problem is None:
            return None
        log.warning("dingtalk: callback refused, signature %s", problem.value)
        return response.json({"error": "signature", "reason": problem.value}, status=401)

    async def _read_json(self, request: Request) -> tuple[Any | None, HTTPResponse | None]:
        limit = self.settings.dingtalk_max_body_bytes
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return None, response.json({"error": "body too large"}, status=413)
        chunks, size = [], 0
        async for chunk in request.stream:  # count what really arrives, not what was announced
            size += len(chunk)
            if size > limit:
                return None, response.json({"error": "body too large"}, status=413)
            chunks.append(chunk)
        try:
            body = json.loads(b"".join(chunks).decode("utf-8"))
            json.dumps(body, ensure_ascii=False).encode("utf-8")  # no lone surrogates past this point
            return body, None
        except (UnicodeError, ValueError, RecursionError):  # RecursionError: nesting too deep
            return None, response.json({"error": "malformed JSON"}, status=400)

    def _refuse_robot(self, body: dict) -> str | None:
        if body.get("robotCode") != self.settings.dingtalk_robot_code:
            return "robotCode"
        corp = body.get("chatbotCorpId")
        if corp is not None and corp != self.settings.dingtalk_corp_id:
            return "chatbotCorpId"
        return None

    def _robot_inbound(self, body: Any) -> tuple[Inbound | None, tuple[int, dict] | None]:
        """The decoded robot message, or the (status, json) refusing it."""
        if not isinstance(body, dict):
            return None, (400, {"error": "body must be an object"})
        try:
            inbound = decode_robot_message(body, robot_name=self.settings.dingtalk_robot_name,
                                           max_text_chars=self.settings.dingtalk_max_text_chars)
        except InvalidCallback as exc:
            return None, (400, {"error": exc.field, "reason": exc.reason})
        refused = self._refuse_robot(body)
        if refused:
            log.warning("dingtalk: message for another robot/corp refused (%s)", refused)
            return None, (403, {"error": f"{refused} mismatch"})
        webhook = inbound.metadata["session_webhook"]
        if webhook is not None and not self.reply_origins.allows(webhook):
            log.warning("dingtalk: %s refused: sessionWebhook outside the allowed origins (%s)",
                        inbound.message_id, webhook.split("?", 1)[0][:200])
            return None, (400, {"error": "sessionWebhook", "reason": "origin not allowed"})
        return inbound, None

    async def _handle_robot_body(self, body: Any, on_new_message, signed: Signed | None = None) -> tuple[int, dict]:
        """Shared by HTTP and Stream mode: (status, json) to answer. ``signed``: the HTTP callback's
        signature, claimed in the same hop as the msgId record."""
        inbound, refused = self._robot_inbound(body)
        return await self._acknowledge(inbound, refused, on_new_message, signed)

    async def _handle_card_data(self, data: Any, on_new_message, signed: Signed | None = None) -> tuple[int, dict]:
        inbound, refused = self._decode_card(data)
        return await self._acknowledge(inbound, refused, on_new_message, signed)

    def _decode_card(self, data: Any) -> tuple[Inbound | None, tuple[int, dict] | None]:
        if not isinstance(data, dict):
            return None, (400, {"error": "body must be an object"})
        corp = data.get("corpId")
        if corp is not None and corp != self.settings.dingtalk_corp_id:
            return None, (403, {"error": "corpId mismatch"})
        oversized = oversized_card_field(data)
        if oversized:
            return None, (400, {"error": oversized, "reason": "too long"})
        try:
            return decode_card_callback(data), None
        except InvalidCallback as exc:
            return None, (400, {"error": exc.field, "reason": exc.reason})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        install_reply_commit()  # Rasa builds the channel in its server: a turn's replies leave with its tracker
        bp = Blueprint(f"dingtalk_webhook_{id(self)}", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "mode": self.settings.dingtalk_mode})

        @bp.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            return await self.http_callback(request, "robot", on_new_message)

        @bp.route("/card", methods=["POST"], stream=True)
        async def card(request: Request) -> HTTPResponse:
            return await self.http_callback(request, "card", on_new_message)

        @bp.route("/internal/turn", methods=["POST"])
        async def handed_over(request: Request) -> HTTPResponse:
            """A message the ingress admitted and acknowledged (connectors/ingress.py)."""
            status, payload = await self.take_handoff(request.headers.get(HANDOFF_HEADER), request.body,
                                                      on_new_message)
            return response.json(payload, status=status)

        self.events.register(bp)  # POST /events: the encrypted HTTP event subscription (spec §6)
        from connectors import model_switch

        model_switch.register(bp, self.settings)  # PUT /model: a new model loaded beside the old one

        @bp.listener("after_server_start")
        async def start_stream(app, loop) -> None:
            self._app = app
            self.outbox.start()  # replies a crashed process left in the shared queue go out now
            self._sweep_task = asyncio.ensure_future(self._sweeper(on_new_message))  # turns a crash left
            logs.install(self.settings, "rasa")  # request ids on this process's log lines
            if self.settings.dingtalk_mode == "stream":
                self.start_stream(on_new_message)

        @bp.listener("before_server_stop")
        async def stop(app, loop) -> None:
            await self.aclose()

        return bp

    # Stream mode
    def start_stream(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        from connectors.stream import StreamClient

        async def robot(data: dict, headers: dict) -> tuple[int, Any]:
            logs.REQUEST_ID.set(logs.new_id())  # frames share the stream's task: one id per message
            status, payload = await self._handle_robot_body(data, on_new_message)
            return (200 if status == 200 else status), None if status == 200 else payload

        async def card(data: dict, headers: dict) -> tuple[int, Any]:
            logs.REQUEST_ID.set(logs.new_id())
            status, payload = await self._handle_card_data(data, on_new_message)
            return (200 if status == 200 else status), None if status == 200 else payload

        self.stream = StreamClient(self.settings, {TOPIC_ROBOT: robot, TOPIC_CARD: card},
                                   event_handler=self.events.on_stream)
        self._stream_task = asyncio.ensure_future(self.stream.run())

    async def aclose(self, *, drain_timeout_s: float = 30.0) -> None:
        if self._sweep_task is not None:
            self._sweep_task.cancel()
        if self.stream is not None:
            await self.stream.stop()
            self._stream_task.cancel()
        try:
            await asyncio.wait_for(self.wait_idle(), drain_timeout_s)
        except asyncio.TimeoutError:
            log.warning("dingtalk: shutting down with replies still queued (throttled or failing)")
        if self._outbox is not None:
            await self._outbox.close()
        if self._openapi is not None:
            await self._openapi.aclose()
        if self._ack_pool is not None:
            self._ack_pool.shutdown(wait=False)
            self._ack_pool = None


_committing = False
_rasa_save_tracker: list = []  # Rasa's own MessageProcessor.save_tracker, once wrapped


def install_reply_commit() -> bool:
    """Queue a DingTalk turn's held replies right before Rasa saves its tracker
    (``MessageProcessor.save_tracker``, awaited at the end of ``handle_message``), so a turn's
    answers and its tracker reach their stores together: a process killed before the save has
    shown nothing (its rerun answers). One killed during the save (its own few milliseconds) has
    queued the answers of a turn that is then run again: the rerun's replies carry the same keys,
    so what was queued is not queued twice. Queued after the save instead, a kill in between would
    lose them: the sweeper finds the turn in the tracker and does not run it again. Once per
    process; True if installed."""
    global _committing
    if _committing:
        return False
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.save_tracker
    _rasa_save_tracker.append(original)

    async def save_tracker(self, tracker) -> None:
        output = TURN_OUTPUT.get()  # the turn this task runs (a tracker save elsewhere has none)
        if output is not None:
            output.flush()
        await original(self, tracker)

    MessageProcessor.save_tracker = save_tracker
    _committing = True
    return True
