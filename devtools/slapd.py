"""A real OpenLDAP slapd seeded from the demo fixture, for the demo stack and the tests.

``SlapdServer`` writes its own slapd.conf (mdb backend), turns the fixture's ``directory:``
into LDIF, loads it with slapadd and runs slapd in the foreground on 127.0.0.1:PORT until
``stop()``. Every start re-seeds from the fixture, so the directory is always the demo one.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

from ldap3 import NONE, Connection, Server
from ldap3.core.exceptions import LDAPException

log = logging.getLogger(__name__)

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")


class SlapdError(RuntimeError):
    """The local OpenLDAP server could not be prepared or started."""


SCHEMAS = ("core", "cosine", "nis", "inetorgperson")
INSTALL_HINT = "OpenLDAP is not installed: run `apt-get install -y slapd ldap-utils`"


def ssha(password: str, salt: bytes | None = None) -> str:
    """``{SSHA}`` userPassword/rootpw value, as slappasswd makes it."""
    salt = salt if salt is not None else os.urandom(8)
    digest = hashlib.sha1(password.encode("utf-8") + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode("ascii")


def _ldif_line(attribute: str, value: str) -> str:
    # RFC 2849: values that are not SAFE-STRINGs (non-ASCII such as 王丽, leading space/colon/<)
    # are written base64 with "::".
    safe = (
        value.isascii()
        and value.isprintable()
        and not value.startswith((" ", ":", "<"))
        and not value.endswith(" ")
    )
    if safe:
        return f"{attribute}: {value}"
    return f"{attribute}:: {base64.b64encode(value.encode('utf-8')).decode('ascii')}"


def _entry(dn: str, attributes: list[tuple[str, str]]) -> str:
    return "\n".join([_ldif_line("dn", dn)] + [_ldif_line(a, v) for a, v in attributes]) + "\n"


def _rdn_value(dn: str) -> tuple[str, str]:
    attribute, _, value = dn.split(",", 1)[0].partition("=")
    return attribute.strip().lower(), value.strip()


def escape_dn_value(value: str) -> str:
    """RFC 4514 escaping of one RDN value."""
    out = []
    for i, ch in enumerate(value):
        if ch in ',+"\\<>;=' or (i == 0 and ch in " #") or (i == len(value) - 1 and ch == " "):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def person_dn(uid: str, base_dn: str) -> str:
    return f"uid={escape_dn_value(uid)},ou=people,{base_dn}"


def directory_ldif(factory, staff_id_attribute: str = "employeeNumber") -> str:
    """LDIF for the fixture's directory: base, ou=people, ou=groups, people and groups."""
    base = factory.directory_base_dn
    attribute, value = _rdn_value(base)
    if attribute == "dc":
        base_attrs = [
            ("objectClass", "top"),
            ("objectClass", "dcObject"),
            ("objectClass", "organization"),
            ("dc", value),
            ("o", factory.organization.get("name", value) if factory.organization else value),
        ]
    elif attribute == "o":
        base_attrs = [("objectClass", "top"), ("objectClass", "organization"), ("o", value)]
    else:
        raise SlapdError(f"unsupported base DN {base!r} (use dc=... or o=...)")
    entries = [
        _entry(base, base_attrs),
        _entry(f"ou=people,{base}", [("objectClass", "organizationalUnit"), ("ou", "people")]),
        _entry(f"ou=groups,{base}", [("objectClass", "organizationalUnit"), ("ou", "groups")]),
    ]
    members: dict[str, list[str]] = {role: [] for role in factory.directory_groups}
    for person in factory.people:
        dn = person_dn(person.uid, base)
        family = person.cn.rpartition(" ")[2]  # "Siti Rahma" -> Rahma; 王丽 -> 王丽
        attributes = [
            ("objectClass", "inetOrgPerson"),
            ("uid", person.uid),
            ("cn", person.cn),
            ("sn", family),
            ("mail", person.mail),
            (staff_id_attribute, person.dingtalk_staff_id),
        ]
        for center in getattr(person, "work_centers", ()):  # the dashboard's scope of production staff
            attributes.append(("departmentNumber", center))
        if person.password:  # the demo sign-in password of the web pages (LDAP simple bind)
            attributes.append(("userPassword", ssha(person.password)))
        entries.append(_entry(dn, attributes))
        for role in person.groups:
            if role not in members:
                raise SlapdError(f"{person.uid} is in unknown group {role!r}")
            members[role].append(dn)
    for role, group_dn in factory.directory_groups.items():
        # groupOfNames needs at least one member: an empty group holds the group's own DN,
        # which no person can ever be.
        member_dns = members[role] or [group_dn]
        _, cn = _rdn_value(group_dn)
        entries.append(
            _entry(
                group_dn, [("objectClass", "groupOfNames"), ("cn", cn)] + [("member", m) for m in member_dns]
            )
        )
    return "\n".join(entries)


def slapd_conf(workdir: Path, settings) -> str:
    schemas = "\n".join(f"include {SCHEMA_DIR / name}.schema" for name in SCHEMAS)
    rootpw = ssha(settings.ldap_bind_password.get_secret_value())
    attr = settings.ldap_staff_id_attribute
    return f"""{schemas}
modulepath {MODULE_DIR}
moduleload back_mdb
pidfile {workdir / "slapd.pid"}
argsfile {workdir / "slapd.args"}
disallow bind_anon
require authc

database mdb
maxsize 67108864
suffix "{settings.ldap_base_dn}"
rootdn "{settings.ldap_bind_dn}"
rootpw {rootpw}
directory {workdir / "data"}
index objectClass eq
index uid,{attr} eq
index member,uniqueMember eq
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
"""


