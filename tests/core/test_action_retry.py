"""Rasa's action call survives an action server that went away (rasa_project.action_retry, issue 17
item 7): Rasa's own RemoteAction against a real HTTP endpoint that answers 502 (nginx in front of a
killed action server) or refuses connections, then works."""

from __future__ import annotations

import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from rasa_project import action_retry, catalog
from tests.dingtalk.conftest import free_port


@pytest.fixture
def retried():
    assert action_retry.install(retries=2, backoff_s=0.05)
    assert not action_retry.install()
    yield
    action_retry.uninstall()


class ActionServer:
    """Answers ``failures`` in a row with ``status``, then a valid action response."""

    def __init__(self, failures: int, status: int = 502) -> None:
        self.failures, self.status, self.calls = failures, status, 0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        body = await request.json()
        if self.calls <= self.failures:
            return web.Response(status=self.status, text="<html>502 Bad Gateway</html>")
        return web.json_response({"events": [{"event": "slot", "name": "done", "value": body["next_action"]}],
                                  "responses": []})

    async def __aenter__(self):
        app = web.Application()
        app.router.add_post("/webhook", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        self.port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc):
        await self.runner.cleanup()


def _output(lang: str = "id") -> CollectingOutputChannel:
    output = CollectingOutputChannel()
    output.lang = lang  # as connectors.dingtalk.DingTalkOutput carries the conversation's language
    return output


async def _run(url: str, output: CollectingOutputChannel | None = None):
    output = output or _output()
    domain = Domain.from_dict({"slots": {"done": {"type": "any", "mappings": [{"type": "custom"}]}},
                               "actions": ["action_confirm"]})
    events = await RemoteAction("action_confirm", EndpointConfig(url)).run(
        output, TemplatedNaturalLanguageGenerator({}), DialogueStateTracker("cid:p1", domain.slots), domain)
    return events, output


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_call_through_a_gateway_to_a_dead_server_is_made_again(retried, status):
    async with ActionServer(failures=2, status=status) as server:
        events, output = await _run(f"http://127.0.0.1:{server.port}/webhook")
    assert server.calls == 3 and events == [SlotSet("done", "action_confirm")] and output.messages == []


async def test_an_action_that_itself_failed_is_not_run_again(retried):
    async with ActionServer(failures=5, status=500) as server:
        with pytest.raises(RasaException):
            await _run(f"http://127.0.0.1:{server.port}/webhook")
    assert server.calls == 1


async def test_when_every_try_fails_the_person_is_told_in_their_language(retried):
    output = _output("id")
    async with ActionServer(failures=5) as server:
        with pytest.raises(RasaException):
            await _run(f"http://127.0.0.1:{server.port}/webhook", output)
    assert server.calls == 3
    assert [m["text"] for m in output.messages] == [catalog.text("general.internal_error", "id")]


async def test_a_refused_connection_is_tried_again_and_the_person_told(retried):
    output = _output("en")
    with pytest.raises(RasaException):
        await _run(f"http://127.0.0.1:{free_port()}/webhook", output)  # nobody listens
    assert [m["text"] for m in output.messages] == [catalog.text("general.internal_error", "en")]


async def test_without_the_wrapper_rasa_calls_once_and_says_nothing():
    """Rasa's own behaviour, which the wrapper exists for."""
    output = _output()
    async with ActionServer(failures=1) as server:
        with pytest.raises(RasaException):
            await _run(f"http://127.0.0.1:{server.port}/webhook", output)
    assert server.calls == 1 and output.messages == []
