"""A rescheduling option accepted on the page goes through the chat's change flow: request, checks,
the person confirms, K/3 changed once (read back with the official SDK)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.e2e.stack import official_sdk, order_row
from tests.web.test_signin import base, csrf_of, login

pytestmark = pytest.mark.slapd


def test_accepting_a_due_date_option_needs_a_confirmation_then_changes_k3_once(web_settings):
    sdk = official_sdk(web_settings)
    before = order_row(sdk, "P20250402")["FPlanFinishDate"][:10]
    with httpx.Client(base_url=base(web_settings), timeout=120) as client:
        assert login(client, "zhang.wei", "demo-zhang.wei").status_code == 303  # PMC
        deadline = time.monotonic() + 90
        page = client.get("/suggestions?order=P20250402")
        while 'data-kind="' not in page.text and time.monotonic() < deadline:  # delay risk assessed in the background
            time.sleep(0.5)
            page = client.get("/suggestions?order=P20250402")
        assert page.status_code == 200
        options = page.text.split('<li class="option" ')[1:]
        due = [re.search(r'action="(/suggestions/P20250402/\d+)"', o).group(1) for o in options
               if o.startswith('data-kind="due_date"') and 'action="' in o]
        assert not [o for o in options if o.startswith('data-kind="overtime"') and "accept" in o]  # done in K/3
        assert due, page.text
        checked = client.post(due[0], data={"csrf": csrf_of(page.text)})
        assert checked.status_code == 200 and 'id="confirm"' in checked.text, checked.text
        assert order_row(sdk, "P20250402")["FPlanFinishDate"][:10] == before  # nothing written yet
        confirm = re.search(r'action="(/changes/CR-\d+/confirm)"', checked.text).group(1)
        done = client.post(confirm, data={"csrf": csrf_of(checked.text)})
        assert done.status_code == 200 and 'class="okline"' in done.text, done.text
        after = order_row(sdk, "P20250402")["FPlanFinishDate"][:10]
        assert after > before
        again = client.post(confirm, data={"csrf": csrf_of(done.text)})  # a second press applies nothing new
        assert again.status_code == 200 and order_row(sdk, "P20250402")["FPlanFinishDate"][:10] == after
    with httpx.Client(base_url=base(web_settings), timeout=60) as client:
        assert login(client, "li.qiang", "demo-li.qiang").status_code == 303  # production: may not change orders
        page = client.get("/suggestions")
        assert "accept" not in page.text
        refused = client.post("/suggestions/P20250401/1", data={"csrf": csrf_of(page.text)})
        assert refused.status_code == 403
