"""DingTalk's encrypted HTTP event subscription (spec §6), our side: verify and decrypt what DingTalk
posts, encrypt the ``success`` reply. Pure functions over bytes and strings; no I/O.

The algorithm is DingTalk's DingTalk-Callback-Crypto (Java reference, which counts the message
length in UTF-8 *bytes*):

- ``key = b64decode(aesKey43 + "=")`` (32 bytes); AES-256-CBC with ``IV = key[:16]``; PKCS#7
  padding to a 32-byte block (pad values 1..32).
- plaintext = 16 random bytes || message length (4 bytes, big-endian) || message (UTF-8) || ownerKey.
  The ownerKey is the appKey for an internal app's event subscription (the corpId for callbacks
  registered by API, the suiteKey for ISV apps); a different ownerKey means the post is not ours.
- signature = ``sha1("".join(sorted([token, timestamp, nonce, encrypt]))).hexdigest()``, compared in
  constant time; the timestamp is checked against a freshness window by the caller.

Every refusal is an ``EventRefused`` with a ``reason`` (``signature``, ``stale``, ``undecryptable``,
``owner``, ``malformed``) for logs; none of them reveals key material.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import string
import struct
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAD_BLOCK = 32
_NONCE_CHARS = string.ascii_letters + string.digits


class EventRefused(ValueError):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class SignedPost:
    """The parts of a DingTalk event post that are signed: query parameters and the body's encrypt."""

    signature: str
    timestamp: str
    nonce: str
    encrypt: str

    @classmethod
    def from_request(cls, query: dict[str, Any], body: Any) -> SignedPost:
        """Read ``msg_signature`` (or ``signature``), ``timeStamp`` (or ``timestamp``), ``nonce``, and
        the JSON body's ``encrypt``, as DingTalk's reference handler does."""

        def first(*names: str) -> str:
            for name in names:
                value = query.get(name)
                if isinstance(value, list):
                    value = value[0] if value else None
                if isinstance(value, str) and value:
                    return value
            return ""

        encrypt = body.get("encrypt") if isinstance(body, dict) else None
        post = cls(first("msg_signature", "signature"), first("timeStamp", "timestamp"), first("nonce"),
                   encrypt if isinstance(encrypt, str) else "")
        if not (post.signature and post.timestamp and post.nonce and post.encrypt):
            raise EventRefused("malformed", "signature, timestamp, nonce and encrypt are required")
        return post


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode("utf-8")).hexdigest()


def timestamp_ms(value: str) -> int:
    """DingTalk sends ms timestamps; the reference reply builders use s (Python) or ms (Java)."""
    number = int(value)
    return number if number > 10**11 else number * 1000


class EventCrypto:
    """One app's event-subscription secrets: token, EncodingAESKey (43 chars) and ownerKey."""

    def __init__(self, token: str, aes_key: str, owner_key: str) -> None:
        if len(aes_key) != 43:
            raise ValueError("EncodingAESKey must have 43 characters")
        try:
            self._key = base64.b64decode(aes_key + "=", validate=True)
        except binascii.Error as exc:
            raise ValueError("EncodingAESKey is not base64") from exc
        if len(self._key) != 32:
            raise ValueError("EncodingAESKey must decode to 32 bytes")
        self._token, self.owner_key = token, owner_key

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    # receiving
    def verify(self, post: SignedPost, *, now_ms: int | None = None, window_s: int | None = None) -> None:
        expected = signature(self._token, post.timestamp, post.nonce, post.encrypt)
        if not hmac.compare_digest(expected, post.signature.lower()):
            raise EventRefused("signature")
        if window_s is not None:
            try:
                sent = timestamp_ms(post.timestamp)
            except ValueError:
                raise EventRefused("malformed", "timestamp is not a number") from None
            now = int(time.time() * 1000) if now_ms is None else now_ms
            if abs(now - sent) > window_s * 1000:
                raise EventRefused("stale")

    def decrypt(self, encrypt: str) -> str:
        """The message inside ``encrypt``; checks padding, length and ownerKey."""
        try:
            raw = base64.b64decode("".join(encrypt.split()), validate=True)
        except binascii.Error:
            raise EventRefused("undecryptable", "not base64") from None
        if not raw or len(raw) % 16:
            raise EventRefused("undecryptable", "length")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= PAD_BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise EventRefused("undecryptable", "padding")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise EventRefused("undecryptable", "too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise EventRefused("undecryptable", "length")
        try:
            message = plain[20:20 + length].decode("utf-8")
            owner = plain[20 + length:].decode("utf-8")
        except UnicodeDecodeError:
            raise EventRefused("undecryptable", "not UTF-8") from None
        if not hmac.compare_digest(owner.encode(), self.owner_key.encode()):
            raise EventRefused("owner")
        return message

    def open(self, post: SignedPost, *, now_ms: int | None = None, window_s: int | None = None) -> dict:
        """Verify, decrypt and parse one post: the event as a dict (with ``EventType``)."""
        self.verify(post, now_ms=now_ms, window_s=window_s)
        try:
            event = json.loads(self.decrypt(post.encrypt))
        except ValueError as exc:
            if isinstance(exc, EventRefused):
                raise
            raise EventRefused("malformed", "plaintext is not JSON") from None
        if not isinstance(event, dict) or not isinstance(event.get("EventType"), str):
            raise EventRefused("malformed", "no EventType")
        return event

    # answering
    def encrypt(self, message: str, *, random16: bytes | None = None) -> str:
        body = message.encode("utf-8")
        plain = (random16 or os.urandom(16)) + struct.pack(">I", len(body)) + body + self.owner_key.encode("utf-8")
        pad = PAD_BLOCK - len(plain) % PAD_BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def reply(self, message: str = "success", *, now_ms: int | None = None, nonce: str | None = None) -> dict:
        """The JSON DingTalk expects back: ``{msg_signature, timeStamp, nonce, encrypt}``."""
        encrypt = self.encrypt(message)
        stamp = str(int(time.time() * 1000) if now_ms is None else now_ms)
        nonce = nonce or "".join(secrets.choice(_NONCE_CHARS) for _ in range(8))
        return {"msg_signature": signature(self._token, stamp, nonce, encrypt), "timeStamp": stamp,
                "nonce": nonce, "encrypt": encrypt}
