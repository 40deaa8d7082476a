"""Signing in to the dashboard: the company directory (a real slapd, LDAP bind) and DingTalk's OAuth
2.0 authorization-code login (the DingTalk simulator), sessions, CSRF, throttling, fail-closed."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from devtools.stack import demo_env
from rasa_project.runner import Stack
from rasa_project.web.security import COOKIE, SessionSigner
from tests.browser import Chromium
from tests.e2e.stack import free_port
from tests.requirements import need
from tests.web.conftest import web_service
from tests.web.pages import desktop, fits_width, phone, shot, sign_in


def base(settings) -> str:
    return f"http://127.0.0.1:{settings.web_port}"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client: httpx.Client, username: str, password: str, *, csrf: str | None = None) -> httpx.Response:
    page = client.get("/login")
    return client.post("/login", data={"csrf": csrf if csrf is not None else csrf_of(page.text),
                                       "username": username, "password": password, "next": "/"})


def test_good_password_signs_in_by_uid_or_staff_id_and_logout_ends_the_session(web_settings):
    for name in ("wang.li", "manager0001"):
        with httpx.Client(base_url=base(web_settings), timeout=30) as client:
            done = login(client, name, "demo-wang.li")
            assert done.status_code == 303 and done.headers["location"] == "/"
            cookie = done.headers["set-cookie"]
            assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
            home = client.get("/")
            assert home.status_code == 200 and "王丽" in home.text
            out = client.post("/logout", data={"csrf": csrf_of(home.text)})
            assert out.status_code == 303
    # the cookie of a signed-out session is refused even if someone kept a copy
    with httpx.Client(base_url=base(web_settings), timeout=30) as client:
        done = login(client, "wang.li", "demo-wang.li")
        kept = client.cookies.get(COOKIE)
        client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
        again = httpx.get(f"{base(web_settings)}/orders", cookies={COOKIE: kept}, follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_wrong_password_is_refused_then_slowed_then_locked(web_settings):
    with httpx.Client(base_url=base(web_settings), timeout=60) as client:
        first = login(client, "zhang.wei", "wrong")
        assert first.status_code == 401 and "Wrong user name or password" in first.text or "密码不对" in first.text
        assert COOKIE not in client.cookies
        for _ in range(2):
            login(client, "zhang.wei", "wrong")
        locked = login(client, "zhang.wei", "wrong")  # the 4th wrong password (lockout_after=4)
        assert locked.status_code == 429
        # locked: even the right password does not get in now
        assert login(client, "zhang.wei", "demo-zhang.wei").status_code == 429
        assert COOKIE not in client.cookies
    # an empty password is never an (unauthenticated) LDAP bind
    with httpx.Client(base_url=base(web_settings), timeout=30) as client:
        assert login(client, "siti.rahma", "").status_code == 400


def test_csrf_missing_or_wrong_is_refused_and_changes_nothing(web_settings):
    with httpx.Client(base_url=base(web_settings), timeout=30) as client:
        assert login(client, "wang.li", "demo-wang.li", csrf="forged").status_code == 403
        assert COOKIE not in client.cookies
        assert login(client, "wang.li", "demo-wang.li").status_code == 303
        refused = client.post("/approvals/CR-000001/approve", data={"csrf": "forged"})
        assert refused.status_code == 403
        refused = client.post("/logout", data={})
        assert refused.status_code == 403 and client.get("/").status_code == 200  # still signed in


def test_expired_or_forged_session_is_refused(web_settings):
    key = web_settings.web_session_key.get_secret_value()
    expired = SessionSigner(key, ttl_s=-1)
    _, cookie = expired.issue(staff_id="manager0001", name="王丽", roles={"managers"}, work_centers=None, lang="zh",
                              via="ldap")
    r = httpx.get(f"{base(web_settings)}/orders", cookies={COOKIE: cookie}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    forged = SessionSigner("not-the-key", ttl_s=3600)
    _, cookie = forged.issue(staff_id="manager0001", name="x", roles={"managers"}, work_centers=None, lang="zh",
                             via="ldap")
    assert httpx.get(f"{base(web_settings)}/orders", cookies={COOKIE: cookie}, follow_redirects=False).status_code == 303
    assert httpx.get(f"{base(web_settings)}/events", cookies={COOKIE: cookie}).status_code == 401
    assert httpx.get(f"{base(web_settings)}/orders.csv", follow_redirects=False).status_code == 303


def test_guest_is_refused_and_production_worker_sees_own_work_centers_only(web_settings):
    with httpx.Client(base_url=base(web_settings), timeout=30) as client:
        refused = login(client, "chen.jing", "demo-chen.jing")  # in the directory, in no group
        assert refused.status_code == 403 and COOKIE not in client.cookies
    with httpx.Client(base_url=base(web_settings), timeout=30) as client:
        assert login(client, "li.qiang", "demo-li.qiang").status_code == 303  # production: WC-01, WC-05
        orders = client.get("/orders")
        centers = set(re.findall(r'data-label="[^"]*">(WC-\d\d)</td>', orders.text))
        assert centers == {"WC-01"}, centers  # P20250401 is the demo's only WC-01/WC-05 order
        assert client.get("/orders/P20250402").status_code == 404  # WC-02: not theirs
        assert client.get("/orders/P20250401").status_code == 200
        assert client.get("/approvals").status_code == 403
        exported = client.get("/orders.csv").text
        assert "P20250401" in exported and "P20250402" not in exported


def test_directory_down_fails_closed_with_a_clear_message(web_settings):
    dead = web_settings.copy(update={"web_port": free_port(), "ldap_url": f"ldap://127.0.0.1:{free_port()}",
                                     "var_dir": web_settings.var_dir / "dead-ldap"})
    dead.var_dir.mkdir(exist_ok=True)
    stack = Stack(dead, [web_service(dead, "web-dead-ldap")], env=demo_env(dead))
    with stack, httpx.Client(base_url=base(dead), timeout=30) as client:
        r = login(client, "wang.li", "demo-wang.li")
        assert r.status_code == 503 and ("LDAP" in r.text)
        assert COOKIE not in client.cookies


def test_browser_sign_in_by_password_and_with_dingtalk_and_screenshots(web_settings):
    need("browser")

    async def run():
        with Chromium() as browser:
            page = await browser.page()
            landed = await sign_in(page, base(web_settings), "wang.li", "demo-wang.li")
            assert landed.rstrip("/") == base(web_settings)
            assert (await page.text_of("#who")) == ["王丽"]
            for name, path in (("overview", "/"), ("orders", "/orders"), ("order", "/orders/P20250401"),
                               ("load", "/load"), ("approvals", "/approvals"), ("suggestions", "/suggestions")):
                await desktop(page)
                await page.goto(base(web_settings) + path)
                await shot(page, f"desktop-{name}")
                await phone(page)
                await page.goto(base(web_settings) + path)
                assert await fits_width(page), path  # usable at 390 px: no sideways scrolling
                await shot(page, f"phone-{name}")
            await desktop(page)
            await page.goto(base(web_settings) + "/load")
            assert await page.evaluate("document.querySelectorAll('svg.loadchart').length") == 5  # one per work center
            assert await page.evaluate("document.querySelectorAll('svg.loadchart rect.lb').length") == 5 * 14
            await page.click("#logout")
            await page.wait_for("location.pathname === '/login'")

            # Sign in with DingTalk: our page -> DingTalk's authorize page -> back with authCode
            await page.goto(f"{base(web_settings)}/login")
            await page.wait_for("!!document.querySelector('#login-dingtalk')")
            await page.click("#login-dingtalk")
            await page.wait_for("!!document.querySelector('button.account[value=\"prod0001\"]')", timeout_s=15)
            await page.click('button.account[value="prod0001"]')
            await page.wait_for(f"location.href.startsWith('{base(web_settings)}') && !!document.querySelector('#who')",
                                timeout_s=20)
            assert (await page.text_of("#who")) == ["李强"]
            assert "WC-01" in (await page.text_of("#scope"))[0]
            await page.click("#logout")
            await page.wait_for("location.pathname === '/login' && !!document.querySelector('#login-dingtalk')")

            # a DingTalk member with no directory entry is refused
            await page.click("#login-dingtalk")
            await page.wait_for("!!document.querySelector('button.account[value=\"stranger0001\"]')", timeout_s=15)
            await page.click('button.account[value="stranger0001"]')
            await page.wait_for("!!document.querySelector('#message')", timeout_s=20)
            assert await page.evaluate("!document.querySelector('#who')")
            await page.close()

    asyncio.run(run())


def test_dingtalk_callback_with_a_forged_state_or_used_code_is_refused(web_settings):
    with httpx.Client(base_url=base(web_settings), timeout=30, follow_redirects=False) as client:
        start = client.get("/login/dingtalk")
        assert start.status_code == 303
        authorize = start.headers["location"]
        assert "/oauth2/auth?" in authorize and "response_type=code" in authorize and "scope=openid" in authorize
        form = dict(httpx.QueryParams(authorize.split("?", 1)[1]))
        granted = httpx.post(authorize.split("?")[0], data={**form, "account": "manager0001"}, follow_redirects=False)
        assert granted.status_code == 302
        back = granted.headers["location"]
        code = dict(httpx.QueryParams(back.split("?", 1)[1]))["authCode"]
        forged = client.get("/login/dingtalk/callback", params={"authCode": code, "state": "forged.%2F"})
        assert forged.status_code == 403 and COOKIE not in client.cookies
        ok = client.get(back.replace(base(web_settings), ""))
        assert ok.status_code == 303 and COOKIE in client.cookies
    with httpx.Client(base_url=base(web_settings), timeout=30, follow_redirects=False) as client:
        start = client.get("/login/dingtalk")
        state = dict(httpx.QueryParams(start.headers["location"].split("?", 1)[1]))["state"]
        used = client.get("/login/dingtalk/callback", params={"authCode": code, "state": state})
        assert used.status_code == 401 and COOKIE not in client.cookies  # one code, one sign-in


pytestmark = pytest.mark.slapd
