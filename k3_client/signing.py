"""K/3 Cloud signed-header authentication (spec §1a), written from the protocol, not the SDK.

Pure functions: the client uses ``signed_headers`` to sign each request, the simulator uses
``verify_signed_headers`` to check them. Both signatures are base64 of the *hex string* of an
HMAC-SHA256 (88 characters out), which is how the official SDK encodes them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

AUTH_VERSION = "2.0"
SIGN_HEADERS = "x-api-timestamp,x-api-nonce"
# rot13 of the four fixed pieces the SDK interleaves with random digits (which it drops again).
_XOR_KEY = b"0054f397c6234378b09ca7d3e5debce7"


def decode_app_secret(secret_part: str) -> str:
    """The HMAC key hidden in the part of ``app_id`` after ``_`` ("" when it is not 32 chars)."""
    if len(secret_part) != 32:
        return ""
    try:
        raw = base64.b64decode(secret_part, validate=True)
    except (binascii.Error, ValueError):
        return ""
    return base64.b64encode(bytes(b ^ _XOR_KEY[i] for i, b in enumerate(raw))).decode("ascii")


def hmac_b64hex(message: str, key: str) -> str:
    digest = hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()
    return base64.b64encode(digest.encode("ascii")).decode("ascii")


def signing_path(path: str) -> str:
    """``/k3cloud/X.common.kdsvc`` -> ``%2Fk3cloud%2FX.common.kdsvc`` (quote, then every '/')."""
    return quote(path, encoding="utf-8").replace("/", "%2F")


def api_signature(path: str, timestamp: str, nonce: str, client_secret: str) -> str:
    message = f"POST\n{signing_path(path)}\n\nx-api-nonce:{nonce}\nx-api-timestamp:{timestamp}\n"
    return hmac_b64hex(message, client_secret)


def app_data(acct_id: str, user_name: str, lcid: int, org_num: int | str) -> str:
    return f"{acct_id},{user_name},{lcid},{org_num}"


def signed_headers(
    *,
    path: str,
    app_id: str,
    app_secret: str,
    acct_id: str,
    user_name: str,
    lcid: int,
    org_num: int | str,
    timestamp: int,
) -> dict[str, str]:
    """Every header of a signed request for ``path`` (the URL path, starting with '/')."""
    client_id, _, secret_part = app_id.partition("_")
    ts = str(int(timestamp))
    data = app_data(acct_id, user_name, lcid, org_num)
    return {
        "X-Api-ClientID": client_id,
        "X-Api-Auth-Version": AUTH_VERSION,
        "x-api-timestamp": ts,
        "x-api-nonce": ts,
        "x-api-signheaders": SIGN_HEADERS,
        "X-Api-Signature": api_signature(path, ts, ts, decode_app_secret(secret_part)),
        "X-Kd-Appkey": app_id,
        "X-Kd-Appdata": base64.b64encode(data.encode("utf-8")).decode("ascii"),
        "X-Kd-Signature": hmac_b64hex(app_id + data, app_secret),
    }


@dataclass(frozen=True)
class SignedIdentity:
    app_id: str
    acct_id: str
    user_name: str
    lcid: int
    org_num: str


class SignatureError(Exception):
    """Why a signed request was refused (for the simulator's answer and its log)."""


def verify_signed_headers(
    headers: Mapping[str, str],
    *,
    path: str,
    app_secrets: Mapping[str, str],
    now: float,
    window_s: float,
) -> SignedIdentity:
    """Check a signed request; ``app_secrets`` maps registered app ids to their secrets.

    ``headers`` must be case-insensitive (HTTP header semantics). Raises ``SignatureError``.
    """
    app_id = headers.get("x-kd-appkey") or ""
    if app_id not in app_secrets:
        raise SignatureError("unknown app")
    client_id, _, secret_part = app_id.partition("_")
    if headers.get("x-api-clientid") != client_id:
        raise SignatureError("client id does not match the app")
    ts, nonce = headers.get("x-api-timestamp") or "", headers.get("x-api-nonce") or ""
    try:
        skew = abs(now - int(ts))
    except ValueError:
        raise SignatureError("bad timestamp") from None
    if skew > window_s:
        raise SignatureError("timestamp outside the allowed window")
    expected = api_signature(path, ts, nonce, decode_app_secret(secret_part))
    if not hmac.compare_digest(expected, headers.get("x-api-signature") or ""):
        raise SignatureError("X-Api-Signature mismatch")
    try:
        data = base64.b64decode(headers.get("x-kd-appdata") or "", validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise SignatureError("bad X-Kd-Appdata") from None
    expected_kd = hmac_b64hex(app_id + data, app_secrets[app_id])
    if not hmac.compare_digest(expected_kd, headers.get("x-kd-signature") or ""):
        raise SignatureError("X-Kd-Signature mismatch")
    parts = data.split(",")
    if len(parts) != 4:
        raise SignatureError("bad X-Kd-Appdata")
    acct_id, user_name, lcid, org_num = parts
    return SignedIdentity(app_id, acct_id, user_name, _int_or(lcid, 2052), org_num)


def _int_or(value: str, default: int) -> int:
    try:
        return int(value)
    except ValueError:
        return default


def client_id_of(app_id: str) -> str | None:
    return app_id.partition("_")[0] or None
