"""Stale and forged signatures, on the robot route and the card route.

Missing or empty headers, timestamps that are not milliseconds, stale (2 h old) and future
(2 h ahead) timestamps correctly signed, signatures made with the wrong secret, of another
timestamp, truncated, re-cased or random. Bodies are otherwise valid (a member, an allowed
webhook), so only the signature can refuse them. Accepted: anything but a 401, a turn, a reply.
"""

from __future__ import annotations

import base64
import os
import time

from devtools.security.context import Attempt, Context, Result, settle
from devtools.security.wire import card_message_id, card_press, sign

NAME, TITLE = "signatures", "Stale and forged signatures"
HOUR_MS = 3_600_000


def forgeries(ctx: Context) -> list[tuple[str, dict]]:
    secret = ctx.settings.dingtalk_app_secret.get_secret_value()
    now = int(time.time() * 1000)
    good = sign(secret, now)
    return [
        ("no headers", {}),
        ("empty headers", {"timestamp": "", "sign": ""}),
        ("no sign", {"timestamp": str(now)}),
        ("no timestamp", {"sign": good}),
        ("timestamp in seconds", {"timestamp": str(now // 1000), "sign": sign(secret, now // 1000)}),
        ("timestamp with letters", {"timestamp": f"{now}a", "sign": sign(secret, f"{now}a")}),
        ("negative timestamp", {"timestamp": f"-{now}", "sign": sign(secret, f"-{now}")}),
        ("float timestamp", {"timestamp": f"{now}.5", "sign": sign(secret, f"{now}.5")}),
        ("huge timestamp", {"timestamp": "9" * 30, "sign": sign(secret, "9" * 30)}),
        ("stale by 2 h", {"timestamp": str(now - 2 * HOUR_MS), "sign": sign(secret, now - 2 * HOUR_MS)}),
        ("stale by 61 min", {"timestamp": str(now - HOUR_MS - 60_000), "sign": sign(secret, now - HOUR_MS - 60_000)}),
        ("2 h in the future", {"timestamp": str(now + 2 * HOUR_MS), "sign": sign(secret, now + 2 * HOUR_MS)}),
        ("wrong secret", {"timestamp": str(now), "sign": sign("not-the-app-secret-0123456789", now)}),
        ("reversed secret", {"timestamp": str(now), "sign": sign(secret[::-1], now)}),
        ("empty secret", {"timestamp": str(now), "sign": sign("", now)}),
        ("sign of another timestamp", {"timestamp": str(now), "sign": sign(secret, now - 1)}),
        ("truncated sign", {"timestamp": str(now), "sign": good[:-4]}),
        ("re-cased sign", {"timestamp": str(now), "sign": good.swapcase()}),
        ("sign with padding removed", {"timestamp": str(now), "sign": good.rstrip("=")}),
        ("random sign", {"timestamp": str(now), "sign": base64.b64encode(os.urandom(32)).decode()}),
        ("hex sign", {"timestamp": str(now), "sign": base64.b64decode(good).hex()}),
        ("sign with a space inside", {"timestamp": str(now), "sign": f"{good[:8]} {good[8:]}"}),
        ("non-ASCII sign", {"timestamp": str(now), "sign": ("签名" + good[2:]).encode("utf-8")}),
    ]


def run(ctx: Context) -> Result:
    attempts: list[Attempt] = []
    n = 0
    while len(attempts) < ctx.attempts:
        for label, headers in forgeries(ctx):
            hook = f"/signatures/{n}/"
            if n % 2:
                body = card_press(corp_id=ctx.settings.dingtalk_corp_id, out_track_id=f"approval-sig-{n}",
                                  staff_id="manager0001", space_id="cidPMC0001", decision="approve",
                                  params={"order_no": "MO000124"})
                url, msg_id, route = ctx.card_url, card_message_id(body), "card"
            else:
                body = ctx.body("pmc0001", "进度 P20250401", hook_path=hook)
                url, msg_id, route = ctx.webhook_url, body["msgId"], "webhook"
            status, _ = ctx.post_signed(url, body, headers={"Content-Type": "application/json", **headers})
            attempts.append(Attempt(f"{route}: {label}", status, msg_id, hook, accepted=status != 401,
                                    outcome=f"{route} {status}"))
            n += 1
    return settle(ctx, Result(NAME, TITLE), attempts)
