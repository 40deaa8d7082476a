"""How the simulated K/3 checks a signed-header request (spec k3cloud.md §1a), its own code.

Written from the spec and the official SDK's observable behaviour, not from ``k3_client``: the
client signs with ``k3_client.signing`` and this module checks what arrives, so a signing bug on
either side shows up as a refused call instead of passing on both.

What a signed request carries and how each header is checked here:

* ``X-Kd-Appkey``: the full app id ``<clientId>_<secret part>``; it must be registered.
* ``X-Api-ClientID``: the part before ``_``; ``X-Api-Auth-Version``: ``2.0``.
* ``x-api-timestamp`` / ``x-api-nonce`` (unix seconds), listed in ``x-api-signheaders``; the
  timestamp must be within the configured window of the simulator's clock.
* ``X-Api-Signature``: base64 of the hex HMAC-SHA256, keyed with the client secret hidden in the
  app id, of ``POST\\n<path, URL-quoted with every '/' as %2F>\\n\\nx-api-nonce:<n>\\nx-api-timestamp:<t>\\n``.
* ``X-Kd-Appdata``: base64 of ``acct,user,lcid,org``; ``X-Kd-Signature``: base64 of the hex
  HMAC-SHA256, keyed with the app secret, of ``app id + that plain text``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import string
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

EXPECTED_AUTH_VERSION = "2.0"
SIGNED_HEADER_NAMES = frozenset({"x-api-timestamp", "x-api-nonce"})
# The SDK un-rot13s four 8-character pieces ("0054s397", "p6234378", "o09pn7q3", "r5qropr7") and
# XORs the decoded secret part with them; only the first 24 bytes are ever used.
_SECRET_MASK = "0054f397" "c6234378" "b09ca7d3" "e5debce7"
_BASE64_ALPHABET = frozenset(string.ascii_letters + string.digits + "+/")


class Refused(Exception):
    """A signed request the simulator does not accept; the text is for the simulator's log."""


@dataclass(frozen=True)
class Caller:
    """Who a verified request says it is (from X-Kd-Appdata)."""

    app_id: str
    acct_id: str
    user_name: str
    lcid: int
    org_num: str


def client_id_and_secret(app_id: str) -> tuple[str, str]:
    """(X-Api-ClientID, HMAC key of X-Api-Signature) for an app id, as the SDK derives them.

    The SDK splits the app id on ``_`` and uses it only when that gives exactly two parts; the
    key is empty unless the second part is 32 characters of the base64 alphabet (24 bytes, no
    padding: the SDK's own decoder refuses '=')."""
    parts = app_id.split("_")
    if len(parts) != 2:
        return "", ""
    client_id, hidden = parts
    if len(hidden) != 32 or not set(hidden) <= _BASE64_ALPHABET:
        return client_id, ""
    raw = base64.b64decode(hidden)
    unmasked = bytes(byte ^ ord(_SECRET_MASK[i]) for i, byte in enumerate(raw))
    return client_id, base64.b64encode(unmasked).decode("ascii")


def _b64_hex_hmac(key: str, message: str) -> str:
    hex_digest = hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()
    return base64.b64encode(hex_digest.encode("ascii")).decode("ascii")


def string_to_sign(path: str, nonce: str, timestamp: str) -> str:
    """What X-Api-Signature signs for a POST to ``path`` (the URL path, from the first '/')."""
    quoted = urllib.parse.quote(path, safe="")  # '/' becomes %2F, like quote(path).replace('/', '%2F')
    return "POST\n" + quoted + "\n\n" + "x-api-nonce:" + nonce + "\n" + "x-api-timestamp:" + timestamp + "\n"


def expected_api_signature(path: str, nonce: str, timestamp: str, client_secret: str) -> str:
    return _b64_hex_hmac(client_secret, string_to_sign(path, nonce, timestamp))


def expected_kd_signature(app_id: str, app_data_plain: str, app_secret: str) -> str:
    return _b64_hex_hmac(app_secret, app_id + app_data_plain)


def _same(expected: str, sent: str | None) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), (sent or "").encode("utf-8", "replace"))


def verify(
    headers: Mapping[str, str],
    *,
    path: str,
    app_secrets: Mapping[str, str],
    now: float,
    window_s: float,
) -> Caller:
    """The caller of a signed request, or ``Refused``. ``headers`` must match names case-insensitively."""
    app_id = headers.get("x-kd-appkey") or ""
    app_secret = app_secrets.get(app_id)
    if app_secret is None:
        raise Refused(f"app {app_id!r} is not registered")
    if headers.get("x-api-auth-version") != EXPECTED_AUTH_VERSION:
        raise Refused("unsupported X-Api-Auth-Version")
    client_id, client_secret = client_id_and_secret(app_id)
    if headers.get("x-api-clientid", "") != client_id:
        raise Refused("X-Api-ClientID is not the app's client id")
    listed = {name.strip().lower() for name in (headers.get("x-api-signheaders") or "").split(",") if name.strip()}
    if listed != SIGNED_HEADER_NAMES:
        raise Refused("x-api-signheaders must list x-api-timestamp and x-api-nonce")
    timestamp, nonce = headers.get("x-api-timestamp") or "", headers.get("x-api-nonce") or ""
    if not timestamp.isdigit() or not nonce:
        raise Refused("x-api-timestamp must be unix seconds and x-api-nonce present")
    if abs(now - int(timestamp)) > window_s:
        raise Refused("x-api-timestamp is outside the accepted window")
    if not _same(expected_api_signature(path, nonce, timestamp, client_secret), headers.get("x-api-signature")):
        raise Refused("X-Api-Signature does not match")
    try:
        plain = base64.b64decode(headers.get("x-kd-appdata") or "", validate=True).decode("utf-8")
    except ValueError:  # binascii.Error and UnicodeDecodeError are both ValueErrors
        raise Refused("X-Kd-Appdata is not base64 of UTF-8 text") from None
    if not _same(expected_kd_signature(app_id, plain, app_secret), headers.get("x-kd-signature")):
        raise Refused("X-Kd-Signature does not match")
    fields = plain.split(",")
    if len(fields) != 4 or not fields[0] or not fields[1]:
        raise Refused("X-Kd-Appdata must be acct,user,lcid,org")
    acct_id, user_name, lcid, org_num = fields
    return Caller(app_id, acct_id, user_name, int(lcid) if lcid.isdigit() else 2052, org_num)
