"""FastAPI app of the K/3 Cloud simulator (see the package docstring for the admin API)."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from devtools.simulators.k3cloud import auth
from devtools.simulators.k3cloud.seed import seed
from devtools.simulators.k3cloud.service import (
    BizError,
    Context,
    K3Service,
    envelope,
    failure,
    response_status,
)
from devtools.simulators.k3cloud.store import Store

log = logging.getLogger("k3sim")

SESSION_LOST = "会话信息已丢失，请重新登录"
JSON_TYPE = "application/json; charset=utf-8"
FAULT_KINDS = ("latency", "http_5xx", "timeout_after_commit", "session_lost", "permission_denied")
QUERY_OPS = {"executebillquery", "billquery"}
FORM_OPS = {
    "save", "draft", "batchsave", "submit", "audit", "unaudit", "cancelassign", "delete", "view", "executebillquery",
    "billquery", "excuteoperation", "push",
}  # fmt: skip


class ConnectionDropped(Exception):
    """Raised after the response has started: the client sees the connection die mid-answer."""


class _DroppedResponse(Response):
    async def __call__(self, scope, receive, send) -> None:
        await send({
            "type": "http.response.start", "status": 200,
            "headers": [(b"content-type", JSON_TYPE.encode()), (b"content-length", b"4096")],
        })  # fmt: skip
        raise ConnectionDropped("simulated connection drop after commit")


def k3_json(payload: Any, status_code: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status_code, media_type=JSON_TYPE, headers=headers)


@dataclass
class Fault:
    kind: str
    op: str = "*"  # service operation (save, audit, executebillquery, validateuser ...) or *
    form_id: str = "*"
    count: int = 1  # how many matching calls it affects; -1 = until cleared
    delay_s: float = 0.0
    status: int = 503
    mode: str = "drop"  # timeout_after_commit: drop (connection dies) | delay (answer late)
    id: int = 0
    hits: int = 0

    def matches(self, op: str, form_id: str) -> bool:
        return self.op in ("*", op) and (self.form_id == "*" or self.form_id.upper() == (form_id or "").upper())


@dataclass
class FaultBook:
    faults: list = field(default_factory=list)
    _next: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            fault.id = self._next
            self._next += 1
            self.faults.append(fault)
        return fault

    def take(self, op: str, form_id: str, kinds: tuple) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.kind in kinds and fault.matches(op, form_id) and fault.count != 0:
                    fault.hits += 1
                    if fault.count > 0:
                        fault.count -= 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()


@dataclass
class Session:
    id: str
    user: str
    lcid: int
    last_seen: float


def server_clock(settings) -> Callable[[], datetime]:
    """The K/3 server's own date and time: the demo's anchored instant when one is configured
    (so bill dates match the business day of the tests), else the real clock, in the factory's zone."""
    zone = ZoneInfo(settings.timezone)
    anchor = settings.clock_anchor

    def now() -> datetime:
        if anchor is None:
            return datetime.now(zone)
        return (anchor if anchor.tzinfo else anchor.replace(tzinfo=zone)).astimezone(zone)

    return now


