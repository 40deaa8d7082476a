"""The company directory over LDAP (ldap3): who a staff id is and which groups hold them.

Every ldap3 error is translated here, once, into ``DirectoryUnavailable``. Values reach
search filters only through RFC 4515 escaping.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ldap3 import BASE, NONE, SUBTREE, Connection, Server
from ldap3.core.exceptions import (
    LDAPBindError,
    LDAPException,
    LDAPInvalidCredentialsResult,
    LDAPNoSuchObjectResult,
)
from ldap3.utils.conv import escape_filter_chars

from rasa_project.authz.errors import DirectoryUnavailable
from rasa_project.authz.roles import is_valid_attribute_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DirectoryPerson:
    dn: str
    name: str | None
    group_dns: frozenset[str]


@dataclass(frozen=True)
class DirectoryMember:
    """A member of a directory group, as notifications need it (who to send to, what to call them)."""

    staff_id: str
    name: str | None
    dn: str
    preferred_language: str | None = None  # inetOrgPerson preferredLanguage, if set


@dataclass(frozen=True)
class DirectoryLogin:
    """A person who proved their password by an LDAP bind (web sign-in)."""

    dn: str
    uid: str | None
    staff_id: str
    name: str | None
    group_dns: frozenset[str]
    work_centers: tuple[str, ...] = ()  # the work centers the person works in (``departmentNumber``)
    preferred_language: str | None = None


def _all(attributes: dict, name: str) -> tuple[str, ...]:
    value = attributes.get(name)
    if value in (None, ""):
        return ()
    values = value if isinstance(value, list) else [value]
    return tuple(str(v) for v in values if v not in (None, ""))


def _first(attributes: dict, name: str) -> str | None:
    value = attributes.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value not in (None, "") else None


def equality_filter(attribute: str, value: str) -> str:
    """``(attribute=value)`` with ``value`` escaped per RFC 4515 (``*()\\`` and NUL)."""
    if not is_valid_attribute_name(attribute):
        raise ValueError(f"bad LDAP attribute name {attribute!r}")
    return f"({attribute}={escape_filter_chars(value)})"


def person_filter(staff_id_attribute: str, staff_id: str) -> str:
    return f"(&(objectClass=inetOrgPerson){equality_filter(staff_id_attribute, staff_id)})"


def groups_filter(member_dn: str) -> str:
    return (
        "(|(&(objectClass=groupOfNames)" + equality_filter("member", member_dn) + ")"
        "(&(objectClass=groupOfUniqueNames)" + equality_filter("uniqueMember", member_dn) + "))"
    )


class LdapDirectory:
    """Looks people up with a fresh, bounded connection per lookup (no shared socket state)."""

    def __init__(self, settings) -> None:
        self._url = settings.ldap_url
        self._bind_dn = settings.ldap_bind_dn
        self._password = settings.ldap_bind_password
        self._base_dn = settings.ldap_base_dn
        self._attribute = settings.ldap_staff_id_attribute
        if not is_valid_attribute_name(self._attribute):  # a config error, not an outage
            raise ValueError(f"bad ldap_staff_id_attribute {self._attribute!r}")
        self._work_center_attribute = getattr(settings, "ldap_work_center_attribute", "departmentNumber")
        if not is_valid_attribute_name(self._work_center_attribute):
            raise ValueError(f"bad ldap_work_center_attribute {self._work_center_attribute!r}")
        self._use_tls = settings.ldap_use_tls
        self._timeout = float(settings.ldap_timeout_s)

    def _connect(self, user: str | None = None, password: str | None = None) -> Connection:
        server = Server(self._url, get_info=NONE, connect_timeout=self._timeout)
        # ldap3 packs receive_timeout into SO_RCVTIMEO with struct 'LL': it must be an int.
        return Connection(
            server,
            user=self._bind_dn if user is None else user,
            password=self._password.get_secret_value() if password is None else password,
            receive_timeout=max(1, math.ceil(self._timeout)),
            read_only=True,
            raise_exceptions=True,
            auto_bind=False,
        )

    def _open(self, conn: Connection) -> None:
        conn.open()
        if self._use_tls:
            conn.start_tls()
        conn.bind()

    def _release(self, conn: Connection) -> None:
        try:
            conn.unbind()
        except (LDAPException, OSError):  # the socket is already gone; nothing left to release
            log.debug("unbind at %s ignored", self._url)

    @contextmanager
    def _session(self, what: str) -> Iterator[Connection]:
        """A connection bound as the service account; any ldap3 or socket error in it becomes
        DirectoryUnavailable (logged with its class name only: never the bind password)."""
        conn = self._connect()
        try:
            self._open(conn)
            yield conn
        except (LDAPException, OSError) as exc:
            log.warning("LDAP %s failed at %s: %s", what, self._url, type(exc).__name__)
            raise DirectoryUnavailable(self._url, type(exc).__name__) from exc
        finally:
            self._release(conn)

    def _limit(self) -> int:
        return max(1, math.ceil(self._timeout))

    def _entries(self, conn: Connection) -> list[dict]:
        return [e for e in conn.response if e.get("type") == "searchResEntry"]

    def _people(self, conn: Connection, filter_: str, attributes: list[str]) -> list[dict]:
        """At most two inetOrgPerson entries matching ``filter_`` (two means: ambiguous)."""
        conn.search(self._base_dn, filter_, search_scope=SUBTREE, attributes=attributes, size_limit=2,
                    time_limit=self._limit())
        return self._entries(conn)

    def _groups(self, conn: Connection, dn: str) -> frozenset[str]:
        conn.search(self._base_dn, groups_filter(dn), search_scope=SUBTREE, attributes=[], time_limit=self._limit())
        return frozenset(e["dn"] for e in self._entries(conn))

    def _login_filter(self, login: str) -> str:
        """The person whose uid or staff id is ``login``."""
        wanted = f"(|{equality_filter('uid', login)}{equality_filter(self._attribute, login)})"
        return f"(&(objectClass=inetOrgPerson){wanted})"

    def _profile_attributes(self) -> list[str]:
        return ["cn", "uid", self._attribute, self._work_center_attribute, "preferredLanguage"]

    def _directory_login(self, conn: Connection, entry: dict, staff_id: str) -> DirectoryLogin:
        dn, attrs = entry["dn"], entry["attributes"]
        return DirectoryLogin(dn=dn, uid=_first(attrs, "uid"), staff_id=staff_id, name=_first(attrs, "cn"),
                              group_dns=self._groups(conn, dn), work_centers=_all(attrs, self._work_center_attribute),
                              preferred_language=_first(attrs, "preferredLanguage"))

    def find(self, staff_id: str) -> DirectoryPerson | None:
        """The person holding ``staff_id`` (None if absent or ambiguous); raises DirectoryUnavailable."""
        with self._session("lookup") as conn:
            people = self._people(conn, person_filter(self._attribute, staff_id), ["cn"])
            if len(people) != 1:
                if people:
                    log.warning("staff id %s matches %d directory entries; refusing", staff_id, len(people))
                return None
            dn = people[0]["dn"]
            return DirectoryPerson(dn=dn, name=_first(people[0]["attributes"], "cn"), group_dns=self._groups(conn, dn))

    def login(self, login: str, password: str) -> DirectoryLogin | None:
        """Sign-in by LDAP simple bind: ``login`` is the person's uid or staff id. None when nobody
        (or more than one entry) holds it or the password is wrong; raises DirectoryUnavailable when
        the directory cannot answer (the caller fails closed). An empty password is refused here,
        before it could become an unauthenticated bind."""
        if not password or not login:
            return None
        with self._session("sign-in lookup") as conn:
            people = self._people(conn, self._login_filter(login), self._profile_attributes())
            if len(people) != 1:
                return None
            staff_id = _first(people[0]["attributes"], self._attribute)
            if not staff_id or not self._password_ok(people[0]["dn"], password):
                return None
            return self._directory_login(conn, people[0], staff_id)

    def account_of(self, login: str) -> str | None:
        """The staff id of the one person whose uid or staff id is ``login`` (None: nobody, or more
        than one), without a password: the sign-in throttle counts per account, so typing the uid
        and then the staff id does not double the guesses. Raises DirectoryUnavailable."""
        if not login:
            return None
        with self._session("account lookup") as conn:
            people = self._people(conn, self._login_filter(login), [self._attribute])
            return _first(people[0]["attributes"], self._attribute) if len(people) == 1 else None

    def _password_ok(self, dn: str, password: str) -> bool:
        """One simple bind as ``dn``: True on success, False on wrong credentials (never logged);
        any other failure propagates (the caller's session turns it into DirectoryUnavailable)."""
        conn = self._connect(dn, password)
        try:
            self._open(conn)
            return True
        except (LDAPInvalidCredentialsResult, LDAPBindError):
            return False
        finally:
            self._release(conn)

    def profile(self, staff_id: str) -> DirectoryLogin | None:
        """The person holding ``staff_id`` with groups and work centers, no password (DingTalk sign-in:
        DingTalk proved who they are). Raises DirectoryUnavailable."""
        with self._session("profile lookup") as conn:
            people = self._people(conn, person_filter(self._attribute, staff_id), self._profile_attributes())
            return self._directory_login(conn, people[0], staff_id) if len(people) == 1 else None

    def members_of(self, group_dn: str) -> list[DirectoryMember]:
        """The people in ``group_dn`` who carry a staff id (sorted by staff id); raises DirectoryUnavailable.

        Reads the group's ``member``/``uniqueMember`` values, then each member entry (scope BASE):
        a member DN that is not a person with a staff id (e.g. the empty group's own DN) is skipped."""
        with self._session("group lookup") as conn:
            try:
                conn.search(group_dn, "(objectClass=*)", search_scope=BASE,
                            attributes=["member", "uniqueMember"], time_limit=self._limit())
            except LDAPNoSuchObjectResult:
                return []
            entries = self._entries(conn)
            if not entries:
                return []
            attributes = entries[0]["attributes"]
            member_dns = list(attributes.get("member") or []) + list(attributes.get("uniqueMember") or [])
            members = []
            for dn in member_dns:
                try:
                    conn.search(dn, "(objectClass=inetOrgPerson)", search_scope=BASE,
                                attributes=["cn", self._attribute, "preferredLanguage"], time_limit=self._limit())
                except LDAPNoSuchObjectResult:  # a dangling member value: nobody to notify
                    continue
                found = self._entries(conn)
                if not found:
                    continue
                attrs = found[0]["attributes"]
                staff_id = _first(attrs, self._attribute)
                if staff_id:
                    members.append(DirectoryMember(staff_id, _first(attrs, "cn"), found[0]["dn"],
                                                   _first(attrs, "preferredLanguage")))
            return sorted(members, key=lambda m: m.staff_id)
