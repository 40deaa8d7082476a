"""Real OpenLDAP for the authz tests: a session slapd, plus a factory for private ones.

Other suites reuse ``start_slapd(tmp_path, port) -> SlapdServer`` (devtools.slapd)
and the ``free_port`` helper below.
"""

from __future__ import annotations

import socket

import pytest
from ldap3 import Connection

from devtools.slapd import SlapdServer, start_slapd
from rasa_project.authz.service import Authorizer
from rasa_project.settings import Settings
from tests.requirements import need


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def slapd(tmp_path_factory) -> SlapdServer:
    """A read-only demo directory shared by the session; tests must not modify it."""
    need("slapd")
    server = start_slapd(tmp_path_factory.mktemp("slapd"), free_port(), settings=Settings())
    yield server
    server.stop()


@pytest.fixture
def make_slapd(tmp_path):
    """Private slapd instances for tests that modify or stop the directory."""
    servers: list[SlapdServer] = []

    def _make(factory=None, settings: Settings | None = None) -> SlapdServer:
        need("slapd")
        workdir = tmp_path / f"slapd{len(servers)}"
        server = start_slapd(workdir, free_port(), factory=factory, settings=settings or Settings())
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


@pytest.fixture
def authorizer_for(clock):
    """Authorizer against a given slapd (or URL), with the test's clock and setting overrides."""

    def _make(server_or_url, **overrides) -> Authorizer:
        url = server_or_url if isinstance(server_or_url, str) else server_or_url.url
        return Authorizer(Settings(ldap_url=url, **overrides), clock=clock)

    return _make


@pytest.fixture
def admin_connection():
    """An ldap3 connection bound as the directory admin, for tests that edit the directory."""
    opened: list[Connection] = []

    def _open(server: SlapdServer) -> Connection:
        settings = Settings()
        conn = Connection(
            server.url,
            user=settings.ldap_bind_dn,
            password=settings.ldap_bind_password.get_secret_value(),
            auto_bind=True,
            raise_exceptions=True,
        )
        opened.append(conn)
        return conn

    yield _open
    for conn in opened:
        conn.unbind()
