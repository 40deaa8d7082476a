"""The callback ingress: DingTalk's HTTP callbacks acknowledged outside the Rasa process (issue 18).

``python -m connectors.ingress`` serves ``POST /webhooks/dingtalk/webhook`` (robot messages) and
``POST /webhooks/dingtalk/card`` (interactive-card callbacks) on ``ingress_host:ingress_port``, plus
``GET /webhooks/dingtalk/`` (health) and ``GET /metrics``. Each callback goes through exactly what
the Rasa channel does before it answers (``DingTalkInput.http_callback``: signature against the
current or previous app secret, size, JSON, fields, robotCode / corp, sessionWebhook origin, then the
one-use signature claim and the msgId record with its lease in the shared dedupe store, in one
batched hop on the ack thread), with the same status codes and bodies for good, bad, replayed and
repeated callbacks. No Rasa work is in this process, so the answer never waits behind a turn.

Then the admitted message is handed to a Rasa server: ``POST <rasa>/webhooks/dingtalk/internal/turn``
with the admitted turn as the dedupe store keeps it (``received_ms`` stamped here) and the internal
secret (``ingress_secret``) in a header. The Rasa channel runs the turn there under the existing
lease machinery (membership check, flood gate, turn, renew, finish). Rasa servers are tried in
order starting from one picked by the sender (a person's messages go to the same one), the next
only when the hand-off surely did not start a turn (connection refused; 404 / 503: no hand-off
route there, or not serving), for up to a third of a lease. A hand-off that failed otherwise (timeout, an error answer, every server down) is not tried
again from here: the record stays leased, its lease lapses and a Rasa channel's sweeper runs the
turn (``DingTalkInput.sweep``), once — a DingTalk redelivery meanwhile is a repeat. A person's
hand-offs leave in the order their callbacks were admitted (each waits for the one before).

The process raises its own CPU priority (``ingress_nice``, where it may): on a host it shares with
the Rasa server, a callback's answer is not queued behind the model's threads.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.dingtalk import HANDOFF_HEADER, DingTalkInput, Inbound, _payload
from rasa_project import logs, metrics
from rasa_project.wiring import observe_stage

log = logging.getLogger(__name__)

HANDOFF_PATH = "/webhooks/dingtalk/internal/turn"


class Ingress(DingTalkInput):
    """The channel's acknowledgement, whose admitted messages are handed to a Rasa server."""

    def __init__(self, settings=None, *, rasa_urls: list[str] | None = None, http: aiohttp.ClientSession | None = None,
                 retry_base_s: float = 0.25, **channel_kwargs: Any) -> None:
        super().__init__(settings, **channel_kwargs)
        s = self.settings
        self.rasa_urls = [u.rstrip("/") for u in (rasa_urls or s.ingress_rasa_urls
                                                   or [f"http://{s.rasa_host}:{s.rasa_port}"])]
        self._http = http
        self._retry_base_s = retry_base_s
        self._chains: dict[str, asyncio.Task] = {}  # sender -> their latest hand-off (order per person)
        self.outcomes: dict[str, int] = {}  # handed / refused / failed / unreachable: counts, for tests and logs

    @property
    def http(self) -> aiohttp.ClientSession:
        """aiohttp, not httpx: a hand-off costs this process's loop about a quarter of httpx's CPU,
        and that loop is the one answering DingTalk. Idle connections are dropped before a server
        would drop them (Rasa keeps them 120 s, Sanic's default is 5 s), so a hand-off never goes
        out on a connection the server has just closed."""
        if self._http is None:
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=64, keepalive_timeout=4.0),
                timeout=aiohttp.ClientTimeout(total=self.settings.ingress_handoff_timeout_s))
        return self._http

    def _count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        metrics.TURNS.labels(f"handoff_{outcome}").inc()

    def _start(self, inbound: Inbound, on_new_message: Callable[..., Awaitable[Any]] | None) -> None:
        sender = inbound.sender_id
        task = asyncio.ensure_future(self._hand_off(inbound, self._chains.get(sender)))
        self._chains[sender] = task
        self._tasks.add(task)

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if self._chains.get(sender) is t:
                del self._chains[sender]
            if not t.cancelled() and t.exception() is not None:
                log.error("ingress: hand-off of %s failed", inbound.message_id, exc_info=t.exception())

        task.add_done_callback(done)

    def _order(self, sender_id: str) -> list[str]:
        first = zlib.crc32(sender_id.encode("utf-8")) % len(self.rasa_urls)
        return self.rasa_urls[first:] + self.rasa_urls[:first]

    async def _hand_off(self, inbound: Inbound, before: asyncio.Task | None) -> None:
        if before is not None:  # the person's earlier message goes first
            await asyncio.gather(before, return_exceptions=True)
        logs.REQUEST_ID.set(inbound.metadata.get("request_id") or logs.new_id())
        body = _payload(inbound).encode("utf-8")
        headers = {HANDOFF_HEADER: self.settings.ingress_secret.get_secret_value(),
                   "content-type": "application/json", "x-request-id": logs.REQUEST_ID.get() or ""}
        deadline = time.monotonic() + self.settings.turn_lease_s / 3
        started = time.monotonic()
        for attempt in range(1, 1000):
            for url in self._order(inbound.sender_id):
                try:
                    async with self.http.post(url + HANDOFF_PATH, data=body, headers=headers) as r:
                        status, text = r.status, await r.text()
                except aiohttp.ClientConnectorError:  # refused: it never arrived, the next server may take it
                    continue
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:  # it may have arrived: never twice
                    log.warning("ingress: hand-off of %s to %s unanswered (%s); left to its lease, the "
                                "sweeper runs it", inbound.message_id, url, type(exc).__name__)
                    self._count("failed")
                    return
                if status in (200, 202):
                    observe_stage("handoff", time.monotonic() - started)
                    self._count("handed")
                    return
                if status in (404, 503):  # no hand-off route there (yet), or not serving: surely not started
                    continue
                log.error("ingress: hand-off of %s refused by %s (%s %s); left to its lease, the sweeper "
                          "runs it", inbound.message_id, url, status, text[:200])
                self._count("refused")
                return
            wait = min(self._retry_base_s * 2 ** (attempt - 1), 2.0)
            if time.monotonic() + wait >= deadline:
                break
            await asyncio.sleep(wait)
        log.warning("ingress: no Rasa server reachable for %s (%s); left to its lease, the sweeper runs it",
                    inbound.message_id, ", ".join(self.rasa_urls))
        self._count("unreachable")

    async def aclose(self, *, drain_timeout_s: float = 30.0) -> None:
        try:
            await asyncio.wait_for(self.wait_idle(), drain_timeout_s)
        except asyncio.TimeoutError:
            log.warning("ingress: stopping with hand-offs in flight (their leases cover them)")
        await super().aclose(drain_timeout_s=drain_timeout_s)
        if self._http is not None:
            await self._http.close()
            self._http = None