class Simulator:
    """State behind the app: store, sessions, faults, credentials."""

    def __init__(self, settings, store: Store, factory, clock: Callable[[], float]) -> None:
        self.settings, self.store, self.factory, self.clock = settings, store, factory, clock
        self.service = K3Service(store, today=server_clock(settings), report_tolerance_pct=settings.report_tolerance_pct)
        self.sessions: dict[str, Session] = {}
        self.faults = FaultBook()
        self.acct_id = factory.acct_id
        self.users = {u["user_name"]: u for u in factory.k3_users}
        self.apps = {a["app_id"]: a for a in factory.k3_apps}
        self.app_secrets = {a["app_id"]: a["app_secret"] for a in factory.k3_apps}
        self.sign_window_s = float(getattr(settings, "k3_sim_sign_window_s", 300))

    def reset(self, *, keep_numbers: bool = False) -> None:
        """Wipe and reseed from the fixture. ``keep_numbers``: bill numbering carries on from where it
        was (K/3 never gives a number twice; a harness that resets between runs keys records by them)."""
        numbering = self.store.numbering() if keep_numbers else {}
        self.store.wipe()
        seed(self.store, self.factory)
        for name, value in numbering.items():
            self.store.bump(name, value)
        self.sessions.clear()
        self.faults.clear()

    # -- auth ---------------------------------------------------------------------------------------
    def new_session(self, user: str, lcid: int) -> Session:
        session = Session(secrets.token_hex(16), user, lcid, self.clock())
        self.sessions[session.id] = session
        return session

    def session_of(self, request: Request) -> Session | None:
        sid = request.headers.get("kdservice-sessionid") or request.cookies.get("kdservice-sessionid")
        session = self.sessions.get(sid or "")
        if session is None:
            return None
        now = self.clock()
        if now - session.last_seen > self.settings.k3_sim_session_ttl_s:
            self.sessions.pop(session.id, None)
            return None
        session.last_seen = now
        return session

    def authenticate(self, request: Request) -> tuple[Context | None, Session | None, str]:
        """(context, session, refusal reason)."""
        if request.headers.get("x-kd-appkey") or request.headers.get("x-api-signature"):
            try:
                caller = auth.verify(request.headers, path=request.url.path, app_secrets=self.app_secrets,
                                     now=self.clock(), window_s=self.sign_window_s)  # fmt: skip
            except auth.Refused as exc:
                return None, None, str(exc)
            app = self.apps[caller.app_id]
            if caller.acct_id != self.acct_id:
                return None, None, "unknown data center"
            if caller.user_name not in self.users and caller.user_name != app.get("user_name"):
                return None, None, "unknown user"
            return Context(caller.user_name, caller.lcid), None, ""
        session = self.session_of(request)
        if session is None:
            return None, None, "no valid session"
        return Context(session.user, session.lcid), session, ""


def _parse_body(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    return json.loads(raw.decode("utf-8-sig"))


def _arguments(op: str, body: Any) -> dict:
    """formid / opNumber / data from a named or a positional (``parameters``) body."""
    if not isinstance(body, dict):
        raise BizError(8, "请求参数格式不正确，应为JSON对象")
    lower = {str(k).lower(): v for k, v in body.items()}
    if "parameters" in lower:
        params = lower["parameters"]
        if isinstance(params, str):
            params = json.loads(params)
        if not isinstance(params, list):
            raise BizError(8, "参数parameters应为数组", "parameters")
        if op in QUERY_OPS:
            names = ["data"]
        elif op == "excuteoperation":
            names = ["formid", "opnumber", "data"]
        else:
            names = ["formid", "data"]
        lower = {**lower, **dict(zip(names, params))}
    data = lower.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data) if data.strip() else {}
        except ValueError:
            raise BizError(8, "参数data不是有效的JSON", "data") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BizError(8, "参数data应为JSON对象", "data")
    return {"formid": lower.get("formid"), "opnumber": lower.get("opnumber"), "data": data}


def _login_args(op: str, body: Any) -> dict:
    if not isinstance(body, dict):
        return {}
    lower = {str(k).lower(): v for k, v in body.items()}
    if "parameters" in lower and isinstance(lower["parameters"], list):
        names = ["acctid", "username", "password", "lcid"] if op == "validateuser" else [
            "acctid", "username", "appid", "appsecret", "lcid"]  # fmt: skip
        lower.update(dict(zip(names, lower["parameters"])))
    return lower


def _login_answer(session: Session | None, message: str | None) -> Response:
    ok = session is not None
    payload = {
        "Message": message, "MessageCode": None if ok else "CheckPasswordPolicy", "LoginResultType": 1 if ok else 0,
        "Context": {"UserId": 100008, "UserName": session.user, "LogId": "", "UserToken": session.id,
                    "CurrentOrganizationInfo": {"ID": 1, "Name": "示范工厂"}} if ok else None,
        "KDSVCSessionId": session.id if ok else None, "FormId": None, "RedirectFormParam": None,
        "FormInputObject": None, "ErrorStackTrace": None, "Lcid": session.lcid if ok else 0, "AccessToken": None,
        "CustomParam": {}, "KdAccessResult": None, "IsSuccessByAPI": ok,
    }  # fmt: skip
    response = k3_json(payload)
    if ok:
        # one cookie per header line, no Expires (the SDK splits Set-Cookie on ',')
        response.raw_headers.append((b"set-cookie", f"kdservice-sessionid={session.id}; path=/".encode()))
        response.raw_headers.append((b"set-cookie", f"ASP.NET_SessionId={session.id}; path=/; HttpOnly".encode()))
    return response


