"""``PUT /webhooks/dingtalk/model``: load another model beside the running one, then swap it in.

Rasa's own ``PUT /model`` loads the new model on the server's event loop: for the 20–30 s the load
takes, no callback is acknowledged, and DingTalk's HTTP robot callback (5 s timeout, no retry) is
lost. Here the model is loaded in a worker thread while the loop goes on answering with the old
agent; the swap of ``app.ctx.agent`` is one assignment (Rasa's channels look the agent up per
message), so each message is handled wholly by the old model or wholly by the new one.

The route takes ``Authorization: Bearer <rasa_api_token>`` (never a token in the URL, which would
reach access logs) and a model file inside the configured model directory.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from pathlib import Path

from sanic import Blueprint, response
from sanic.request import Request

log = logging.getLogger(__name__)


def _authorized(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    return bool(token) and given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())


def register(bp: Blueprint, settings) -> None:
    switching = asyncio.Lock()

    @bp.route("/model", methods=["GET"])
    async def model_status(request: Request):
        if not _authorized(request, settings.rasa_api_token.get_secret_value()):
            return response.json({"error": "unauthorized"}, status=401)
        agent = request.app.ctx.agent
        return response.json({"model_file": str(agent.processor.model_path) if agent.processor else None})

    @bp.route("/model", methods=["PUT"])
    async def switch_model(request: Request):
        if not _authorized(request, settings.rasa_api_token.get_secret_value()):
            return response.json({"error": "unauthorized"}, status=401)
        body = request.json if isinstance(request.json, dict) else {}
        name = body.get("model_file")
        if not isinstance(name, str) or not name:
            return response.json({"error": "model_file missing"}, status=400)
        models = Path(settings.model_dir).resolve()
        path = Path(name).resolve()
        if path.parent != models or not path.name.endswith(".tar.gz") or not path.is_file():
            return response.json({"error": "model_file must be a model archive in the model directory"}, status=400)
        if switching.locked():
            return response.json({"error": "a switch is already running"}, status=409)
        async with switching:
            from rasa.core.agent import Agent

            old = request.app.ctx.agent
            try:
                new = await asyncio.to_thread(
                    Agent.load, str(path), generator=old.nlg, tracker_store=old.tracker_store,
                    lock_store=old.lock_store, action_endpoint=old.action_endpoint,
                    model_server=old.model_server, remote_storage=old.remote_storage,
                    http_interpreter=old.http_interpreter,
                )
            except Exception as exc:  # the old model keeps answering
                log.exception("model switch: %s could not be loaded", path.name)
                return response.json({"error": f"could not load {path.name}: {type(exc).__name__}"}, status=422)
            request.app.ctx.agent = new
            log.info("model switch: now answering with %s", path.name)
            return response.json({"model_file": str(path)}, status=200)
