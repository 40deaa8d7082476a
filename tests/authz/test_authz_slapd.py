"""The seeded directory itself: LDIF from the fixture, empty groups, secrets, settings attribute."""

from __future__ import annotations

import base64
import dataclasses
import hashlib

from ldap3 import Connection

from devtools.factory import load_factory
from devtools.slapd import directory_ldif, ssha
from rasa_project.authz.service import ORDER_QUERY
from rasa_project.settings import Settings


def _factory():
    return load_factory(Settings().fixture_path)


def test_ssha_matches_the_slappasswd_scheme():
    value = ssha("demo-ldap-admin", salt=b"12345678")
    raw = base64.b64decode(value.removeprefix("{SSHA}"))
    assert raw[20:] == b"12345678"
    assert raw[:20] == hashlib.sha1(b"demo-ldap-admin12345678").digest()


def test_ldif_carries_people_groups_and_staff_ids():
    ldif = directory_ldif(_factory(), "employeeNumber")
    assert "dn: uid=zhang.wei,ou=people,dc=demo-factory,dc=local" in ldif
    assert "employeeNumber: guest0001" in ldif
    assert "cn:: " + base64.b64encode("王丽".encode()).decode() in ldif  # non-ASCII is base64 (RFC 2849)
    assert "stranger0001" not in ldif
    assert "member: uid=chen.jing" not in ldif  # guest0001 is in no group


def test_empty_group_gets_a_placeholder_no_person_can_match(make_slapd, authorizer_for):
    factory = _factory()
    auditors = "cn=auditors,ou=groups,dc=demo-factory,dc=local"
    factory = dataclasses.replace(
        factory, directory_groups={**factory.directory_groups, "auditors": auditors}
    )
    ldif = directory_ldif(factory)
    assert f"dn: {auditors}\nobjectClass: groupOfNames\ncn: auditors\nmember: {auditors}\n" in ldif
    server = make_slapd(factory)
    settings = Settings()
    conn = Connection(
        server.url,
        user=settings.ldap_bind_dn,
        password=settings.ldap_bind_password.get_secret_value(),
        auto_bind=True,
    )
    assert conn.search(auditors, "(objectClass=groupOfNames)")
    conn.unbind()
    assert authorizer_for(server).roles_of("guest0001") == frozenset()


def test_staff_id_attribute_comes_from_settings(make_slapd, authorizer_for):
    server = make_slapd(settings=Settings(ldap_staff_id_attribute="description"))
    authorizer = authorizer_for(server, ldap_staff_id_attribute="description")
    assert authorizer.roles_of("pmc0001") == frozenset({"pmc"})
    # the default attribute (employeeNumber) is not set in this directory
    assert authorizer_for(server).check("pmc0001", ORDER_QUERY).reason_key == "authz.not_in_directory"
