"""Sans-IO core of the K/3 WebAPI client: build HTTP requests, parse HTTP responses.

No sockets here. ``K3Client`` (sync) and ``AsyncK3Client`` (async) are thin shells that move
``HttpRequest`` objects over httpx and feed status/headers/text back into ``K3Protocol``.
Credentials, cookies and signatures only ever live in the headers this module builds; the
shells never log them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from k3_client.errors import (
    SESSION_LOST_TEXT,
    K3AuthFailed,
    K3PermissionDenied,
    K3Rejected,
    K3SessionLost,
    K3Unavailable,
    K3UnknownForm,
    error_from_status,
)
from k3_client.signing import signed_headers

log = logging.getLogger(__name__)

SERVICE_PREFIX = "Kingdee.BOS.WebApi.ServicesStub."
FORM_SERVICE = "DynamicFormService"
AUTH_SERVICE = "AuthService"
LOGIN_MODES = ("signed", "password", "appsecret")
SESSION_COOKIE = "kdservice-sessionid"


@dataclass(frozen=True)
class Call:
    """One WebAPI call: ``service`` is e.g. ``DynamicFormService.Save``."""

    service: str
    body: dict
    form_id: str = ""
    is_read: bool = False
    kind: str = "envelope"  # envelope | query | login
    raise_business: bool = True  # BatchSave reports per-item errors instead of raising

    @property
    def operation(self) -> str:
        return self.service.rsplit(".", 1)[-1]

    @property
    def path_tail(self) -> str:
        return f"{SERVICE_PREFIX}{self.service}.common.kdsvc"


def form_call(op: str, body: dict, *, form_id: str = "", is_read: bool = False, **kw) -> Call:
    return Call(f"{FORM_SERVICE}.{op}", body, form_id=form_id, is_read=is_read, **kw)


@dataclass(frozen=True)
class HttpRequest:
    url: str  # relative to the base URL
    headers: dict
    content: bytes


@dataclass
class K3Credentials:
    base_url: str
    acct_id: str
    user: str
    password: str
    app_id: str
    app_secret: str
    lcid: int = 2052
    org_num: str = "0"
    login_mode: str = "signed"

    def __repr__(self) -> str:  # never print secrets
        return f"K3Credentials(base_url={self.base_url!r}, acct_id={self.acct_id!r}, user={self.user!r}, mode={self.login_mode!r})"


@dataclass
class K3Protocol:
    """Connection state (session cookie) plus request building and response parsing."""

    credentials: K3Credentials
    session_id: str | None = None
    cookies: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.credentials.login_mode not in LOGIN_MODES:
            raise ValueError(f"k3_login_mode must be one of {LOGIN_MODES}")
        base = self.credentials.base_url
        self.base_url = base if base.endswith("/") else base + "/"
        self.base_path = urlsplit(self.base_url).path or "/"

    # -- session ---------------------------------------------------------------------------
    @property
    def is_signed(self) -> bool:
        return self.credentials.login_mode == "signed"

    @property
    def needs_login(self) -> bool:
        return not self.is_signed and self.session_id is None

    def forget_session(self) -> None:
        self.session_id = None
        self.cookies.clear()

    def login_call(self) -> Call:
        c = self.credentials
        if c.login_mode == "password":
            body = {"acctID": c.acct_id, "username": c.user, "password": c.password, "lcid": c.lcid}
            return Call(f"{AUTH_SERVICE}.ValidateUser", body, kind="login")
        body = {"acctid": c.acct_id, "username": c.user, "appid": c.app_id, "appsecret": c.app_secret, "lcid": c.lcid}
        return Call(f"{AUTH_SERVICE}.LoginByAppSecret", body, kind="login")

    def absorb_cookies(self, set_cookie_values: Iterable[str]) -> None:
        """Remember cookies from ``Set-Cookie`` values (one cookie per value)."""
        for raw in set_cookie_values:
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0].strip()
            name = name.strip()
            if not name:
                continue
            self.cookies[name] = value
            if name.lower() == SESSION_COOKIE:
                self.session_id = value

    # -- requests ---------------------------------------------------------------------------
    def build(self, call: Call, *, now: float) -> HttpRequest:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Accept-Charset": "utf-8",
        }
        if self.is_signed and call.kind != "login":
            c = self.credentials
            headers.update(
                signed_headers(
                    path=self.base_path + call.path_tail,
                    app_id=c.app_id,
                    app_secret=c.app_secret,
                    acct_id=c.acct_id,
                    user_name=c.user,
                    lcid=c.lcid,
                    org_num=c.org_num,
                    timestamp=int(now),
                )
            )
        if call.kind != "login":
            if self.session_id:
                headers[SESSION_COOKIE] = self.session_id
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        content = json.dumps(call.body, ensure_ascii=False, default=str).encode("utf-8")
        return HttpRequest(call.path_tail, headers, content)

    # -- responses --------------------------------------------------------------------------
    def parse(self, call: Call, status: int, text: str) -> Any:
        """The call's result, or a typed error (the ONE translation of K/3 answers)."""
        if status not in (200, 206):
            raise K3Unavailable(f"HTTP {status} from {call.operation}", status=status)
        if text.startswith("response_error:"):
            raise K3Rejected(None, text[len("response_error:"):].strip(), 4, form_id=call.form_id)
        try:
            payload = json.loads(text)
        except ValueError:
            raise K3Unavailable(f"non-JSON answer from {call.operation}", status=status) from None
        if call.kind == "login":
            return self._parse_login(payload)
        if call.kind == "query":
            return self._parse_query(call, payload)
        return self._parse_envelope(call, payload)

    def _parse_login(self, payload: Any) -> dict:
        if not isinstance(payload, dict):
            raise K3Unavailable("unexpected login answer")
        if payload.get("LoginResultType") == 1 or (payload.get("IsSuccessByAPI") and payload.get("KDSVCSessionId")):
            sid = payload.get("KDSVCSessionId")
            if sid and not self.session_id:
                self.session_id = sid
            if not self.session_id:
                raise K3AuthFailed("login answered without a session")
            return payload
        raise K3AuthFailed(str(payload.get("Message") or "login refused"))

    def _parse_query(self, call: Call, payload: Any) -> list:
        if isinstance(payload, dict):  # some builds answer a bare envelope
            return self._raise_from_envelope(call, payload) or []
        if not isinstance(payload, list):
            raise K3Unavailable("unexpected query answer")
        # errors arrive double-wrapped: [[{"Result": {"ResponseStatus": ...}}]]
        if (
            len(payload) == 1
            and isinstance(payload[0], list)
            and len(payload[0]) == 1
            and isinstance(payload[0][0], dict)
            and "Result" in payload[0][0]
        ):
            self._raise_from_envelope(call, payload[0][0])
            return []
        return payload

    def _raise_from_envelope(self, call: Call, payload: dict) -> dict:
        result = payload.get("Result") if isinstance(payload, dict) else None
        if not isinstance(result, dict):
            raise K3Unavailable(f"unexpected answer shape from {call.operation}")
        status = result.get("ResponseStatus") or {}
        if status.get("IsSuccess") is False:
            err = error_from_status(status, form_id=call.form_id, operation=call.operation)
            if call.raise_business or isinstance(err, (K3SessionLost, K3PermissionDenied, K3UnknownForm)):
                raise err
        return result

    def _parse_envelope(self, call: Call, payload: Any) -> dict:
        if isinstance(payload, dict) and "Result" not in payload and SESSION_LOST_TEXT in json.dumps(
            payload, ensure_ascii=False
        ):
            raise K3SessionLost(SESSION_LOST_TEXT)
        return self._raise_from_envelope(call, payload)