def make_app(ingress: Ingress, name: str = "dingk3_ingress") -> Sanic:
    app = Sanic(name, configure_logging=False)  # one format: the root handler (logs.install)

    @app.route("/webhooks/dingtalk/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok", "mode": "ingress"})

    @app.route("/webhooks/dingtalk/webhook", methods=["POST"], stream=True)
    async def robot(request: Request) -> HTTPResponse:
        return await ingress.http_callback(request, "robot", None)

    @app.route("/webhooks/dingtalk/card", methods=["POST"], stream=True)
    async def card(request: Request) -> HTTPResponse:
        return await ingress.http_callback(request, "card", None)

    @app.route("/metrics", methods=["GET"])
    async def metrics_route(_: Request) -> HTTPResponse:
        body, content_type = metrics.exposition()
        return response.raw(body, content_type=content_type)

    @app.listener("after_server_start")
    async def started(_app, _loop) -> None:
        logs.install(ingress.settings, "ingress")
        ingress.dedupe  # noqa: B018 - the stores are opened before the first callback, not in it
        ingress.replay  # noqa: B018

    @app.listener("before_server_stop")
    async def stop(_app, _loop) -> None:
        await ingress.aclose()

    return app


def main() -> None:
    from rasa_project.settings import get_settings

    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.ingress_nice:  # before any thread starts: the ack thread inherits it
        try:
            os.setpriority(os.PRIO_PROCESS, 0, settings.ingress_nice)
        except OSError as exc:
            log.warning("ingress: CPU priority %d not set (%s); running at the default", settings.ingress_nice, exc)
    ingress = Ingress(settings)
    log.info("ingress: callbacks on http://%s:%s/webhooks/dingtalk/webhook, handed to %s", settings.ingress_host,
             settings.ingress_port, ", ".join(ingress.rasa_urls))
    make_app(ingress).run(host=settings.ingress_host, port=settings.ingress_port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
