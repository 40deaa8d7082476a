"""Sessions, CSRF and the sign-in throttle of the dashboard (pure + stdlib; I/O only through ``state``).

- A session is a signed cookie (HMAC-SHA256 with ``web_session_key``): who (staff id, name), what
  they see (roles, work centers), their language, when it expires, and a random id. HttpOnly,
  SameSite=Lax, Secure in production; a changed byte, a foreign key or a past expiry is no session.
  Logout revokes the id (and clears the cookie).
- CSRF: every form carries ``csrf`` = HMAC(key, "csrf:" + session id) (or, before sign-in, of a
  random pre-session cookie); a POST without the right one changes nothing.
- Throttle: after ``delay_after`` wrong passwords for one user name each further try is slowed
  (1 s, 2 s, ... capped at 5 s); after ``lockout_after`` the name is locked for ``lockout_s``.
- Revocations and lockouts live in a :class:`~rasa_project.web.state.WebState` (the app gives the
  SQLite / Redis one, so a restart neither revives a logged-out session nor unlocks a name; the
  default is this process's memory). Times are wall-clock seconds, the same across restarts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from rasa_project.web.state import MemoryWebState, WebState

COOKIE = "dingk3_session"
PRE_COOKIE = "dingk3_pre"


@dataclass(frozen=True)
class WebSession:
    sid: str
    staff_id: str
    name: str
    roles: tuple[str, ...]
    work_centers: tuple[str, ...] | None  # None: every work center (managers, PMC)
    lang: str
    expires: float  # unix seconds
    via: str = "ldap"  # ldap | dingtalk

    @property
    def is_manager(self) -> bool:
        return "managers" in self.roles

    @property
    def scope(self) -> frozenset[str] | None:
        return None if self.work_centers is None else frozenset(self.work_centers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    def __init__(self, key: str, *, ttl_s: int, now: Callable[[], float] = time.time,
                 state: WebState | None = None) -> None:
        self._key = hashlib.sha256(("dingk3-web:" + key).encode()).digest()
        self.ttl_s = ttl_s
        self._now = now
        self._state = state if state is not None else MemoryWebState(now)

    def _mac(self, data: bytes) -> str:
        return _b64(hmac.new(self._key, data, hashlib.sha256).digest())

    def issue(self, *, staff_id: str, name: str, roles, work_centers, lang: str, via: str) -> tuple[WebSession, str]:
        session = WebSession(secrets.token_urlsafe(16), staff_id, name, tuple(sorted(roles)),
                             None if work_centers is None else tuple(sorted(work_centers)), lang,
                             self._now() + self.ttl_s, via)
        return session, self.dump(session)

    def dump(self, session: WebSession) -> str:
        body = _b64(json.dumps(asdict(session), ensure_ascii=False, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body.encode())}"

    def load(self, cookie: str | None) -> WebSession | None:
        if not cookie or "." not in cookie:
            return None
        body, mac = cookie.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac(body.encode())):
            return None
        try:
            data = json.loads(_unb64(body))
            wc = data.get("work_centers")
            session = WebSession(
                str(data["sid"]), str(data["staff_id"]), str(data["name"]), tuple(data["roles"]),
                None if wc is None else tuple(wc), str(data["lang"]), float(data["expires"]), str(data.get("via", "ldap")),
            )
        except (ValueError, KeyError, TypeError):
            return None
        if session.expires <= self._now():
            return None
        if self._state.revoked(session.sid):
            return None
        return session

    def revoke(self, session: WebSession) -> None:
        self._state.revoke(session.sid, session.expires)

    def with_lang(self, session: WebSession, lang: str) -> str:
        from dataclasses import replace

        return self.dump(replace(session, lang=lang))

    # -- CSRF ---------------------------------------------------------------------------------
    def csrf(self, anchor: str) -> str:
        return self._mac(f"csrf:{anchor}".encode())

    def csrf_ok(self, anchor: str | None, token: str | None) -> bool:
        return bool(anchor) and bool(token) and hmac.compare_digest(self.csrf(anchor), token)

    # -- OAuth state ------------------------------------------------------------------------------
    def oauth_state(self, anchor: str) -> str:
        return self._mac(f"oauth:{anchor}".encode())


class LoginThrottle:
    """Wrong passwords per user name: slow down, then lock out (kept in ``state``; failures are
    forgotten ``lockout_s`` after the last one)."""

    def __init__(self, *, delay_after: int, lockout_after: int, lockout_s: int,
                 now: Callable[[], float] = time.time, state: WebState | None = None) -> None:
        self.delay_after, self.lockout_after, self.lockout_s = delay_after, lockout_after, lockout_s
        self._now = now
        self._state = state if state is not None else MemoryWebState(now)

    @staticmethod
    def _key(username: str) -> str:
        return username.strip().casefold()[:128]

    def locked(self, username: str) -> bool:
        return self._state.tries(self._key(username))[1] > self._now()

    def delay_s(self, username: str) -> float:
        """How long to hold this attempt before answering (0 for the first few)."""
        over = self._state.tries(self._key(username))[0] - self.delay_after + 1
        return float(min(5, over)) if over > 0 else 0.0

    def failed(self, username: str) -> bool:
        """Count a wrong password; True when the name is now locked."""
        return self._state.fail(self._key(username), self.lockout_after, self.lockout_s, self._now())

    def succeeded(self, username: str) -> None:
        self._state.clear(self._key(username))


# -- where a sign-in may send the browser next (no open redirect) ---------------------------------
def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default``. Browsers read ``/\\host`` (and
    ``/\\t/host``: tab and newlines are dropped) as ``//host``, another site; so a path must start
    with one ``/`` followed by neither ``/`` nor ``\\``, and hold no control character or backslash."""
    if not target or len(target) > 2048 or not target.startswith("/"):
        return default
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    if target[1:2] in ("/", "\\"):
        return default
    from urllib.parse import urlsplit

    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


