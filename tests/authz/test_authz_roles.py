"""Roles and permissions of the demo people, read from a real slapd."""

from __future__ import annotations

import pytest

from rasa_project.authz import service
from rasa_project.authz.service import (
    APPROVAL_DECIDE,
    ORDER_CHANGE,
    ORDER_CREATE,
    ORDER_QUERY,
    REPORT_OUTPUT,
    STOCK_QUERY,
    refusal_text,
)


@pytest.mark.parametrize(
    ("staff_id", "roles"),
    [
        ("manager0001", {"managers", "pmc"}),
        ("pmc0001", {"pmc"}),
        ("pmc0002", {"pmc"}),
        ("prod0001", {"production"}),
        ("prod0002", {"production"}),
        ("guest0001", set()),
        ("stranger0001", set()),
    ],
)
def test_roles_come_from_ldap_groups(slapd, authorizer_for, staff_id, roles):
    assert authorizer_for(slapd).roles_of(staff_id) == frozenset(roles)


@pytest.mark.parametrize(
    ("staff_id", "reason_key"),
    [
        ("guest0001", service.REFUSED),
        ("stranger0001", service.NOT_IN_DIRECTORY),
        ("prod0001", service.REFUSED),
    ],
)
def test_order_create_refused_without_pmc_role(slapd, authorizer_for, staff_id, reason_key):
    decision = authorizer_for(slapd).check(staff_id, ORDER_CREATE)
    assert not decision.allowed
    assert decision.reason_key == reason_key


def test_pmc_member_may_create_and_change_orders(slapd, authorizer_for):
    authorizer = authorizer_for(slapd)
    for permission in (ORDER_CREATE, ORDER_CHANGE, ORDER_QUERY, STOCK_QUERY):
        decision = authorizer.check("pmc0002", permission)
        assert decision.allowed and decision.reason_key is None
    assert decision.person_name == "Siti Rahma"
    assert not authorizer.check("pmc0002", APPROVAL_DECIDE).allowed
    assert not authorizer.check("pmc0002", REPORT_OUTPUT).allowed


def test_production_reports_and_queries_but_cannot_change(slapd, authorizer_for):
    authorizer = authorizer_for(slapd)
    assert authorizer.check("prod0002", REPORT_OUTPUT).allowed
    assert authorizer.check("prod0002", ORDER_QUERY).allowed
    assert authorizer.check("prod0002", STOCK_QUERY).allowed
    assert not authorizer.check("prod0002", ORDER_CHANGE).allowed


def test_manager_may_approve_and_do_what_pmc_does(slapd, authorizer_for):
    authorizer = authorizer_for(slapd)
    for permission in (APPROVAL_DECIDE, ORDER_CREATE, ORDER_CHANGE, ORDER_QUERY, STOCK_QUERY):
        assert authorizer.check("manager0001", permission).allowed, permission
    assert authorizer.check("manager0001", APPROVAL_DECIDE).person_name == "王丽"


def test_only_managers_decide_approvals(slapd, authorizer_for):
    authorizer = authorizer_for(slapd)
    allowed = {
        sid
        for sid in ("manager0001", "pmc0001", "prod0001", "guest0001")
        if authorizer.check(sid, APPROVAL_DECIDE).allowed
    }
    assert allowed == {"manager0001"}


def test_unknown_permission_is_a_programming_error(slapd, authorizer_for):
    with pytest.raises(ValueError):
        authorizer_for(slapd).check("pmc0001", "order_delete")


@pytest.mark.parametrize("lang", ["zh", "id", "en"])
def test_refusal_names_the_person_and_what_they_tried(slapd, authorizer_for, lang):
    decision = authorizer_for(slapd).check("prod0001", ORDER_CREATE)
    sentence = refusal_text(decision, lang)
    assert "李强" in sentence
    assert {"zh": "创建生产订单", "id": "membuat perintah produksi", "en": "create production orders"}[
        lang
    ] in sentence


def test_allowed_decision_has_no_refusal_text(slapd, authorizer_for):
    assert refusal_text(authorizer_for(slapd).check("pmc0001", ORDER_QUERY), "en") is None
