"""Real OpenLDAP for the authz tests: a session slapd, plus a factory for private ones.

Other suites reuse ``start_slapd(tmp_path, port) -> SlapdServer`` (rasa_project.authz.slapd)
and the ``free_port`` helper below.
"""

from __future__ import annotations

import socket

import pytest

from rasa_project.authz.slapd import SlapdServer, start_slapd  # noqa: F401  (re-exported)
from rasa_project.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ldap_settings(server: SlapdServer, **overrides) -> Settings:
    return Settings(ldap_url=server.url, **overrides)


@pytest.fixture(scope="session")
def slapd(tmp_path_factory) -> SlapdServer:
    """A read-only demo directory shared by the session; tests must not modify it."""
    server = start_slapd(tmp_path_factory.mktemp("slapd"), free_port(), settings=Settings())
    yield server
    server.stop()


@pytest.fixture
def make_slapd(tmp_path):
    """Private slapd instances for tests that modify or stop the directory."""
    servers: list[SlapdServer] = []

    def _make() -> SlapdServer:
        server = start_slapd(tmp_path / f"slapd{len(servers)}", free_port(), settings=Settings())
        servers.append(server)
        return server

    yield _make
    for server in servers:
        server.stop()


class FakeClock:
    """Monotonic seconds that only move when the test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
