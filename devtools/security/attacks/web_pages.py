"""The web pages (the dashboard, ``dingk3 web`` as ``make demo`` starts it, against the real slapd
and the DingTalk simulator's OAuth): nine classes, each tried ``ctx.attempts`` times or more.

- signin_bruteforce: wrong passwords for real names (uid, staff id, other case), on and on past the
  lock-out, then the right password while locked. Accepted: a session for a wrong password, a guess
  still checked against LDAP after the account is locked, the right password let in while locked,
  an unknown name answered differently from a wrong password.
- csrf: every form post (approve, reject, accept a suggestion, confirm / cancel a change, sign-out,
  sign-in) without a token, with a wrong one, another session's, the pre-sign-in one, and with the
  right token from a foreign Origin / Referer / ``Origin: null``. Accepted: anything but 403, a
  session issued or ended.
- session_fixation: a cookie set before sign-in (junk, a well-formed forgery, the attacker's own
  valid session, a chosen pre-session id) is never the session after it; the session id changes at
  every sign-in; the cookie is HttpOnly and SameSite.
- cookies: forged, tampered (roles, work centers, staff id, expiry with the old MAC), foreign-key,
  truncated, expired (correct MAC) and signed-out cookies on every page, export, the JSON and the
  SSE stream. Accepted: anything but the sign-in redirect / 401.
- role_bypass: production workers and a planner asking for other work centers' orders (pages,
  JSON, CSV, xlsx, filters, suggestions, load, the SSE stream), the approvals page, approve /
  reject / accept posts with a valid token; a guest and a director signing in with their right
  passwords. Accepted: another center's bill number in the answer, a 2xx where 403 is due, a
  session for someone with no role.
- oauth: forged and tampered ``state``, a code used twice, a code from another browser's flow, a
  made-up code, a guest's DingTalk account, and ``next=`` pointing off site (``//host``,
  ``/\\host``, ``https:``, ``javascript:`` ...) through the DingTalk sign-in, the password sign-in
  and the language switch. Accepted: a session, or a redirect that leaves the site.
- page_injection: SQL / K/3-filter / LDAP / HTML-XSS / template strings in every free-text field
  (search, filters, sort, page, order number, approval ref, reason, user name, next, language).
  Accepted: the payload in the page unescaped, a template evaluated, a 5xx, a session, a K/3 call
  recorded with the payload in it.
- export_formulas: orders whose bill numbers start with = + - @ (tab, CR, full-width forms) saved
  in K/3 with Kingdee's SDK (then deleted again), exported as CSV and xlsx in three languages.
  Accepted: a cell that still starts like a formula.
- headers: every page, export, asset and error answer: CSP (no 'unsafe-inline'/'unsafe-eval' for
  scripts, frame-ancestors 'none'), X-Frame-Options, nosniff, Referrer-Policy, no-store on data.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from urllib.parse import quote, urljoin, urlsplit

import httpx

from devtools.factory import get_factory
from devtools.security.checks import k3_snapshot, official_sdk
from devtools.security.context import Context, Result
from rasa_project.web.security import COOKIE, PRE_COOKIE, SessionSigner

CLASSES = (("signin_bruteforce", "Web: sign-in brute force"), ("csrf", "Web: CSRF on every form"),
           ("session_fixation", "Web: session fixation"), ("cookies", "Web: forged / tampered / expired cookies"),
           ("role_bypass", "Web: role bypass"), ("oauth", "Web: DingTalk OAuth sign-in and open redirect"),
           ("page_injection", "Web: injection in page fields"), ("export_formulas", "Web: CSV/xlsx formula injection"),
           ("headers", "Web: security headers"))
BILL = re.compile(r"(?<![A-Za-z0-9])(?:P2025\d{4}|MO\d{6})(?![0-9])")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
BOGUS_REF = "CR-999999"


class Web:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.base = f"http://127.0.0.1:{ctx.settings.web_port}"
        self.people = {p.uid: p for p in get_factory().people}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60, follow_redirects=False)

    @staticmethod
    def csrf_of(html: str) -> str:
        found = CSRF.search(html)
        return found.group(1) if found else ""

    def login(self, client: httpx.Client, username: str, password: str, *, next_url: str = "/",
              csrf: str | None = None, headers: dict | None = None) -> httpx.Response:
        page = client.get("/login")
        token = self.csrf_of(page.text) if csrf is None else csrf
        return client.post("/login", data={"csrf": token, "username": username, "password": password,
                                           "next": next_url}, headers=headers or {})

    def signed_in(self, uid: str) -> httpx.Client:
        client = self.client()
        r = self.login(client, uid, self.people[uid].password)
        if r.status_code != 303 or COOKIE not in client.cookies:
            raise RuntimeError(f"{uid} could not sign in: {r.status_code} {r.text[:200]}")
        return client

    def token(self, client: httpx.Client) -> str:
        return self.csrf_of(client.get("/orders?page=1").text)


def _cycle(items, n: int):
    return [items[i % len(items)] for i in range(n)]


def _has_session(response: httpx.Response) -> bool:
    return any(c.startswith(f"{COOKIE}=") and not c.startswith(f'{COOKIE}="";') and "Max-Age=0" not in c
               for c in response.headers.get_list("set-cookie"))


# -- sign-in brute force -------------------------------------------------------------------------
GUESSES = ("123456", "password", "admin", "demo", "Passw0rd!", "*", "*)(uid=*", "' OR '1'='1", "demo-",
           "qwerty", "letmein", "dingk3", "wang.li", "000000", " ")


def signin_bruteforce(web: Web, result: Result) -> None:
    s = web.ctx.settings
    lock_after = int(s.web_login_lockout_after)
    people = list(web.people.values())
    per_person = max(lock_after + 4, -(-(web.ctx.attempts - len(people) - lock_after + 1) // len(people)))
    unknown = "nobody.here"
    wrong_answer = None
    for person in people:
        spellings = (person.uid, person.dingtalk_staff_id, person.uid.upper())
        for n in range(per_person):
            name = spellings[n % len(spellings)]
            guess = (GUESSES + (person.password[:-1], person.password + " ", person.password.upper()))[n % 18]
            with web.client() as client:
                r = web.login(client, name, guess)
            session = _has_session(r)
            if n < lock_after - 1:
                expected = {401, 400}  # 400: a guess the form refuses before LDAP (blank)
            else:
                expected = {429, 400}  # locked from the lock_after-th wrong password on, whatever the spelling
            if r.status_code == 401 and wrong_answer is None:
                wrong_answer = r.text.split('id="login-error">', 1)[-1].split("<", 1)[0]
            accepted = session or r.status_code not in expected
            why = ("session for a wrong password" if session else
                   f"try {n + 1} as {name!r} answered {r.status_code} (lock-out after {lock_after})")
            result.count(f"wrong password: {r.status_code}", accepted=accepted, error=r.status_code >= 500,
                         example=f"{person.uid}: {why}")
        with web.client() as client:  # the right password while locked is refused too
            r = web.login(client, person.uid, person.password)
        result.count(f"right password while locked: {r.status_code}", accepted=_has_session(r) or r.status_code != 429,
                     error=r.status_code >= 500, example=f"{person.uid}: let in while locked ({r.status_code})")
    for n in range(lock_after - 1):  # an unknown name: the same answer as a wrong password, no enumeration
        with web.client() as client:
            r = web.login(client, unknown, GUESSES[n])
        text = r.text.split('id="login-error">', 1)[-1].split("<", 1)[0]
        result.count(f"unknown name: {r.status_code}", accepted=r.status_code != 401 or text != wrong_answer,
                     example=f"unknown name answered {r.status_code}: {text[:80]!r}")
    result.note = (f"{len(people)} real accounts × {per_person} wrong passwords in 3 spellings (uid, staff id, "
                   f"upper case), lock-out after {lock_after}; then the right password while locked; an unknown name")


# -- CSRF ------------------------------------------------------------------------------------------
def csrf(web: Web, result: Result, refs: list[str]) -> None:
    manager, planner = web.signed_in("wang.li"), web.signed_in("zhang.wei")
    try:
        good = web.token(manager)
        other = web.token(planner)
        with web.client() as anon:
            pre_token = web.csrf_of(anon.get("/login").text)
        real = refs[0] if refs else BOGUS_REF
        posts = [f"/approvals/{real}/approve", f"/approvals/{real}/reject", "/suggestions/P20250402/1",
                 f"/changes/{real}/confirm", f"/changes/{real}/cancel", "/logout"]
        bad_tokens = (("no token", None), ("empty token", ""), ("wrong token", "x" * 43),
                      ("other session's token", other), ("pre-sign-in token", pre_token),
                      ("token with a changed byte", good[:-1] + ("A" if good[-1] != "A" else "B")))
        foreign = (("foreign Origin", {"origin": "http://evil.example"}),
                   ("Origin null", {"origin": "null"}),
                   ("foreign Referer", {"referer": "http://evil.example/page"}),
                   ("look-alike Origin", {"origin": web.base + ".evil.example"}),
                   ("other port Origin", {"origin": "http://127.0.0.1:1"}))
        # the right token from a foreign page: only to refs and orders that do not exist, so a miss
        # is seen in the status and never applies anything
        foreign_posts = [f"/approvals/{BOGUS_REF}/approve", f"/approvals/{BOGUS_REF}/reject",
                         "/suggestions/P29999999/1", f"/changes/{BOGUS_REF}/confirm", f"/changes/{BOGUS_REF}/cancel",
                         "/logout"]
        plan = [(p, label, tok, {}) for p in posts for label, tok in bad_tokens]
        plan += [(p, label, good, h) for p in foreign_posts for label, h in foreign]
        n = 0
        while n < web.ctx.attempts - 40:
            for path, label, tok, headers in plan:
                data = {"note": "csrf"} if tok is None else {"csrf": tok, "note": "csrf"}
                r = manager.post(path, data=data, headers=headers)
                still = manager.get("/api/orders/P20250401").status_code == 200
                accepted = r.status_code != 403 or not still
                result.count(f"{label}: {r.status_code}", accepted=accepted, error=r.status_code >= 500,
                             example=f"POST {path} with {label}: {r.status_code}, session kept: {still}")
                if not still:  # signed out by a forged post: sign in again to go on
                    manager.close()
                    manager = web.signed_in("wang.li")
                    good = web.token(manager)
                n += 1
        for n in range(40):  # login CSRF: signing the victim in as someone else
            label, tok, headers = (("no token", None, {}), ("wrong token", "x" * 43, {}),
                                   ("another browser's token", pre_token, {}),
                                   ("foreign Origin", "own", {"origin": "http://evil.example"}),
                                   ("foreign Referer", "own", {"referer": "http://evil.example/x"}))[n % 5]
            with web.client() as victim:
                own = web.csrf_of(victim.get("/login").text)
                data = {"username": "zhang.wei", "password": web.people["zhang.wei"].password, "next": "/"}
                if tok is not None:
                    data["csrf"] = own if tok == "own" else tok
                r = victim.post("/login", data=data, headers=headers)
            accepted = _has_session(r) or r.status_code != 403
            result.count(f"login {label}: {r.status_code}", accepted=accepted, error=r.status_code >= 500,
                         example=f"POST /login with {label}: {r.status_code}")
    finally:
        manager.close()
        planner.close()
    result.note = (f"{len(posts)} forms × {len(bad_tokens)} bad tokens; {len(foreign_posts)} forms × "
                   f"{len(foreign)} foreign origins with the right token; sign-in form × 5; as a manager")


# -- session fixation -----------------------------------------------------------------------------
def _sid(cookie: str | None) -> str | None:
    try:
        body = cookie.rsplit(".", 1)[0]
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["sid"]
    except (AttributeError, ValueError, KeyError, TypeError):
        return None


def session_fixation(web: Web, result: Result) -> None:
    attacker = web.signed_in("zhang.wei")
    attacker_cookie = attacker.cookies.get(COOKIE)
    victims = ("wang.li", "li.qiang", "budi.santoso", "siti.rahma")
    key = SessionSigner("attacker-key", ttl_s=3600)
    _, forged = key.issue(staff_id="manager0001", name="x", roles={"managers"}, work_centers=None, lang="zh",
                          via="ldap")
    plants = (("junk", secrets.token_urlsafe(24)), ("well-formed forgery", forged),
              ("attacker's own session", attacker_cookie), ("chosen pre-session id", None),
              ("signed in before as someone else", "relogin"))
    try:
        for n in range(web.ctx.attempts):
            label, planted = plants[n % len(plants)]
            victim = victims[n % len(victims)]
            with web.client() as browser:
                chosen_pre = None
                if planted == "relogin":
                    web.login(browser, "siti.rahma" if victim != "siti.rahma" else "zhang.wei",
                              web.people["siti.rahma" if victim != "siti.rahma" else "zhang.wei"].password)
                    planted = browser.cookies.get(COOKIE)
                elif planted is None:
                    chosen_pre = secrets.token_urlsafe(16)
                    browser.cookies.set(PRE_COOKIE, chosen_pre)
                else:
                    browser.cookies.set(COOKIE, planted)
                r = web.login(browser, victim, web.people[victim].password)
                header = next((c for c in r.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}=")), "")
                issued = header.split(";", 1)[0].split("=", 1)[1] if header else None
                flags = header.lower()
                problems = []
                if r.status_code != 303 or not issued:
                    problems.append(f"no new session ({r.status_code})")
                if issued and planted and (issued == planted or _sid(issued) == _sid(planted)):
                    problems.append("the planted session was kept")
                if chosen_pre and issued and (chosen_pre in issued or _sid(issued) == chosen_pre):
                    problems.append("the chosen pre-session id became the session")
                if header and ("httponly" not in flags or "samesite=lax" not in flags and "samesite=strict" not in flags):
                    problems.append(f"cookie flags: {header.split(';', 1)[1][:80]}")
                if planted == attacker_cookie:  # the attacker's cookie must still be the attacker's, never the victim
                    with web.client() as spy:
                        spy.cookies.set(COOKIE, attacker_cookie)
                        me = spy.get("/")
                    if web.people[victim].cn in me.text and web.people[victim].cn not in ("张伟",):
                        problems.append("the attacker's cookie now shows the victim")
                result.count(f"{label}: {'refused' if problems else 'new session id'}", accepted=bool(problems),
                             error=r.status_code >= 500, example=f"{label} → {victim}: {'; '.join(problems)}")
    finally:
        attacker.close()
    result.note = f"{len(plants)} kinds of planted cookie × {len(victims)} victims signing in with their own password"


# -- forged / tampered / expired cookies ---------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def cookies(web: Web, result: Result) -> None:
    key = web.ctx.settings.web_session_key.get_secret_value()
    worker = web.signed_in("li.qiang")
    real = worker.cookies.get(COOKIE)
    body, mac = real.rsplit(".", 1)
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    signed_out = web.signed_in("budi.santoso")
    out_cookie = signed_out.cookies.get(COOKIE)
    signed_out.post("/logout", data={"csrf": web.token(signed_out)})
    signed_out.close()

    def with_body(changes: dict) -> str:
        return _b64(json.dumps({**data, **changes}, separators=(",", ":")).encode()) + "." + mac

    expired = SessionSigner(key, ttl_s=-1)  # the right key, a past expiry: what a stolen old cookie is
    variants = [
        ("junk", secrets.token_urlsafe(40)), ("no MAC", body), ("empty MAC", body + "."),
        ("roles → managers, old MAC", with_body({"roles": ["managers"]})),
        ("work centers → all, old MAC", with_body({"work_centers": None})),
        ("staff id → manager0001, old MAC", with_body({"staff_id": "manager0001"})),
        ("expiry → 2100, old MAC", with_body({"expires": 4102444800})),
        ("MAC truncated", body + "." + mac[:-4]), ("MAC of another body", _b64(b"{}") + "." + mac),
        ("MAC flipped", body + "." + mac[::-1]), ("signed with another key",
                                                  SessionSigner("guess", ttl_s=3600).dump(expired.issue(
                                                      staff_id="manager0001", name="x", roles={"managers"},
                                                      work_centers=None, lang="zh", via="ldap")[0])),
        ("signed with an empty key", SessionSigner("", ttl_s=3600).issue(
            staff_id="manager0001", name="x", roles={"managers"}, work_centers=None, lang="zh", via="ldap")[1]),
        ("expired (right key)", expired.issue(staff_id="manager0001", name="王丽", roles={"managers", "pmc"},
                                              work_centers=None, lang="zh", via="ldap")[1]),
        ("signed out", out_cookie), ("JSON none alg", _b64(b'{"alg":"none"}') + "." + body + "."),
        ("two cookies joined", real + "." + real),
    ]
    worker.close()
    targets = ("/", "/orders", "/orders/P20250401", "/orders.csv", "/orders.xlsx", "/load", "/approvals",
               "/suggestions", "/api/orders/P20250401", "/events")
    for n in range(max(web.ctx.attempts, len(variants) * len(targets))):
        label, value = variants[n % len(variants)]
        path = targets[(n // len(variants)) % len(targets)]
        with web.client() as c:
            c.cookies.set(COOKIE, value)
            if path == "/events":
                r = c.get(path, headers={"accept": "text/event-stream"}, timeout=10)
            else:
                r = c.get(path)
        refused = (r.status_code == 401 if path.startswith(("/api/", "/events")) else
                   r.status_code == 303 and r.headers.get("location", "").startswith("/login"))
        result.count(f"{label}: {r.status_code}", accepted=not refused, error=r.status_code >= 500,
                     example=f"{label} on {path}: {r.status_code}")
    result.note = f"{len(variants)} forged cookies × {len(targets)} pages, exports, JSON and the SSE stream"


# -- role bypass ------------------------------------------------------------------------------------
def _sse_head(client: httpx.Client, timeout_s: float = 3.0) -> str:
    text = ""
    try:
        with client.stream("GET", "/events", headers={"accept": "text/event-stream"}, timeout=timeout_s) as r:
            if r.status_code != 200:
                return f"status {r.status_code}"
            deadline = time.monotonic() + timeout_s
            for chunk in r.iter_text():
                text += chunk
                if "event: hello" in text or time.monotonic() > deadline:
                    break
    except httpx.TimeoutException:
        pass
    return text


def role_bypass(web: Web, result: Result, wc_of: dict[str, str], refs: list[str]) -> None:
    people = {"li.qiang": ("WC-01", "WC-05"), "budi.santoso": ("WC-03", "WC-04")}
    people = {uid: tuple(web.people[uid].work_centers) or wcs for uid, wcs in people.items()}
    centers = sorted(set(wc_of.values()))
    real_ref = refs[0] if refs else BOGUS_REF
    for uid, mine in list(people.items()) + [("zhang.wei", None)]:
        client = web.signed_in(uid)
        try:
            token = web.token(client)
            others = sorted(b for b, wc in wc_of.items() if mine is not None and wc not in mine)
            asks = []
            for bill in others[:12]:
                asks += [("GET", f"/orders/{bill}", "404"), ("GET", f"/api/orders/{bill}", "404"),
                         ("GET", f"/suggestions?order={bill}", "no-other"),
                         ("POST", f"/suggestions/{bill}/1", "403")]
            for wc in centers:
                if mine is not None and wc not in mine:
                    asks += [("GET", f"/orders?work_center={wc}", "no-other"),
                             ("GET", f"/orders.csv?work_center={wc}", "no-other"),
                             ("GET", f"/orders.xlsx?work_center={wc}", "no-other"),
                             ("GET", f"/orders?q={wc}", "no-other")]
            if mine is not None:
                asks += [("GET", "/", "no-other"), ("GET", "/load", "no-other"), ("GET", "/orders.csv", "no-other"),
                         ("GET", "/approvals", "403"), ("SSE", "/events", "no-other")]
            asks += [("POST", f"/approvals/{real_ref}/approve", "403"), ("POST", f"/approvals/{real_ref}/reject", "403"),
                     ("POST", f"/approvals/{BOGUS_REF}/approve", "403")]
            per = max(1, -(-web.ctx.attempts // 3 // max(1, len(asks))))
            for _ in range(per):
                for method, path, want in asks:
                    if method == "SSE":
                        status, text = 200, _sse_head(client)
                    elif method == "POST":
                        r = client.post(path, data={"csrf": token, "note": "role bypass"})
                        status, text = r.status_code, r.text
                    else:
                        r = client.get(path)
                        status, text = r.status_code, r.text if not path.startswith("/orders.xlsx") else \
                            _xlsx_text(r.content)
                    asked = set(BILL.findall(path))  # a refusal may name what was asked for; anything else leaks
                    leaked = sorted({b for b in BILL.findall(text) if b in wc_of and mine is not None
                                     and wc_of[b] not in mine and b not in asked})
                    accepted = (bool(leaked) or (want == "404" and status != 404) or (want == "403" and status != 403)
                                or status >= 500)
                    result.count(f"{'production' if mine else 'planner'} {method} {want}: {status}", accepted=accepted,
                                 error=status >= 500,
                                 example=f"{uid} {method} {path}: {status} {('leaked ' + ','.join(leaked[:4])) if leaked else ''}")
        finally:
            client.close()
    guest_asks = [("GET", p) for p in ("/", "/orders", "/orders.csv", "/orders.xlsx", "/load", "/approvals",
                                       "/suggestions", "/orders/P20250401", "/api/orders/P20250401", "/events")]
    guest_asks += [("POST", f"/approvals/{real_ref}/approve"), ("POST", f"/approvals/{real_ref}/reject"),
                   ("POST", "/suggestions/P20250402/1"), ("POST", f"/changes/{real_ref}/confirm")]
    for uid in ("chen.jing", "zhou.min"):  # in the directory, but no role that may see the dashboard
        for n in range(5):
            with web.client() as c:
                r = web.login(c, uid, web.people[uid].password)
                accepted = _has_session(r)
                result.count(f"no-role sign-in: {r.status_code}", accepted=accepted, error=r.status_code >= 500,
                             example=f"{uid} signed in: {r.status_code}")
                token = web.csrf_of(r.text)  # the refusal page's own (pre-session) token
                for method, path in guest_asks[n::5]:  # then what a signed-in person would ask for
                    if method == "POST":
                        a = c.post(path, data={"csrf": token, "note": "guest"})
                    else:
                        a = c.get(path, headers={"accept": "text/event-stream"} if path == "/events" else {},
                                  timeout=10)
                    refused = (a.status_code == 401 if path.startswith(("/api/", "/events")) else
                               a.status_code == 303 and a.headers.get("location", "").startswith("/login"))
                    result.count(f"no-role {method}: {a.status_code}", accepted=not refused or bool(BILL.findall(a.text)),
                                 error=a.status_code >= 500, example=f"{uid} (refused) {method} {path}: {a.status_code}")
    result.note = ("2 production workers and a planner (not a manager) asking for other centers' orders on every "
                   "page, export, filter, search, suggestion and the SSE stream; approvals page and decisions; a "
                   "guest and a director signing in with their right passwords, then asking for all of it")


def _xlsx_text(data: bytes) -> str:
    import zipfile

    from rasa_project.web import xlsx

    try:
        return "\n".join("\t".join(row) for row in xlsx.read_rows(data))
    except (zipfile.BadZipFile, KeyError, ValueError):
        return data.decode("latin-1")


# -- OAuth and open redirects ---------------------------------------------------------------------------
OFF_SITE = ("https://evil.example/", "//evil.example/", "/\\evil.example/", "/\\/evil.example/", "\\\\evil.example",
            "/%2F%2Fevil.example", "%2F%2Fevil.example", "/\t/evil.example", "/\n/evil.example", "http:/evil.example",
            "http:evil.example", "javascript:alert(1)", " //evil.example", "/.\\evil.example", "///evil.example",
            "/%5Cevil.example", "https:evil.example", "/%09/evil.example", "\\/evil.example", "//evil.example@x")


def _leaves_site(base: str, location: str | None) -> bool:
    if not location:
        return False
    as_browser = "".join(c for c in location if c not in "\t\n\r").strip().replace("\\", "/")
    target = urljoin(base + "/", as_browser)
    parts, own = urlsplit(target), urlsplit(base)
    return parts.scheme not in ("http", "https") or parts.netloc.lower() != own.netloc.lower()


def _oauth_start(web: Web, client: httpx.Client, next_url: str = "/") -> tuple[str, dict]:
    start = client.get(f"/login/dingtalk?next={quote(next_url, safe='')}")
    authorize = start.headers["location"]
    return authorize, dict(httpx.QueryParams(authorize.split("?", 1)[1]))


def _grant(authorize: str, form: dict, staff_id: str) -> dict:
    granted = httpx.post(authorize.split("?")[0], data={**form, "account": staff_id}, follow_redirects=False, timeout=30)
    back = granted.headers["location"]
    return dict(httpx.QueryParams(back.split("?", 1)[1]))


def oauth(web: Web, result: Result) -> None:
    base = web.base
    kinds = ("forged state", "state of another browser", "state with next changed", "code used twice",
             "code from another browser's flow", "made-up code", "no pre-session cookie", "guest's account",
             "next off site (DingTalk)", "next off site (password)", "next off site (language)")
    for n in range(web.ctx.attempts):
        kind = kinds[n % len(kinds)]
        evil = OFF_SITE[(n // len(kinds)) % len(OFF_SITE)]
        with web.client() as browser:
            r = None
            if kind == "next off site (password)":
                r = web.login(browser, "wang.li", web.people["wang.li"].password, next_url=evil)
                accepted = _leaves_site(base, r.headers.get("location"))
            elif kind == "next off site (language)":
                r = browser.get(f"/lang/en?next={quote(evil, safe='')}")
                accepted = _leaves_site(base, r.headers.get("location"))
            else:
                authorize, form = _oauth_start(web, browser, evil if kind.startswith("next") else "/")
                staff = "guest0001" if kind == "guest's account" else "manager0001"
                got = _grant(authorize, form, staff)
                code, state = got["authCode"], got["state"]
                params = {"authCode": code, "state": state}
                if kind == "forged state":
                    params["state"] = secrets.token_urlsafe(32) + ".%2F"
                elif kind == "state of another browser":
                    with web.client() as other:
                        params["state"] = _oauth_start(web, other)[1]["state"]
                elif kind == "state with next changed":
                    params["state"] = state.split(".", 1)[0] + "." + quote(evil, safe="")
                elif kind == "code used twice":
                    first = browser.get("/login/dingtalk/callback", params=params)
                    if first.status_code != 303:
                        raise RuntimeError(f"an honest DingTalk sign-in failed: {first.status_code} {first.text[:200]}")
                    pre = secrets.token_urlsafe(8)
                    browser.cookies.clear()
                    authorize2, form2 = _oauth_start(web, browser)
                    params = {"authCode": code, "state": form2["state"]}  # the old code in a fresh, valid flow
                    del authorize2, pre
                elif kind == "code from another browser's flow":
                    with web.client() as attacker:
                        a_auth, a_form = _oauth_start(web, attacker)
                        params["authCode"] = _grant(a_auth, a_form, "pmc0001")["authCode"]
                        # the attacker's code under the victim's own state: binds to the victim's flow?
                elif kind == "made-up code":
                    params["authCode"] = secrets.token_hex(16)
                elif kind == "no pre-session cookie":
                    browser.cookies.clear()
                r = browser.get("/login/dingtalk/callback", params=params)
                if kind == "code from another browser's flow":
                    # the state is the victim's own and right: DingTalk's code is then a valid sign-in of
                    # whoever it names; the defence is that an attacker cannot get the victim's state.
                    # Accepted only if the session is not the code's owner (a mix-up), never expected.
                    accepted = _has_session(r) and "张伟" not in browser.get("/").text
                elif kind.startswith("next off site"):
                    accepted = _leaves_site(base, r.headers.get("location"))
                else:
                    accepted = _has_session(r)
            result.count(f"{kind}: {r.status_code}", accepted=accepted, error=r.status_code >= 500,
                         example=f"{kind} ({evil!r}): {r.status_code} → {r.headers.get('location')}")
    result.note = (f"{len(kinds)} kinds × {len(OFF_SITE)} off-site targets (//host, /\\host, tab, encoded, "
                   "schemes) through the DingTalk sign-in (simulator OAuth), the password sign-in and the language switch")


# -- injection in page fields -------------------------------------------------------------------------
PAGE_PAYLOADS = (
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "'><svg onload=alert(1)>",
    "' onmouseover='alert(1)", "</textarea><script>alert(1)</script>", "javascript:alert(1)",
    "{{7*'7'}}", "{% print 7*1111111 %}", "${7*7}", "P20250401' OR '1'='1", "') OR 1=1 --",
    "%' OR FDocumentStatus<>'Z", "*)(uid=*))(|(uid=*", "admin)(|(objectClass=*", "\\2a\\29", "'; DROP TABLE audit_log; --",
    "\u202e<b>x</b>", "%3Cscript%3Ealert(1)%3C/script%3E", "&lt;script&gt;", "\x00<script>",
)
MARKERS = ("<script>alert", "<img src=x", "<svg onload", "onmouseover='alert", "<b>x</b>", "</textarea><")


def page_injection(web: Web, result: Result) -> None:
    from devtools.security.checks import trail_state

    manager = web.signed_in("wang.li")
    records_before = trail_state(web.ctx.settings).records
    fields = ("q", "work_center", "status", "risk", "sort", "desc", "page", "order", "bill_no", "ref", "note",
              "username", "next", "lang", "csv q", "xlsx q")
    try:
        token = web.token(manager)
        for n in range(max(web.ctx.attempts, len(fields) * 13)):
            field = fields[n % len(fields)]
            payload = PAGE_PAYLOADS[(n // len(fields)) % len(PAGE_PAYLOADS)]
            enc = quote(payload, safe="")
            session = False
            if field in ("q", "work_center", "status", "risk", "sort", "desc", "page"):
                r = manager.get(f"/orders?{field}={enc}")
            elif field == "order":
                r = manager.get(f"/suggestions?order={enc}")
            elif field == "bill_no":
                r = manager.get(f"/orders/{enc}")
            elif field == "ref":
                r = manager.post(f"/approvals/{enc}/reject", data={"csrf": token, "note": "x"})
            elif field == "note":
                r = manager.post(f"/approvals/{BOGUS_REF}/reject", data={"csrf": token, "note": payload})
            elif field == "lang":
                r = manager.get(f"/lang/{enc}?next=/orders")
            elif field in ("csv q", "xlsx q"):
                r = manager.get(f"/orders.{field[:-2].strip()}?q={enc}")
            else:
                with web.client() as anon:
                    if field == "username":
                        r = web.login(anon, payload, "demo-wang.li")
                    else:
                        r = anon.get(f"/login?next={enc}")
                    session = _has_session(r)
            body = r.text if "html" in r.headers.get("content-type", "") else ""
            problems = []
            if r.status_code >= 500:
                problems.append(f"{r.status_code}")
            raw = payload.replace("\x00", "")
            if any(c in raw for c in "<>\"'") and raw in body or any(m in body for m in MARKERS):
                problems.append("rendered unescaped")
            if "7777777" in body:
                problems.append("template evaluated")
            if session:
                problems.append("session issued")
            if ("html" not in r.headers.get("content-type", "") and r.status_code < 300
                    and field not in ("csv q", "xlsx q") and payload in r.text
                    and r.headers.get("x-content-type-options") != "nosniff"):
                    problems.append("payload echoed in a sniffable answer")
            result.count(f"{field}: {r.status_code}", accepted=bool(problems), error=r.status_code >= 500,
                         example=f"{field}={payload!r}: {', '.join(problems)}")
    finally:
        manager.close()
    # nothing typed on a page reaches K/3 as syntax: no K/3 call recorded during the class names a payload
    from rasa_project.audit.models import AuditRecord
    from rasa_project.db import get_sessionmaker

    with get_sessionmaker(web.ctx.settings.sqlalchemy_url)() as s:
        rows = s.query(AuditRecord.kind, AuditRecord.payload).order_by(AuditRecord.id).offset(records_before).all()
    k3_calls = [p for kind, p in rows if kind == "k3_call"]
    reached = [p for p in k3_calls if any(x in p for x in ("OR '1'", "1=1", "uid=*", "DROP TABLE", "<script"))]
    result.count(f"K/3 calls during the class: {len(k3_calls)}", accepted=bool(reached),
                 example=f"a payload reached K/3: {reached[:1]}")
    result.note = (f"{len(PAGE_PAYLOADS)} payloads (HTML/XSS, template, SQL, K/3 filter, LDAP) in {len(fields)} fields "
                   "of the orders page, exports, suggestions, order page, approval forms, sign-in and language switch; "
                   "then the trail's K/3 calls of the class searched for the payloads")


# -- CSV / xlsx formula injection -------------------------------------------------------------------
FORMULA_BILLS = ("=1+2", "+1+2", "-1+2", "@SUM(1)", "=HYPERLINK(\"http://evil.example\")", "\t=1+2", "\r=1+2",
                 "\uff1d1+2", "=cmd|'/c calc'!A1")
STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _plant(settings, template: list, bill: str):
    sdk = official_sdk(settings)
    model = {"FBillNo": bill, "FBillType": {"FNumber": template[5]}, "FPrdOrgId": {"FNumber": template[4]},
             "FDate": "2025-04-01", "FTreeEntity": [{
                 "FMaterialId": {"FNumber": template[1]}, "FUnitId": {"FNumber": template[2]}, "FQty": 1,
                 "FWorkShopID": {"FNumber": template[3]}, "FPlanStartDate": "2025-05-06",
                 "FPlanFinishDate": "2025-05-30"}]}  # far off: no risk warning for it in chat
    return json.loads(sdk.Save("PRD_MO", {"Model": model}))


def _delete(settings, bill: str):
    sdk = official_sdk(settings)
    return json.loads(sdk.Delete("PRD_MO", {"Numbers": [bill]}))


def _template(settings) -> list:
    sdk = official_sdk(settings)
    rows = json.loads(sdk.ExecuteBillQuery({"FormId": "PRD_MO", "FieldKeys": "FBillNo,FMaterialId.FNumber,FUnitId.FNumber,"
                                            "FWorkShopID.FNumber,FPrdOrgId.FNumber,FBillType.FNumber",
                                            "FilterString": "", "OrderString": "FBillNo", "Limit": 1}))
    return rows[0]


def export_formulas(web: Web, result: Result) -> None:
    settings = web.ctx.settings
    template = _template(settings)
    planted = []
    try:
        for bill in FORMULA_BILLS:
            answer = _plant(settings, template, bill)
            ok = (answer.get("Result") or {}).get("ResponseStatus", {}).get("IsSuccess")
            if ok:
                planted.append(bill)
        if not planted:
            result.note = f"K/3 refused every planted bill number: {answer}"
            return
        manager = web.signed_in("wang.li")
        try:
            deadline = time.monotonic() + float(settings.web_cache_ttl_s) * 2 + 30
            while time.monotonic() < deadline:  # the board re-reads K/3 at least every web_cache_ttl_s
                manager.post(f"/approvals/{BOGUS_REF}/reject", data={"csrf": web.token(manager), "note": "x"})
                csv_text = manager.get("/orders.csv").text
                if all(b.strip("\t\r")[1:4] in csv_text for b in planted):
                    break
                time.sleep(1.0)
            n = 0
            queries = ("", "?status=open", "?sort=bill_no&desc=1", "?q=1%2B2", "?work_center=" + template[3])
            while n < web.ctx.attempts:
                for lang in ("zh", "id", "en"):
                    manager.get(f"/lang/{lang}?next=/orders")
                    for query in queries:
                        for fmt in ("csv", "xlsx"):
                            r = manager.get(f"/orders.{fmt}{query}")
                            if fmt == "csv":
                                import csv as csvmod
                                import io

                                rows = list(csvmod.reader(io.StringIO(r.content.decode("utf-8-sig"))))
                            else:
                                from rasa_project.web import xlsx

                                rows = xlsx.read_rows(r.content)
                            mine = [row for row in rows[1:] if row and any(p.strip("\t\r")[1:4] in row[0] for p in planted)]
                            for row in mine or [[]]:
                                if not row:
                                    result.count(f"{fmt}: planted rows missing", error=True)
                                    n += 1
                                    continue
                                bad = [c for c in row if c.startswith(STARTS) and not _is_number(c)]
                                result.count(f"{fmt} row: {'formula' if bad else 'neutral'}", accepted=bool(bad),
                                             example=f"{fmt}{query} [{lang}]: {bad[:2]}")
                                n += 1
        finally:
            manager.close()
    finally:
        for bill in planted:
            _delete(settings, bill)
    result.note = (f"{len(planted)} orders with bill numbers {', '.join(repr(b) for b in planted)} saved in K/3 with "
                   "Kingdee's SDK (deleted afterwards), every exported row checked in CSV and xlsx, 3 languages, "
                   f"{len(queries)} filters")


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


# -- security headers --------------------------------------------------------------------------------
def headers(web: Web, result: Result) -> None:
    manager = web.signed_in("wang.li")
    paths = ("/", "/orders", "/orders?q=x", "/orders/P20250401", "/orders/NOPE", "/load", "/approvals", "/suggestions",
             "/orders.csv", "/orders.xlsx", "/api/orders/P20250401", "/login", "/static/app.js", "/static/app.css",
             "/health", "/no-such-page", "/lang/en?next=/")
    try:
        for n in range(web.ctx.attempts):
            path = paths[n % len(paths)]
            client = manager if n % 3 else web.client()
            r = client.get(path)
            if client is not manager:
                client.close()
            h = r.headers
            csp = h.get("content-security-policy", "")
            script = next((d for d in csp.split(";") if d.strip().startswith("script-src")), "")
            if not script:
                script = next((d for d in csp.split(";") if d.strip().startswith("default-src")), "")
            problems = []
            if not script or "'unsafe-inline'" in script or "'unsafe-eval'" in script or "*" in script.split():
                problems.append(f"script policy {script.strip() or 'missing'!r}")
            if "frame-ancestors 'none'" not in csp and h.get("x-frame-options", "").upper() != "DENY":
                problems.append("framing allowed")
            if h.get("x-frame-options", "").upper() not in ("DENY", "SAMEORIGIN"):
                problems.append("no X-Frame-Options")
            if h.get("x-content-type-options", "").lower() != "nosniff":
                problems.append("no nosniff")
            if not h.get("referrer-policy") or h.get("referrer-policy") in ("unsafe-url", "no-referrer-when-downgrade"):
                problems.append(f"referrer policy {h.get('referrer-policy')!r}")
            if not path.startswith("/static/") and "no-store" not in h.get("cache-control", ""):
                problems.append("cacheable")
            result.count("complete" if not problems else "missing", accepted=bool(problems),
                         error=r.status_code >= 500, example=f"{path}: {', '.join(problems)}")
    finally:
        manager.close()
    result.note = f"{len(paths)} answers (pages, exports, JSON, assets, errors, redirects), signed in and not"


# -----------------------------------------------------------------------------------------------
def _pending_refs(web: Web) -> list[str]:
    manager = web.signed_in("wang.li")
    try:
        return re.findall(r'data-ref="([^"]+)"', manager.get("/approvals").text)
    finally:
        manager.close()


def run(ctx: Context) -> list[Result]:
    web = Web(ctx)
    rows = k3_snapshot(ctx.settings)["PRD_MO"]
    wc_of = {str(r[0]): str(r[6]) for r in rows}
    refs = _pending_refs(web)
    results = {name: Result(name, title) for name, title in CLASSES}
    steps = (("csrf", lambda r: csrf(web, r, refs)), ("session_fixation", lambda r: session_fixation(web, r)),
             ("cookies", lambda r: cookies(web, r)), ("role_bypass", lambda r: role_bypass(web, r, wc_of, refs)),
             ("oauth", lambda r: oauth(web, r)), ("page_injection", lambda r: page_injection(web, r)),
             ("headers", lambda r: headers(web, r)), ("export_formulas", lambda r: export_formulas(web, r)),
             ("signin_bruteforce", lambda r: signin_bruteforce(web, r)))  # last: it locks every account
    for name, step in steps:
        if name not in results:
            continue
        t0 = time.monotonic()
        try:
            step(results[name])
        except Exception as exc:  # noqa: BLE001 - a class that could not finish says so; its tries so far still count
            results[name].errors += 1
            results[name].note = f"stopped: {type(exc).__name__}: {exc}"[:300]
        results[name].note = (results[name].note + f" [{time.monotonic() - t0:.0f} s]").strip()
    return [results[name] for name, _ in CLASSES]
