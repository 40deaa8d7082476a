"""Forged events on the encrypted HTTP event route (spec §6, ``POST /webhooks/dingtalk/events``).

One genuine event is posted first (the suite encrypts and signs it as DingTalk does, with the
simulator's own cipher, ``PushCipher``). Then: its timestamp, nonce and signature over another
``encrypt``; correctly signed posts that are stale, encrypted with another key, for another app
(ownerKey) or another corp; no or forged signatures; bodies that are not JSON, not objects, nested
too deep or too large. Accepted: a 2xx, or any event stored in the inbox besides the genuine one.
If the route is not served the class is reported as pending, never as "0 accepted".
"""

from __future__ import annotations

import json
import os
import time
import uuid

from devtools.security.context import PENDING, Attempt, Context, Result, settle
from devtools.simulators.dingtalk.event_push import PushCipher, new_nonce

NAME, TITLE = "events", "Forged events (encrypted event route)"


def inbox_count(settings) -> int:
    from rasa_project.db import get_engine
    from rasa_project.oa.inbox import Inbox

    return Inbox(get_engine(settings.sqlalchemy_url)).count()


def event(corp_id: str, **changes) -> str:
    body = {"EventType": "bpms_instance_change", "processInstanceId": f"sec-{uuid.uuid4().hex}",
            "corpId": corp_id, "type": "finish", "result": "agree", "staffId": "manager0001",
            "processCode": "PROC-DINGK3-MO-0001", "finishTime": int(time.time() * 1000), **changes}
    return json.dumps(body, ensure_ascii=False)


def run(ctx: Context) -> Result:
    s = ctx.settings
    url = f"{ctx.rasa}/webhooks/dingtalk/events"
    probe, _ = ctx.send("POST", url, json={})
    if probe in (404, 405):
        return Result(NAME, TITLE, status=PENDING, note="POST /webhooks/dingtalk/events is not served")
    cipher = PushCipher(s.dingtalk_event_token, s.dingtalk_event_aes_key.get_secret_value(), s.dingtalk_app_key)

    def signed(plaintext: str, *, ts_ms: int | None = None, key: bytes | None = None, owner: str | None = None):
        ts, nonce = str(ts_ms or int(time.time() * 1000)), new_nonce()
        encrypt = cipher.encrypt(plaintext, key=key, owner_key=owner)
        return {"msg_signature": cipher.sign(cipher.token, ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}, \
            {"encrypt": encrypt}

    before = inbox_count(s)
    genuine_query, genuine_body = signed(event(s.dingtalk_corp_id))
    status, _ = ctx.send("POST", url, params=genuine_query, json=genuine_body)
    if status != 200:
        raise RuntimeError(f"a genuine event was not accepted ({status}): nothing to compare with")
    attempts: list[Attempt] = []
    while len(attempts) < ctx.attempts:
        other = cipher.encrypt(event(s.dingtalk_corp_id, result="refuse"))
        stale_ms = int(time.time() * 1000) - 2 * 3600 * 1000
        forged_sig = {"msg_signature": os.urandom(20).hex(), "timestamp": str(int(time.time() * 1000)),
                      "nonce": new_nonce()}
        cases = [
            ("the genuine signature over another encrypt", genuine_query, {"encrypt": other}),
            ("no signature", {}, {"encrypt": other}),
            ("forged signature", forged_sig, {"encrypt": other}),
            ("signed with a guessed token", {**forged_sig, "msg_signature": cipher.sign(
                "guessed-token", forged_sig["timestamp"], forged_sig["nonce"], other)}, {"encrypt": other}),
            ("stale by 2 h, correctly signed", *signed(event(s.dingtalk_corp_id), ts_ms=stale_ms)),
            ("encrypted with another key", *signed(event(s.dingtalk_corp_id), key=os.urandom(32))),
            ("for another app (ownerKey)", *signed(event(s.dingtalk_corp_id), owner="dingotherapp0000")),
            ("for another corp", *signed(event("dingothercorp0001"))),
            ("not JSON", genuine_query, b"{encrypt"),
            ("not an object", genuine_query, ["encrypt"]),
            ("nested 50 000 deep", genuine_query, b"[" * 50_000 + b"]" * 50_000),
            ("beyond the size limit", genuine_query, {"encrypt": "A" * (s.dingtalk_max_body_bytes + 10)}),
        ]
        for label, query, body in cases:
            kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
            status, _ = ctx.send("POST", url, params=query, **kwargs)
            attempts.append(Attempt(label, status, accepted=isinstance(status, int) and status < 300))
    result = settle(ctx, Result(NAME, TITLE), attempts, quiet_s=1.0)
    stored = inbox_count(s) - before
    if stored != 1:
        result.accepted += max(0, stored - 1)
        result.accepted_examples.append(f"{stored} events stored in the inbox; only the genuine one may be")
    result.note = f"one genuine event stored ({stored} new inbox rows in all)"
    return result
