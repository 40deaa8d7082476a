"""The manager's dashboard: a FastAPI app with server-rendered pages, its own assets, live updates.

Routes call ``Dashboard`` (dashboard.py) and the composition root's collaborators only, like the
chat actions call their use cases. Every sentence comes from the catalog (``web.*`` keys).
"""

from __future__ import annotations

import asyncio
import csv
import hmac
import io
import json
import logging
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from rasa_project import catalog
from rasa_project.authz.errors import DirectoryUnavailable
from rasa_project.authz.roles import (
    ROLE_MANAGERS,
    ROLE_PMC,
    ROLE_PRODUCTION,
    ROLE_TRAINERS,
    is_valid_staff_id,
    roles_from_groups,
)
from rasa_project.values import figure
from rasa_project.web import trainer, xlsx
from rasa_project.web.board import SORT_KEYS, BoardUnavailable, page_of, select
from rasa_project.web.dashboard import Dashboard
from rasa_project.web.security import (
    COOKIE,
    PRE_COOKIE,
    LoginThrottle,
    SecurityHeaders,
    SessionSigner,
    WebSession,
    neutral_cell,
    safe_next,
    same_origin,
)
from rasa_project.web.state import make_web_state

if TYPE_CHECKING:
    from rasa_project.wiring import Wiring

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LANG_COOKIE = "dingk3_lang"
CSV_COLUMNS = ("bill_no", "material_code", "material_name", "qty", "unit", "good", "scrap", "completion",
               "plan_start", "plan_finish", "projected_finish", "risk", "reason", "status", "work_center", "approval")


def _lang_from(request: Request, session: WebSession | None) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in catalog.LANGS:
        return chosen
    if session and session.lang in catalog.LANGS:
        return session.lang
    for part in (request.headers.get("accept-language") or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in catalog.LANGS:
            return code
    return "zh"


def _roles_of(settings, group_dns) -> frozenset[str]:
    return roles_from_groups(group_dns, {ROLE_PMC: settings.ldap_group_pmc,
                                         ROLE_PRODUCTION: settings.ldap_group_production,
                                         ROLE_MANAGERS: settings.ldap_group_managers,
                                         ROLE_TRAINERS: settings.ldap_group_trainers})


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > 16_384:
        return {}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}


