"""Forged events on the encrypted HTTP event route (spec §6, ``POST /webhooks/dingtalk/events``).

The route is being added with the OA approval events. Until it answers, this class is reported as
pending, never as "0 accepted". When it is there: events without a signature, with a forged
``msg_signature``, with a replayed timestamp/nonce/signature over another ``encrypt``, with garbage
or oversized ``encrypt``. Accepted: a 2xx (DingTalk's own events are answered 200 with an encrypted
"success"; a forged one must not be).
"""

from __future__ import annotations

import base64
import hashlib
import os
import time

from devtools.security.context import PENDING, Attempt, Context, Result, settle

NAME, TITLE = "events", "Forged events (encrypted event route)"


def run(ctx: Context) -> Result:
    url = f"{ctx.rasa}/webhooks/dingtalk/events"
    probe, _ = ctx.send("POST", url, json={})
    if probe in (404, 405):
        return Result(NAME, TITLE, status=PENDING,
                      note="POST /webhooks/dingtalk/events is not served yet (OA approval events are being added)")
    attempts: list[Attempt] = []
    while len(attempts) < ctx.attempts:
        encrypt = base64.b64encode(os.urandom(96)).decode()
        ts, nonce = str(int(time.time() * 1000)), os.urandom(6).hex()
        forged = hashlib.sha1("".join(sorted(["guessed-token", ts, nonce, encrypt])).encode()).hexdigest()
        for label, params, body in (
            ("no signature", {}, {"encrypt": encrypt}),
            ("forged signature", {"msg_signature": forged, "timeStamp": ts, "nonce": nonce}, {"encrypt": encrypt}),
            ("legacy parameter names, forged", {"signature": forged, "timestamp": ts, "nonce": nonce},
             {"encrypt": encrypt}),
            ("garbage encrypt", {"msg_signature": forged, "timeStamp": ts, "nonce": nonce}, {"encrypt": "%%%"}),
            ("oversized encrypt", {"msg_signature": forged, "timeStamp": ts, "nonce": nonce},
             {"encrypt": "A" * 2_000_000}),
            ("not an object", {"msg_signature": forged, "timeStamp": ts, "nonce": nonce}, ["encrypt"]),
        ):
            status, _ = ctx.send("POST", url, params=params, json=body)
            attempts.append(Attempt(label, status, accepted=isinstance(status, int) and status < 300))
    return settle(ctx, Result(NAME, TITLE), attempts, quiet_s=1.0)
