"""Keep secrets out of the audit trail: mask by key name and by known secret value."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import SecretStr

MASK = "***redacted***"

# Key words that mark a value as a credential. Keys are split into words (snake, kebab,
# camelCase), so "app_secret", "accessToken", "X-Acs-Dingtalk-Access-Token" and "kdservice-sessionid"
# are masked while "assigned" or "design" are not.
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "sign",
        "signature",
        "cookie",
        "cookies",
        "authorization",
        "session",
        "sessionid",
        "credential",
        "credentials",
        "apikey",
        "privatekey",
    }
)
_SECRET_PREFIXES = ("password", "secret", "token", "signature", "session", "cookie", "authoriz", "credential")
_COMPOUND = frozenset({"access_token", "app_secret", "refresh_token", "set_cookie", "api_key", "private_key"})
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_MIN_SECRET_LEN_FOR_SUBSTRING = 8


def is_secret_key(key: Any) -> bool:
    if not isinstance(key, str):
        return False
    lowered = key.lower().replace("-", "_")
    if lowered in _COMPOUND:
        return True
    for word in _WORD.findall(key):
        word = word.lower()
        if word in _SECRET_WORDS or word.startswith(_SECRET_PREFIXES):
            return True
    return False


def _leaks(value: str, secrets: tuple[str, ...]) -> bool:
    return any(value == s or (len(s) >= _MIN_SECRET_LEN_FOR_SUBSTRING and s in value) for s in secrets if s)


def redact(details: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of ``details`` with credential-named keys and known secret values masked (nested)."""
    known = tuple(s for s in secrets if s)

    def walk(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return MASK
        if isinstance(value, dict):
            return {k: (MASK if is_secret_key(k) and v is not None else walk(v)) for k, v in value.items()}
        if isinstance(value, (set, frozenset)):
            return sorted((walk(v) for v in value), key=repr)
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if isinstance(value, (str, bytes)):
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            return MASK if _leaks(text, known) else value
        return value

    return walk(details)


def secrets_of(settings) -> tuple[str, ...]:
    """Every SecretStr value configured in Settings (k3_password, app secrets, LDAP bind password...)."""
    return tuple(
        v.get_secret_value()
        for v in settings.__dict__.values()
        if isinstance(v, SecretStr) and v.get_secret_value()
    )
