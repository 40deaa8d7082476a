"""DingTalk's side of the encrypted HTTP event subscription (spec §6), as the simulator plays it.

The cipher is written here from the spec and DingTalk's published algorithm (DingTalk-Callback-
Crypto), independently of ``dingtalk_client/event_crypto.py``: a bug in the product's decryption
cannot hide behind the same bug here.

- key = b64decode(aesKey43 + "=") (32 bytes), AES-256-CBC, IV = key[:16], PKCS#7 padded to 32.
- plaintext = 16 random bytes || len(msg) (4 bytes, big-endian) || msg (UTF-8) || ownerKey (appKey).
- signature = sha1 of the sorted concatenation of token, timestamp, nonce and encrypt (hex).
- DingTalk POSTs ``{"encrypt": ...}`` with ``msg_signature``, ``timestamp`` and ``nonce`` in the
  query, and expects 200 with ``{"msg_signature","timeStamp","nonce","encrypt"}`` whose plaintext is
  ``success``. Anything else is retried with backoff, a bounded number of times.
- The first event to a newly registered URL is ``{"EventType":"check_url"}``.

Fault switches (tests): ``wrong_signature``, ``wrong_key``, ``stale_timestamp``, ``wrong_owner``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import secrets
import string
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

log = logging.getLogger(__name__)

BLOCK = 32  # DingTalk pads to 32 bytes, not AES's 16
NONCE_ALPHABET = string.ascii_letters + string.digits
FAULTS = ("wrong_signature", "wrong_key", "stale_timestamp", "wrong_owner")
STALE_MS = 2 * 3600 * 1000


class PushCipher:
    """Encrypt what DingTalk sends and decrypt what the app answers."""

    def __init__(self, token: str, aes_key: str, owner_key: str) -> None:
        if len(aes_key) != 43:
            raise ValueError("the EncodingAESKey has 43 characters")
        self.token, self.owner_key = token, owner_key
        self.key = base64.b64decode(aes_key + "=")

    @staticmethod
    def sign(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
        return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()

    def _aes(self, key: bytes) -> Cipher:
        return Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def encrypt(self, message: str, *, key: bytes | None = None, owner_key: str | None = None,
                random16: bytes | None = None) -> str:
        key = key or self.key
        body = message.encode()
        plain = (random16 or os.urandom(16)) + struct.pack(">I", len(body)) + body
        plain += (owner_key if owner_key is not None else self.owner_key).encode()
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._aes(key).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, encrypt: str) -> tuple[str, str]:
        """(message, ownerKey); ValueError when it is not a well-formed ciphertext under our key."""
        raw = base64.b64decode(encrypt)
        if not raw or len(raw) % 16:
            raise ValueError("ciphertext length")
        decryptor = self._aes(self.key).decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise ValueError("padding")
        plain = plain[:-pad]
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise ValueError("length")
        return plain[20:20 + length].decode(), plain[20 + length:].decode()


def new_nonce(size: int = 8) -> str:
    return "".join(secrets.choice(NONCE_ALPHABET) for _ in range(size))


@dataclass
class Attempt:
    time_ms: int
    status: Any  # HTTP status, "timeout" or "unreachable"
    accepted: bool
    reason: str
    fault: str | None = None


@dataclass
class Push:
    """One event pushed to the HTTP subscription: the identical request is resent on retry."""

    seq: int
    event_type: str
    plaintext: str
    query: dict
    body: dict
    attempts: list[Attempt] = field(default_factory=list)
    delivered: bool = False
    gave_up: bool = False

    def view(self) -> dict:
        return {"seq": self.seq, "event_type": self.event_type, "plaintext": json.loads(self.plaintext),
                "query": dict(self.query), "delivered": self.delivered, "gave_up": self.gave_up,
                "attempts": [a.__dict__ for a in self.attempts]}


class EventPusher:
    """Delivers events to the registered callback URL, checks the reply, retries with backoff."""

    def __init__(self, *, token: str, aes_key: str, owner_key: str, http: Callable[[], httpx.AsyncClient],
                 max_attempts: int = 4, retry_base_s: float = 1.0, wall_ms: Callable[[], int] | None = None
                 ) -> None:
        self.cipher = PushCipher(token, aes_key, owner_key)
        self._http = http
        self.max_attempts, self.retry_base_s = max_attempts, retry_base_s
        self._wall_ms = wall_ms or (lambda: int(time.time() * 1000))  # DingTalk signs with its real clock
        self._tasks: set[asyncio.Task] = set()
        self.reset()

    def reset(self) -> None:
        for task in list(getattr(self, "_tasks", ())):
            task.cancel()
        self.url: str | None = None
        self.param_style = "msg_signature"  # or "signature" (the other spelling DingTalk uses)
        self.pushes: list[Push] = []
        self.faults: list[dict] = []  # [{"fault": name, "count": n}]

    # the request DingTalk sends
    def _take_fault(self) -> str | None:
        for rule in self.faults:
            if rule.get("count", 1) > 0:
                rule["count"] = rule.get("count", 1) - 1
                return rule["fault"]
        return None

    def _request(self, plaintext: str, fault: str | None) -> tuple[dict, dict]:
        timestamp = self._wall_ms() - (STALE_MS if fault == "stale_timestamp" else 0)
        nonce = new_nonce()
        if fault == "wrong_key":
            encrypt = self.cipher.encrypt(plaintext, key=os.urandom(32))
        elif fault == "wrong_owner":
            encrypt = self.cipher.encrypt(plaintext, owner_key="dingotherapp0000")
        else:
            encrypt = self.cipher.encrypt(plaintext)
        signature = self.cipher.sign(self.cipher.token, str(timestamp), nonce, encrypt)
        if fault == "wrong_signature":
            signature = hashlib.sha1(signature.encode()).hexdigest()
        sig_key, ts_key = ("signature", "timeStamp") if self.param_style == "signature" else ("msg_signature",
                                                                                             "timestamp")
        return {sig_key: signature, ts_key: str(timestamp), "nonce": nonce}, {"encrypt": encrypt}

    def check_reply(self, status: Any, answer: Any) -> tuple[bool, str]:
        """Whether the app's reply is DingTalk's expected encrypted ``success``."""
        if status != 200:
            return False, f"HTTP {status}"
        if not isinstance(answer, dict) or not all(
            isinstance(answer.get(k), str) for k in ("msg_signature", "timeStamp", "nonce", "encrypt")
        ):
            return False, "reply is not {msg_signature,timeStamp,nonce,encrypt}"
        expected = self.cipher.sign(self.cipher.token, answer["timeStamp"], answer["nonce"], answer["encrypt"])
        if expected != answer["msg_signature"]:
            return False, "reply signature mismatch"
        try:
            message, owner = self.cipher.decrypt(answer["encrypt"])
        except (ValueError, UnicodeDecodeError, struct.error):
            return False, "reply does not decrypt"
        if owner != self.cipher.owner_key:
            return False, "reply ownerKey mismatch"
        if message != "success":
            return False, f"reply plaintext is {message[:40]!r}"
        return True, "success"

    async def _post(self, url: str, query: dict, body: dict) -> tuple[Any, Any]:
        try:
            r = await self._http().post(url, params=query, json=body)
        except httpx.TimeoutException:
            return "timeout", None
        except httpx.HTTPError:
            return "unreachable", None
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, None

    async def attempt(self, push: Push, url: str) -> bool:
        status, answer = await self._post(url, push.query, push.body)
        accepted, reason = self.check_reply(status, answer)
        push.attempts.append(Attempt(self._wall_ms(), status, accepted, reason,
                                     push.attempts[0].fault if push.attempts else None))
        push.delivered = push.delivered or accepted
        return accepted

    # registration: DingTalk sends check_url and keeps the URL only if the app answers success
    async def register(self, url: str, *, param_style: str = "msg_signature") -> tuple[bool, str]:
        self.param_style = param_style
        plaintext = json.dumps({"EventType": "check_url"})
        query, body = self._request(plaintext, None)
        push = Push(len(self.pushes) + 1, "check_url", plaintext, query, body)
        self.pushes.append(push)
        accepted = await self.attempt(push, url)
        if accepted:
            self.url = url
        return accepted, push.attempts[-1].reason

    # events
    def push(self, event_type: str, data: dict, on_done: Callable[[Push], Awaitable[None]] | None = None
             ) -> Push | None:
        """Queue an event for the registered URL (None when no URL is registered)."""
        if not self.url:
            return None
        plaintext = json.dumps({"EventType": event_type, **data}, ensure_ascii=False)
        fault = self._take_fault()
        query, body = self._request(plaintext, fault)
        push = Push(len(self.pushes) + 1, event_type, plaintext, query, body)
        self.pushes.append(push)
        self._spawn(self._deliver(push, self.url, fault))
        return push

    async def _deliver(self, push: Push, url: str, fault: str | None) -> None:
        for number in range(1, self.max_attempts + 1):
            status, answer = await self._post(url, push.query, push.body)
            accepted, reason = self.check_reply(status, answer)
            push.attempts.append(Attempt(self._wall_ms(), status, accepted, reason, fault))
            if accepted:
                push.delivered = True
                return
            if number < self.max_attempts:
                await asyncio.sleep(self.retry_base_s * 2 ** (number - 1))
        push.gave_up = True
        log.info("event push %s (%s) gave up after %s attempts", push.seq, push.event_type, self.max_attempts)

    async def resend(self, seq: int) -> Push | None:
        """Send an earlier push again, byte for byte (a duplicate delivery, as DingTalk's retries are)."""
        push = next((p for p in self.pushes if p.seq == seq), None)
        if push is None or not self.url:
            return None
        await self.attempt(push, self.url)
        return push

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def view(self) -> dict:
        return {"url": self.url, "param_style": self.param_style, "faults": list(self.faults),
                "pushes": [p.view() for p in self.pushes]}
