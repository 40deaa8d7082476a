"""Typed errors of the authorization domain; the edges map them to catalog keys."""

from __future__ import annotations


class AuthzError(Exception):
    """Base for everything rasa_project.authz raises."""


class DirectoryUnavailable(AuthzError):
    """LDAP could not be reached or did not answer in time: no permission may be granted."""

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(f"{url}: {cause}")
        self.url, self.cause = url, cause


class InvalidStaffId(AuthzError):
    """A staff id outside the safe charset; refused before it gets near an LDAP filter."""

    def __init__(self, staff_id: str) -> None:
        super().__init__(f"invalid staff id {staff_id!r}")
        self.staff_id = staff_id
