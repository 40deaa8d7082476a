"""Sessions, CSRF and the sign-in throttle of the dashboard (pure + stdlib; no I/O but the clock).

- A session is a signed cookie (HMAC-SHA256 with ``web_session_key``): who (staff id, name), what
  they see (roles, work centers), their language, when it expires, and a random id. HttpOnly,
  SameSite=Lax, Secure in production; a changed byte, a foreign key or a past expiry is no session.
  Logout revokes the id (and clears the cookie).
- CSRF: every form carries ``csrf`` = HMAC(key, "csrf:" + session id) (or, before sign-in, of a
  random pre-session cookie); a POST without the right one changes nothing.
- Throttle: after ``delay_after`` wrong passwords for one user name each further try is slowed
  (1 s, 2 s, ... capped at 5 s); after ``lockout_after`` the name is locked for ``lockout_s``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

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
    def __init__(self, key: str, *, ttl_s: int, now: Callable[[], float] = time.time) -> None:
        self._key = hashlib.sha256(("dingk3-web:" + key).encode()).digest()
        self.ttl_s = ttl_s
        self._now = now
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()

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
        with self._lock:
            if session.sid in self._revoked:
                return None
        return session

    def revoke(self, session: WebSession) -> None:
        with self._lock:
            now = self._now()
            self._revoked = {sid: exp for sid, exp in self._revoked.items() if exp > now}
            self._revoked[session.sid] = session.expires

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


@dataclass
class _Tries:
    failures: int = 0
    locked_until: float = 0.0


class LoginThrottle:
    """Wrong passwords per user name: slow down, then lock out (in this process)."""

    def __init__(self, *, delay_after: int, lockout_after: int, lockout_s: int,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.delay_after, self.lockout_after, self.lockout_s = delay_after, lockout_after, lockout_s
        self._now = now
        self._tries: dict[str, _Tries] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(username: str) -> str:
        return username.strip().casefold()[:128]

    def locked(self, username: str) -> bool:
        with self._lock:
            tries = self._tries.get(self._key(username))
            return bool(tries and tries.locked_until > self._now())

    def delay_s(self, username: str) -> float:
        """How long to hold this attempt before answering (0 for the first few)."""
        with self._lock:
            tries = self._tries.get(self._key(username))
            over = (tries.failures if tries else 0) - self.delay_after + 1
            return float(min(5, over)) if over > 0 else 0.0

    def failed(self, username: str) -> bool:
        """Count a wrong password; True when the name is now locked."""
        with self._lock:
            tries = self._tries.setdefault(self._key(username), _Tries())
            tries.failures += 1
            if tries.failures >= self.lockout_after:
                tries.locked_until = self._now() + self.lockout_s
                tries.failures = 0
                return True
            return False

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._tries.pop(self._key(username), None)
