"""K/3 Cloud signed-header authentication (spec §1a), written from the protocol, not the SDK.

Pure functions: the client uses ``signed_headers`` to sign each request (the K/3 simulator checks
them with its own code, devtools/simulators/k3cloud/auth.py, so the two cannot share a bug). Both signatures are base64 of the *hex string* of an
HMAC-SHA256 (88 characters out), which is how the official SDK encodes them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
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
    client_id, secret_part = split_app_id(app_id)
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


class AppIdError(ValueError):
    """An app id the official SDK would not sign with: it must be ``<client id>_<32 characters>``."""


def split_app_id(app_id: str) -> tuple[str, str]:
    """(client id, secret part) as the official SDK splits the app id: on ``_``, exactly two parts."""
    parts = app_id.split("_")
    if len(parts) != 2 or not parts[0]:
        raise AppIdError(f"app id must be <client id>_<secret part>, got {len(parts)} part(s)")
    return parts[0], parts[1]
