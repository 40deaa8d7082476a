"""DingTalk robot callback signature: ``base64(HMAC-SHA256(appSecret, timestamp + "\\n" + appSecret))``.

The body is not signed (spec §1.1); the signature only proves the sender knows the app secret
and that the timestamp is recent, so it is checked against the real wall clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from enum import Enum


class SignatureProblem(str, Enum):
    MISSING = "missing"
    MALFORMED_TIMESTAMP = "malformed_timestamp"
    STALE = "stale"
    MISMATCH = "mismatch"


def sign(app_secret: str, timestamp_ms: int | str) -> str:
    message = f"{timestamp_ms}\n{app_secret}".encode()
    digest = hmac.new(app_secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def check_signature(
    app_secret: str, timestamp: str | None, signature: str | None, *, now_ms: int, window_s: int
) -> SignatureProblem | None:
    """None when the headers are valid, else what is wrong with them (pure: the caller passes now)."""
    if not timestamp or not signature:
        return SignatureProblem.MISSING
    if not timestamp.isdigit() or len(timestamp) > 16:
        return SignatureProblem.MALFORMED_TIMESTAMP
    if abs(now_ms - int(timestamp)) > window_s * 1000:
        return SignatureProblem.STALE
    if not hmac.compare_digest(sign(app_secret, timestamp).encode(), signature.encode("utf-8", "replace")):
        return SignatureProblem.MISMATCH
    return None
