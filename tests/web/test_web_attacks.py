"""The dashboard's defences against what `make security` attacks (issue 20), against the running app
(`dingk3 web`, real slapd, the DingTalk simulator's OAuth, K/3 read back with Kingdee's SDK), one
request each: the fast guard of what the suite tries 200+ times."""

from __future__ import annotations

import csv
import io
import json
import time
from urllib.parse import quote

import httpx
import pytest

from devtools.security.checks import official_sdk
from rasa_project.web import xlsx
from rasa_project.web.security import COOKIE
from tests.web.test_signin import base, csrf_of, login


def test_a_form_post_with_the_right_token_from_a_foreign_page_is_refused(web_settings):
    with httpx.Client(base_url=base(web_settings), timeout=30) as client:
        assert login(client, "wang.li", "demo-wang.li").status_code == 303
        token = csrf_of(client.get("/").text)
        for headers in ({"origin": "http://evil.example"}, {"origin": "null"}, {"referer": "http://evil.example/x"}):
            assert client.post("/logout", data={"csrf": token}, headers=headers).status_code == 403
            assert client.get("/api/orders/P20250401").status_code == 200  # still signed in
        own = {"origin": base(web_settings)}
        assert client.post("/logout", data={"csrf": token}, headers=own).status_code == 303
    with httpx.Client(base_url=base(web_settings), timeout=30) as victim:  # login CSRF with a valid token
        token = csrf_of(victim.get("/login").text)
        r = victim.post("/login", data={"csrf": token, "username": "wang.li", "password": "demo-wang.li"},
                        headers={"origin": "http://evil.example"})
        assert r.status_code == 403 and COOKIE not in victim.cookies


def test_the_lockout_counts_per_account_whichever_name_is_typed(web_settings):
    lock_after = web_settings.web_login_lockout_after  # 4 in this stack
    with httpx.Client(base_url=base(web_settings), timeout=60) as client:
        spellings = ("zhou.min", "director0001", "ZHOU.MIN")
        answers = [login(client, spellings[n % 3], "wrong").status_code for n in range(lock_after + 2)]
        assert answers == [401] * (lock_after - 1) + [429] * 3, answers
        assert login(client, "director0001", "demo-zhou.min").status_code == 429  # locked, right password or not


def test_the_oauth_state_covers_where_the_sign_in_goes_next(web_settings):
    with httpx.Client(base_url=base(web_settings), timeout=30, follow_redirects=False) as client:
        start = client.get("/login/dingtalk?next=/orders")
        authorize = start.headers["location"]
        form = dict(httpx.QueryParams(authorize.split("?", 1)[1]))
        granted = httpx.post(authorize.split("?")[0], data={**form, "account": "manager0001"}, follow_redirects=False)
        back = dict(httpx.QueryParams(granted.headers["location"].split("?", 1)[1]))
        mac = back["state"].split(".", 1)[0]
        for evil in ("//evil.example", "/\\evil.example", "/approvals"):
            tampered = client.get("/login/dingtalk/callback", params={"authCode": back["authCode"],
                                                                        "state": f"{mac}.{quote(evil, safe='')}"})
            assert tampered.status_code == 403 and COOKIE not in client.cookies
    with httpx.Client(base_url=base(web_settings), timeout=30, follow_redirects=False) as client:
        for evil in ("//evil.example/", "/\\evil.example/", "/\t/evil.example", "https://evil.example"):
            assert client.get(f"/lang/en?next={quote(evil, safe='')}").headers["location"] == "/"
            started = client.get(f"/login/dingtalk?next={quote(evil, safe='')}").headers["location"]
            assert dict(httpx.QueryParams(started.split("?", 1)[1]))["state"].endswith(".%2F")  # next became /
        r = login(client, "wang.li", "demo-wang.li")
        assert r.status_code == 303
        page = client.get("/login?next=%2F%5Cevil.example")
        r = client.post("/login", data={"csrf": csrf_of(page.text), "username": "wang.li", "password": "demo-wang.li",
                                        "next": "/\\evil.example"})
        assert r.headers["location"] == "/"


def test_every_answer_has_the_security_headers(web_settings):
    with httpx.Client(base_url=base(web_settings), timeout=30) as client:
        login(client, "wang.li", "demo-wang.li")
        for path in ("/", "/orders", "/orders.csv", "/login", "/api/orders/P20250401", "/no-such-page"):
            h = client.get(path).headers
            assert "script-src 'self'" in h["content-security-policy"] and "frame-ancestors 'none'" in \
                h["content-security-policy"], path
            assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff", path
            assert h["referrer-policy"] == "same-origin" and h["cache-control"] == "no-store", path


def _export_once(client, until, timeout_s: float = 120.0) -> str:
    """The CSV export once ``until(text)`` holds (or the deadline passed); a refused decision makes
    the board re-read K/3 at once (the approvals route always does)."""
    deadline = time.monotonic() + timeout_s
    while True:
        client.post("/approvals/CR-999999/reject", data={"csrf": csrf_of(client.get("/orders").text), "note": "x"})
        text = client.get("/orders.csv").content.decode("utf-8-sig")
        if until(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.5)


def test_k3_text_starting_like_a_formula_is_exported_as_text(web_settings):
    sdk = official_sdk(web_settings)
    rows = json.loads(sdk.ExecuteBillQuery({"FormId": "PRD_MO", "FieldKeys": "FBillNo,FMaterialId.FNumber,"
                                            "FUnitId.FNumber,FWorkShopID.FNumber,FPrdOrgId.FNumber,FBillType.FNumber",
                                            "FilterString": "FWorkShopID.FNumber <> 'WC-01'", "OrderString": "FBillNo",
                                            "Limit": 1}))
    _, material, unit, center, org, bill_type = rows[0]
    bills = ("=1+2*3", "@SUM(1;2)", "+4+5")
    for bill in bills:
        saved = json.loads(sdk.Save("PRD_MO", {"Model": {
            "FBillNo": bill, "FBillType": {"FNumber": bill_type}, "FPrdOrgId": {"FNumber": org}, "FDate": "2025-04-01",
            "FTreeEntity": [{"FMaterialId": {"FNumber": material}, "FUnitId": {"FNumber": unit}, "FQty": 1,
                             "FWorkShopID": {"FNumber": center}, "FPlanStartDate": "2025-05-06",
                             "FPlanFinishDate": "2025-05-30"}]}}))
        assert saved["Result"]["ResponseStatus"]["IsSuccess"], saved
    try:
        with httpx.Client(base_url=base(web_settings), timeout=60) as client:
            login(client, "wang.li", "demo-wang.li")
            text = _export_once(client, lambda t: all(x in t for x in ("1+2*3", "SUM(1;2)", "4+5")))
            cells = [row for row in csv.reader(io.StringIO(text)) if row and row[0].lstrip("'")[1:] in
                     ("1+2*3", "SUM(1;2)", "4+5")]
            assert sorted(row[0] for row in cells) == sorted("'" + b for b in bills), cells
            sheet = xlsx.read_rows(client.get("/orders.xlsx").content)
            assert sorted(r[0] for r in sheet if r and r[0].lstrip("'") in bills) == sorted("'" + b for b in bills)
    finally:
        assert json.loads(sdk.Delete("PRD_MO", {"Numbers": list(bills)}))["Result"]["ResponseStatus"]["IsSuccess"]
        with httpx.Client(base_url=base(web_settings), timeout=60) as client:  # the board forgets them again
            login(client, "wang.li", "demo-wang.li")
            assert "1+2*3" not in _export_once(client, lambda t: "1+2*3" not in t)


pytestmark = pytest.mark.slapd
