"""The dashboard with what it talks to, on free loopback ports: K/3 and DingTalk simulators, a real
slapd, and ``dingk3 web`` as its own process (no Rasa: these tests sign in and read pages)."""

from __future__ import annotations

import os
import time

import pytest

from devtools.stack import demo_env, simulator_services
from rasa_project.runner import Service, Stack, _bin
from rasa_project.settings import PROJECT_ROOT
from tests.e2e.stack import free_port, stack_settings
from tests.requirements import need

RUNS = PROJECT_ROOT / "var" / "web-tests"


def web_service(settings, name: str = "web") -> Service:
    return Service(name, [_bin("dingk3"), "web"], ready_url=f"http://127.0.0.1:{settings.web_port}/health")


@pytest.fixture(scope="session")
def web_stack():
    need("slapd")
    RUNS.mkdir(parents=True, exist_ok=True)
    var_dir = RUNS / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    var_dir.mkdir()
    settings = stack_settings(var_dir).copy(update={"web_port": free_port(), "web_login_lockout_after": 4,
                                                     "web_login_delay_after": 2, "web_session_ttl_s": 3600})
    stack = Stack(settings, simulator_services(settings) + [web_service(settings)], env=demo_env(settings))
    try:
        stack.start()
        yield stack, settings
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def web_settings(web_stack):
    return web_stack[1]
