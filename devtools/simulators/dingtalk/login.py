"""DingTalk's OAuth 2.0 sign-in ("Sign in with DingTalk"), as login.dingtalk.com and the OpenAPI serve it.

- ``GET /oauth2/auth?redirect_uri=&response_type=code&client_id=&scope=openid&state=&prompt=consent``:
  the sign-in page (here: pick the DingTalk account you are), which redirects to
  ``redirect_uri?authCode=...&state=...``. ``client_id`` must be the app key, ``response_type`` code,
  ``scope`` must hold ``openid``; an auth code is good once, for 5 minutes (simulator clock).
- ``POST /v1.0/oauth2/userAccessToken`` ``{clientId, clientSecret, code, grantType}`` ->
  ``{accessToken, refreshToken, expireIn, corpId}`` (``oauth2_1_0.GetUserToken``; also
  ``grantType=refresh_token`` with ``refreshToken``).
- ``GET /v1.0/contact/users/me`` with ``x-acs-dingtalk-access-token: <user token>`` ->
  ``{nick, avatarUrl, mobile, openId, unionId, email, stateCode}`` (``contact_1_0.GetUser``).
- ``POST /topapi/user/getbyunionid?access_token=<app token>`` ``{"unionid"}`` ->
  ``{"errcode":0,"errmsg":"ok","result":{"contact_type":0,"userid"}}``: the staff id of a union id.
"""

from __future__ import annotations

import hashlib
import html
import json
import secrets
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

CODE_TTL_MS = 5 * 60 * 1000
USER_TOKEN_TTL_S = 7200


def union_id(staff_id: str) -> str:
    """A person's stable unionId (DingTalk: the same across the apps of one developer)."""
    return "union" + hashlib.sha256(f"union:{staff_id}".encode()).hexdigest()[:20]


def open_id(staff_id: str, app_key: str) -> str:
    return "open" + hashlib.sha256(f"open:{app_key}:{staff_id}".encode()).hexdigest()[:20]


