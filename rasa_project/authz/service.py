"""Authorization decisions for chat users: LDAP groups -> roles -> permissions.

Fail closed: when the directory cannot be asked, nothing is granted. Results are cached per
staff id for ``settings.authz_cache_ttl_s`` so a removal from a group takes effect within one
TTL; an expired entry is never served, not even during a directory outage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rasa_project import catalog
from rasa_project.authz.directory import DirectoryPerson, LdapDirectory
from rasa_project.authz.errors import DirectoryUnavailable, InvalidStaffId
from rasa_project.authz.roles import (  # noqa: F401  (re-exported: callers import them from here)
    APPROVAL_DECIDE,
    ORDER_CHANGE,
    ORDER_CREATE,
    ORDER_QUERY,
    PERMISSIONS,
    REPORT_OUTPUT,
    ROLE_MANAGERS,
    ROLE_PMC,
    ROLE_PRODUCTION,
    STOCK_QUERY,
    is_permitted,
    is_valid_staff_id,
    roles_from_groups,
)
from rasa_project.outcomes import Outcome, refused

log = logging.getLogger(__name__)

REFUSED = "authz.refused"
NOT_IN_DIRECTORY = "authz.not_in_directory"
DIRECTORY_UNAVAILABLE = "authz.directory_unavailable"
INVALID_IDENTITY = "authz.invalid_identity"


class Directory(Protocol):
    def find(self, staff_id: str) -> DirectoryPerson | None: ...


@dataclass(frozen=True)
class AuthzDecision:
    allowed: bool
    roles: frozenset[str]
    reason_key: str | None  # catalog key explaining a refusal; None when allowed
    person_name: str | None
    staff_id: str = ""
    permission: str = ""

    @property
    def is_directory_unavailable(self) -> bool:
        return self.reason_key == DIRECTORY_UNAVAILABLE


def refusal(decision: AuthzDecision) -> Outcome | None:
    """The polite refusal of a refused decision, in every chat language (None when allowed)."""
    if decision.allowed:
        return None
    action = dict(catalog.MESSAGES[f"authz.action.{decision.permission}"])
    return refused(decision.reason_key or REFUSED, decision, name=decision.person_name or "", action=action)


def refusal_text(decision: AuthzDecision, lang: str) -> str | None:
    """The polite chat sentence for a refused decision (None when allowed)."""
    outcome = refusal(decision)
    return outcome.text(lang) if outcome is not None else None


@dataclass(frozen=True)
class _Cached:
    fetched_at: float
    person: DirectoryPerson | None


class Authorizer:
    """``roles_of`` / ``check`` for DingTalk staff ids, backed by LDAP with a bounded cache."""

    def __init__(
        self,
        settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        directory: Directory | None = None,
    ) -> None:
        self._ttl = float(settings.authz_cache_ttl_s)
        self._clock = clock
        self._directory = directory or LdapDirectory(settings)
        self._role_groups = {
            ROLE_PMC: settings.ldap_group_pmc,
            ROLE_PRODUCTION: settings.ldap_group_production,
            ROLE_MANAGERS: settings.ldap_group_managers,
        }
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def _person(self, staff_id: str) -> DirectoryPerson | None:
        if not is_valid_staff_id(staff_id):
            # repr() keeps control characters visible and harmless in the log line
            log.warning("refused suspicious staff id %r before any directory query", str(staff_id)[:80])
            raise InvalidStaffId(str(staff_id))
        now = self._clock()
        with self._lock:
            cached = self._cache.get(staff_id)
            if cached is not None and now - cached.fetched_at < self._ttl:
                return cached.person
            self._cache.pop(staff_id, None)  # expired: never served again, even if LDAP is down
        person = self._directory.find(staff_id)  # DirectoryUnavailable propagates: fail closed
        with self._lock:
            self._cache[staff_id] = _Cached(fetched_at=now, person=person)
        return person

    def roles_of(self, staff_id: str) -> frozenset[str]:
        """Roles of ``staff_id`` (empty if unknown); raises DirectoryUnavailable / InvalidStaffId."""
        person = self._person(staff_id)
        return roles_from_groups(person.group_dns, self._role_groups) if person else frozenset()

    def check(self, staff_id: str, permission: str) -> AuthzDecision:
        """Whether ``staff_id`` may do ``permission``; never raises for directory trouble."""
        if permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")
        refuse = {
            "allowed": False,
            "roles": frozenset(),
            "person_name": None,
            "staff_id": str(staff_id),
            "permission": permission,
        }
        try:
            person = self._person(staff_id)
        except InvalidStaffId:
            return AuthzDecision(reason_key=INVALID_IDENTITY, **refuse)
        except DirectoryUnavailable:
            return AuthzDecision(reason_key=DIRECTORY_UNAVAILABLE, **refuse)
        if person is None:
            return AuthzDecision(reason_key=NOT_IN_DIRECTORY, **refuse)
        roles = roles_from_groups(person.group_dns, self._role_groups)
        allowed = is_permitted(roles, permission)
        if not allowed:
            log.info("refused %s for %s (roles: %s)", permission, staff_id, sorted(roles) or "none")
        return AuthzDecision(
            allowed=allowed,
            roles=roles,
            reason_key=None if allowed else REFUSED,
            person_name=person.name,
            staff_id=staff_id,
            permission=permission,
        )

    def forget(self, staff_id: str | None = None) -> None:
        """Drop cached entries (one staff id or all), e.g. after an admin changed the directory."""
        with self._lock:
            if staff_id is None:
                self._cache.clear()
            else:
                self._cache.pop(staff_id, None)