def create_app(wiring: Wiring, *, dingtalk_login=None) -> FastAPI:
    settings = wiring.settings
    dash = Dashboard(wiring)
    web_state = make_web_state(settings)  # revocations and lockouts outlive a restart
    signer = SessionSigner(settings.web_session_key.get_secret_value(), ttl_s=int(settings.web_session_ttl_s),
                           state=web_state)
    throttle = LoginThrottle(delay_after=int(settings.web_login_delay_after),
                             lockout_after=int(settings.web_login_lockout_after),
                             lockout_s=int(settings.web_login_lockout_s), state=web_state)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    live = {"version": 0, "task": None, "published": 0, "tick": 0}

    async def watch() -> None:
        """Follow the audit trail: on news, rebuild the board, then tell the open pages."""
        position = await asyncio.to_thread(dash.audit_position)
        live["version"] = position
        while True:
            try:
                position, news = await asyncio.to_thread(dash.news_after, position)
                if news:
                    dash.board.poke(position)
                    deadline = time.monotonic() + 4.0
                    while time.monotonic() < deadline:
                        view = await asyncio.to_thread(dash.board.view)
                        if view.version >= position:
                            break
                        await asyncio.sleep(0.1)
                    live["version"] = position
                if dash.board.published != live["published"]:  # a new read or a new risk assessment
                    live["published"] = dash.board.published
                    live["tick"] += 1
            except Exception:  # the database blinked: keep watching
                log.warning("dashboard watcher: read failed", exc_info=True)
            await asyncio.sleep(float(settings.web_refresh_s))

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(_app):
        live["task"] = asyncio.create_task(watch())
        threading_warm = asyncio.to_thread(_warm)
        asyncio.create_task(threading_warm)
        yield
        live["task"].cancel()
        dash.close()

    def _warm() -> None:
        try:
            dash.view()
        except Exception:
            log.warning("dashboard: first K/3 read failed", exc_info=True)

    app = FastAPI(title="DingK3 dashboard", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.dashboard = dash
    app.add_middleware(SecurityHeaders)  # CSP, no framing, nosniff, referrer policy, no-store (security.py)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    # -- helpers ------------------------------------------------------------------------------
    def session_of(request: Request) -> WebSession | None:
        return signer.load(request.cookies.get(COOKIE))

    def set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                            secure=bool(settings.web_cookie_secure), path="/")

    def render(request: Request, name: str, session: WebSession | None, status: int = 200, **context) -> HTMLResponse:
        lang = _lang_from(request, session)
        pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(16)

        def t(key: str, **values) -> str:
            return catalog.text(key, lang, **values)

        anchor = session.sid if session else pre
        response = templates.TemplateResponse(name, {
            "request": request, "t": t, "lang": lang, "langs": catalog.LANGS, "me": session,
            "csrf": signer.csrf(anchor), "fmt": figure, "path": request.url.path,
            "query": request.url.query, "status_name": lambda s: t(f"order.status.{int(s)}"),
            "level_name": lambda lv: t(f"planning.level_{lv}") if lv else "",
            "wc_name": lambda n: _wc_name(n, lang), "material_name": lambda r: _material(r, lang),
            "approval_name": lambda a: t(f"web.approval.{a}") if a and f"web.approval.{a}" in catalog.MESSAGES else (a or ""),
            **context,
        }, status_code=status)
        if not session and not request.cookies.get(PRE_COOKIE):
            set_cookie(response, PRE_COOKIE, pre, max_age=3600)
        return response

    def _wc_name(number: str, lang: str) -> str:
        center = wiring.mapping.work_center(number) if number else None
        return f"{center.display_name(lang)} ({number})" if center else (number or "")

    def _material(row, lang: str) -> str:
        return row.material_name.get(lang) or row.material_name.get("en") or ""

    def csrf_ok(request: Request, form: dict, session: WebSession | None) -> bool:
        anchor = session.sid if session else request.cookies.get(PRE_COOKIE)
        own = (settings.web_url, f"{request.url.scheme}://{request.headers.get('host', '')}")
        return signer.csrf_ok(anchor, form.get("csrf")) and same_origin(
            request.headers.get("origin"), request.headers.get("referer"), own)

    def refused_page(request: Request, session, key: str, status: int, **values) -> HTMLResponse:
        return render(request, "message.html", session, status=status, message=catalog.text(
            key, _lang_from(request, session), **values))

    def signed_in(request: Request):
        """The session, or the response that sends the person to sign in."""
        session = session_of(request)
        if session is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            if request.headers.get("accept", "").startswith("text/event-stream"):
                return None, Response(status_code=401)
            return None, RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return session, None

    def board_or_error(request, session):
        try:
            return dash.view(), None
        except BoardUnavailable:
            return None, refused_page(request, session, "web.k3_unavailable", 503)

    def scoped_row(view, session: WebSession, bill_no: str):
        row = view.by_bill.get(bill_no)
        if row is None or (session.scope is not None and row.work_center not in session.scope):
            return None
        return row

    def start_session(request: Request, profile, via: str, next_url: str) -> Response:
        roles = _roles_of(settings, profile.group_dns)
        if ROLE_MANAGERS in roles or ROLE_PMC in roles:
            centers = None
        elif ROLE_PRODUCTION in roles:
            centers = tuple(profile.work_centers)
            if not centers:
                dash.w.audit.record("decision", actor=profile.staff_id, decision="web_login", allowed=False,
                                    reason="no_work_center", via=via)
                return refused_page(request, None, "web.no_work_center", 403, name=profile.name or profile.staff_id)
        elif ROLE_TRAINERS in roles:  # the trainer page only: no orders in scope
            centers = ()
            next_url = next_url if next_url.startswith("/trainer") else "/trainer"
        else:
            dash.w.audit.record("decision", actor=profile.staff_id, decision="web_login", allowed=False,
                                reason="no_role", via=via)
            return refused_page(request, None, "web.refused", 403, name=profile.name or profile.staff_id)
        lang = profile.preferred_language if profile.preferred_language in catalog.LANGS else _lang_from(request, None)
        _session, cookie = signer.issue(staff_id=profile.staff_id, name=profile.name or profile.staff_id, roles=roles,
                                       work_centers=centers, lang=lang, via=via)
        dash.w.audit.record("decision", actor=profile.staff_id, decision="web_login", allowed=True,
                            roles=sorted(roles), via=via)
        response = RedirectResponse(safe_next(next_url), status_code=303)
        set_cookie(response, COOKIE, cookie, max_age=int(settings.web_session_ttl_s))
        response.delete_cookie(PRE_COOKIE, path="/")
        return response

    # -- health, language ---------------------------------------------------------------------------
    @app.get("/health")
    async def health():
        return {"status": "ok", "board": dash.board.error or "ok"}

    @app.get("/lang/{code}")
    async def set_lang(code: str, next: str = "/"):
        response = RedirectResponse(safe_next(next), status_code=303)
        if code in catalog.LANGS:
            set_cookie(response, LANG_COOKIE, code, max_age=365 * 86400)
        return response

    # -- sign-in ----------------------------------------------------------------------------------
    @app.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request, next: str = "/"):
        return render(request, "login.html", None, next=next, error=None)

    @app.post("/login")
    async def login(request: Request):
        form = await _form(request)
        lang = _lang_from(request, None)
        next_url = form.get("next") or "/"
        if not csrf_ok(request, form, None):
            return render(request, "login.html", None, status=403, next=next_url,
                          error=catalog.text("web.csrf", lang))
        username, password = (form.get("username") or "").strip(), form.get("password") or ""
        if not is_valid_staff_id(username) or not password:
            return render(request, "login.html", None, status=400, next=next_url,
                          error=catalog.text("web.login_wrong", lang))
        try:  # the throttle counts per account, whichever of its names (uid, staff id) is typed
            account = await asyncio.to_thread(dash.w.directory.account_of, username)
        except DirectoryUnavailable:
            return render(request, "login.html", None, status=503, next=next_url,
                          error=catalog.text("web.directory_down", lang))
        username_typed, username = username, account or username
        if throttle.locked(username):
            return render(request, "login.html", None, status=429, next=next_url,
                          error=catalog.text("web.login_locked", lang, minutes=max(1, settings.web_login_lockout_s // 60)))
        delay = throttle.delay_s(username)
        if delay:
            await asyncio.sleep(delay)
        try:
            profile = await asyncio.to_thread(dash.w.directory.login, username_typed, password)
        except DirectoryUnavailable:
            return render(request, "login.html", None, status=503, next=next_url,
                          error=catalog.text("web.directory_down", lang))
        if profile is None:
            locked = throttle.failed(username)
            dash.w.audit.record("decision", actor=username_typed, decision="web_login", allowed=False,
                                reason="wrong_password", via="ldap")
            key = "web.login_locked" if locked else "web.login_wrong"
            return render(request, "login.html", None, status=429 if locked else 401, next=next_url,
                          error=catalog.text(key, lang, minutes=max(1, settings.web_login_lockout_s // 60)))
        throttle.succeeded(username)
        return start_session(request, profile, "ldap", next_url)

    @app.get("/login/dingtalk")
    async def login_dingtalk(request: Request, next: str = "/"):
        pre = secrets.token_urlsafe(16)
        target = safe_next(next)  # the state's MAC covers where the sign-in goes next
        state = signer.oauth_state(f"{pre}\n{target}") + "." + quote(target, safe="")
        redirect = f"{settings.web_url}/login/dingtalk/callback"
        response = RedirectResponse(dash_login().authorize_url(redirect, state), status_code=303)
        set_cookie(response, PRE_COOKIE, pre, max_age=600)
        return response

    def dash_login():
        if dingtalk_login is not None:
            return dingtalk_login
        return wiring_login()

    _login_holder: dict = {}

    def wiring_login():
        if "login" not in _login_holder:
            from dingtalk_client.login import DingTalkLogin, DingTalkLoginConfig

            api = settings.dingtalk_openapi_url
            _login_holder["login"] = DingTalkLogin(DingTalkLoginConfig(
                client_id=settings.dingtalk_app_key, client_secret=settings.dingtalk_app_secret.get_secret_value(),
                login_url=settings.dingtalk_login_url or api, openapi_url=api,
                oapi_url=settings.dingtalk_oapi_url or api))
        return _login_holder["login"]

    @app.get("/login/dingtalk/callback")
    async def login_dingtalk_done(request: Request, authCode: str = "", state: str = ""):
        from dingtalk_client.login import DingTalkLoginError

        pre = request.cookies.get(PRE_COOKIE)
        from urllib.parse import unquote

        mac, _, next_url = state.partition(".")
        next_url = unquote(next_url)
        if not pre or not authCode or not hmac.compare_digest(mac, signer.oauth_state(f"{pre}\n{next_url}")):
            return refused_page(request, None, "web.csrf", 403)
        try:
            token = await asyncio.to_thread(dash.w.dingtalk.access_token)
            user = await asyncio.to_thread(dash_login().user, authCode, token)
        except DingTalkLoginError as exc:
            key = "web.dingtalk_unavailable" if exc.reason == "unavailable" else "web.dingtalk_failed"
            return refused_page(request, None, key, 401 if exc.reason != "unavailable" else 503)
        except Exception:
            log.warning("DingTalk sign-in failed", exc_info=True)
            return refused_page(request, None, "web.dingtalk_unavailable", 503)
        try:
            profile = await asyncio.to_thread(dash.w.directory.profile, user.staff_id)
        except DirectoryUnavailable:
            return refused_page(request, None, "web.directory_down", 503)
        if profile is None:
            return refused_page(request, None, "web.refused", 403, name=user.nick or user.staff_id)
        return start_session(request, profile, "dingtalk", next_url or "/")

    @app.post("/logout")
    async def logout(request: Request):
        session = session_of(request)
        form = await _form(request)
        if session is not None:
            if not csrf_ok(request, form, session):
                return refused_page(request, session, "web.csrf", 403)
            signer.revoke(session)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    # -- pages --------------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    async def overview(request: Request):
        session, redirect = signed_in(request)
        if redirect:
            return redirect
        view, error = await asyncio.to_thread(board_or_error, request, session)
        if error:
            return error
        rows = view.visible(session.scope)
        warned = sorted((r for r in rows if r.is_open and r.level in ("late", "at_risk")),
                        key=lambda r: (-r.severity, r.plan_finish, r.bill_no))[:10]
        return render(request, "overview.html", session, view=view, stats=view.overview(session.scope),
                      warned=warned, page_title="web.nav.overview")

    def order_query(request: Request) -> dict:
        p = request.query_params
        desc = p.get("desc") in ("1", "true")
        return {"q": p.get("q", "")[:64], "work_center": p.get("work_center", "")[:16], "status": p.get("status", "")[:8],
                "risk": p.get("risk", "")[:10], "sort": p.get("sort", "bill_no") if p.get("sort") in SORT_KEYS else "bill_no",
                "desc": desc}

    def filtered(view, session, query):
        rows = view.visible(session.scope)
        return select(rows, **query)

    @app.get("/orders", response_class=HTMLResponse)
    async def orders(request: Request, page: int = 1):
        session, redirect = signed_in(request)
        if redirect:
            return redirect
        view, error = await asyncio.to_thread(board_or_error, request, session)
        if error:
            return error
        query = order_query(request)
        rows = filtered(view, session, query)
        shown, page, pages = page_of(rows, page, int(settings.web_page_size))
        centers = [w.number for w in wiring.mapping.work_centers if session.scope is None or w.number in session.scope]
        base = {k: v for k, v in query.items() if v and k != "desc"}
        if query["desc"]:
            base["desc"] = "1"
        return render(request, "orders.html", session, view=view, rows=shown, total=len(rows), page=page, pages=pages,
                      q=query, centers=centers, base_query=base, urlencode=urlencode, page_title="web.nav.orders",
                      export_query=urlencode(base))

    def csv_rows(view, session, query, lang):
        yield [catalog.text(f"web.col.{c}", lang) for c in CSV_COLUMNS]
        numeric = {CSV_COLUMNS.index(c) for c in ("qty", "good", "scrap", "completion")}
        for line in _csv_rows(view, session, query, lang):  # K/3 text never becomes a spreadsheet formula
            yield [v if i in numeric else neutral_cell(v) for i, v in enumerate(line)]

    def _csv_rows(view, session, query, lang):
        for r in filtered(view, session, query):
            yield [r.bill_no, r.material_code, _material(r, lang), figure(r.qty), r.unit, figure(r.good), figure(r.scrap),
                   f"{r.completion:.1f}", r.plan_start.isoformat(), r.plan_finish.isoformat(),
                   r.projected_finish.isoformat() if r.projected_finish else "",
                   catalog.text(f"planning.level_{r.level}", lang) if r.level else "", r.reason(lang),
                   catalog.text(f"order.status.{r.status}", lang), r.work_center,
                   catalog.text(f"web.approval.{r.approval}", lang) if r.approval else ""]

    @app.get("/orders.csv")
    async def orders_csv(request: Request):
        session, redirect = signed_in(request)
        if redirect:
            return redirect
        view, error = await asyncio.to_thread(board_or_error, request, session)
        if error:
            return error
        out = io.StringIO()
        writer = csv.writer(out)
        for line in csv_rows(view, session, order_query(request), _lang_from(request, session)):
            writer.writerow(line)
        return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="orders.csv"'})

    @app.get("/orders.xlsx")
    async def orders_xlsx(request: Request):
        session, redirect = signed_in(request)
        if redirect:
            return redirect
        view, error = await asyncio.to_thread(board_or_error, request, session)
        if error:
            return error
        lines = list(csv_rows(view, session, order_query(request), _lang_from(request, session)))
        numeric = {CSV_COLUMNS.index(c) for c in ("qty", "good", "scrap", "completion")}
        body = xlsx.workbook(lines, numeric_columns=numeric, sheet="orders")
        return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"content-disposition": 'attachment; filename="orders.xlsx"'})

    @app.get("/orders/{bill_no}", response_class=HTMLResponse)
    async def order_page(request: Request, bill_no: str):
        session, redirect = signed_in(request)
        if redirect:
            return redirect
        view, error = await asyncio.to_thread(board_or_error, request, session)
        if error:
            return error
        row = scoped_row(view, session, bill_no)
        if row is None:
            return refused_page(request, session, "web.order_unknown", 404, bill_no=bill_no[:32])
        reports, changes = await asyncio.gather(
            asyncio.to_thread(dash.reports_of, row.bill_no, view), asyncio.to_thread(dash.changes_of, row.bill_no))
        history = await asyncio.to_thread(dash.history, row.bill_no, tuple(p.bill_no for p in reports))
        return render(request, "order.html", session, view=view, row=row, history=history, reports=reports,
                      changes=changes, page_title="web.nav.orders")

    @app.get("/load", response_class=HTMLResponse)
    async def load_page(request: Request):
        session, redirect = signed_in(request)
        if redirect:
            return redirect
        view, error = await asyncio.to_thread(board_or_error, request, session)
        if error:
            return error
        centers = [(wc, days) for wc, days in view.load.items() if session.scope is None or wc in session.scope]
        return render(request, "load.html", session, view=view, centers=centers, page_title="web.nav.load")

    @app.get("/approvals", response_class=HTMLResponse)
    async def approvals(request: Request):
        session, redirect = signed_in(request)
        if redirect:
            return redirect
        if session.scope is not None:
            return refused_page(request, session, "web.managers_only", 403)
        view, error = await asyncio.to_thread(board_or_error, request, session)
        if error:
            return error
        page = await asyncio.to_thread(dash.approvals_page)
        return render(request, "approvals.html", session, view=view, **page, outcome=None,
                      describe=dash.w.workflow.messages.describe,
                      page_title="web.nav.approvals")

    @app.post("/approvals/{ref}/{decision}")
    async def decide(request: Request, ref: str, decision: str):
        session, redirect = signed_in(request)
        if redirect:
            return redirect
        form = await _form(request)
        if not csrf_ok(request, form, session):
            return refused_page(request, session, "web.csrf", 403)
        if not session.is_manager:
            return refused_page(request, session, "web.managers_only", 403)
        outcome = await asyncio.to_thread(dash.decide, session.staff_id, ref[:32], decision, (form.get("note") or "")[:200])
        view = await asyncio.to_thread(dash.board.refresh_now)
        page = await asyncio.to_thread(dash.approvals_page)
        lang = _lang_from(request, session)
        return render(request, "approvals.html", session, view=view, **page, outcome=outcome.text(lang),
                      describe=dash.w.workflow.messages.describe,
                      outcome_ok=outcome.ok, page_title="web.nav.approvals")

    @app.get("/suggestions", response_class=HTMLResponse)
    async def suggestions(request: Request, order: str = ""):
        session, redirect = signed_in(request)
        if redirect:
            return redirect
        view, error = await asyncio.to_thread(board_or_error, request, session)
        if error:
            return error
        rows = [r for r in view.visible(session.scope) if r.is_open and r.level in ("late", "at_risk")]
        rows.sort(key=lambda r: (-r.severity, r.plan_finish, r.bill_no))
        chosen = order if any(r.bill_no == order for r in rows) else (rows[0].bill_no if rows else "")
        suggestion = await asyncio.to_thread(dash.suggestion, chosen) if chosen else None
        may_change = ROLE_PMC in session.roles or ROLE_MANAGERS in session.roles
        return render(request, "suggestions.html", session, view=view, rows=rows[:50], chosen=chosen,
                      suggestion=suggestion, may_change=may_change, outcome=None, page_title="web.nav.suggestions")

    @app.post("/suggestions/{bill_no}/{number}")
    async def accept(request: Request, bill_no: str, number: int):
        session, redirect = signed_in(request)
        if redirect:
            return redirect
        form = await _form(request)
        if not csrf_ok(request, form, session):
            return refused_page(request, session, "web.csrf", 403)
        if not (ROLE_PMC in session.roles or ROLE_MANAGERS in session.roles):
            return refused_page(request, session, "web.planners_only", 403)
        outcome = await asyncio.to_thread(dash.accept_option, session.staff_id, bill_no[:32], number)
        lang = _lang_from(request, session)
        change = outcome.value if outcome.key == "workflow.change_checked" else None
        return render(request, "outcome.html", session, outcome=outcome.text(lang), outcome_ok=outcome.ok,
                      change=change, bill_no=bill_no, page_title="web.nav.suggestions")

    @app.post("/changes/{ref}/{what}")
    async def change_step(request: Request, ref: str, what: str):
        session, redirect = signed_in(request)
        if redirect:
            return redirect
        form = await _form(request)
        if not csrf_ok(request, form, session):
            return refused_page(request, session, "web.csrf", 403)
        if what == "confirm":
            outcome = await asyncio.to_thread(dash.confirm, session.staff_id, ref[:32])
        elif what == "cancel":
            outcome = await asyncio.to_thread(dash.cancel, session.staff_id, ref[:32])
        else:
            return refused_page(request, session, "web.bad_request", 400)
        await asyncio.to_thread(dash.board.refresh_now)
        return render(request, "outcome.html", session, outcome=outcome.text(_lang_from(request, session)),
                      outcome_ok=outcome.ok, change=None, bill_no=getattr(outcome.value, "bill_no", ""),
                      page_title="web.nav.suggestions")

    # -- live -----------------------------------------------------------------------------------------
    @app.get("/events")
    async def events(request: Request):
        session = session_of(request)
        if session is None:
            return Response(status_code=401)
        try:
            seen = int(request.headers.get("last-event-id") or live["version"])
        except ValueError:
            seen = live["version"]

        async def stream():
            nonlocal seen
            yield f"retry: 1000\nid: {seen}\nevent: hello\ndata: {json.dumps({'version': live['version']})}\n\n"
            if live["version"] > seen:  # news while we were away (a restart, a dropped connection)
                seen = live["version"]
                yield f"id: {seen}\nevent: news\ndata: {json.dumps({'version': seen})}\n\n"
            quiet, tick = 0.0, live["tick"]
            while not await request.is_disconnected():
                if signer.load(request.cookies.get(COOKIE)) is None:
                    yield "event: expired\ndata: {}\n\n"
                    return
                if live["version"] > seen or live["tick"] != tick:
                    seen, tick = max(seen, live["version"]), live["tick"]
                    quiet = 0.0
                    yield f"id: {seen}\nevent: news\ndata: {json.dumps({'version': seen})}\n\n"
                await asyncio.sleep(0.25)
                quiet += 0.25
                if quiet >= 15:
                    quiet = 0.0
                    yield ": keep-alive\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", "x-accel-buffering": "no"})

    @app.get("/api/orders/{bill_no}")
    async def order_json(request: Request, bill_no: str):
        session = session_of(request)
        if session is None:
            return JSONResponse({"error": "unauthorized"}, 401)
        view = await asyncio.to_thread(dash.view)
        row = scoped_row(view, session, bill_no)
        if row is None:
            return JSONResponse({"error": "not found"}, 404)
        return {"bill_no": row.bill_no, "good": row.good, "scrap": row.scrap, "qty": row.qty,
                "completion": round(row.completion, 1), "level": row.level, "approval": row.approval,
                "version": view.version}

    trainer.register(app, wiring, trainer.Helpers(render=render, signed_in=signed_in, csrf_ok=csrf_ok,
                                                   refused_page=refused_page, form=_form, lang_of=_lang_from))
    return app
