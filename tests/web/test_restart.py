"""A restart of the web server (``dingk3 web``): open pages keep working, and what the server must
remember is still there — a locked name stays locked, a logged-out session stays logged out.

One restart for all of it (a few seconds): the page is open in headless chromium while the server
is down, a report lands in K/3 meanwhile (through the audited K/3 client, as the chat writes it), and
after the restart the page's EventSource reconnects by itself, learns it missed news and refreshes
without a reload; a report after the restart shows within 5 s too."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from rasa_project.web.security import COOKIE
from rasa_project.wiring import Wiring
from tests.browser import Chromium
from tests.requirements import need
from tests.web.pages import sign_in
from tests.web.test_signin import base, csrf_of, login

pytestmark = [pytest.mark.slapd, pytest.mark.browser]

BILL = "P20250403"  # released, nothing reported yet, 500 pieces
LIVE_S = 5.0


def report(wiring: Wiring, good: float) -> None:
    wiring.k3.report_output(BILL, good=good, scrap=0, request_key=f"restart-test-{uuid.uuid4().hex}")


def test_a_web_restart_keeps_open_pages_live_and_lockouts_and_logouts_in_force(web_stack):
    need("browser")
    stack, settings = web_stack
    url = base(settings)
    wiring = Wiring(settings)
    with httpx.Client(base_url=url, timeout=60) as client:  # lock a name: 4 wrong passwords (lockout_after=4)
        answers = [login(client, "siti.rahma", "wrong").status_code for _ in range(4)]
        assert answers[-1] == 429, answers
    with httpx.Client(base_url=url, timeout=30) as client:  # a session that logs out, its cookie kept
        assert login(client, "wang.li", "demo-wang.li").status_code == 303
        logged_out = client.cookies.get(COOKIE)
        assert client.post("/logout", data={"csrf": csrf_of(client.get("/").text)}).status_code == 303
    with httpx.Client(base_url=url, timeout=30) as client:  # a session that stays signed in
        assert login(client, "wang.li", "demo-wang.li").status_code == 303
        kept = client.cookies.get(COOKIE)

    async def run() -> None:
        with Chromium() as browser:
            page = await browser.page()
            await sign_in(page, url, "wang.li", "demo-wang.li")
            await page.goto(f"{url}/orders/{BILL}")
            await page.wait_for("window.dingk3Live && window.dingk3Live.connected()")
            start = (await page.text_of("#completion"))[0]
            await page.evaluate("window.__stillHere = 'yes'")  # gone if the page reloads
            stack.stop_service("web")
            await asyncio.to_thread(report, wiring, 50)  # news while the server is down
            await asyncio.to_thread(stack.start_service, "web", 60)
            await page.wait_for(f"document.querySelector('#completion').innerText !== {start!r}", timeout_s=15)
            assert (await page.text_of("#completion")) == ["10.0%"]
            assert await page.evaluate("window.__stillHere") == "yes"
            await asyncio.to_thread(report, wiring, 50)  # and the reconnected stream is live
            await page.wait_for("document.querySelector('#completion').innerText === '20.0%'", timeout_s=LIVE_S)
            assert await page.evaluate("window.__stillHere") == "yes"

    try:
        asyncio.run(run())
    finally:
        wiring.close()
        if stack.service("web").process.poll() is not None:  # leave the shared stack as we found it
            stack.start_service("web", 60)

    with httpx.Client(base_url=url, timeout=60) as client:
        locked = login(client, "siti.rahma", "demo-siti.rahma")  # the right password: still locked
        assert locked.status_code == 429 and COOKIE not in client.cookies
    refused = httpx.get(f"{url}/orders", cookies={COOKIE: logged_out}, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    assert httpx.get(f"{url}/orders", cookies={COOKIE: kept}, follow_redirects=False, timeout=30).status_code == 200
