"""The approvals page names people as the directory does (LDAP cn), never by staff id: the requester
of each pending change, and who decided the recent ones."""

from __future__ import annotations

import re

import httpx
import pytest

from rasa_project.ordering.states import Change
from rasa_project.wiring import Wiring
from tests.web.test_signin import base, csrf_of, login

pytestmark = pytest.mark.slapd


def held_change(wiring: Wiring, bill: str, requester: str):
    """A change a manager must approve (far beyond the work center's capacity), as the chat makes it."""
    outcome = wiring.workflow.request_change(bill, requester, None, qty=20000)
    change = outcome.value
    assert change is not None, outcome.key
    if change.state is Change.CHECKED:  # the requester confirms it first
        change = wiring.workflow.confirm_change(change.ref, requester).value
    assert change.state is Change.PENDING_APPROVAL, change.state
    wiring.desk.ask_managers(change)
    return change


def test_pending_requests_show_the_requesters_name_and_decided_ones_the_approvers(web_settings):
    wiring = Wiring(web_settings)
    try:
        change = held_change(wiring, "MO000124", "pmc0001")  # pmc0001 is 张伟 (zhang.wei) in the directory
    finally:
        wiring.close()
    with httpx.Client(base_url=base(web_settings), timeout=60) as client:
        assert login(client, "wang.li", "demo-wang.li").status_code == 303
        page = client.get("/approvals")
        card = page.text.split(f'id="cr-{change.ref}"', 1)[1].split("</section>", 1)[0]
        requester = re.search(r'class="requester">([^<]*)<', card).group(1)
        assert "张伟" in requester and "pmc0001" not in requester, requester
        done = client.post(f"/approvals/{change.ref}/approve", data={"csrf": csrf_of(page.text)})
        assert done.status_code == 200 and f'id="cr-{change.ref}"' not in done.text
        decided = done.text.split(f'id="decided-{change.ref}"', 1)[1].split("</section>", 1)[0]
        approver = re.search(r'class="approver">([^<]*)<', decided).group(1)
        assert "王丽" in approver and "manager0001" not in approver, approver
        assert "张伟" in decided and "pmc0001" not in decided
