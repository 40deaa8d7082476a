"""Injection, escaping, cache TTL and fail-closed behaviour against a real slapd."""

from __future__ import annotations

import logging
import os
import signal
import socket

import pytest
from ldap3 import MODIFY_ADD, MODIFY_DELETE

from rasa_project.authz import service
from rasa_project.authz.directory import groups_filter, person_filter
from rasa_project.authz.errors import DirectoryUnavailable, InvalidStaffId
from rasa_project.authz.service import ORDER_CREATE, ORDER_QUERY, REPORT_OUTPUT
from rasa_project.settings import Settings

INJECTIONS = [
    "*)(uid=*",
    "pmc0001)(|(cn=*",
    "*",
    "pmc0001*",
    "pmc0001\\2a",
    "pmc 0001",
    "pmc0001\x00",
    "王丽",
    "",
    "a" * 65,
]


@pytest.fixture
def closed_port_url():
    """A loopback URL where nothing listens: any query would fail as directory_unavailable."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"ldap://127.0.0.1:{port}"


@pytest.mark.parametrize("staff_id", INJECTIONS)
def test_injection_like_ids_are_refused_before_any_query(authorizer_for, closed_port_url, staff_id, caplog):
    # With no server behind the URL, reaching LDAP would give directory_unavailable;
    # invalid_identity proves the id was refused before a connection was attempted.
    caplog.set_level(logging.INFO, logger="rasa_project.authz")
    decision = authorizer_for(closed_port_url).check(staff_id, ORDER_QUERY)
    assert not decision.allowed
    assert decision.reason_key == service.INVALID_IDENTITY
    assert "refused suspicious staff id" in caplog.text
    assert Settings().ldap_bind_password.get_secret_value() not in caplog.text


@pytest.mark.parametrize("staff_id", ["*)(uid=*", "pmc0001)(|(cn=*", "*"])
def test_injection_does_not_match_people_on_a_live_directory(slapd, authorizer_for, staff_id):
    authorizer = authorizer_for(slapd)
    with pytest.raises(InvalidStaffId):
        authorizer.roles_of(staff_id)
    assert not authorizer.check(staff_id, ORDER_CREATE).allowed


def test_filters_escape_ldap_metacharacters():
    assert person_filter("employeeNumber", "*)(uid=*") == (
        "(&(objectClass=inetOrgPerson)(employeeNumber=\\2a\\29\\28uid=\\2a))"
    )
    assert "(member=uid=o\\28brien\\29\\2a,ou=people,dc=x)" in groups_filter("uid=o(brien)*,ou=people,dc=x")
    with pytest.raises(ValueError):
        person_filter("employeeNumber)(cn=*", "pmc0001")


def test_member_dn_with_filter_metacharacters_still_resolves_roles(
    make_slapd, admin_connection, authorizer_for
):
    server = make_slapd()
    conn = admin_connection(server)
    dn = "uid=o(brien)*,ou=people,dc=demo-factory,dc=local"
    conn.add(dn, ["inetOrgPerson"], {"cn": "Pat O(Brien)", "sn": "O(Brien)", "employeeNumber": "pmc0009"})
    conn.modify(Settings().ldap_group_pmc, {"member": [(MODIFY_ADD, [dn])]})
    decision = authorizer_for(server).check("pmc0009", ORDER_CREATE)
    assert decision.allowed
    assert decision.roles == frozenset({"pmc"})


def test_group_removal_takes_effect_exactly_at_ttl(make_slapd, admin_connection, authorizer_for, clock):
    server = make_slapd()
    authorizer = authorizer_for(server, authz_cache_ttl_s=60)
    assert authorizer.check("pmc0002", ORDER_CREATE).allowed
    admin_connection(server).modify(
        Settings().ldap_group_pmc,
        {"member": [(MODIFY_DELETE, ["uid=siti.rahma,ou=people,dc=demo-factory,dc=local"])]},
    )
    clock.advance(59.9)
    assert authorizer.check("pmc0002", ORDER_CREATE).allowed  # cached within the TTL
    clock.advance(0.1)
    decision = authorizer.check("pmc0002", ORDER_CREATE)
    assert not decision.allowed and decision.reason_key == service.REFUSED
    assert authorizer.roles_of("pmc0002") == frozenset()


def test_deleted_person_is_not_in_directory_after_ttl(make_slapd, admin_connection, authorizer_for, clock):
    server = make_slapd()
    authorizer = authorizer_for(server, authz_cache_ttl_s=30)
    assert authorizer.roles_of("prod0002") == frozenset({"production"})
    conn = admin_connection(server)
    person = "uid=budi.santoso,ou=people,dc=demo-factory,dc=local"
    conn.modify(Settings().ldap_group_production, {"member": [(MODIFY_DELETE, [person])]})
    conn.delete(person)
    clock.advance(30)
    decision = authorizer.check("prod0002", REPORT_OUTPUT)
    assert not decision.allowed and decision.reason_key == service.NOT_IN_DIRECTORY


def test_directory_stopped_mid_test_refuses_reads_and_writes(make_slapd, authorizer_for, clock):
    server = make_slapd()
    authorizer = authorizer_for(server, authz_cache_ttl_s=60)
    assert authorizer.check("manager0001", ORDER_CREATE).allowed
    server.stop()
    clock.advance(60)  # the cached grant has expired; it must not be served during the outage
    for permission in (ORDER_CREATE, ORDER_QUERY):
        decision = authorizer.check("manager0001", permission)
        assert not decision.allowed
        assert decision.reason_key == service.DIRECTORY_UNAVAILABLE
        assert decision.is_directory_unavailable
    with pytest.raises(DirectoryUnavailable):
        authorizer.roles_of("manager0001")
    fresh = authorizer_for(server)
    assert fresh.check("pmc0001", ORDER_QUERY).reason_key == service.DIRECTORY_UNAVAILABLE


def test_unresponsive_directory_times_out_closed(make_slapd, authorizer_for):
    server = make_slapd()
    authorizer = authorizer_for(server, ldap_timeout_s=0.5)
    os.kill(server.pid, signal.SIGSTOP)  # accepts TCP (kernel backlog) but never answers
    try:
        decision = authorizer.check("pmc0001", ORDER_CREATE)
    finally:
        os.kill(server.pid, signal.SIGCONT)
    assert not decision.allowed
    assert decision.reason_key == service.DIRECTORY_UNAVAILABLE


def test_wrong_bind_password_grants_nothing(slapd, authorizer_for):
    decision = authorizer_for(slapd, ldap_bind_password="not-the-password").check("pmc0001", ORDER_QUERY)
    assert not decision.allowed and decision.reason_key == service.DIRECTORY_UNAVAILABLE


def test_anonymous_clients_cannot_read_the_directory(slapd):
    from ldap3 import Connection

    conn = Connection(slapd.url)
    assert conn.bind() is False
    conn.unbind()
