"""Roles and permissions: the pure core of authorization (no I/O).

A person's roles come from LDAP group membership; a permission is granted when any role
carries it. Unknown people and people without groups have no roles and are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

ORDER_CREATE = "order_create"
ORDER_CHANGE = "order_change"
ORDER_QUERY = "order_query"
STOCK_QUERY = "stock_query"
REPORT_OUTPUT = "report_output"
APPROVAL_DECIDE = "approval_decide"
PERMISSIONS = frozenset(
    {ORDER_CREATE, ORDER_CHANGE, ORDER_QUERY, STOCK_QUERY, REPORT_OUTPUT, APPROVAL_DECIDE}
)

ROLE_PMC = "pmc"
ROLE_PRODUCTION = "production"
ROLE_MANAGERS = "managers"
ROLE_TRAINERS = "trainers"  # the web app's trainer page only (issue 19); carries no chat permission

_PMC = frozenset({ORDER_CREATE, ORDER_CHANGE, ORDER_QUERY, STOCK_QUERY})
ROLE_PERMISSIONS: Mapping[str, frozenset[str]] = {
    ROLE_PMC: _PMC,
    ROLE_PRODUCTION: frozenset({REPORT_OUTPUT, ORDER_QUERY, STOCK_QUERY}),
    ROLE_MANAGERS: _PMC | {APPROVAL_DECIDE},
}

# Conservative on purpose: DingTalk staff ids are short ASCII tokens. Anything else (filter
# metacharacters, spaces, control characters, over-long input) is refused before any query.
_STAFF_ID = re.compile(r"[A-Za-z0-9._@-]{1,64}")
_ATTRIBUTE = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,63}")


def is_valid_staff_id(staff_id: object) -> bool:
    return isinstance(staff_id, str) and _STAFF_ID.fullmatch(staff_id) is not None


def is_valid_attribute_name(name: str) -> bool:
    return _ATTRIBUTE.fullmatch(name) is not None


def normalize_dn(dn: str) -> str:
    """Case- and space-insensitive form for comparing group DNs from settings and LDAP."""
    return ",".join(part.strip().lower() for part in dn.split(","))


def roles_from_groups(group_dns: Iterable[str], role_groups: Mapping[str, str]) -> frozenset[str]:
    """The roles whose configured group DN is among ``group_dns``."""
    member_of = {normalize_dn(dn) for dn in group_dns}
    return frozenset(role for role, dn in role_groups.items() if normalize_dn(dn) in member_of)


def permissions_of(roles: Iterable[str]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def is_permitted(roles: Iterable[str], permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return permission in permissions_of(roles)
