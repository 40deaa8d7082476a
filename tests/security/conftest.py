"""Security tests of the channel: our channel in a small Sanic app, the real DingTalk simulator on a
free loopback port (it answers the membership API), webhook servers an attacker would run."""

from __future__ import annotations

import json

import httpx
import pytest

from devtools.security.listener import WebhookListener
from devtools.security.wire import Signer, encode, robot_body
from tests.dingtalk.conftest import make_bot, run_sim, settings, sim  # noqa: F401 - shared fixtures

SECRET = "demo-app-secret-0123456789abcdefABCDEF"


def real_secrets() -> dict[str, str]:
    """A non-demo value for every secret setting: what production must be given."""
    from pydantic import SecretStr

    from rasa_project.settings import Settings

    return {name: f"not-the-demo-{name}-0123456789" for name, field in Settings.__fields__.items()
            if isinstance(field.default, SecretStr)}


@pytest.fixture
def signer() -> Signer:
    return Signer(SECRET)


@pytest.fixture
def listeners():
    """Attacker webhook servers on 127.0.0.1, 127.0.0.2 and [::1]."""
    started = {host: WebhookListener(host).start() for host in ("127.0.0.1", "127.0.0.2", "::1")}
    yield started
    for listener in started.values():
        listener.stop()


@pytest.fixture
def body(settings):  # noqa: F811 - the shared fixture, by name
    def _body(staff_id="pmc0001", conversation_id="cidPMC0001", text="你好", webhook=None, **extra):
        return robot_body(robot_code=settings.dingtalk_robot_code, corp_id=settings.dingtalk_corp_id,
                          conversation_id=conversation_id, staff_id=staff_id, text=text,
                          session_webhook=webhook, **extra)
    return _body


async def post(bot, payload, headers: dict, path: str = "/webhook") -> httpx.Response:
    raw = payload if isinstance(payload, bytes) else encode(payload)
    async with httpx.AsyncClient() as client:
        return await client.post(bot.url + path, content=raw, headers=headers)


def sim_messages(sim_url: str, **params) -> list[dict]:
    return httpx.get(f"{sim_url}/_sim/messages", params=params).json()["messages"]


def texts(messages) -> list[str]:
    return [m.get("text") or json.dumps(m.get("raw"), ensure_ascii=False) for m in messages]