def create_app(
    settings=None,
    *,
    db_path: Path | None = None,
    factory=None,
    clock: Callable[[], float] = time.time,
    reset: bool = False,
) -> FastAPI:
    """The simulator app; state in SQLite at ``db_path`` (default ``settings.k3_sim_db_path``)."""
    if settings is None:
        from rasa_project.settings import get_settings

        settings = get_settings()
    if factory is None:
        from devtools.factory import get_factory

        factory = get_factory(settings.fixture_path)
    store = Store(Path(db_path or settings.k3_sim_db_path))
    sim = Simulator(settings, store, factory, clock)
    if reset or store.is_empty():
        sim.reset()

    app = FastAPI(title="K/3 Cloud simulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sim = sim
    faults_enabled = bool(settings.k3_sim_faults_enabled)

    def admin_guard() -> Response | None:
        if not faults_enabled:
            return JSONResponse({"detail": "fault injection is disabled (DINGK3_K3_SIM_FAULTS_ENABLED)"}, 404)
        return None

    for prefix in ("/k3cloud/_sim", "/_sim"):

        @app.get(prefix + "/health")
        async def health() -> dict:
            return {"status": "ok", "acct_id": sim.acct_id, "bills": sim.store.counts(), "sessions": len(sim.sessions)}

        @app.post(prefix + "/reset")
        async def reset_state(request: Request) -> Response:
            refused = admin_guard()
            if refused:
                return refused
            keep_numbers = request.query_params.get("keep_numbers", "").lower() in ("1", "true", "yes")
            with sim.store.lock:
                sim.reset(keep_numbers=keep_numbers)
            return JSONResponse({"status": "reset", "bills": sim.store.counts()})

        @app.get(prefix + "/faults")
        async def list_faults() -> Response:
            return admin_guard() or JSONResponse({"faults": [asdict(f) for f in sim.faults.faults]})

        @app.post(prefix + "/faults")
        async def add_fault(request: Request) -> Response:
            refused = admin_guard()
            if refused:
                return refused
            spec = await request.json()
            items = spec if isinstance(spec, list) else [spec]
            added = []
            for item in items:
                if item.get("kind") not in FAULT_KINDS:
                    return JSONResponse({"detail": f"kind must be one of {FAULT_KINDS}"}, 422)
                fault = Fault(
                    kind=item["kind"], op=str(item.get("op", "*")).lower(), form_id=str(item.get("form_id", "*")),
                    count=int(item.get("count", 1)), delay_s=float(item.get("delay_s", 0.0)),
                    status=int(item.get("status", 503)), mode=str(item.get("mode", "drop")),
                )  # fmt: skip
                added.append(asdict(sim.faults.add(fault)))
            return JSONResponse({"added": added})

        @app.delete(prefix + "/faults")
        async def clear_faults() -> Response:
            refused = admin_guard()
            if refused:
                return refused
            sim.faults.clear()
            return JSONResponse({"cleared": True})

        @app.post(prefix + "/sessions/expire")
        async def expire_sessions() -> Response:
            refused = admin_guard()
            if refused:
                return refused
            count = len(sim.sessions)
            sim.sessions.clear()
            return JSONResponse({"expired": count})

    @app.post("/{full_path:path}")
    async def dispatch(full_path: str, request: Request) -> Response:
        parts = full_path.strip("/").split("/")
        name = parts[-1].lower() if parts else ""
        prefix = "kingdee.bos.webapi.servicesstub."
        if len(parts) < 2 or parts[0].lower() != "k3cloud" or not (name.startswith(prefix) and name.endswith(".common.kdsvc")):
            return JSONResponse({"detail": "Not Found"}, 404)
        service, _, op = name[len(prefix):-len(".common.kdsvc")].partition(".")
        try:
            body = _parse_body(await request.body())
        except (ValueError, UnicodeDecodeError):
            body = None
        if service == "authservice" and op in ("validateuser", "loginbyappsecret"):
            return await _login(op, body)
        if service != "dynamicformservice" or op not in FORM_OPS:
            return JSONResponse({"detail": "Not Found"}, 404)
        return await _form_operation(op, body, request)

    async def _login(op: str, body: Any) -> Response:
        fault = sim.faults.take(op, "*", ("http_5xx", "latency"))
        if fault and fault.kind == "http_5xx":
            return Response("Service Unavailable", status_code=fault.status, media_type="text/plain")
        if fault and fault.kind == "latency":
            await asyncio.sleep(fault.delay_s)
        args = _login_args(op, body)
        acct, user = str(args.get("acctid") or ""), str(args.get("username") or "")
        lcid = int(args.get("lcid") or 2052)
        if acct != sim.acct_id:
            return _login_answer(None, SESSION_LOST)
        if op == "validateuser":
            known = sim.users.get(user)
            if not known or not secrets.compare_digest(str(known.get("password", "")), str(args.get("password") or "")):
                return _login_answer(None, "用户名或密码错误！")
        else:
            app_reg = sim.apps.get(str(args.get("appid") or ""))
            if (
                app_reg is None
                or not secrets.compare_digest(str(app_reg["app_secret"]), str(args.get("appsecret") or ""))
                or app_reg.get("user_name") != user
            ):
                return _login_answer(None, SESSION_LOST)
        return _login_answer(sim.new_session(user, lcid), None)

    async def _form_operation(op: str, body: Any, request: Request) -> Response:
        wrap = op in QUERY_OPS

        def answer(payload: Any) -> Response:
            return k3_json([[payload]] if wrap and isinstance(payload, dict) else payload)

        try:
            args = _arguments(op, body)
        except (BizError, ValueError) as exc:
            err = exc if isinstance(exc, BizError) else BizError(8, "请求参数不是有效的JSON")
            return answer(failure(err))
        form_id = str(args["formid"] or (args["data"].get("FormId") if wrap else "") or "")
        fault = sim.faults.take(op, form_id, ("latency",))
        if fault:
            await asyncio.sleep(fault.delay_s)
        fault = sim.faults.take(op, form_id, ("http_5xx",))
        if fault:
            return Response("<html><body>503 Service Unavailable</body></html>", status_code=fault.status,
                            media_type="text/html")  # fmt: skip
        context, session, reason = sim.authenticate(request)
        if context is None:
            log.info("K/3 sim refused %s: %s", op, reason)
            message = SESSION_LOST if reason == "no valid session" else f"{SESSION_LOST}（第三方系统登录授权验证失败）"
            return answer(failure(BizError(1, message)))
        if sim.faults.take(op, form_id, ("session_lost",)):
            if session is not None:
                sim.sessions.pop(session.id, None)
            return answer(failure(BizError(1, SESSION_LOST)))
        if sim.faults.take(op, form_id, ("permission_denied",)):
            return answer(failure(BizError(2, f"用户“{context.user}”没有“{form_id}”的该操作权限")))
        try:
            with sim.store.unit():
                payload = _run(op, args, context)
        except BizError as err:
            payload = failure(err)
        after = sim.faults.take(op, form_id, ("timeout_after_commit",))
        if after:
            if after.mode == "delay":
                await asyncio.sleep(after.delay_s)
            else:
                return _DroppedResponse()
        return answer(payload)

    def _run(op: str, args: dict, context: Context) -> Any:
        svc, form_id, data = sim.service, args["formid"], args["data"]
        if op in ("save", "draft"):
            return svc.save(form_id, data, draft=op == "draft")
        if op == "batchsave":
            return svc.batch_save(form_id, data)
        if op == "submit":
            return svc.submit(form_id, data)
        if op == "audit":
            return svc.audit(form_id, data)
        if op == "unaudit":
            return svc.unaudit(form_id, data)
        if op == "cancelassign":
            return svc.cancel_assign(form_id, data)
        if op == "delete":
            return svc.delete(form_id, data)
        if op == "view":
            return svc.view(form_id, data, context.lcid)
        if op == "excuteoperation":
            return svc.execute_operation(form_id, args["opnumber"], data)
        if op == "push":
            return svc.push(form_id, data)
        rows, keys = svc.query(data)
        if op == "billquery":
            return [dict(zip(keys, row)) for row in rows]
        return rows

    return app


__all__ = ["create_app", "envelope", "response_status"]