def register(app: FastAPI, state, api_error) -> None:
    codes: dict[str, dict] = {}  # authCode -> {staff_id, client_id, expires_ms}
    user_tokens: dict[str, dict] = {}  # accessToken -> {staff_id, expires_ms}
    refresh_tokens: dict[str, str] = {}  # refreshToken -> staff_id

    def person(staff_id: str):
        return state.people.get(staff_id)

    def auth_problem(params) -> str | None:
        if params.get("client_id") != state.app_key:
            return "client_id 无效 (invalid client_id)"
        if params.get("response_type") != "code":
            return "response_type 必须为 code"
        if "openid" not in (params.get("scope") or "").split():
            return "scope 必须包含 openid"
        if not params.get("redirect_uri"):
            return "redirect_uri 不能为空"
        return None

    @app.get("/oauth2/auth")
    async def authorize(request: Request):
        params = dict(request.query_params)
        problem = auth_problem(params)
        if problem:
            return HTMLResponse(f"<!doctype html><meta charset=utf-8><p class=error>{html.escape(problem)}</p>", 400)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
        )
        rows = "".join(
            f'<button class="account" name="account" value="{html.escape(p.staff_id)}">{html.escape(p.name)}'
            f' <small>{html.escape(p.staff_id)}</small></button>'
            for p in state.people.values()
        )
        page = (
            "<!doctype html><html><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
            "<title>钉钉登录 DingTalk sign-in</title><style>body{font-family:sans-serif;max-width:420px;margin:2em auto}"
            ".account{display:block;width:100%;margin:.3em 0;padding:.8em;font-size:1em;text-align:left}</style></head>"
            f"<body><h1>钉钉 · 授权登录</h1><p>选择你的钉钉账号 / Choose your DingTalk account</p>"
            f'<form method="post" action="/oauth2/auth">{hidden}{rows}</form></body></html>'
        )
        return HTMLResponse(page)

    @app.post("/oauth2/auth")
    async def grant(request: Request):
        from urllib.parse import parse_qs

        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        problem = auth_problem(form)
        who = person(form.get("account", ""))
        if problem or who is None:
            return HTMLResponse(f"<p class=error>{html.escape(problem or 'unknown account')}</p>", 400)
        code = secrets.token_hex(16)
        codes[code] = {"staff_id": who.staff_id, "client_id": form["client_id"],
                       "expires_ms": state.clock.now_ms() + CODE_TTL_MS}
        query = {"authCode": code, "state": form.get("state", "")}
        sep = "&" if "?" in form["redirect_uri"] else "?"
        return RedirectResponse(form["redirect_uri"] + sep + urlencode(query), status_code=302)

    def issue(staff_id: str) -> dict:
        token, refresh = secrets.token_hex(16), secrets.token_hex(16)
        user_tokens[token] = {"staff_id": staff_id, "expires_ms": state.clock.now_ms() + USER_TOKEN_TTL_S * 1000}
        refresh_tokens[refresh] = staff_id
        return {"accessToken": token, "refreshToken": refresh, "expireIn": USER_TOKEN_TTL_S, "corpId": state.corp_id}

    @app.post("/v1.0/oauth2/userAccessToken")
    async def user_access_token(request: Request):
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("clientId") or not body.get("clientSecret"):
            return api_error(400, "MissingParameter", "clientId and clientSecret are required")
        if body["clientId"] != state.app_key or body["clientSecret"] != state.app_secret:
            return api_error(401, "InvalidAuthentication", "clientId or clientSecret invalid")
        grant_type = body.get("grantType") or "authorization_code"
        if grant_type == "refresh_token":
            staff_id = refresh_tokens.pop(str(body.get("refreshToken") or ""), None)
            if staff_id is None:
                return api_error(400, "invalidRefreshToken", "refreshToken 无效")
            return issue(staff_id)
        if grant_type != "authorization_code":
            return api_error(400, "InvalidParameter", "grantType must be authorization_code or refresh_token")
        found = codes.pop(str(body.get("code") or ""), None)  # one use, even when refused below
        if found is None or found["expires_ms"] <= state.clock.now_ms() or found["client_id"] != body["clientId"]:
            return api_error(400, "invalidAuthCode", "不合法的临时授权码")
        return issue(found["staff_id"])

    @app.get("/v1.0/contact/users/{union}")
    async def user_me(union: str, request: Request):
        token = user_tokens.get(request.headers.get("x-acs-dingtalk-access-token") or "")
        if token is None or token["expires_ms"] <= state.clock.now_ms():
            return api_error(401, "InvalidAuthentication", "不合法的access_token")
        if union != "me" and union != union_id(token["staff_id"]):
            return api_error(403, "Forbidden.AccessDenied", "只能获取当前授权用户的信息")
        who = person(token["staff_id"])
        return {
            "nick": who.name if who else "",
            "avatarUrl": "",
            "mobile": "",
            "openId": open_id(token["staff_id"], state.app_key),
            "unionId": union_id(token["staff_id"]),
            "email": "",
            "stateCode": "86",
        }

    @app.post("/topapi/user/getbyunionid")
    async def get_by_union_id(request: Request, access_token: str = ""):
        if not state.token_is_valid(access_token):
            return JSONResponse({"errcode": 88, "errmsg": "不合法的access_token", "request_id": secrets.token_hex(6)})
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        wanted = body.get("unionid") if isinstance(body, dict) else None
        if not wanted:
            return JSONResponse({"errcode": 400002, "errmsg": "unionid不能为空", "request_id": secrets.token_hex(6)})
        who = next((p for p in state.people.values() if union_id(p.staff_id) == wanted), None)
        if who is None:
            return JSONResponse({"errcode": 60121, "errmsg": "找不到该用户", "request_id": secrets.token_hex(6)})
        return JSONResponse({"errcode": 0, "errmsg": "ok", "result": {"contact_type": 0, "userid": who.staff_id},
                             "request_id": secrets.token_hex(6)})
