"""DingTalk Stream mode client (spec §4): the robot keeps one websocket open to DingTalk.

Protocol, as the official SDK speaks it: ``POST {openapi}/v1.0/gateway/connections/open`` with
the app credentials and the CALLBACK topics we handle returns ``endpoint`` + ``ticket``; we
connect to ``{endpoint}?ticket=...``; every frame is JSON with ``data`` as a JSON *string* and
is acked with its ``messageId``. SYSTEM ``ping`` is echoed; SYSTEM ``disconnect`` means "open a
fresh connection". Unacked frames are redelivered by DingTalk, so handlers must be idempotent
(the channel dedupes on ``msgId``). Uses websockets 10.4 (rasa's pin).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote_plus

import httpx
import websockets

from connectors.outbox import backoff_s

log = logging.getLogger(__name__)

# (decoded data, frame headers) -> (ack code, response object put into the ack's data)
Handler = Callable[[dict, dict], Awaitable[tuple[int, Any]]]
# EVENT frames: (decoded data, frame headers) -> (ack code, ack data, e.g. {"status": "SUCCESS"})
EventHandler = Callable[[Any, dict], Awaitable[tuple[int, dict]]]
UA = "dingk3-stream/0.1"


def ack_frame(message_id: str, code: int, message: str, data: str) -> str:
    return json.dumps(
        {"code": code, "headers": {"contentType": "application/json", "messageId": message_id},
         "message": message, "data": data},
        ensure_ascii=False,
    )


class StreamClient:
    def __init__(
        self,
        settings,
        handlers: Mapping[str, Handler],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_backoff_s: float = 60.0,
        event_handler: EventHandler | None = None,
    ) -> None:
        self.client_id = settings.dingtalk_app_key
        self._client_secret = settings.dingtalk_app_secret.get_secret_value()
        self.openapi_url = settings.dingtalk_openapi_url.rstrip("/")
        self.max_frame_bytes = settings.dingtalk_max_body_bytes  # a bigger frame closes the socket
        self.handlers = dict(handlers)
        self.event_handler = event_handler  # set: subscribe to EVENT "*" (OA approval events...)
        self._transport = transport
        self.max_backoff_s = max_backoff_s
        self.connected = asyncio.Event()
        self.connections = 0  # successful websocket connections so far
        self.acked: list[tuple[str, int]] = []  # (messageId, code), bounded, for diagnostics
        self._stopping = False
        self._ws = None
        self._tasks: set[asyncio.Task] = set()

    async def open_connection(self) -> tuple[str, str]:
        body = {
            "clientId": self.client_id,
            "clientSecret": self._client_secret,
            "subscriptions": [{"type": "CALLBACK", "topic": topic} for topic in self.handlers]
            + ([{"type": "EVENT", "topic": "*"}] if self.event_handler else []),
            "ua": UA,
            "localIp": "127.0.0.1",
        }
        async with httpx.AsyncClient(transport=self._transport, timeout=10, follow_redirects=False) as http:
            r = await http.post(f"{self.openapi_url}/v1.0/gateway/connections/open", json=body,
                                headers={"Accept": "application/json"})
        r.raise_for_status()
        answer = r.json()
        return answer["endpoint"], answer["ticket"]

    async def run(self) -> None:
        """Connect, serve, and reconnect (fresh open each time) until ``stop()``."""
        failures = 0
        while not self._stopping:
            try:
                endpoint, ticket = await self.open_connection()
                async with websockets.connect(
                    f"{endpoint}?ticket={quote_plus(ticket)}", ping_interval=20, ping_timeout=20, open_timeout=10,
                    max_size=self.max_frame_bytes,
                ) as ws:
                    self._ws = ws
                    self.connections += 1
                    failures = 0
                    self.connected.set()
                    await self._serve(ws)
            except asyncio.CancelledError:
                raise
            except (httpx.HTTPError, OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError,
                    ValueError, KeyError) as exc:  # network, gateway refusal, closed socket: reconnect later
                failures += 1
                log.warning("dingtalk stream: %s: %s", type(exc).__name__, exc)
            finally:
                self.connected.clear()
                self._ws = None
            if not self._stopping and failures:
                await asyncio.sleep(backoff_s(failures, cap_s=self.max_backoff_s))

    async def stop(self) -> None:
        self._stopping = True
        if self._ws is not None:
            await self._ws.close()
        for task in list(self._tasks):
            task.cancel()

    async def _serve(self, ws) -> None:
        async for raw in ws:
            try:
                frame = json.loads(raw)
            except ValueError:
                log.warning("dingtalk stream: non-JSON frame ignored")
                continue
            if frame.get("type") == "SYSTEM" and (frame.get("headers") or {}).get("topic") == "disconnect":
                await ws.send(self._system_ack(frame))
                log.info("dingtalk stream: server asked to reconnect")
                await ws.close()
                return
            # Handlers run beside the reader, so pings are answered while a handler works.
            task = asyncio.ensure_future(self._answer(ws, frame))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _system_ack(self, frame: dict) -> str:
        headers = frame.get("headers") or {}
        return ack_frame(headers.get("messageId", ""), 200, "OK", frame.get("data") or "")

    async def _answer(self, ws, frame: dict) -> None:
        headers = frame.get("headers") or {}
        message_id = headers.get("messageId", "")
        kind = frame.get("type")
        if kind == "SYSTEM":
            ack = self._system_ack(frame)
            code = 200
        elif kind == "EVENT":
            code, status = 200, {"status": "SUCCESS"}
            if self.event_handler is not None:
                try:
                    code, status = await self.event_handler(json.loads(frame.get("data") or "null"), headers)
                except Exception:
                    log.exception("dingtalk stream: event handler failed")
                    code, status = 500, {"status": "LATER"}
            ack = ack_frame(message_id, code, "OK" if code == 200 else "later", json.dumps(status))
        elif kind == "CALLBACK":
            handler = self.handlers.get(headers.get("topic", ""))
            if handler is None:
                code, result = 404, None
            else:
                try:
                    code, result = await handler(json.loads(frame.get("data") or "{}"), headers)
                except Exception:
                    log.exception("dingtalk stream: handler for %s failed", headers.get("topic"))
                    code, result = 500, None
            ack = ack_frame(message_id, code, "OK" if code == 200 else "", json.dumps({"response": result}))
        else:
            log.warning("dingtalk stream: unknown frame type %r", kind)
            return
        try:
            await ws.send(ack)
        except websockets.exceptions.ConnectionClosed:
            return  # the platform redelivers unacked frames on the next connection
        self.acked.append((message_id, code))
        del self.acked[:-500]
