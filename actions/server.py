"""The action server, reachable only by our Rasa servers: ``python -m actions.server``.

rasa_sdk's own app (``rasa_sdk.endpoint.create_app``) behind one request check: every route but
``/health`` needs ``Authorization: Bearer <settings.action_server_token>``, which Rasa sends with
each action call (endpoints.yml ``action_endpoint.headers``; rasa/utils/endpoints.py adds them to
every request). Without it a hand-written tracker posted to ``/webhook`` runs nothing and reads
nothing. It listens on ``settings.action_host`` (loopback in the demo, the internal network in
production; ``rasa run actions`` would take every interface) and answers no cross-origin browser
request (rasa_sdk's default CORS admits any origin).
"""

from __future__ import annotations

import hmac
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from sanic import Sanic, response
from sanic.request import Request

from rasa_project import wiring

log = logging.getLogger("actions.server")  # also when run as __main__

OPEN_PATHS = frozenset({"/health", "/metrics"})  # readiness, and counts (Prometheus): say nothing of anyone


def create_app(token: str, action_package: str = "actions", *, threads: int = 64) -> Sanic:
    from rasa_sdk.endpoint import create_app as create_sdk_app

    if not token:
        raise ValueError("the action server needs a token")
    app = create_sdk_app(action_package, cors_origins=None)
    expected = f"Bearer {token}".encode()

    @app.before_server_start
    async def worker_threads(_app, loop):
        # actions run their blocking use cases with asyncio.to_thread: the default pool (cores + 4
        # threads) would let a handful of turns waiting on K/3 hold up every other conversation
        if threads > 0:  # 0: asyncio's default pool
            loop.set_default_executor(ThreadPoolExecutor(max_workers=threads, thread_name_prefix="action"))

    @app.get("/metrics")
    async def metrics_route(_request: Request):
        body, content_type = wiring.metrics_exposition()
        return response.raw(body, content_type=content_type)

    @app.on_request
    async def authenticate(request: Request):
        request.ctx.started = time.monotonic()
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get("authorization", "").encode("utf-8", "replace")
        if hmac.compare_digest(given, expected):
            if request.path == "/webhook":
                _follow_request_id(request)
            return None
        log.warning("action server: %s %s refused: not from our Rasa server (%s)", request.method, request.path,
                    request.ip)
        return response.json({"error": "not authenticated"}, status=401)

    @app.on_response
    async def observe(request: Request, resp):
        if request.path == "/webhook":
            try:
                action = (request.json or {}).get("next_action") or "unknown"
            except Exception:  # noqa: BLE001 - an unreadable body is refused elsewhere; count it all the same
                action = "unreadable"
            wiring.observe_action(action, resp.status, time.monotonic() - request.ctx.started)

    return app


def _follow_request_id(request: Request) -> None:
    """The chat message's request id (the channel put it in the message's metadata) for this call."""
    try:
        body = request.json or {}
        latest = (body.get("tracker") or {}).get("latest_message") or {}
        rid = wiring.request_id_from((latest.get("metadata") or {}).get("request_id"))
    except Exception:  # noqa: BLE001 - an unreadable body is refused by the SDK; no id then
        rid = None
    if rid:
        log.info("action server: %s for %s", body.get("next_action"), body.get("sender_id"))


def main() -> None:
    from rasa_sdk import utils
    from rasa_sdk.plugin import plugin_manager

    settings = wiring.current().settings
    utils.configure_colored_logging(settings.log_level)
    wiring.install_request_ids(settings, "actions")
    utils.update_sanic_log_level()
    app = create_app(settings.action_server_token.get_secret_value(), threads=settings.action_server_threads)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    log.info("action server on http://%s:%s (calls need the action server token)", settings.action_host,
             settings.action_port)
    app.run(host=settings.action_host, port=settings.action_port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
