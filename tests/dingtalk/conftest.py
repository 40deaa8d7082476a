"""Fixtures for the DingTalk channel and simulator: real servers on free loopback ports."""

from __future__ import annotations

import asyncio
import io
import itertools
import socket
import threading

import pytest
import uvicorn
from sanic import Sanic

from connectors.dedupe import SQLiteDedupe
from connectors.dingtalk import DingTalkInput
from devtools.simulators.dingtalk import create_app
from rasa_project.settings import Settings
from tests.polling import async_wait_until, wait_until

_names = itertools.count()
# Several Sanic apps start in one process: test mode lets Sanic's TouchUp rewrite run again.
Sanic.test_mode = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def settings(tmp_path):
    return Settings(var_dir=tmp_path, dingtalk_openapi_url="http://127.0.0.1:9", redis_url=None)


STOP_S = 60.0  # the channel drains for at most 30 s (DingTalkInput.aclose), then closes


def task_stacks() -> str:
    """Every task of the running loop with where it waits (to name what a hung shutdown waits for)."""
    out = io.StringIO()
    for task in asyncio.all_tasks():
        out.write(f"--- {task!r}\n")
        task.print_stack(file=out)
    return out.getvalue()


class ThreadedServer:
    """uvicorn in a thread with its own loop, so sync clients in the test can call it."""

    def __init__(self, app, port: int) -> None:
        # ws="wsproto": uvicorn's default websockets backend needs websockets>=13 (rasa pins 10.4).
        config = uvicorn.Config(app, host="127.0.0.1", port=port, ws="wsproto", log_level="warning",
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> ThreadedServer:
        self.thread.start()
        wait_until(lambda: self.server.started, 10)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def run_sim():
    """Factory: start the simulator app on a free port; returns (base_url, app)."""
    servers = []

    def _run(settings, **kwargs):
        app = create_app(settings, **kwargs)
        server = ThreadedServer(app, free_port()).start()
        servers.append(server)
        return server.url, app

    yield _run
    for server in servers:
        server.stop()


@pytest.fixture
def sim(run_sim, settings):
    """The simulator with fast redelivery timings; settings point the channel at it."""
    url, app = run_sim(settings, ack_timeout_s=0.5, max_redeliveries=2, ping_interval_s=0,
                       disconnect_grace_s=0.2)
    settings.dingtalk_openapi_url = url
    return url, app


class Bot:
    """Our channel mounted in a small Sanic app, like rasa's ``channel.register`` does."""

    def __init__(self, channel: DingTalkInput, handler) -> None:
        self.channel = channel
        self.app = Sanic(f"dingtalk_test_{next(_names)}")
        self.app.blueprint(channel.blueprint(handler), url_prefix="/webhooks/dingtalk")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/webhooks/dingtalk"
        self._server = None

    async def start(self) -> Bot:
        self._server = await self.app.create_server(host="127.0.0.1", port=self.port, return_asyncio_server=True,
                                                    access_log=False)
        # create_server already listens (it awaits the AsyncioServer); then run the listeners.
        await self._server.startup()
        await self._server.before_start()
        await self._server.after_start()
        return self

    async def stop(self) -> None:
        """Stop the bot; a shutdown that hangs fails the test with every task's stack (not a hung run)."""
        stopping = asyncio.ensure_future(self._stop())
        done, _ = await asyncio.wait({stopping}, timeout=STOP_S)
        if not done:
            raise AssertionError(f"the bot did not stop within {STOP_S:.0f} s; its tasks:\n{task_stacks()}")
        stopping.result()

    async def _stop(self) -> None:
        await self._server.before_stop()
        self._server.close()
        await self._server.wait_closed()
        for connection in list(self._server.connections):  # keep-alive sockets from the simulator
            connection.close_if_idle()
        await async_wait_until(lambda: not self._server.connections, 5)
        await self._server.after_stop()


@pytest.fixture
async def make_bot(settings):
    """Factory: a running bot. ``handler`` defaults to collecting UserMessages (Rasa's seam)."""
    bots = []

    async def _make(handler=None, *, channel_settings=None, **channel_kwargs):
        received = []

        async def collect(message):
            received.append(message)
            if handler is not None:
                await handler(message)

        s = channel_settings or settings
        channel_kwargs.setdefault("dedupe", SQLiteDedupe(s.var_dir / "dedupe.db", s.dedupe_ttl_s))
        bot = Bot(DingTalkInput(s, **channel_kwargs), collect)
        bot.received = received
        await bot.start()
        bots.append(bot)
        return bot

    yield _make
    for bot in bots:
        await bot.stop()
