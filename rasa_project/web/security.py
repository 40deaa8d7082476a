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
