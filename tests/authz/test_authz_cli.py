"""`python -m devtools ldap serve` and `dingk3 whois`, run as real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from ldap3 import Connection

from rasa_project.settings import Settings

# Only our own sub-commands, so this suite does not depend on other domains' CLI modules.
RUN_CLI = (
    "import argparse, sys\n"
    "from devtools import slapd\n"
    "from rasa_project.authz import cli\n"
    "parser = argparse.ArgumentParser(prog='dingk3')\n"
    "sub = parser.add_subparsers(dest='command')\n"
    "cli.register(sub)\n"
    "slapd.register(sub)\n"
    "args = parser.parse_args(sys.argv[1:])\n"
    "sys.exit(args.func(args))\n"
)


def _env(**values: str) -> dict:
    env = dict(os.environ)
    env.update(values)
    return env


def _can_bind(url: str) -> bool:
    settings = Settings()
    conn = Connection(
        url, user=settings.ldap_bind_dn, password=settings.ldap_bind_password.get_secret_value()
    )
    try:
        return bool(conn.bind())
    except Exception:  # noqa: BLE001 - not up yet
        return False
    finally:
        conn.unbind()


def test_ldap_serve_runs_until_sigterm(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"ldap://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            RUN_CLI,
            "ldap",
            "serve",
            "--port",
            str(port),
            "--workdir",
            str(tmp_path / "d"),
        ],
        env=_env(DINGK3_LDAP_URL=url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not _can_bind(url):
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "slapd never answered"
            time.sleep(0.1)
        slapd_pid = int((tmp_path / "d" / "slapd.pid").read_text().strip())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not _can_bind(url)
    assert not os.path.exists(f"/proc/{slapd_pid}")  # reaped, not left running or as a zombie


def test_whois_prints_roles(slapd):
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI, "whois", "manager0001"],
        env=_env(DINGK3_LDAP_URL=slapd.url),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "roles=managers,pmc" in done.stdout
    assert "approval_decide" in done.stdout


def test_whois_of_stranger_prints_no_roles(slapd):
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI, "whois", "stranger0001"],
        env=_env(DINGK3_LDAP_URL=slapd.url),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "roles=-" in done.stdout
