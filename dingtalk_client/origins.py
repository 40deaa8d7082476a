"""Replies go only where DingTalk is: is a ``sessionWebhook`` URL under an allowed origin?

An origin is ``scheme://host[:port]``; without a port it means the scheme's default port, ``:*``
means any port. Matching is exact on scheme and host (no suffixes, no other spellings of an
address: ``localhost``, ``127.0.0.2``, ``[::1]``, ``2130706433`` are not ``127.0.0.1``). A URL
with credentials, a fragment, a backslash, whitespace, control or non-ASCII characters is refused outright,
and the URL must parse to the same scheme, host and port with both urllib and httpx (the client
that sends), so no parser disagreement can smuggle in another host.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

MAX_URL_CHARS = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int | None  # None: any port

    def admits(self, scheme: str, host: str, port: int) -> bool:
        return self.scheme == scheme and self.host == host and (self.port is None or self.port == port)


def parse_origin(text: str) -> Origin:
    """``https://oapi.dingtalk.com`` / ``http://127.0.0.1:8802`` / ``http://127.0.0.1:*``."""
    any_port = text.endswith(":*")
    parts = urlsplit(text[:-2] if any_port else text)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/") or parts.query \
            or parts.username is not None:
        raise ValueError(f"not an origin: {text!r}")
    port = None if any_port else (parts.port or DEFAULT_PORTS[parts.scheme])
    return Origin(parts.scheme, parts.hostname.lower(), port)


def _where(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL both parsers agree on, or None if it is unsafe to send to."""
    if not url.isascii() or len(url) > MAX_URL_CHARS or any(c in "\\#" or c <= " " or c == "\x7f" for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
        sent = httpx.URL(url)
    except (ValueError, httpx.InvalidURL):
        return None
    if parts.scheme not in DEFAULT_PORTS or parts.username is not None or parts.password is not None \
            or "@" in parts.netloc or not parts.hostname:
        return None
    where = (parts.scheme, parts.hostname.lower(), port)
    if (sent.scheme, sent.host.lower(), sent.port or DEFAULT_PORTS[sent.scheme]) != where or sent.userinfo:
        return None
    return where


class ReplyOrigins:
    def __init__(self, origins: Iterable[str]) -> None:
        self.origins = tuple(parse_origin(o) for o in origins)

    def allows(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        where = _where(url)
        return where is not None and any(o.admits(*where) for o in self.origins)