class SlapdServer:
    """A slapd process serving the fixture directory on ldap://127.0.0.1:PORT/."""

    def __init__(self, workdir: Path, port: int, factory=None, settings=None) -> None:
        if settings is None:
            from rasa_project.settings import get_settings

            settings = get_settings()
        if factory is None:
            from devtools.factory import load_factory

            factory = load_factory(settings.fixture_path)
        self.workdir = Path(workdir)
        self.port = int(port)
        self.factory = factory
        self.settings = settings
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.started_in_s: float | None = None
        self._process: subprocess.Popen | None = None

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _prepare(self) -> Path:
        if not SLAPD.exists() or not SLAPADD.exists():
            raise SlapdError(INSTALL_HINT)
        data = self.workdir / "data"
        if data.exists():
            shutil.rmtree(data)  # re-seed: the fixture is the source of truth
        data.mkdir(parents=True)
        conf = self.workdir / "slapd.conf"
        conf.write_text(slapd_conf(self.workdir, self.settings), encoding="utf-8")
        conf.chmod(0o600)  # holds the hashed rootpw
        ldif = self.workdir / "directory.ldif"
        ldif.write_text(directory_ldif(self.factory, self.settings.ldap_staff_id_attribute), encoding="utf-8")
        done = subprocess.run(
            [str(SLAPADD), "-q", "-f", str(conf), "-l", str(ldif)],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise SlapdError(f"slapadd failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        return conf

    def start(self, timeout_s: float = 15.0) -> SlapdServer:
        if self.is_running:
            return self
        began = time.monotonic()
        conf = self._prepare()
        self._log = open(self.workdir / "slapd.log", "wb")  # noqa: SIM115 - open while slapd runs
        # -d 0 keeps slapd in the foreground (our child, SIGTERM stops it) without debug noise.
        self._process = subprocess.Popen(
            [str(SLAPD), "-f", str(conf), "-h", f"ldap://127.0.0.1:{self.port}/", "-d", "0"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = began + timeout_s
        while True:
            if self._process.poll() is not None:
                self._close_log()
                tail = (self.workdir / "slapd.log").read_text(errors="replace")[-2000:]
                raise SlapdError(f"slapd exited with {self._process.returncode}: {tail}")
            if self._can_bind():
                break
            if time.monotonic() > deadline:
                self.stop()
                raise SlapdError(f"slapd did not accept a bind on {self.url} within {timeout_s} s")
            time.sleep(0.05)  # bounded poll for readiness (not a test wait)
        self.started_in_s = time.monotonic() - began
        log.info("slapd serving %s (pid %s) after %.2f s", self.url, self._process.pid, self.started_in_s)
        return self

    def _can_bind(self) -> bool:
        server = Server(self.url, get_info=NONE, connect_timeout=1)
        conn = Connection(
            server,
            user=self.settings.ldap_bind_dn,
            password=self.settings.ldap_bind_password.get_secret_value(),
            receive_timeout=1,
        )
        try:
            return bool(conn.bind())
        except LDAPException:
            return False
        finally:
            conn.unbind()

    def stop(self, timeout_s: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()  # slapd shuts down cleanly on SIGTERM (syncs mdb)
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout_s)
        self._close_log()

    def request_stop(self) -> None:
        """Send SIGTERM without waiting (safe from a signal handler)."""
        if self.is_running:
            self._process.terminate()

    def _close_log(self) -> None:
        handle = getattr(self, "_log", None)
        if handle is not None and not handle.closed:
            handle.close()

    def wait(self) -> int:
        """Block until slapd exits (foreground serving)."""
        if self._process is None:
            return 0
        return self._process.wait()

    def __enter__(self) -> SlapdServer:  # noqa: PYI034
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def start_slapd(workdir: Path, port: int, factory=None, settings=None) -> SlapdServer:
    """Start a seeded slapd in ``workdir`` on ``port`` (caller stops it); for tests and the demo."""
    return SlapdServer(workdir, port, factory=factory, settings=settings).start()


# -- `python -m devtools ldap serve` -------------------------------------------------------------
def _serve(args) -> int:
    from rasa_project.settings import get_settings

    settings = get_settings()
    port = args.port or urlparse(settings.ldap_url).port or 389
    workdir = Path(args.workdir) if args.workdir else settings.var_dir / "slapd"
    server = SlapdServer(workdir, port, settings=settings)

    stopping = False

    def _terminate(signum, _frame):
        # SIGTERM from the demo runner: only signal slapd here; the main thread's wait()
        # returns and stop() reaps it (waiting inside a handler would deadlock on Popen's lock).
        nonlocal stopping
        stopping = True
        server.request_stop()

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        try:
            server.start()
        except Exception:  # SlapdError, or ldap3's socket errors from a readiness bind slapd was killed under
            if stopping:  # told to stop while slapd was still starting
                return 0
            raise
        if stopping:  # SIGTERM arrived before slapd was spawned
            return 0
        print(
            f"slapd serving {server.url} ({settings.ldap_base_dn}) from {workdir}; Ctrl-C stops it",
            flush=True,
        )
        code = server.wait()
    except KeyboardInterrupt:
        code = 0
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    return 0 if stopping or code == 0 else 1


def register(sub) -> None:
    ldap = sub.add_parser("ldap", help="a local OpenLDAP slapd loaded from the demo directory")
    ldap_sub = ldap.add_subparsers(dest="ldap_command", metavar="ACTION")
    serve = ldap_sub.add_parser("serve", help="run a slapd seeded from the fixture in the foreground")
    serve.add_argument("--port", type=int, default=None, help="default: the port of DINGK3_LDAP_URL")
    serve.add_argument("--workdir", default=None, help="default: var/slapd")
    serve.set_defaults(func=_serve)
