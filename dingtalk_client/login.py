"""DingTalk's OAuth 2.0 sign-in for web pages ("Sign in with DingTalk"), authorization-code flow.

1. ``authorize_url(redirect_uri, state)``: send the browser to login.dingtalk.com/oauth2/auth;
2. DingTalk redirects back with ``authCode`` and ``state``;
3. ``staff_id_for(code, app_token)``: ``POST /v1.0/oauth2/userAccessToken`` (the user's token),
   ``GET /v1.0/contact/users/me`` (their unionId), ``POST oapi /topapi/user/getbyunionid`` with the
   app's token (their staff id in this company). Plain config in; httpx only.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import httpx


class DingTalkLoginError(Exception):
    """The sign-in could not be completed (bad or used code, unknown person, DingTalk unreachable)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason  # invalid_code | not_in_company | unavailable


@dataclass(frozen=True)
class DingTalkLoginConfig:
    client_id: str  # the app key
    client_secret: str
    login_url: str = "https://login.dingtalk.com"
    openapi_url: str = "https://api.dingtalk.com"
    oapi_url: str = "https://oapi.dingtalk.com"
    timeout_s: float = 5.0

    def __repr__(self) -> str:
        return f"DingTalkLoginConfig(client_id={self.client_id!r}, login_url={self.login_url!r})"


@dataclass(frozen=True)
class DingTalkUser:
    staff_id: str
    union_id: str
    nick: str


class DingTalkLogin:
    def __init__(self, config: DingTalkLoginConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._http = httpx.Client(timeout=config.timeout_s, transport=transport)

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = {"redirect_uri": redirect_uri, "response_type": "code", "client_id": self.config.client_id,
                 "scope": "openid", "state": state, "prompt": "consent"}
        return f"{self.config.login_url.rstrip('/')}/oauth2/auth?{urlencode(query)}"

    def _call(self, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise DingTalkLoginError("unavailable", type(exc).__name__) from exc

    def user(self, code: str, app_token: str) -> DingTalkUser:
        api = self.config.openapi_url.rstrip("/")
        r = self._call("POST", f"{api}/v1.0/oauth2/userAccessToken", json={
            "clientId": self.config.client_id, "clientSecret": self.config.client_secret,
            "code": code, "grantType": "authorization_code"})
        if r.status_code >= 500:
            raise DingTalkLoginError("unavailable", str(r.status_code))
        body = _json(r)
        if r.status_code != 200 or not body.get("accessToken"):
            raise DingTalkLoginError("invalid_code", str(body.get("code") or r.status_code))
        r = self._call("GET", f"{api}/v1.0/contact/users/me",
                       headers={"x-acs-dingtalk-access-token": body["accessToken"]})
        me = _json(r)
        if r.status_code != 200 or not me.get("unionId"):
            raise DingTalkLoginError("invalid_code" if r.status_code < 500 else "unavailable", str(r.status_code))
        oapi = self.config.oapi_url.rstrip("/")
        r = self._call("POST", f"{oapi}/topapi/user/getbyunionid", params={"access_token": app_token},
                       json={"unionid": me["unionId"]})
        found = _json(r)
        if r.status_code != 200:
            raise DingTalkLoginError("unavailable", str(r.status_code))
        userid = (found.get("result") or {}).get("userid") if found.get("errcode") == 0 else None
        if not userid:
            raise DingTalkLoginError("not_in_company", str(found.get("errcode")))
        return DingTalkUser(staff_id=str(userid), union_id=str(me["unionId"]), nick=str(me.get("nick") or ""))

    def close(self) -> None:
        self._http.close()


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
