"""The Stream-mode gateway (spec §4): connections/open, tickets, the websocket, acks, redelivery.

- ``open``: checks clientId/clientSecret, returns an endpoint *without* query string and a
  single-use ticket that expires after ``ticket_ttl_s`` on the simulator clock.
- Frames follow §4.2 exactly (``data`` a JSON string, ``time`` a string, ``messageId`` etc.).
- Every non-SYSTEM frame waits for an ack with its ``messageId``; a missing or non-200 ack
  makes the gateway push the *identical* frame again, at most ``max_redeliveries`` times,
  on whichever connection is subscribed to the topic at that moment.
- SYSTEM ``ping`` (with ``opaque``) every ``ping_interval_s``; ``disconnect`` then close.
- Only subscribed topics are delivered (CALLBACK by exact topic, EVENT by ``*``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.websockets import WebSocket, WebSocketDisconnect

from devtools.simulators.dingtalk import wire
from devtools.simulators.dingtalk.state import SimState

log = logging.getLogger(__name__)

AckCallback = Callable[[dict], Awaitable[None]]
SOCKET_GONE = (RuntimeError, OSError, WebSocketDisconnect)


@dataclass
class Connection:
    id: str
    subscriptions: set  # {(type, topic)}
    ws: WebSocket
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    ping_task: asyncio.Task | None = None

    def subscribes(self, kind: str, topic: str) -> bool:
        if kind == "EVENT":
            return ("EVENT", "*") in self.subscriptions
        return (kind, topic) in self.subscriptions

    async def send(self, text: str) -> None:
        async with self.lock:
            await self.ws.send_text(text)


@dataclass
class Pending:
    message_id: str
    kind: str
    topic: str
    text: str  # the exact frame, resent unchanged
    on_ack: AckCallback | None
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    deliveries: int = 0
    last_code: int | None = None


class Gateway:
    def __init__(self, state: SimState, *, ack_timeout_s: float = 5.0, max_redeliveries: int = 3,
                 ping_interval_s: float = 30.0, ticket_ttl_s: int = 90, disconnect_grace_s: float = 1.0) -> None:
        self.state = state
        self.ack_timeout_s, self.max_redeliveries = ack_timeout_s, max_redeliveries
        self.ping_interval_s, self.ticket_ttl_s = ping_interval_s, ticket_ttl_s
        self.disconnect_grace_s = disconnect_grace_s
        self.tickets: dict[str, tuple[set, int]] = {}
        self.connections: dict[str, Connection] = {}
        self.pending: dict[str, Pending] = {}
        self._tasks: set[asyncio.Task] = set()
        self._counter = 0
        self.reset_tracking()

    def reset_tracking(self) -> None:
        self.acks: list[dict] = []
        self.deliveries: list[dict] = []  # every frame sent: messageId, type, topic, connection
        self.opens = 0
        self.undelivered: list[str] = []

    def forget_pending(self) -> None:
        """Stop redelivering everything in flight (simulator reset)."""
        for pending in self.pending.values():
            pending.acked.set()
        self.pending.clear()

    # connections/open
    def open(self, body: dict, ws_base: str) -> tuple[int, dict]:
        if body.get("clientId") != self.state.app_key or body.get("clientSecret") != self.state.app_secret:
            return 401, {"code": "InvalidAuthentication", "message": "clientId or clientSecret invalid",
                         "requestid": uuid.uuid4().hex}
        subs = body.get("subscriptions")
        if not isinstance(subs, list) or not subs or any(
            not isinstance(s, dict) or s.get("type") not in ("EVENT", "CALLBACK", "SYSTEM") or not s.get("topic")
            for s in subs
        ):
            return 400, {"code": "invalidParameter.subscriptions.invalid", "message": "subscriptions invalid",
                         "requestid": uuid.uuid4().hex}
        ticket = secrets.token_hex(16)
        self.tickets[ticket] = ({(s["type"], s["topic"]) for s in subs},
                                self.state.clock.now_ms() + self.ticket_ttl_s * 1000)
        self.opens += 1
        return 200, {"endpoint": f"{ws_base}/connect", "ticket": ticket}

    # the websocket
    async def serve(self, ws: WebSocket) -> None:
        ticket = ws.query_params.get("ticket", "")
        entry = self.tickets.pop(ticket, None)  # single use
        if entry is None or entry[1] <= self.state.clock.now_ms():
            await ws.close(code=1008)  # before accept: the handshake is refused (HTTP 403)
            return
        await ws.accept()
        conn = Connection(id=uuid.uuid4().hex[:16], subscriptions=entry[0], ws=ws)
        self.connections[conn.id] = conn
        if self.ping_interval_s > 0:
            conn.ping_task = asyncio.ensure_future(self._ping_loop(conn))
        self._resend_pending(conn)
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text") or (message.get("bytes") or b"").decode("utf-8", "replace")
                await self._on_client_frame(conn, text)
        except WebSocketDisconnect:
            pass
        finally:
            self.connections.pop(conn.id, None)
            if conn.ping_task:
                conn.ping_task.cancel()

    def _resend_pending(self, conn: Connection) -> None:
        # Frames left unacked by a lost connection go out again on the new one.
        for pending in list(self.pending.values()):
            if pending.deliveries and conn.subscribes(pending.kind, pending.topic) and not pending.acked.is_set():
                self._spawn(self._push(pending, conn))
            elif not pending.deliveries and conn.subscribes(pending.kind, pending.topic):
                self._spawn(self._first_push(pending, conn))  # an event held while nobody subscribed

    async def _on_client_frame(self, conn: Connection, text: str) -> None:
        try:
            ack = json.loads(text)
            message_id = ack["headers"]["messageId"]
            code = int(ack.get("code"))
        except (ValueError, KeyError, TypeError):
            log.warning("stream gateway: malformed frame from %s", conn.id)
            return
        try:
            data = json.loads(ack.get("data") or "null")
        except (ValueError, TypeError):
            data = ack.get("data")
        self.acks.append({"messageId": message_id, "code": code, "message": ack.get("message"), "data": data,
                          "connection_id": conn.id})
        pending = self.pending.get(message_id)
        if pending is None:
            return
        pending.last_code = code
        # EVENT acks: the Go SDK's {"status": "LATER"} asks for the event again later.
        later = pending.kind == "EVENT" and isinstance(data, dict) and data.get("status") == "LATER"
        if code == 200 and not later:
            pending.acked.set()
            if pending.on_ack:
                await pending.on_ack(data if isinstance(data, dict) else {})
        else:
            self._spawn(self._push(pending))  # non-200: redeliver the identical frame

    def subscriber(self, kind: str, topic: str) -> Connection | None:
        return next((c for c in self.connections.values() if c.subscribes(kind, topic)), None)

    async def deliver(self, kind: str, topic: str, data: dict, *, on_ack: AckCallback | None = None
                      ) -> str | None:
        """Send a frame to a subscribed connection and track its ack; None if nobody subscribes."""
        conn = self.subscriber(kind, topic)
        if conn is None:
            return None
        self._counter += 1
        now = self.state.clock.now_ms()
        message_id = wire.new_message_id(now, self._counter)
        text = json.dumps(wire.frame(kind, topic, data, message_id=message_id, now_ms=now,
                                     app_id=self.state.app_key, connection_id=conn.id), ensure_ascii=False)
        pending = Pending(message_id, kind, topic, text, on_ack)
        self.pending[message_id] = pending
        await self._push(pending, conn)
        self._spawn(self._watch(pending))
        return message_id

    def deliver_event(self, event_type: str, data: dict, event_headers: dict) -> str:
        """Queue an EVENT frame (headers eventId, eventBornTime, eventCorpId, eventType,
        eventUnifiedAppId) for connections subscribed to EVENT ``*``. Unlike callbacks, DingTalk
        keeps events while no client is connected and pushes them when one subscribes."""
        self._counter += 1
        now = self.state.clock.now_ms()
        message_id = wire.new_message_id(now, self._counter)
        conn = self.subscriber("EVENT", event_type)
        frame = wire.frame("EVENT", event_type, data, message_id=message_id, now_ms=now, app_id=self.state.app_key,
                           connection_id=conn.id if conn else "")
        frame["headers"].update(event_headers)
        pending = Pending(message_id, "EVENT", event_type, json.dumps(frame, ensure_ascii=False), None)
        self.pending[message_id] = pending
        if conn is not None:
            self._spawn(self._first_push(pending, conn))
        return message_id

    async def _first_push(self, pending: Pending, conn: Connection) -> None:
        if pending.deliveries:
            return  # another connection took it first
        frame = json.loads(pending.text)
        if not frame["headers"].get("connectionId"):  # held: it goes out on this connection
            frame["headers"]["connectionId"] = conn.id
            pending.text = json.dumps(frame, ensure_ascii=False)
        await self._push(pending, conn)
        await self._watch(pending)

    async def _push(self, pending: Pending, conn: Connection | None = None) -> None:
        if pending.acked.is_set():
            return
        if pending.deliveries > self.max_redeliveries:
            if pending.message_id not in self.undelivered:
                self.undelivered.append(pending.message_id)
            return
        conn = conn or self.subscriber(pending.kind, pending.topic)
        if conn is None:
            return
        pending.deliveries += 1
        self.deliveries.append({"messageId": pending.message_id, "type": pending.kind, "topic": pending.topic,
                                "connection_id": conn.id, "delivery": pending.deliveries})
        try:
            await conn.send(pending.text)
        except SOCKET_GONE:  # the socket went away; _watch or the next connection retries
            log.info("stream gateway: send on %s failed", conn.id)

    async def _watch(self, pending: Pending) -> None:
        while True:
            try:
                await asyncio.wait_for(pending.acked.wait(), self.ack_timeout_s)
                return
            except asyncio.TimeoutError:
                if pending.deliveries > self.max_redeliveries:
                    if pending.message_id not in self.undelivered:
                        self.undelivered.append(pending.message_id)
                    return
                await self._push(pending)

    # SYSTEM frames
    async def ping(self, conn: Connection) -> str:
        self._counter += 1
        now = self.state.clock.now_ms()
        message_id = wire.new_message_id(now, self._counter)
        text = json.dumps(wire.frame("SYSTEM", "ping", {"opaque": uuid.uuid4().hex}, message_id=message_id,
                                     now_ms=now, app_id=self.state.app_key, connection_id=conn.id))
        self.deliveries.append({"messageId": message_id, "type": "SYSTEM", "topic": "ping",
                                "connection_id": conn.id, "delivery": 1, "data": json.loads(text)["data"]})
        await conn.send(text)
        return message_id

    async def _ping_loop(self, conn: Connection) -> None:
        while True:
            await asyncio.sleep(self.ping_interval_s)
            try:
                await self.ping(conn)
            except SOCKET_GONE:
                return

    async def disconnect(self, conn: Connection) -> None:
        self._counter += 1
        now = self.state.clock.now_ms()
        text = json.dumps(wire.frame("SYSTEM", "disconnect", {"reason": "server maintenance"},
                                     message_id=wire.new_message_id(now, self._counter), now_ms=now,
                                     app_id=self.state.app_key, connection_id=conn.id))
        await conn.send(text)
        self._spawn(self._close_later(conn))

    async def _close_later(self, conn: Connection) -> None:
        await asyncio.sleep(self.disconnect_grace_s)
        if conn.id in self.connections:
            try:
                await conn.ws.close(code=1000)
            except SOCKET_GONE:
                log.info("stream gateway: %s already closed", conn.id)

    async def drop(self, conn: Connection) -> None:
        """Close without a disconnect frame (a dropped socket)."""
        await conn.ws.close(code=1011)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def status(self) -> dict:
        return {
            "connections": [{"id": c.id, "subscriptions": sorted(f"{k}:{t}" for k, t in c.subscriptions)}
                            for c in self.connections.values()],
            "opens": self.opens, "acks": self.acks[-200:], "deliveries": self.deliveries[-200:],
            "pending": [p.message_id for p in self.pending.values() if not p.acked.is_set()],
            "undelivered": list(self.undelivered),
        }