# -- where a form post may come from (CSRF, on top of the token) ----------------------------------
def same_origin(origin: str | None, referer: str | None, own: tuple[str, ...]) -> bool:
    """A state-changing request is from one of our own pages: its ``Origin`` (or, when a browser
    sends none, its ``Referer``) is one of ``own`` ("scheme://host[:port]"). Neither header (a
    script, curl, an old browser) is allowed through: the CSRF token still has to be right."""
    from urllib.parse import urlsplit

    def origin_of(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""

    own_set = {o.rstrip("/").lower() for o in own if o}
    if origin is not None:
        return origin.strip().lower() != "null" and origin.strip().rstrip("/").lower() in own_set
    if referer:
        return origin_of(referer.strip()) in own_set
    return True


# -- exported cells (CSV / xlsx formula injection) ------------------------------------------------
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutral_cell(value) -> str:
    """A text cell that a spreadsheet shows as text: one starting like a formula (= + - @, a tab or
    a line break, or their full-width forms) gets a leading apostrophe (OWASP). Numbers are the
    caller's to format; a figure such as ``-5`` passes unchanged."""
    text = "" if value is None else str(value)
    if not text.startswith(FORMULA_STARTS):
        return text
    try:
        float(text.replace(",", ""))
        return text
    except ValueError:
        return "'" + text


# -- response headers ---------------------------------------------------------------------------
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class SecurityHeaders:
    """ASGI middleware: every answer carries SECURITY_HEADERS; every answer but the static assets
    ``Cache-Control: no-store`` (pages and exports hold K/3 data; a shared or back-button cache
    must not keep them)."""

    def __init__(self, app, static_prefix: str = "/static/") -> None:
        self.app = app
        self.static_prefix = static_prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope.get("path", "").startswith(self.static_prefix)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in {name for name, _ in SECURITY_HEADERS}
                           and (static or k.lower() != b"cache-control")]
                headers.extend(SECURITY_HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)
